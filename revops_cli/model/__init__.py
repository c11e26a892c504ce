"""The semantic model of RevOps data: canonical entities mapped onto a warehouse, and named measures and
dimensions over them (docs/model.md). spec.py holds the records, loader.py reads the YAML files."""
