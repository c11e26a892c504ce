"""Finding 4 (issue 14): `pg_settings`, `duckdb_databases` and `pragma_database_list` passed the guard and
printed file paths and settings.

The guard's refusals are checked against DuckDB's own catalogue on the installed (pinned) version: every
table function and table macro, and every system view, is either on the guard's short reviewed allow list
or refused. A DuckDB upgrade that adds one makes this test fail until someone reviews it.
"""

from __future__ import annotations

import duckdb
import pytest

from cli import run
from revops_cli.errors import RefusedSQLError
from revops_cli.warehouse.guard import ALLOWED_CATALOG_VIEWS, ALLOWED_TABLE_FUNCTIONS, check_read_only

# Reviewed: these only generate values from their arguments; they read no file, setting or catalogue.
REVIEWED_HARMLESS_TABLE_FUNCTIONS = {"range", "generate_series", "unnest"}
ARGS = {"range": "1, 3", "generate_series": "1, 3", "unnest": "[1, 2]"}


def _catalogue():
    conn = duckdb.connect()
    try:
        functions = sorted({r[0] for r in conn.execute(
            "SELECT DISTINCT function_name FROM duckdb_functions() "
            "WHERE function_type IN ('table', 'table_macro')").fetchall()})
        views = sorted({(r[0], r[1]) for r in conn.execute(
            "SELECT schema_name, view_name FROM duckdb_views() WHERE internal").fetchall()})
        scalars = {r[0] for r in conn.execute(
            "SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_type IN ('scalar', 'macro')").fetchall()}
    finally:
        conn.close()
    return functions, views, scalars


TABLE_FUNCTIONS, SYSTEM_VIEWS, SCALARS = _catalogue()


def refused(sql: str) -> bool:
    try:
        check_read_only(sql)
    except RefusedSQLError:
        return True
    return False


def test_the_catalogue_is_the_one_reviewed():
    """The enumeration found DuckDB's catalogue (a broken query would make every test below vacuous)."""
    assert {"duckdb_settings", "duckdb_databases", "read_csv", "range", "glob"} <= set(TABLE_FUNCTIONS)
    assert ("main", "pragma_database_list") in SYSTEM_VIEWS and ("pg_catalog", "pg_settings") in SYSTEM_VIEWS
    assert len(TABLE_FUNCTIONS) > 50 and len(SYSTEM_VIEWS) > 30


def test_the_allow_lists_are_short_and_reviewed():
    present = ALLOWED_TABLE_FUNCTIONS & set(TABLE_FUNCTIONS)
    assert present == REVIEWED_HARMLESS_TABLE_FUNCTIONS
    assert ALLOWED_CATALOG_VIEWS == {("information_schema", "tables"), ("information_schema", "columns")}


@pytest.mark.parametrize("name", TABLE_FUNCTIONS)
def test_every_table_function_is_allowed_by_review_or_refused(name):
    args = ARGS.get(name, "'x'")
    statements = [f"SELECT * FROM {name}({args})", f"SELECT 1 WHERE EXISTS (SELECT * FROM {name}({args}))",
                  f"WITH x AS (SELECT * FROM {name}({args})) SELECT * FROM x"]
    if name not in ARGS:           # quoting or upper case does not hide a refused one
        statements += [f"SELECT * FROM {name}()", f'SELECT * FROM "{name}"({args})',
                       f"SELECT * FROM {name.upper()}({args})"]
    outcomes = {sql: refused(sql) for sql in statements}
    if name in REVIEWED_HARMLESS_TABLE_FUNCTIONS:
        assert not any(outcomes.values()), outcomes
    else:
        assert all(outcomes.values()), [sql for sql, r in outcomes.items() if not r]


@pytest.mark.parametrize("schema,view", SYSTEM_VIEWS, ids=lambda v: str(v))
def test_every_system_view_is_allowed_by_review_or_refused(schema, view):
    statements = [f"SELECT * FROM {schema}.{view}", f"SELECT * FROM system.{schema}.{view}",
                  f'SELECT * FROM "{schema}"."{view}"', f"SELECT count(*) FROM (SELECT * FROM {schema}.{view})"]
    if schema in ("main", "pg_catalog"):      # on DuckDB's search path: reachable without the schema
        statements += [f"SELECT * FROM {view}", f'SELECT * FROM "{view.upper()}"']
    outcomes = {sql: refused(sql) for sql in statements}
    if (schema, view) in ALLOWED_CATALOG_VIEWS:
        assert not any(outcomes.values()), outcomes
    else:
        assert all(outcomes.values()), [sql for sql, r in outcomes.items() if not r]


@pytest.mark.parametrize("function", ["current_setting", "getenv", "write_log"])
def test_scalar_functions_that_read_settings_or_write_are_refused(function):
    if function != "getenv":      # getenv exists only in the DuckDB shell; refused in case it appears
        assert function in SCALARS
    assert refused(f"SELECT {function}('memory_limit')")
    assert refused(f"SELECT 1 WHERE {function}('x') IS NOT NULL")


@pytest.mark.parametrize("sql", [
    "SELECT * FROM pg_settings",
    "SELECT name, setting FROM pg_catalog.pg_settings WHERE name = 'temp_directory'",
    "SELECT path FROM duckdb_databases",
    "SELECT * FROM duckdb_databases()",
    "SELECT * FROM pragma_database_list",
    "FROM duckdb_settings() SELECT name, value",
    "SELECT * FROM duckdb_secrets()",
    "SELECT * FROM duckdb_extensions()",
    "SELECT * FROM duckdb_temporary_files()",
    "SELECT * FROM duckdb_memory()",
    "SELECT * FROM which_secret('s3://x', 's3')",
    "SELECT * FROM pragma_version()",
    "SELECT * FROM glob('*')",
    "SELECT * FROM information_schema.schemata",
    "SELECT current_setting('temp_directory')",
    "SELECT * FROM (SELECT path FROM duckdb_databases) d",
])
def test_the_findings_exit_4_from_the_cli(capsys, demo_db, monkeypatch, sql):
    monkeypatch.setenv("REVOPS_DUCKDB_PATH", str(demo_db))
    r = run(capsys, "data", "sql", sql, "-f", "json")
    assert r.code == 4, r
    assert r.json() == {"ok": False, "error": {**r.json()["error"], "kind": "RefusedSQLError", "exit_code": 4}}
    assert "rows" not in r.out                                   # the one error object, never a result
    assert str(demo_db) not in r.err + r.out and "temp_directory" not in r.out.replace(sql, "")
    assert "refused" in r.err.splitlines()[0]


def test_schema_discovery_and_generators_still_run(capsys, demo_db, monkeypatch):
    monkeypatch.setenv("REVOPS_DUCKDB_PATH", str(demo_db))
    r = run(capsys, "data", "sql", "SELECT table_name FROM information_schema.tables ORDER BY 1", "-f", "json")
    assert r.code == 0, r.err
    names = {row["table_name"] for row in r.json()["rows"]}
    assert "opportunities" in names and "accounts" in names
    r = run(capsys, "data", "sql", "SELECT sum(range) AS s FROM range(10)", "-f", "json")
    assert r.code == 0 and r.json()["rows"] == [{"s": 45}]
