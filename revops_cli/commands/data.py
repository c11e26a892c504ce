"""`revops data`: the SQL pattern catalog, named patterns, and read-only SQL."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from revops_cli.commands import context
from revops_cli.commands.context import OfflineOpt, ParamOpt, RefreshOpt, TableFormatOpt
from revops_cli.output import TableFormat

app = typer.Typer(help="Query the warehouse: SQL patterns and read-only SQL.", no_args_is_help=True)


def parse_params(items: list[str] | None) -> dict[str, str]:
    from revops_cli.errors import UsageError

    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"parameter {item!r} is not key=value", "write e.g. -p segment=Enterprise")
        out[key.strip()] = value
    return out


@app.command("patterns")
def patterns(ctx: typer.Context, fmt: TableFormatOpt = TableFormat.table) -> None:
    """List the SQL patterns: name, parameters, description."""
    from revops_cli.output import echo_json, markdown_table, render_rich_table
    from revops_cli.warehouse.queries import pattern_catalog

    catalog = pattern_catalog(context.get(ctx).settings)
    rows = []
    for p in catalog:
        params = ", ".join(f"{n}{'' if prm.required else '?'}:{prm.type}" for n, prm in p.params.items())
        rows.append((p.name, params, p.description))
    if fmt == TableFormat.json:
        echo_json([p.to_dict() for p in catalog])
    elif fmt == TableFormat.markdown:
        print(markdown_table(["pattern", "parameters", "description"], rows))
    elif fmt == TableFormat.csv:
        import csv
        import sys

        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(["pattern", "parameters", "description"])
        w.writerows(rows)
    else:
        render_rich_table(["pattern", "parameters", "description"], rows)


@app.command("run")
def run(
    ctx: typer.Context,
    pattern: Annotated[str, typer.Argument(help="Pattern name (see `revops data patterns`).")],
    param: ParamOpt = None,
    fmt: TableFormatOpt = TableFormat.table,
    offline: OfflineOpt = False,
    refresh: RefreshOpt = False,
) -> None:
    """Run a named SQL pattern with -p key=value parameters."""
    from revops_cli.output import render_result
    from revops_cli.warehouse.queries import run_pattern

    cli = context.get(ctx)
    pat, typed, result = on_warehouse(cli, fmt, offline, refresh,
                                      lambda wh: run_pattern(wh, cli.settings, pattern, parse_params(param)))
    render_result(result, fmt, title=pat.name, settings=cli.settings, pattern=pat.name, params=typed)


def on_warehouse(cli: context.CliContext, fmt: TableFormat, offline: bool, refresh: bool, work: Any) -> Any:
    """Open the warehouse (behind the cache), run `work(wh)`, close it; with `-f json` a failure also
    prints the one JSON error object (context.json_errors)."""
    with context.json_errors(fmt):
        wh = cli.warehouse(offline, refresh)
        try:
            return work(wh)
        finally:
            wh.close()


@app.command("sql")
def sql(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="One read-only SELECT statement.")],
    fmt: TableFormatOpt = TableFormat.table,
    offline: OfflineOpt = False,
    refresh: RefreshOpt = False,
) -> None:
    """Run one read-only query (the guard refuses anything that writes or reaches outside)."""
    from revops_cli.output import render_result
    from revops_cli.warehouse.queries import run_sql

    cli = context.get(ctx)
    result = on_warehouse(cli, fmt, offline, refresh, lambda wh: run_sql(wh, cli.settings, query))
    render_result(result, fmt, settings=cli.settings)
