"""The real-Firebolt suite's steps, shared by `make test-firebolt` (a real Firebolt Core at REVOPS_FIREBOLT_URL)
and `make test` (the same steps on the wire fake, tests/fakes/firebolt_core.py).

    reason = unreachable(url)                    # None when a Firebolt Core answers there
    load_demo(url, database, duckdb_path)        # CREATE DATABASE, the canonical schema, the demo rows (firebolt-sdk)
    pattern_mismatches(settings, duck, fire)     # every SQL pattern, rendered with its examples, on both
    TOUR                                         # the README tour and every Data-agent analysis, as CLI argv
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

SCHEMA = Path(__file__).resolve().parents[1] / "revops_cli" / "warehouse" / "schema.sql"
DATABASE = os.environ.get("REVOPS_FIREBOLT_DATABASE") or "revops_suite"
BATCH = 250


def core_url() -> str | None:
    return os.environ.get("REVOPS_FIREBOLT_URL") or None


def unreachable(url: str | None) -> str | None:
    """Why no Firebolt Core can be used at url; None when `SELECT 1` answers there."""
    if not url:
        return "REVOPS_FIREBOLT_URL is not set: no Firebolt Core to run on (see docs/firebolt.md to start one)"
    import httpx

    try:
        r = httpx.post(url.rstrip("/") + "/?output_format=JSON_Compact", content="SELECT 1", timeout=5.0)
    except httpx.HTTPError as exc:
        return f"no Firebolt Core answers at {url} ({type(exc).__name__}: {exc}); see docs/firebolt.md"
    if r.status_code != 200:
        return f"{url} answered HTTP {r.status_code} to SELECT 1: not a Firebolt Core?"
    return None


def schema_statements() -> list[tuple[str, str, list[str]]]:
    """(table, CREATE TABLE statement, columns) from schema.sql, in order, comments removed."""
    text = "\n".join(line.split("--", 1)[0] for line in SCHEMA.read_text().splitlines())
    out = []
    for stmt in (s.strip() for s in text.split(";")):
        m = re.match(r"CREATE TABLE (\w+) \((.*)\)\s*$", stmt, re.S)
        if not m:
            continue
        cols = [re.match(r'\s*("?\w+"?)', part).group(1) for part in m.group(2).split(",") if part.strip()]
        out.append((m.group(1), stmt, cols))
    return out


def _value(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    return v


def load_demo(url: str, database: str, duckdb_path: Path) -> dict[str, int]:
    """Create the database and the canonical schema on Firebolt, and copy the demo warehouse's rows into it."""
    import duckdb
    from firebolt.client.auth import FireboltCore
    from firebolt.db import connect

    with connect(auth=FireboltCore(), url=url) as conn:
        conn.cursor().execute(f"CREATE DATABASE IF NOT EXISTS {database}")
    counts: dict[str, int] = {}
    src = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        with connect(auth=FireboltCore(), url=url, database=database) as conn:
            cur = conn.cursor()
            for table, create, cols in schema_statements():
                cur.execute(f"DROP TABLE IF EXISTS {table}")
                cur.execute(create)
                rows = src.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall()
                marks = "(" + ", ".join("?" for _ in cols) + ")"
                for i in range(0, len(rows), BATCH):
                    batch = rows[i:i + BATCH]
                    cur.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES " + ", ".join(marks for _ in batch),
                                [_value(v) for row in batch for v in row])
                counts[table] = len(rows)
    finally:
        src.close()
    return counts


def plain(v: Any) -> Any:
    """Compare values across drivers: integer widths and numeric types differ, the values must not."""
    if isinstance(v, Decimal):
        return round(float(v), 6)
    if isinstance(v, float):
        return round(v, 6)
    if isinstance(v, datetime):
        return v.replace(tzinfo=None)
    return v


def pattern_mismatches(settings: Any, duck: Any, fire: Any) -> list[str]:
    """Every pattern of the catalogue, with its example values, on both warehouses: what differs."""
    from revops_cli.warehouse.queries import pattern_catalog

    out = []
    for pattern in pattern_catalog(settings):
        sql, params = pattern.render(pattern.coerce(pattern.example_values()), table=settings.table)
        a, b = duck.query(sql, params), fire.query(sql, params)
        if a.columns != b.columns:
            out.append(f"{pattern.name}: columns {a.columns} != {b.columns}")
        elif [tuple(map(plain, r)) for r in a.rows] != [tuple(map(plain, r)) for r in b.rows]:
            out.append(f"{pattern.name}: {len(a.rows)} rows on DuckDB, {len(b.rows)} on Firebolt, or values differ")
    return out


def tour() -> list[tuple[str, ...]]:
    """The README tour's questions and the first example question of every Data-agent analysis."""
    from revops_cli.agents.analyses.catalog import ANALYSES

    argv: list[tuple[str, ...]] = [
        ("deal", "IXIS"),
        ("lead", "John Smith", "--company", "DataCorp"),
        ("ask", "analyze Q4 revenue performance by customer segment"),
        ("ask", "which competitors were mentioned in our last call with Acme Corp?"),
        ("search", "CloudTech"),
        ("data", "run", "deals_closing_in_period", "-p", "start_date=2026-10-01", "-p", "end_date=2026-12-31"),
        ("data", "sql", "SELECT segment, count(*) AS n FROM accounts GROUP BY 1 ORDER BY 1 NULLS LAST"),
    ]
    argv += [("data", "ask", a.examples[0]) for a in ANALYSES.values() if a.examples]
    return argv


FAKE_TOUR = [("deal", "IXIS"), ("lead", "John Smith", "--company", "DataCorp"),
             ("ask", "analyze Q4 revenue performance by customer segment"),
             ("data", "run", "deals_closing_in_period", "-p", "start_date=2026-10-01", "-p", "end_date=2026-12-31")]


def comparable(out: dict[str, Any]) -> dict[str, Any]:
    """What must be equal between the two warehouses in a JSON answer: the answer and its data."""
    keep = {k: out.get(k) for k in ("agent", "answer", "data", "ok", "error", "rows", "row_count")}
    # column names must match; their type names need not (firebolt-sdk reports every integer as BIGINT)
    keep["columns"] = [c.get("name") if isinstance(c, dict) else c for c in out.get("columns") or []]
    data = keep.get("data")
    if isinstance(data, dict):
        keep["data"] = {k: v for k, v in data.items() if k not in ("timing", "elapsed_ms", "warehouse")}
    return _round(keep)


VARYING = ("warehouse", "freshness", "elapsed_ms", "duration_ms")    # which warehouse answered, and when


def _round(v: Any) -> Any:
    if isinstance(v, float):
        return round(v, 6)
    if isinstance(v, dict):
        return {k: _round(x) for k, x in v.items() if k not in VARYING}
    if isinstance(v, list):
        return [_round(x) for x in v]
    return v

