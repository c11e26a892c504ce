"""Filling an analysis' parameters from the question: segment, region, minimum amount, competitors,
an account named in passing, and the periods (forward-looking quarters, windows, quarter to date)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from revops_cli.agents.analyses.choosing import rx
from revops_cli.agents.periods import Period, month_of, quarter

if TYPE_CHECKING:
    from revops_cli.agents.analyses.running import Ask

_SEGMENT_WORDS = (("SMB", rx(r"\b(smb|small business(?:es)?|small customers)\b")),
                  ("Mid-Market", rx(r"\bmid[- ]?market\b|\bmid[- ]?size\w*\b|\bmm\b")),
                  ("Enterprise", rx(r"\benterprises?\b")))
_REGIONS = (("NA", re.compile(r"\bNA\b|\bnorth america\w*\b|\bnorth-america\b", re.I)),
            ("EMEA", rx(r"\bemea\b|\beurope\b")), ("APAC", rx(r"\bapac\b|\basia\b")),
            ("LATAM", rx(r"\blatam\b|\blatin america\b|\bsouth america\b")))
_AMOUNT = rx(r"\b(?:over|above|more than|greater than|at least|bigger than|larger than)\s*\$?\s*"
              r"(\d+(?:[.,]\d+)?)\s*(k|m|mm|million|thousand)?\b")
LAST_CALL = rx(r"\b(last|latest|most recent|recent|previous)\s+(?:sales\s+)?(call|meeting|conversation|demo)\b")
_WITH_NAME = re.compile(r"\b(?:with|for|at|from)\s+(?P<n>[A-Z0-9][\w&.'-]*(?:\s+[A-Z0-9][\w&.'-]*){0,3})")


def find_segment(text: str) -> str | None:
    """A segment the question filters on ("enterprise customers"), not "by segment"."""
    found = [seg for seg, rx in _SEGMENT_WORDS if rx.search(text)]
    return found[0] if len(found) == 1 else None


def find_region(text: str) -> str | None:
    found = [reg for reg, rx in _REGIONS if rx.search(text)]
    return found[0] if len(found) == 1 else None


def find_min_amount(text: str) -> float | None:
    m = _AMOUNT.search(text)
    if not m:
        return None
    value = float(m.group(1).replace(",", "."))
    unit = (m.group(2) or "").lower()
    return value * (1_000 if unit in ("k", "thousand") else 1_000_000 if unit in ("m", "mm", "million") else 1)


def find_competitors(text: str, known: list[str]) -> list[str]:
    """Competitors the question names, from the known list."""
    return [c for c in known if re.search(rf"\b{re.escape(c)}\b", text, re.I)]


def account_span(text: str) -> str | None:
    """'our last call with Acme Corp' -> 'Acme Corp' (a fallback when the manager resolved no account)."""
    for m in _WITH_NAME.finditer(text):
        words = m.group("n").split()
        while words and words[-1].lower() in ("in", "on", "last", "this", "during", "about", "q1", "q2", "q3", "q4"):
            words.pop()
        name = " ".join(words).strip(" ?.!,'\"")
        if name and name.lower() not in ("our", "the", "all", "each", "every"):
            return name
    return None


def as_period(value: Any) -> Period | None:
    if value is None or isinstance(value, Period):
        return value
    if isinstance(value, dict) and value.get("start") and value.get("end"):
        def d(v: Any) -> date:
            return v if isinstance(v, date) else date.fromisoformat(str(v))
        return Period(str(value.get("label") or f"{value['start']} to {value['end']}"), d(value["start"]),
                      d(value["end"]), str(value.get("kind") or "days"))
    return None


_BARE_QUARTER = rx(r"\bq[1-4]\b(?!\s*(?:fy)?'?\d)")
_BARE_MONTH = rx(r"\b(?:january|february|march|april|may|june|july|august|september|october|november|december|"
                 r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\b")
_ANY_YEAR = rx(r"\b20\d\d\b|\blast year\b|\bfy\s*'?\d\d|\bfiscal\s+(?:year\s+)?\d")


def ahead(ask: "Ask") -> Period | None:
    """The period for a forward-looking analysis (deals closing, pipeline, deal risks): a bare "Q1" asked in
    November means the coming Q1, not the one that ended ten months ago; the same for a bare "January"."""
    return ahead_of(ask.period, ask.text, ask.as_of)


def ahead_of(p: Period | None, text: str, as_of: date, nearest: bool = False) -> Period | None:
    """`ahead` for any period and question text. With `nearest`, a bare quarter or month moves a year on only
    when the coming one is nearer today than the one past ("Q1 forecast" in November is the coming Q1; "Q3
    forecast" in November the Q3 just ended)."""
    if p is None or p.end >= as_of or _ANY_YEAR.search(text):
        return p
    if p.kind == "quarter" and _BARE_QUARTER.search(text):
        nxt = quarter(p.fiscal_year + 1, p.fiscal_quarter, p.fiscal_start_month)
    elif p.kind == "month" and _BARE_MONTH.search(text) and not rx(r"\b(?:last|previous|prior) month\b").search(text):
        nxt = month_of(p.start.replace(year=p.start.year + 1), p.fiscal_start_month)
    else:
        return p
    if nearest and (nxt.start - as_of) > (as_of - p.end):
        return p
    return nxt


def last_days(as_of: date, n: int) -> Period:
    return Period(f"last {n} days", as_of - timedelta(days=n - 1), as_of, "days")


def clip(p: Period, as_of: date) -> Period:
    """The part of a period up to today (a quarter in progress becomes quarter to date)."""
    if p.end <= as_of or p.start > as_of:
        return p
    return Period(f"{p.label} to date", p.start, as_of, p.kind, p.fiscal_start_month)


def window_days(p: Period | None, default: int = 30) -> int:
    if p is None:
        return default
    if p.kind == "month":
        return 30
    if p.kind == "quarter":
        return 90
    if p.kind in ("year", "ytd"):
        return default
    return p.days
