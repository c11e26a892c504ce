"""The house rules that keep the code easy to change, checked on the source (ast), so a change that breaks
one fails here with the file and line: no `_private` name used across modules, and imports that point down
the layers (channels -> service -> agents -> connectors/warehouse)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "revops_cli"


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, ast.parse(path.read_text(), str(path))


def imports(tree: ast.AST):
    """(line, imported module, names) for every `from revops_cli… import …` and `import revops_cli…`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("revops_cli"):
            yield node.lineno, node.module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("revops_cli"):
                    yield node.lineno, a.name, []


def test_no_private_name_is_used_across_modules():
    found = []
    for path, tree in modules():
        aliases = {}
        for line, module, names in imports(tree):
            for name in names:
                if name.startswith("_") and not name.startswith("__"):
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{line}: from {module} import {name}")
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("revops_cli"):
                for a in node.names:
                    aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_") and not node.attr.startswith("__")):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {node.value.id}.{node.attr}")
    assert not found, "private names used across modules (make them public):\n" + "\n".join(found)


# (importing package, the packages it must not import): each line is a layer rule of docs/ARCHITECTURE.md
LAYER_RULES = [
    ("revops_cli.connectors", ("revops_cli.channels", "revops_cli.agents", "revops_cli.commands",
                               "revops_cli.service", "revops_cli.reports")),
    ("revops_cli.agents", ("revops_cli.channels", "revops_cli.commands", "revops_cli.output",
                           "revops_cli.reports")),
    ("revops_cli.warehouse", ("revops_cli.channels", "revops_cli.agents", "revops_cli.commands",
                              "revops_cli.output", "revops_cli.reports")),
    ("revops_cli.reports", ("revops_cli.agents", "revops_cli.channels", "revops_cli.commands")),
    ("revops_cli.channels", ("revops_cli.commands",)),
    ("revops_cli.hygiene", ("revops_cli.agents", "revops_cli.channels", "revops_cli.commands", "revops_cli.output",
                            "revops_cli.reports", "revops_cli.alerts")),
    ("revops_cli.alerts", ("revops_cli.agents", "revops_cli.channels", "revops_cli.commands", "revops_cli.output")),
    ("revops_cli.pipeline_changes", ("revops_cli.agents", "revops_cli.channels", "revops_cli.commands",
                                     "revops_cli.output", "revops_cli.reports", "revops_cli.alerts")),
]


@pytest.mark.parametrize("package,forbidden", LAYER_RULES, ids=[r[0] for r in LAYER_RULES])
def test_imports_point_down_the_layers(package, forbidden):
    broken = []
    for path, tree in modules():
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if not (module == package or module.startswith(package + ".")):
            continue
        for line, imported, _ in imports(tree):
            if any(imported == f or imported.startswith(f + ".") for f in forbidden):
                broken.append(f"{path.relative_to(PACKAGE.parent)}:{line}: imports {imported}")
    assert not broken, f"{package} must not import {', '.join(forbidden)}:\n" + "\n".join(broken)
