"""No answer path bypasses the semantic model: every read of the warehouse goes through warehouse/queries.py
(run_pattern, run_sql, run_query), which compiles canonical SQL onto the mapped tables first."""

from __future__ import annotations

import ast
from pathlib import Path

import revops_cli

ROOT = Path(revops_cli.__file__).parent
# Who may call `<warehouse>.query(...)` directly, and why.
ALLOWED = {
    "warehouse/queries.py": "the one door: compiles through the model, then runs",
    "warehouse/connect.py": "the cached warehouse passes queries to the backend",
    "warehouse/duckdb_backend.py": "a backend",
    "warehouse/firebolt.py": "a backend",
    "connectors/outbox.py": "the CRM outbox table revops writes, not canonical data",
}
MODEL_PACKAGE = "model/"      # the compiler's own probes and `model check` run SQL the model wrote


def direct_queries() -> list[str]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in ALLOWED or rel.startswith(MODEL_PACKAGE):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "query":
                found.append(f"{rel}:{node.lineno}")
    return found


def test_nothing_queries_the_warehouse_around_the_model():
    assert direct_queries() == [], ("these call warehouse.query directly; use warehouse/queries.py "
                                    "(run_pattern, run_sql, run_query) so the semantic model applies")


def test_the_scan_would_see_a_direct_query(tmp_path, monkeypatch):
    bad = ROOT / "agents" / "zz_wiring_probe.py"
    bad.write_text("def f(ctx):\n    return ctx.warehouse.query('SELECT 1')\n")
    try:
        assert direct_queries() == ["agents/zz_wiring_probe.py:2"]
    finally:
        bad.unlink()
