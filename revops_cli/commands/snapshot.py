"""`revops snapshot`: store today's pipeline snapshot in the cache, for pipeline changes on a warehouse that
keeps no stage history (warehouse/snapshots.py). Cron-friendly: one status line on a terminal's stderr,
nothing otherwise (or with --quiet); `--list` prints the stored days."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from revops_cli.commands import context


def snapshot(
    ctx: typer.Context,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="The snapshot's day (YYYY-MM-DD); default "
                                                                 "settings' as_of or today.")] = None,
    list_days: Annotated[bool, typer.Option("--list", help="Print the days stored for this warehouse.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = False,
) -> None:
    """Store the pipeline as it stands (open deals, and the deals closed in the last 60 days) as today's
    snapshot; run it once a day from cron on a warehouse without stage history."""
    from revops_cli.reports.engine import with_as_of
    from revops_cli.warehouse import snapshots

    cli = context.get(ctx)
    settings = with_as_of(cli.settings, as_of)
    wh = cli.warehouse(False, True)          # fresh rows, never the result cache's
    try:
        if list_days:
            for day in snapshots.stored_days(settings, wh.identity):
                print(day.isoformat())
            return
        snap = snapshots.take(wh, settings, settings.as_of)
    finally:
        wh.close()
    if not quiet and sys.stderr.isatty():
        print(f"revops: stored the pipeline snapshot of {snap.day.isoformat()} ({len(snap.rows)} deals)",
              file=sys.stderr)
