from revops_cli.app import main

main()
