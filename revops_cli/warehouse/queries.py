"""The two ways anything in revops reads the warehouse: a named SQL pattern, or guarded free SQL."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

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
    """Render and run a named pattern; returns (pattern, the typed parameters used, result)."""
    pattern = pattern_catalog(settings).get(name)
    typed = pattern.coerce(values or {})
    sql, params = pattern.render(typed, table=settings.table)
    result = warehouse.query(sql, params, row_limit=row_limit, namespace="pattern")
    return pattern, typed, result


def run_sql(warehouse, sql: str, *, row_limit: int | None = None) -> QueryResult:
    """Run SQL a user or a model wrote: the read-only guard first, always."""
    from revops_cli.warehouse.guard import check_read_only

    return warehouse.query(check_read_only(sql), [], row_limit=row_limit, namespace="sql")


def run_model_query(settings: Settings, warehouse, query) -> tuple[Any, QueryResult]:
    """Compile a model query (measures × dimensions × filters × period, revops_cli/model/planner.py) on the
    settings' model and run it: (MeasurePlan, QueryResult with the receipt in its meta)."""
    from revops_cli.model.planner import run_model_query as run

    return run(settings, warehouse, query)
