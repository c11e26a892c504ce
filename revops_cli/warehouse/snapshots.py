"""Daily pipeline snapshots, for warehouses that keep no stage or close-date history.

`revops snapshot` (cron, once a day) stores the `pipeline_snapshot` pattern's rows - every open deal and the
deals closed in the last CLOSED_DAYS days - in the result cache (namespace "snapshot", one entry per
warehouse and day; `revops cache clear` removes them too). Pipeline changes between two dates then compare
the snapshot of the day before the window with the one at its end (pipeline_changes.py,
`changes_from_snapshots`).

    take(warehouse, settings, day)        -> Snapshot (stored)
    load(settings, identity, day)         -> Snapshot | None    (that day's)
    latest_on_or_before(settings, identity, day) -> Snapshot | None
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

NAMESPACE = "snapshot"
CLOSED_DAYS = 60
LOOKBACK_DAYS = 31           # how far back a missing day's snapshot is looked for


@dataclass
class Snapshot:
    day: date
    identity: str
    rows: list[dict[str, Any]]


def _sql(day: date) -> str:
    return f"pipeline snapshot {day.isoformat()}"


def take(warehouse: Any, settings: Any, day: date | None = None) -> Snapshot:
    """Read the pipeline now and store it as the snapshot of `day` (default: the as-of date)."""
    from revops_cli.models import jsonable
    from revops_cli.warehouse.cache import ResultCache
    from revops_cli.warehouse.queries import run_pattern

    day = day or settings.as_of
    _, _, result = run_pattern(warehouse, settings, "pipeline_snapshot",
                               {"closed_since": day - timedelta(days=CLOSED_DAYS)})
    rows = [jsonable(r) for r in result.records()]
    identity = warehouse.identity
    ResultCache(settings.cache_path).put(NAMESPACE, identity, _sql(day), [day.isoformat()],
                                         json.dumps(rows, sort_keys=True), len(rows))
    return Snapshot(day, identity, rows)


def load(settings: Any, identity: str, day: date) -> Snapshot | None:
    from revops_cli.warehouse.cache import ResultCache, cache_key

    entry = ResultCache(settings.cache_path).get(cache_key(NAMESPACE, identity, _sql(day), [day.isoformat()]))
    if entry is None:
        return None
    return Snapshot(day, identity, json.loads(entry.payload))


def latest_on_or_before(settings: Any, identity: str, day: date, lookback: int = LOOKBACK_DAYS) -> Snapshot | None:
    """The newest stored snapshot on `day` or up to `lookback` days before it."""
    for back in range(lookback + 1):
        snap = load(settings, identity, day - timedelta(days=back))
        if snap is not None:
            return snap
    return None


def stored_days(settings: Any, identity: str) -> list[date]:
    from revops_cli.warehouse.cache import ResultCache

    days = []
    for e in ResultCache(settings.cache_path).entries(namespace=NAMESPACE):
        if e.source == identity and e.sql.startswith("pipeline snapshot "):
            days.append(date.fromisoformat(e.sql.rsplit(" ", 1)[1]))
    return sorted(days)
