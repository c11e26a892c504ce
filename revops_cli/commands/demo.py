"""`revops demo`: build the embedded demo warehouse."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from revops_cli.commands import context

app = typer.Typer(help="The embedded demo warehouse.", no_args_is_help=True)


@app.command("init")
def init(
    ctx: typer.Context,
    scale: Annotated[float, typer.Option(help="Size: 1 ≈ 300 accounts; 1000 ≈ one million opportunities.", min=0.01)] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 42,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Date the data is relative to (default: today).")] = None,
    path: Annotated[Optional[Path], typer.Option(help="DuckDB file to write (default: warehouse.path).")] = None,
    shape: Annotated[Optional[str], typer.Option(
        help="Write the same data in another warehouse's schema: reference-v5 (the reference system's dwh_prod) "
             "or fivetran-salesforce (Fivetran's Salesforce connector). Pair it with `revops init --preset NAME`.")
    ] = None,
) -> None:
    """Generate a deterministic, realistic RevOps data set into DuckDB (canonical schema, or --shape NAME)."""
    import sys
    import time
    from datetime import date

    from revops_cli.errors import UsageError
    from revops_cli.output import ProgressBar, progress_wanted
    from revops_cli.warehouse.cache import ResultCache
    from revops_cli.warehouse.demo_data import GENERATE_STEPS, generate
    from revops_cli.warehouse.shapes import generate_shaped, shape_module

    cli = context.get(ctx)
    settings = cli.settings
    try:
        day = date.fromisoformat(as_of) if as_of else settings.as_of
    except ValueError:
        raise UsageError(f"--as-of {as_of!r} is not a date", "use YYYY-MM-DD") from None
    if shape is not None:
        shape_module(shape)                 # an unknown shape is a usage error before anything is written
    target = path or settings.duckdb_path
    target.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if shape is None:
        with ProgressBar("building the demo warehouse", GENERATE_STEPS, enabled=progress_wanted()) as bar:
            counts = generate(target, scale=scale, seed=seed, as_of=day, on_step=bar.advance)
    else:
        counts = generate_shaped(target, shape, scale=scale, seed=seed, as_of=day)
    cleared = ResultCache(settings.cache_path).clear(source=f"duckdb:{target.resolve()}")
    took = time.perf_counter() - started
    total = sum(counts.values())
    print(f"demo warehouse: {target} ({f'{shape} schema, ' if shape else ''}scale {scale:g}, seed {seed}, as of {day}): "
          f"{total:,} rows in {len(counts)} tables, {took:.1f} s"
          + (f"; {cleared} stale cache entries dropped" if cleared else ""))
    for table, n in counts.items():
        print(f"  {table:28} {n:>12,}", file=sys.stderr if not sys.stdout.isatty() else sys.stdout)
