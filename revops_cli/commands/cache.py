"""`revops cache`: inspect and clear the result cache."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from revops_cli.commands import context
from revops_cli.commands.context import TableFormatOpt
from revops_cli.output import TableFormat

app = typer.Typer(help="The result cache (every warehouse result, replayable with --offline).", no_args_is_help=True)


def _cache(ctx: typer.Context):
    from revops_cli.warehouse.cache import ResultCache

    return ResultCache(context.get(ctx).settings.cache_path)


@app.command("list")
def list_(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("-n", "--limit", help="How many, newest first.")] = 20,
    fmt: TableFormatOpt = TableFormat.table,
) -> None:
    """List cached results, newest first."""
    from revops_cli.output import render_result
    from revops_cli.warehouse.base import QueryResult

    rows = [(e.key[:12], e.namespace, e.source, e.row_count, e.created_at.isoformat(timespec="seconds"),
             " ".join(e.sql.split())[:70]) for e in _cache(ctx).entries(limit=limit)]
    render_result(QueryResult(columns=["key", "kind", "source", "rows", "created_at", "sql"],
                              types=["TEXT", "TEXT", "TEXT", "INTEGER", "TEXT", "TEXT"], rows=rows), fmt)


@app.command("show")
def show(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Cache key or a unique prefix (see `revops cache list`).")],
    fmt: TableFormatOpt = TableFormat.table,
) -> None:
    """Show one cached result: its SQL, parameters and rows."""
    import sys

    from revops_cli.errors import NotFoundError
    from revops_cli.output import render_result
    from revops_cli.warehouse.cache import decode_result

    entry = _cache(ctx).find(key)
    if entry is None:
        raise NotFoundError(f"no cache entry {key!r}", "`revops cache list` shows the keys")
    result = decode_result(entry.payload)
    if fmt != TableFormat.json:
        print(f"key: {entry.key}\nsource: {entry.source}\ncreated: {entry.created_at}\nparams: {entry.params}\n"
              f"sql:\n{entry.sql}\n", file=sys.stderr if fmt != TableFormat.table else sys.stdout)
    render_result(result, fmt, key=entry.key, source=entry.source, sql=entry.sql)


@app.command("stats")
def stats(ctx: typer.Context, fmt: TableFormatOpt = TableFormat.table) -> None:
    """Entries, rows and bytes in the cache."""
    from revops_cli.output import echo_json, render_rich_table

    s = _cache(ctx).stats()
    if fmt == TableFormat.json:
        echo_json(s)
        return
    rows = [(k, v) for k, v in s.items() if not isinstance(v, dict)]
    rows += [(f"namespace {k}", v) for k, v in s["by_namespace"].items()]
    rows += [(f"source {k}", v) for k, v in s["by_source"].items()]
    render_rich_table(["stat", "value"], rows)


@app.command("clear")
def clear(
    ctx: typer.Context,
    older_than: Annotated[Optional[float], typer.Option(help="Only entries older than this many hours.")] = None,
) -> None:
    """Delete cached results. A cache file that cannot be opened (damaged) is deleted whole, with its WAL."""
    cache = _cache(ctx)
    n = cache.clear(older_than_s=older_than * 3600 if older_than is not None else None)
    print(f"cleared {n} cache entries" if n is not None else f"deleted the damaged cache file {cache.path}")
