"""The only ways anything in revops reads the warehouse: a named SQL pattern, guarded free SQL, or revops'
own canonical SQL. Each goes through the semantic model (model/compile.py) before it runs, so no answer path
bypasses the mapping; tests/model/test_wiring.py checks that nothing else calls `warehouse.query`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

from revops_cli.config import Settings
from revops_cli.warehouse.base import QueryResult


def pattern_dirs(settings: Settings) -> list[Path]:
    """User pattern folders, weakest first: <home>/sql_patterns, then ./sql_patterns."""
    return [d for d in (settings.home / "sql_patterns", Path.cwd() / "sql_patterns") if d.is_dir()]


@lru_cache(maxsize=8)
def _catalog(dirs: tuple[Path, ...]):
    from revops_cli.sql_patterns.catalog import Catalog

    return Catalog.load(list(dirs))


def pattern_catalog(settings: Settings):
    return _catalog(tuple(pattern_dirs(settings)))


def run_pattern(warehouse, settings: Settings, name: str, values: dict[str, Any] | None = None,
                *, row_limit: int | None = None) -> tuple[Any, dict[str, Any], QueryResult]:
    """Render a named pattern onto the model and run it; returns (pattern, the typed parameters used, result)."""
    from revops_cli.model.compile import compile_pattern, model_for

    pattern = pattern_catalog(settings).get(name)
    typed = pattern.coerce(values or {})
    model = model_for(settings)
    compiled, params = compile_pattern(model, pattern, typed)
    result = execute(warehouse, model, compiled, params, row_limit=row_limit, namespace="pattern")
    return pattern, typed, result


def run_sql(warehouse, settings: Settings, sql: str, *, row_limit: int | None = None) -> QueryResult:
    """Run SQL a user or a model wrote, in canonical names: the read-only guard, the model, the guard again."""
    from revops_cli.model.compile import compile_sql, model_for
    from revops_cli.warehouse.guard import check_read_only

    model = model_for(settings)
    compiled = compile_sql(model, check_read_only(sql))
    if compiled.mapped:     # the model's own expressions are checked as well
        compiled.sql = check_read_only(compiled.sql)
    return execute(warehouse, model, compiled, [], row_limit=row_limit, namespace="sql")


def run_query(warehouse, settings: Settings, sql: str, params: Sequence[Any] | None = None, *,
              namespace: str = "sql", row_limit: int | None = None) -> QueryResult:
    """Run revops' own SQL (an agent's lookup, the research cache), written in canonical names."""
    from revops_cli.model.compile import compile_sql, model_for

    model = model_for(settings)
    return execute(warehouse, model, compile_sql(model, sql), list(params or []), row_limit=row_limit,
                   namespace=namespace)


def execute(warehouse, model, compiled, params: list, *, row_limit: int | None, namespace: str) -> QueryResult:
    """Run compiled SQL; a mapping the warehouse rejects is reported at its model file:line (exit 3)."""
    from revops_cli.errors import WarehouseError

    try:
        result = warehouse.query(compiled.sql, params, row_limit=row_limit, namespace=namespace)
    except WarehouseError as exc:
        if compiled.mapped:
            from revops_cli.model.compile import locate_failure

            located = locate_failure(model, warehouse, compiled, exc)
            if located is not None:
                raise located from None
        raise
    meta = compiled.meta()
    if meta:
        result.meta["model"] = meta
    return result


def run_model_query(settings: Settings, warehouse, query) -> tuple[Any, QueryResult]:
    """Compile a model query (measures × dimensions × filters × period, revops_cli/model/planner.py) on the
    settings' model and run it: (MeasurePlan, QueryResult with the receipt in its meta)."""
    from revops_cli.model.planner import run_model_query as run

    return run(settings, warehouse, query)
