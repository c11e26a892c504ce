"""Periods in plain words: "Q4", "Q3 2025", "this quarter", "last 30 days", "same quarter last year".

Quarters are calendar quarters. Every period knows its same period one year earlier, for YoY.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date            # inclusive
    kind: str            # quarter | month | year | days | week | ytd

    @property
    def prev_year(self) -> "Period":
        return Period(f"{self.label} last year", _minus_year(self.start), _minus_year(self.end), self.kind)

    @property
    def previous(self) -> "Period":
        """The period of the same length just before this one."""
        if self.kind == "quarter":
            return quarter_of(self.start - timedelta(days=1))
        length = (self.end - self.start).days + 1
        return Period(f"the {length} days before", self.start - timedelta(days=length),
                      self.start - timedelta(days=1), "days")

    def to_dict(self) -> dict:
        return {"label": self.label, "start": self.start.isoformat(), "end": self.end.isoformat(), "kind": self.kind}


def _minus_year(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:      # 29 February
        return d.replace(year=d.year - 1, day=28)


def quarter_of(d: date) -> Period:
    q = (d.month - 1) // 3 + 1
    return quarter(d.year, q)


def quarter(year: int, q: int) -> Period:
    start = date(year, 3 * (q - 1) + 1, 1)
    end = (date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)) - timedelta(days=1)
    return Period(f"Q{q} {year}", start, end, "quarter")


def month_of(d: date) -> Period:
    start = d.replace(day=1)
    nxt = date(d.year + 1, 1, 1) if d.month == 12 else date(d.year, d.month + 1, 1)
    return Period(start.strftime("%B %Y"), start, nxt - timedelta(days=1), "month")


_QUARTER = re.compile(r"\bq([1-4])(?:\s*(?:fy)?'?(\d{2,4}))?\b")
_LAST_N = re.compile(r"\b(?:last|past|previous)\s+(\d+)\s+(day|week|month)s?\b")
_YEAR = re.compile(r"\b(20\d\d)\b")


def parse_period(text: str, as_of: date) -> Period | None:
    """The period a question names, or None."""
    t = text.lower()
    m = _LAST_N.search(t)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        days = n * {"day": 1, "week": 7, "month": 30}[unit]
        return Period(f"last {n} {unit}s", as_of - timedelta(days=days - 1), as_of, "days")
    m = _QUARTER.search(t)
    if m:
        q = int(m.group(1))
        if m.group(2):
            y = int(m.group(2))
            year = y + 2000 if y < 100 else y
        else:
            ym = _YEAR.search(t)
            year = int(ym.group(1)) if ym else as_of.year
            # "Q4" asked in Q1 means the quarter just finished, not one nine months ahead
            if not ym and quarter(year, q).start > as_of:
                year -= 1
        p = quarter(year, q)
        return p.prev_year if re.search(r"\blast year\b", t) and not m.group(2) and "same" not in t else p
    if re.search(r"\b(this|current) quarter\b|\bqtd\b|\bquarter to date\b", t):
        return quarter_of(as_of)
    if re.search(r"\b(last|previous|prior) quarter\b", t):
        return quarter_of(quarter_of(as_of).start - timedelta(days=1))
    if re.search(r"\bnext quarter\b", t):
        return quarter_of(quarter_of(as_of).end + timedelta(days=1))
    if re.search(r"\b(this|current) week\b", t):
        start = as_of - timedelta(days=as_of.weekday())
        return Period("this week", start, as_of, "week")
    if re.search(r"\blast week\b", t):
        start = as_of - timedelta(days=as_of.weekday() + 7)
        return Period("last week", start, start + timedelta(days=6), "week")
    if re.search(r"\b(this|current) month\b|\bmtd\b", t):
        return month_of(as_of)
    if re.search(r"\blast month\b", t):
        return month_of(as_of.replace(day=1) - timedelta(days=1))
    if re.search(r"\bytd\b|\byear to date\b|\bthis year\b", t):
        return Period(f"{as_of.year} to date", date(as_of.year, 1, 1), as_of, "ytd")
    if re.search(r"\blast year\b", t) and "same" not in t:
        return Period(str(as_of.year - 1), date(as_of.year - 1, 1, 1), date(as_of.year - 1, 12, 31), "year")
    m = _YEAR.search(t)
    if m:
        y = int(m.group(1))
        return Period(str(y), date(y, 1, 1), min(date(y, 12, 31), as_of) if y == as_of.year else date(y, 12, 31), "year")
    if re.search(r"\b(recent|recently|lately)\b", t):
        return Period("last 90 days", as_of - timedelta(days=89), as_of, "days")
    return None
