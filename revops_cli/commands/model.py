"""`revops model`: the semantic model (docs/model.md): what it defines, and whether it holds on the warehouse."""

from __future__ import annotations

from typing import Annotated

import typer

from revops_cli.commands import context
from revops_cli.output import TableFormat

app = typer.Typer(help="The semantic model: your warehouse in revops' words (docs/model.md).", no_args_is_help=True)

CheckFormatOpt = Annotated[TableFormat, typer.Option("--format", "-f", case_sensitive=False,
                                                     help="table (one screen) or json (stable, README).")]


def screen_or_json(fmt: TableFormat) -> None:
    if fmt not in (TableFormat.table, TableFormat.json):
        from revops_cli.errors import UsageError

        raise UsageError(f"`revops model` prints a table or JSON, not {fmt.value}", "use --format table or json")


@app.command("check")
def check(ctx: typer.Context, fmt: CheckFormatOpt = TableFormat.table) -> None:
    """Check the model against the live warehouse (read-only): entities compile, types fit, value maps cover
    the values present, joins do not fan out; then which commands and analyses work, degrade or are broken.
    Exits 3 when something is broken."""
    from revops_cli.model.check import check_model
    from revops_cli.model.screens import print_check
    from revops_cli.output import echo_json

    screen_or_json(fmt)
    cli = context.get(ctx)
    warehouse = cli.warehouse(refresh=True)
    try:
        report = check_model(cli.settings, warehouse.inner)
    finally:
        warehouse.close()
    if fmt == TableFormat.json:
        echo_json(report.to_dict())
    else:
        print_check(report)
    if not report.ok:
        raise typer.Exit(3)


@app.command("show")
def show(ctx: typer.Context, fmt: CheckFormatOpt = TableFormat.table) -> None:
    """Show the model: measures, dimensions, and each entity's mapped, approximated and missing columns."""
    from revops_cli.model.loader import load_model
    from revops_cli.model.screens import model_summary, print_show
    from revops_cli.output import echo_json

    screen_or_json(fmt)
    summary = model_summary(load_model(context.get(ctx).settings))
    if fmt == TableFormat.json:
        echo_json(summary)
    else:
        print_show(summary)
