"""How revops writes numbers, money, percentages and JSON: one public module for answers, reports, tables and
every JSON it prints, stores or sends.

- `money`, `pct`, `signed_pct`, `num`: the way an analyst writes them ($2.1M, 42%, +3.5%, 1,204); `n/a` for
  None. They are also the Jinja filters of the answer templates (templates/__init__.py).
- `format_value(v, kind)`: one table cell by its column's kind (money, pct, pct1, signed_pct, num, ratio,
  month, date).
- JSON, one dialect: `jsonable` turns a value into JSON-able data and `json_default` is the `default=` hook
  for `json.dumps`; both write dates and datetimes as ISO 8601 (`2026-11-27`, `2026-11-27T11:45:00`) and
  decimals as numbers. `to_json` is `json.dumps` with that hook.
- URLs in messages and logs: see `redaction.py` (`url_without_credentials`, `url_without_query`,
  `url_location`: three levels of how much of a URL may be shown), the one module that knows secrets.

Nothing here imports anything heavy: the CLI's `--help` path may import it.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any


def money(v: Any) -> str:
    """$2.1M, $800K, $27.8B, -$73K: the way an analyst writes amounts."""
    if v is None:
        return "n/a"
    v = float(v)
    sign, v = ("-" if v < 0 else ""), abs(v)
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M")):
        if v >= size:
            text = f"{v / size:,.1f}"
            return f"{sign}${text[:-2] if text.endswith('.0') else text}{suffix}"
    if v >= 1_000:
        return f"{sign}${v / 1_000:,.0f}K"
    return f"{sign}${v:,.0f}"


def pct(v: Any, digits: int = 0) -> str:
    return "n/a" if v is None else f"{float(v):.{digits}f}%"


def signed_pct(v: Any, digits: int = 1) -> str:
    return "n/a" if v is None else f"{float(v):+.{digits}f}%"


def num(v: Any) -> str:
    return "n/a" if v is None else f"{v:,.0f}" if isinstance(v, (int, float)) else str(v)


def format_value(v: Any, kind: str = "") -> str:
    """One table cell, formatted by its column's kind: money, pct, pct1, signed_pct, num, ratio, month,
    date; anything else as plain text on one line (pipes turned into slashes, for markdown tables)."""
    if v is None or v == "":
        return ""
    try:
        if kind == "money":
            return money(v)
        if kind == "pct":
            return pct(v)
        if kind == "pct1":
            return pct(v, 1)
        if kind == "signed_pct":
            return signed_pct(v)
        if kind == "num":
            return num(v)
        if kind == "ratio":
            return f"{float(v):.1f}x"
    except (TypeError, ValueError):
        return str(v)
    if kind == "month":
        return str(v)[:7]
    if kind == "date":
        return str(v)[:10]
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) >= 1000 else f"{v:.4g}"
    return " ".join(str(v).replace("|", "/").split())


# ---------------------------------------------------------------------------------------------- JSON

def jsonable(v: Any) -> Any:
    """A value as stable JSON-able data: Decimal -> float, dates and datetimes -> ISO 8601 text
    (`2026-11-27`, `2026-11-27T11:45:00`), containers recursively."""
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    return v


def day_of(v: Any) -> date | None:
    """A date back from a date, a datetime or ISO text (its first ten characters); None for anything else (the
    warehouse's and the cache's values, as `jsonable` writes them)."""
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if v:
        try:
            return date.fromisoformat(str(v)[:10])
        except ValueError:
            return None
    return None


def json_default(v: Any) -> Any:
    """The `default=` of every `json.dumps` revops calls: what the json module cannot write by itself."""
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, (set, frozenset, tuple)):
        return list(v)
    if isinstance(v, Enum):
        return v.value
    if hasattr(v, "to_dict"):
        return v.to_dict()
    return str(v)


def to_json(obj: Any, *, indent: int | None = None, compact: bool = False, sort_keys: bool = False) -> str:
    """JSON text in revops' dialect (see `json_default`); `compact` drops the spaces after , and :."""
    return json.dumps(obj, default=json_default, indent=indent, ensure_ascii=False, sort_keys=sort_keys,
                      separators=(",", ":") if compact else None)
