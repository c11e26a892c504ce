"""The `revops` command: global options, command registration, and one-line errors.

Heavy libraries (duckdb, boto3, fastapi, slack, mcp) are imported inside the commands that need them,
so `revops --help` stays fast.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Optional

import typer

from revops_cli import __version__
from revops_cli.commands import agents as agents_cmd
from revops_cli.commands import alerts as alerts_cmd
from revops_cli.commands import answers
from revops_cli.commands import cache as cache_cmd
from revops_cli.commands import config as config_cmd
from revops_cli.commands import conversations as conversations_cmd
from revops_cli.commands import data as data_cmd
from revops_cli.commands import demo as demo_cmd
from revops_cli.commands import eval as eval_cmd
from revops_cli.commands import examples
from revops_cli.commands import mcp as mcp_cmd
from revops_cli.commands import model as model_cmd
from revops_cli.commands import report as report_cmd
from revops_cli.commands import slack as slack_cmd
from revops_cli.commands import snapshot as snapshot_cmd
from revops_cli.commands import webhook as webhook_cmd
from revops_cli.commands.context import CliContext
from revops_cli.errors import RevopsError

app = typer.Typer(
    name="revops",
    help="Answers for Revenue Operations analysts, from your own warehouse: deals, leads, revenue, pipeline.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,      # --install-completion / --show-completion (bash, zsh, fish, PowerShell)
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        print(f"revops {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    profile: Annotated[Optional[str], typer.Option("--profile", envvar="REVOPS_PROFILE",
                                                   help="Settings profile from revops.yaml (e.g. prod).")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="Answer only from the result cache.")] = False,
    refresh: Annotated[bool, typer.Option("--refresh", help="Skip the result cache.")] = False,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Analysis date (YYYY-MM-DD); default today.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks and debug detail.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    from revops_cli.redaction import install_log_redaction

    install_log_redaction()          # every log line of every command is redacted (redaction.py)
    ctx.obj = CliContext(profile=profile, verbose=verbose, offline=offline, refresh=refresh, as_of=as_of)


app.command("ask")(answers.ask)
app.command("deal")(answers.deal)
app.command("lead")(answers.lead)
app.command("search")(answers.search)
app.command("execute")(answers.execute)
data_cmd.app.command("ask")(answers.data_ask)
app.add_typer(data_cmd.app, name="data")
app.add_typer(model_cmd.app, name="model")
app.add_typer(demo_cmd.app, name="demo")
app.add_typer(report_cmd.app, name="report")
app.command("snapshot")(snapshot_cmd.snapshot)
app.add_typer(alerts_cmd.app, name="alerts")
app.command("eval", epilog=eval_cmd.EXAMPLES)(eval_cmd.eval_command)
app.command("serve-webhook")(webhook_cmd.serve_webhook)
app.command("worker")(webhook_cmd.worker)
app.command("serve-slack")(slack_cmd.serve_slack)
app.command("serve-mcp")(mcp_cmd.serve_mcp)
app.add_typer(webhook_cmd.app, name="webhook")
app.add_typer(cache_cmd.app, name="cache")
app.add_typer(config_cmd.app, name="config")
app.add_typer(agents_cmd.app, name="agents")
app.add_typer(conversations_cmd.app, name="conversations")
app.command("export-conversations")(conversations_cmd.export_conversations)
app.command("init", cls=config_cmd.InitCommand)(config_cmd.init)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turn every failure into one line on stderr and an exit code."""
    import signal

    import click

    from revops_cli.errors import missing_extra
    from revops_cli.interrupts import Terminated, install_cli_handlers, last_signal

    install_cli_handlers()
    args = sys.argv[1:] if argv is None else argv
    verbose = "--verbose" in args or "-v" in args or bool(os.environ.get("REVOPS_VERBOSE"))
    command = examples.attach(typer.main.get_command(app))
    try:
        rv = command.main(args=args, prog_name="revops", standalone_mode=False)
        code = rv if isinstance(rv, int) else 0
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.exceptions.Abort:
        print("Aborted.", file=sys.stderr)
        code = 130
    except Terminated:
        print("revops: terminated (SIGTERM)", file=sys.stderr)
        code = 143
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except RevopsError as exc:
        code = report_error(exc, verbose)
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        code = 0
    except Exception as exc:  # a bug: still one line unless --verbose (a missing optional extra is not)
        extra = missing_extra(exc)
        code = report_error(extra, verbose) if extra else report_bug(exc, verbose)
    if code == 130 and last_signal() == signal.SIGINT:    # typer turns Ctrl-C into a bare exit 130
        print("revops: interrupted (Ctrl-C)", file=sys.stderr)
    sys.stdout.flush()
    raise SystemExit(code)


def report_error(exc: RevopsError, verbose: bool) -> int:
    """A RevopsError: one line and its hint on stderr (the traceback too with --verbose); its exit code."""
    if verbose:
        import traceback

        traceback.print_exc()
    print(f"Error: {exc.message}", file=sys.stderr)
    if exc.hint:
        print(f"  hint: {exc.hint}", file=sys.stderr)
    return exc.exit_code


def report_bug(exc: Exception, verbose: bool) -> int:
    if verbose:
        import traceback

        traceback.print_exc()
    print(f"Error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
    print("  hint: re-run with --verbose for the traceback, and report it", file=sys.stderr)
    return 1
