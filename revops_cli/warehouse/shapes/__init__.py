"""Warehouse shapes: the canonical demo data rewritten into the schemas real teams have.

`revops demo init --shape NAME` builds one, so a user can try a model preset (`revops init --preset NAME`)
without a warehouse of their own; the tests build them to check that a preset gives the same numbers as
the canonical warehouse made from the same seed.

- `reference-v5` (`reference_v5.py`): the reference system's Firebolt `dwh_prod` schema, as its knowledge
  base documents it (salesforce_account_d, opportunity_d, opportunity_stage_f, gong_call_f, billing_event_f, ...).
- `fivetran-salesforce` (`fivetran_salesforce.py`): the raw tables Fivetran's Salesforce connector writes
  (account, opportunity, opportunity_history, contact, lead, "user", user_role, task).

Each builder reads the canonical warehouse (attached read-only as `c`) and writes its own tables with
set-based SQL, deterministic in the seed. The rewrite is invertible wherever the data maps exactly (the
module docstrings say how each canonical column comes back), and adds the mess such warehouses have
(soft-deleted rows, other vocabularies, NULLs with a fallback, rows that belong to no canonical entity),
always in a form a row filter or a value map removes again.
"""

from __future__ import annotations

import datetime as dt
import os
from importlib import import_module
from pathlib import Path

SHAPES: dict[str, str] = {
    "reference-v5": "reference_v5",
    "fivetran-salesforce": "fivetran_salesforce",
}


def shape_module(shape: str):
    """The builder module of a shape; UsageError naming the shapes for an unknown one."""
    from revops_cli.errors import UsageError

    if shape not in SHAPES:
        raise UsageError(f"unknown warehouse shape {shape!r}",
                         "use one of: " + ", ".join(SHAPES) + " (or leave --shape out for the canonical schema)")
    return import_module(f"revops_cli.warehouse.shapes.{SHAPES[shape]}")


def install_macros(con, seed: int) -> None:
    """Deterministic pseudo-random helpers for the mess: u(key, salt) in [0, 1), pickw(list, key, salt)."""
    s = int(seed)
    con.execute(f"CREATE OR REPLACE TEMP MACRO u(k, salt) AS "
                f"((hash({s}, k, salt, 'shape') % 1000003)::DOUBLE / 1000003.0)")
    con.execute("CREATE OR REPLACE TEMP MACRO pickw(arr, k, salt) AS arr[1 + floor(u(k, salt) * len(arr))::INTEGER]")


def lit(v) -> str:
    """A SQL literal for the Python values spliced into the builders' SQL (words, word lists, dates)."""
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(lit(x) for x in v) + "]"
    if isinstance(v, dt.date):
        return f"DATE '{v.isoformat()}'"
    return "'" + str(v).replace("'", "''") + "'"


def case_words(expr: str, words: dict[str, tuple[str, ...]], key: str, salt: str, default: str) -> str:
    """SQL turning a canonical value into one of its warehouse words, picked per row by `key`."""
    arms = " ".join(f"WHEN {lit(k)} THEN " + (lit(w[0]) if len(w) == 1 else f"pickw({lit(list(w))}, {key}, {lit(salt)})")
                    for k, w in words.items())
    return f"CASE {expr} {arms} ELSE {default} END"


def build_shape(canonical: Path, path: Path, shape: str, *, seed: int, as_of: dt.date) -> dict[str, int]:
    """Write the warehouse `path` in `shape` from the canonical warehouse file `canonical`; row counts.

    The file is written under a temporary name and moved into place, like the demo generator does."""
    from revops_cli.warehouse.duckdb_file import written_atomically

    module = shape_module(shape)
    with written_atomically(Path(path), f"building the {shape} warehouse") as con:
        con.execute(f"ATTACH '{str(canonical)}' AS c (READ_ONLY)")
        install_macros(con, seed)
        module.build(con, seed=seed, as_of=as_of)
        con.execute("DETACH c")
        counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in module.TABLES}
    return counts


def generate_shaped(path: Path, shape: str, *, scale: float, seed: int, as_of: dt.date) -> dict[str, int]:
    """Generate the canonical demo data for (scale, seed, as_of) and write it to `path` in `shape`."""
    from revops_cli.warehouse.demo_data import generate
    from revops_cli.warehouse.duckdb_file import remove

    shape_module(shape)                     # an unknown shape fails before minutes of generation
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    canonical = path.with_name(f".{path.name}.canonical-{os.getpid()}.duckdb")
    try:
        generate(canonical, scale=scale, seed=seed, as_of=as_of)
        return build_shape(canonical, path, shape, seed=seed, as_of=as_of)
    finally:
        remove(canonical)

