"""Periods in plain words, on one calendar: "Q4", "Q1 FY27", "FY2027", "this week", "last 6 months", "YTD",
"from 2026-03-01 to 2026-05-15", "between March and May", "same quarter last year".

This module is the one place that knows the calendar; the analyses, the manager and the semantic model's
time dimension all use it. The rules (README, "Periods"):

- The fiscal year starts in `calendar.fiscal_year_start_month` (1..12, default 1) and is named by the
  calendar year it ends in: with February, FY2027 runs 2026-02-01 .. 2027-01-31. Quarters are fiscal
  quarters ("Q3", "Q3 2026" and "Q3 FY26" all mean fiscal Q3 of that fiscal year), and so are "this / last /
  next quarter" and "QTD"; "this / last / next year", "YTD" and "FY2027" are fiscal years. A bare calendar
  year ("2026") is the calendar year. With the default (January) fiscal and calendar are the same.
- Weeks are ISO weeks (Monday..Sunday). "this week" is the whole ISO week (on a Monday too), as "this month"
  is the whole month and "this quarter" the whole quarter: past-facing questions see the same rows (the days
  after today hold none), forward-facing ones ("closing this week") need the whole week. "WTD", "MTD",
  "QTD" and "YTD" stop at today.
- "last N days" ends today (today included). "last N weeks / months / quarters / years" are the N whole
  ISO weeks, calendar months, fiscal quarters or fiscal years before the current one: on 2026-11-30
  "last 6 months" is 2026-05-01 .. 2026-10-31. "next N ..." mirrors them forward. "the past week / month /
  quarter / year" is rolling: the 7 days, or the month, 3 months or year, ending today.
- "rest of the week / month / quarter / year" runs from today to its end; "Q1-Q3 2026" from the start of
  one fiscal quarter to the end of the other; "H1" / "H2" are the fiscal year's halves.
- A month or quarter named without a year that has not started yet means last year's ("Q4" asked in
  February is the Q4 just finished); forward-looking analyses take the coming one (`analyses.question.ahead`).
- Impossible periods ("Q7 2026", "2026-02-30", an end before the start) raise `UsageError` (exit 2):
  they are never answered as some other period.

Every period knows its same period one year earlier, for YoY.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from revops_cli.errors import UsageError

GRAINS = ("day", "week", "month", "quarter", "year")
_WHOLE_GRAIN = {"week": "week", "weeks": "week", "months": "month", "quarters": "quarter", "half": "quarter",
                "year": "year", "years": "year"}
MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "eighteen": 18, "twenty-four": 24}


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date            # inclusive
    kind: str            # day | days | week | weeks | month | months | quarter | quarters | year | years | ytd | qtd | mtd | wtd | range
    fiscal_start_month: int = 1

    @property
    def fiscal_year(self) -> int:
        """The fiscal year the period starts in (named by the calendar year it ends in)."""
        return fiscal_year_of(self.start, self.fiscal_start_month)

    @property
    def fiscal_quarter(self) -> int:
        """The fiscal quarter (1..4) the period starts in."""
        return fiscal_quarter_number(self.start, self.fiscal_start_month)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def prev_year(self) -> "Period":
        return Period(f"{self.label} last year", minus_year(self.start), minus_year(self.end), self.kind,
                      self.fiscal_start_month)

    @property
    def previous(self) -> "Period":
        """The period of the same length just before this one: the same number of whole weeks, months,
        quarters or years when the period is made of whole ones, else the same number of days."""
        if self.kind == "quarter":
            return fiscal_quarter(self.start - timedelta(days=1), self.fiscal_start_month)
        if self.kind == "month":
            return month_of(self.start - timedelta(days=1), self.fiscal_start_month)
        grain = _WHOLE_GRAIN.get(self.kind)
        whole = grain and buckets(self.start, self.end, grain, self.fiscal_start_month)
        if whole and whole[0].start == self.start and whole[-1].end == self.end:
            n = len(whole)
            last = bucket_of(self.start - timedelta(days=1), grain, self.fiscal_start_month)
            first = last
            for _ in range(n - 1):
                first = bucket_of(first.start - timedelta(days=1), grain, self.fiscal_start_month)
            span = first.label if n == 1 else f"{first.label} to {last.label}"
            return Period(f"the {n} {grain}{'s' if n > 1 else ''} before ({span})", first.start, last.end,
                          self.kind, self.fiscal_start_month)
        length = self.days
        return Period(f"the {length} days before", self.start - timedelta(days=length),
                      self.start - timedelta(days=1), "days", self.fiscal_start_month)

    def to_dict(self) -> dict:
        return {"label": self.label, "start": self.start.isoformat(), "end": self.end.isoformat(), "kind": self.kind,
                "fiscal_year": self.fiscal_year, "fiscal_quarter": self.fiscal_quarter}


def minus_year(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:      # 29 February
        return d.replace(year=d.year - 1, day=28)


def check_fiscal_start(month: object) -> int:
    if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
        raise UsageError(f"fiscal year start month {month!r} is not a month",
                         "use 1..12 (calendar.fiscal_year_start_month; 2 = February)")
    return month


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    i = year * 12 + (month - 1) + n
    return i // 12, i % 12 + 1


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


# ----- fiscal calendar ---------------------------------------------------------------------------------------

def fiscal_year_of(d: date, start_month: int = 1) -> int:
    """The fiscal year holding `d`, named by the calendar year it ends in."""
    return d.year + 1 if start_month != 1 and d.month >= start_month else d.year


def fiscal_quarter_number(d: date, start_month: int = 1) -> int:
    return (d.month - start_month) % 12 // 3 + 1


def _fy_label(fy: int, start_month: int) -> str:
    return str(fy) if start_month == 1 else f"FY{fy}"


def _q_label(q: int, fy: int, start_month: int) -> str:
    return f"Q{q} {fy}" if start_month == 1 else f"Q{q} FY{fy}"


def fiscal_year(fy: int, start_month: int = 1) -> Period:
    """Fiscal year `fy` (named by the calendar year it ends in)."""
    start_year = fy if start_month == 1 else fy - 1
    start = date(start_year, start_month, 1)
    ey, em = _add_months(start_year, start_month, 11)
    return Period(_fy_label(fy, start_month), start, _month_end(ey, em), "year", start_month)


def quarter(year: int, q: int, start_month: int = 1) -> Period:
    """Fiscal quarter `q` of fiscal year `year` (calendar quarter when the fiscal year starts in January)."""
    if not 1 <= q <= 4:
        raise UsageError(f"Q{q} is not a quarter", "quarters are Q1 to Q4")
    first = fiscal_year(year, start_month).start
    sy, sm = _add_months(first.year, first.month, 3 * (q - 1))
    ey, em = _add_months(sy, sm, 2)
    return Period(_q_label(q, year, start_month), date(sy, sm, 1), _month_end(ey, em), "quarter", start_month)


def fiscal_quarter(d: date, start_month: int = 1) -> Period:
    """The fiscal quarter holding `d`: its start, end and label ("Q3 2026", or "Q3 FY2027" when the fiscal
    year does not start in January), with `.fiscal_year` and `.fiscal_quarter`."""
    return quarter(fiscal_year_of(d, start_month), fiscal_quarter_number(d, start_month), start_month)


def quarter_of(d: date, start_month: int = 1) -> Period:
    return fiscal_quarter(d, start_month)


def fiscal_year_period(d: date, start_month: int = 1) -> Period:
    return fiscal_year(fiscal_year_of(d, start_month), start_month)


def month_of(d: date, start_month: int = 1) -> Period:
    start = d.replace(day=1)
    return Period(start.strftime("%B %Y"), start, _month_end(d.year, d.month), "month", start_month)


def iso_week_of(d: date, start_month: int = 1) -> Period:
    start = d - timedelta(days=d.weekday())
    y, w, _ = d.isocalendar()
    return Period(f"week {w} {y}", start, start + timedelta(days=6), "week", start_month)


def bucket_of(d: date, grain: str, start_month: int = 1) -> Period:
    """The day, ISO week, month, fiscal quarter or fiscal year holding `d`."""
    if grain == "day":
        return Period(d.isoformat(), d, d, "day", start_month)
    if grain == "week":
        return iso_week_of(d, start_month)
    if grain == "month":
        return month_of(d, start_month)
    if grain == "quarter":
        return fiscal_quarter(d, start_month)
    if grain == "year":
        return fiscal_year_period(d, start_month)
    raise UsageError(f"unknown time grain {grain!r}", f"use one of: {', '.join(GRAINS)}")


def buckets(start: date, end: date, grain: str, start_month: int = 1) -> list[Period]:
    """The whole buckets (day, ISO week, month, fiscal quarter, fiscal year) from the one holding `start` to
    the one holding `end`, in order. The first and last are whole buckets, not cut at `start`/`end`."""
    if end < start:
        raise UsageError(f"the period ends ({end.isoformat()}) before it starts ({start.isoformat()})",
                         "give the earlier date first")
    out = [bucket_of(start, grain, start_month)]
    while out[-1].end < end:
        out.append(bucket_of(out[-1].end + timedelta(days=1), grain, start_month))
    return out


# ----- parsing -----------------------------------------------------------------------------------------------

_NUM = r"(\d+|" + "|".join(_NUMBER_WORDS) + r")"
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
_MONTH_YEAR = rf"(?:{_MONTH_NAMES})\.?(?:\s+(?:\d{{1,2}}(?:st|nd|rd|th)?,?\s+)?(?:20\d\d|'\d\d))?"
_DAY_MONTH = rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTH_NAMES})\.?(?:,?\s+20\d\d)?"
_DATE_WORD = rf"(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}|{_DAY_MONTH}|{_MONTH_YEAR})"
_RANGE = re.compile(rf"\b(?:from|between)\s+(?P<a>{_DATE_WORD})\s+(?:to|and|until|till|through|thru|-)\s+"
                    rf"(?P<b>{_DATE_WORD})\b"
                    rf"|\b(?P<c>\d{{4}}-\d{{1,2}}-\d{{1,2}})\s*(?:to|until|through|thru|-|–|\.\.)\s*"
                    rf"(?P<d>\d{{4}}-\d{{1,2}}-\d{{1,2}})\b")
_SINCE = re.compile(rf"\b(?:since|after)\s+(?P<a>{_DATE_WORD})\b")
_QUARTER = re.compile(r"\bq(?P<q>\d{1,2})\b(?:\s*[-/]?\s*(?:fy\s*'?(?P<y>\d{4}|\d{2})|'(?P<ya>\d{2})|(?P<yc>20\d\d))\b)?"
                      r"|\bfy\s*'?(?P<y2>\d{4}|\d{2})\s*[-/]?\s*q(?P<q2>\d{1,2})\b")
_FISCAL_YEAR = re.compile(r"\b(?:fy\s*'?|fiscal(?:\s+year)?\s+)(?P<y>\d{4}|\d{2})\b")
_YEAR = re.compile(r"(?<![\d$.,-])\b(20\d\d)\b(?![-/]\d)")
_ISO_WEEK = re.compile(r"\b(?:iso\s+)?week\s+(?P<w>\d{1,2})(?:\s+(?:of\s+)?(?P<y>20\d\d))?\b|\b(?P<y2>20\d\d)-?w(?P<w2>\d{1,2})\b")
_SINGLE_MONTH = re.compile(rf"\b(?:(?P<pre>in|during|for|of|over|across|through|throughout|month of)\s+)?"
                           rf"(?P<m>{_MONTH_NAMES})\.?(?:\s+(?P<y>20\d\d))?\b")
_PAST_ONE = re.compile(r"\b(?:the\s+)?past\s+(week|month|quarter|year)\b")
_REST_OF = re.compile(r"\b(?:the\s+)?rest\s+of\s+(?:the\s+|this\s+)?(?:fiscal\s+)?(week|month|quarter|year)\b")
_QUARTER_RANGE = re.compile(r"\bq(?P<a>\d{1,2})\s*(?:-|–|to|through|thru)\s*q(?P<b>\d{1,2})\b"
                            r"(?:\s*(?:fy\s*'?(?P<fy>\d{4}|\d{2})|'(?P<ya>\d{2})|(?P<yc>20\d\d))\b)?")
_HALF = re.compile(r"\b(?:h(?P<h>\d)|(?P<w>first|second) half)\b(?:\s*(?:of\s+)?(?:fy\s*'?(?P<fy>\d{4}|\d{2})|"
                   r"'(?P<ya>\d{2})|(?P<yc>20\d\d))\b)?")
_RELATIVE_N = re.compile(rf"\b(?P<dir>last|past|previous|prior|trailing|next|coming|upcoming)\s+{_NUM}\s+"
                         r"(?P<unit>day|week|month|quarter|year)s?\b")


def _year2(y: str) -> int:
    n = int(y)
    return n + 2000 if n < 100 else n


def _ymd(y: int, m: int, d: int) -> date:
    if not 1 <= m <= 12:
        raise UsageError(f"{y:04d}-{m:02d}-{d:02d} is not a date: there is no month {m}", "write dates as YYYY-MM-DD")
    last = calendar.monthrange(y, m)[1]
    if not 1 <= d <= last:
        raise UsageError(f"{y:04d}-{m:02d}-{d:02d} is not a date: {calendar.month_name[m]} {y} has {last} days",
                         "write dates as YYYY-MM-DD")
    return date(y, m, d)


def _check_dates(text: str) -> None:
    """Every ISO-looking date in the text must be a real date."""
    for m in _ISO_DATE.finditer(text):
        _ymd(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def _bare_year(year_for: date, as_of: date) -> int:
    """The year of a month or quarter named without one: this year's, unless it has not started yet."""
    return as_of.year - 1 if year_for > as_of else as_of.year


def _date_word(word: str, as_of: date, *, end: bool) -> tuple[date, str]:
    """A date, a day-month (with optional year) or a month (with optional year) as a start or an end date."""
    w = word.strip().rstrip(",.").lower()
    m = _ISO_DATE.fullmatch(w)
    if m:
        d = _ymd(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return d, d.isoformat()
    m = re.fullmatch(rf"(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m>{_MONTH_NAMES})\.?(?:,?\s+(?P<y>20\d\d))?", w) or \
        re.fullmatch(rf"(?P<m>{_MONTH_NAMES})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y>20\d\d))?", w)
    if m:
        month = MONTHS[m.group("m")]
        year = int(m.group("y")) if m.group("y") else as_of.year
        d = _ymd(year, month, int(m.group("d")))
        return d, d.strftime("%-d %B %Y")
    m = re.fullmatch(rf"(?P<m>{_MONTH_NAMES})\.?(?:\s+(?P<y>20\d\d|'\d\d))?", w)
    if m:
        month = MONTHS[m.group("m")]
        year = _year2(m.group("y").lstrip("'")) if m.group("y") else as_of.year
        d = _month_end(year, month) if end else date(year, month, 1)
        return d, date(year, month, 1).strftime("%B %Y")
    raise UsageError(f"{word!r} is not a date I can read", "write dates as YYYY-MM-DD or a month name, e.g. 'March 2026'")


def _range(m: re.Match, as_of: date, fsm: int) -> Period:
    a_word, b_word = (m.group("a"), m.group("b")) if m.group("a") else (m.group("c"), m.group("d"))
    a, a_label = _date_word(a_word, as_of, end=False)
    b, b_label = _date_word(b_word, as_of, end=True)
    a_has_year = bool(re.search(r"\d{4}|'\d\d", a_word))
    b_has_year = bool(re.search(r"\d{4}|'\d\d", b_word))
    if not a_has_year and b_has_year:            # "between March and May 2026": the start takes the end's year
        a = a.replace(year=b.year) if not (a.month == 2 and a.day == 29) else a
        if a > b:                                # "from November to February 2027"
            a = a.replace(year=b.year - 1)
        a_label = a.strftime("%B %Y") if a.day == 1 and not re.search(r"\d", a_word) else a.strftime("%-d %B %Y")
    elif not a_has_year and not b_has_year and a > b:
        a = a.replace(year=a.year - 1)           # "between November and February": the November before
        a_label = a.strftime("%B %Y") if not re.search(r"\d", a_word) else a.strftime("%-d %B %Y")
    if b < a:
        raise UsageError(f"the period ends ({b.isoformat()}) before it starts ({a.isoformat()})",
                         "give the earlier date first, e.g. 'from 2026-03-01 to 2026-05-15'")
    return Period(f"{a_label} to {b_label}", a, b, "range", fsm)


def _relative_n(n: int, unit: str, forward: bool, as_of: date, fsm: int) -> Period:
    if n < 1:
        raise UsageError(f"{'next' if forward else 'last'} {n} {unit}s is an empty period", "use a number of 1 or more")
    if unit == "day":
        if forward:
            return Period(f"next {n} days", as_of, as_of + timedelta(days=n - 1), "days", fsm)
        return Period(f"last {n} days", as_of - timedelta(days=n - 1), as_of, "days", fsm)
    cur = bucket_of(as_of, unit, fsm)
    if forward:
        first = bucket_of(cur.end + timedelta(days=1), unit, fsm)
        last = first
        for _ in range(n - 1):
            last = bucket_of(last.end + timedelta(days=1), unit, fsm)
        word = "next"
    else:
        last = bucket_of(cur.start - timedelta(days=1), unit, fsm)
        first = last
        for _ in range(n - 1):
            first = bucket_of(first.start - timedelta(days=1), unit, fsm)
        word = "last"
    span = first.label if n == 1 else f"{first.label} to {last.label}"
    if unit == "week":
        span = f"{first.start.isoformat()} to {last.end.isoformat()}"
    label = f"{word} {unit}" if n == 1 else f"{word} {n} {unit}s"
    return Period(f"{label} ({span})", first.start, last.end, f"{unit}s" if n > 1 else unit, fsm)


def _relative_one(word: str, unit: str, as_of: date, fsm: int) -> Period:
    cur = bucket_of(as_of, unit, fsm)
    if word == "this":
        p = cur
    elif word == "last":
        p = bucket_of(cur.start - timedelta(days=1), unit, fsm)
    else:
        p = bucket_of(cur.end + timedelta(days=1), unit, fsm)
    if unit == "week":
        return Period(f"{word} week ({p.start.isoformat()} to {p.end.isoformat()})", p.start, p.end, "week", fsm)
    return p


def _to_date(unit: str, as_of: date, fsm: int) -> Period:
    cur = bucket_of(as_of, unit, fsm)
    kind = {"week": "wtd", "month": "mtd", "quarter": "qtd", "year": "ytd"}[unit]
    label = f"{cur.label} to date" if unit != "week" else f"week to date ({cur.start.isoformat()} to {as_of.isoformat()})"
    return Period(label, cur.start, as_of, kind, fsm)


# How people shorten the units of a period in chat: "next qtr", "this q", "last mo", "past 2 wks", "this yr".
_UNIT_ABBREVIATIONS = [
    (re.compile(r"\bqtrs?\b|\bquarters?\b"), lambda m: "quarters" if m.group(0).endswith("s") else "quarter"),
    (re.compile(r"\b(this|last|next|current|previous|prior|coming|rest of the|rest of this)\s+q\b"),
     lambda m: f"{m.group(1)} quarter"),
    (re.compile(r"(?<=\d )mos?\b|\b(?<=(?:this|last|next) )mo\b"), lambda m: "months" if m.group(0) == "mos" else "month"),
    (re.compile(r"\bwks?\b"), lambda m: "weeks" if m.group(0) == "wks" else "week"),
    (re.compile(r"\byrs?\b"), lambda m: "years" if m.group(0) == "yrs" else "year"),
]


def expand_units(text: str) -> str:
    """The question with shortened period units written out ("closing next qtr" -> "closing next quarter")."""
    for rx, full in _UNIT_ABBREVIATIONS:
        text = rx.sub(full, text)
    return text


def parse_period(text: str, as_of: date, fiscal_start_month: int = 1) -> Period | None:
    """The period a question names, or None. An impossible one raises `UsageError` (exit 2)."""
    fsm = check_fiscal_start(fiscal_start_month)
    t = expand_units(text.lower().replace("’", "'"))
    _check_dates(t)
    m = _RANGE.search(t)
    if m:
        return _range(m, as_of, fsm)
    m = _RELATIVE_N.search(t)
    if m:
        raw = m.group(2)
        n = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
        return _relative_n(n, m.group("unit"), m.group("dir") in ("next", "coming", "upcoming"), as_of, fsm)
    if re.search(r"\b(?:ttm|ltm|trailing twelve months)\b", t):
        return _relative_n(12, "month", False, as_of, fsm)
    m = _PAST_ONE.search(t)
    if m:
        unit = m.group(1)
        if unit == "week":
            start = as_of - timedelta(days=6)
        else:
            y, mo = _add_months(as_of.year, as_of.month, -{"month": 1, "quarter": 3, "year": 12}[unit])
            start = date(y, mo, min(as_of.day, calendar.monthrange(y, mo)[1])) + timedelta(days=1)
        return Period(f"past {unit} ({start.isoformat()} to {as_of.isoformat()})", start, as_of, "days", fsm)
    m = _REST_OF.search(t)
    if m:
        cur = bucket_of(as_of, m.group(1), fsm)
        return Period(f"rest of {cur.label} ({as_of.isoformat()} to {cur.end.isoformat()})", as_of, cur.end,
                      "range", fsm)
    m = _QUARTER_RANGE.search(t)
    if m:
        a, b = int(m.group("a")), int(m.group("b"))
        for q in (a, b):
            if not 1 <= q <= 4:
                raise UsageError(f"Q{q} is not a quarter", "quarters are Q1 to Q4, e.g. 'Q1-Q3 2026'")
        ytext = m.group("fy") or m.group("ya") or m.group("yc")
        fy = _year2(ytext) if ytext else fiscal_year_of(as_of, fsm)
        first, last = quarter(fy, a, fsm), quarter(fy, b, fsm)
        if last.start < first.start:
            raise UsageError(f"Q{a} to Q{b} ends before it starts", "give the earlier quarter first, e.g. 'Q1-Q3'")
        return Period(f"{first.label} to {last.label}", first.start, last.end, "quarters", fsm)
    m = _HALF.search(t)
    if m:
        h = int(m.group("h")) if m.group("h") else (1 if m.group("w") == "first" else 2)
        if h not in (1, 2):
            raise UsageError(f"H{h} is not a half year", "halves are H1 and H2, e.g. 'H1 2026'")
        ytext = m.group("fy") or m.group("ya") or m.group("yc")
        fy = _year2(ytext) if ytext else fiscal_year_of(as_of, fsm)
        first, last = quarter(fy, 2 * h - 1, fsm), quarter(fy, 2 * h, fsm)
        label = f"H{h} {fy}" if fsm == 1 else f"H{h} FY{fy}"
        return Period(label, first.start, last.end, "half", fsm)
    m = _QUARTER.search(t)
    if m:
        q = int(m.group("q") or m.group("q2"))
        if not 1 <= q <= 4:
            raise UsageError(f"Q{q} is not a quarter", "quarters are Q1 to Q4, e.g. 'Q3 2026' or 'Q1 FY27'")
        ytext = m.group("y") or m.group("y2") or m.group("ya") or m.group("yc")
        if ytext:
            p = quarter(_year2(ytext), q, fsm)
        else:
            fm = _FISCAL_YEAR.search(t)
            ym = _YEAR.search(t)
            if fm:
                p = quarter(_year2(fm.group("y")), q, fsm)
            elif ym:
                p = quarter(int(ym.group(1)), q, fsm)
            else:
                fy = fiscal_year_of(as_of, fsm)
                p = quarter(fy, q, fsm)
                if p.start > as_of:             # "Q4" asked in Q1 means the quarter just finished
                    p = quarter(fy - 1, q, fsm)
                if re.search(r"\blast year\b", t) and "same" not in t:
                    p = quarter(p.fiscal_year - 1, q, fsm)
        return p
    m = _ISO_WEEK.search(t)
    if m:
        w = int(m.group("w") or m.group("w2"))
        y = int(m.group("y") or m.group("y2") or as_of.isocalendar()[0])
        weeks_in_year = date(y, 12, 28).isocalendar()[1]
        if not 1 <= w <= weeks_in_year:
            raise UsageError(f"week {w} is not an ISO week of {y}", f"{y} has weeks 1 to {weeks_in_year}")
        start = date.fromisocalendar(y, w, 1)
        return Period(f"week {w} {y} ({start.isoformat()} to {(start + timedelta(days=6)).isoformat()})",
                      start, start + timedelta(days=6), "week", fsm)
    m = _SINCE.search(t)
    if m:
        a, a_label = _date_word(m.group("a"), as_of, end=False)
        if a > as_of:
            raise UsageError(f"{a.isoformat()} is after today ({as_of.isoformat()})", "name a date in the past")
        return Period(f"since {a_label}", a, as_of, "range", fsm)
    for word, unit in (("week", "week"), ("month", "month"), ("quarter", "quarter")):
        if re.search(rf"\b{word} to date\b|\b{unit[0]}td\b", t):
            return _to_date(unit, as_of, fsm)
    if re.search(r"\bytd\b|\byear to date\b|\bfiscal year to date\b", t):
        return _to_date("year", as_of, fsm)
    m = re.search(r"\b(this|current|last|previous|prior|next|coming)\s+(?:fiscal\s+|calendar\s+|iso\s+)?"
                  r"(week|month|quarter|year)\b", t)
    if m and not (m.group(2) == "year" and m.group(1) == "last" and "same" in t):
        word = {"current": "this", "previous": "last", "prior": "last", "coming": "next"}.get(m.group(1), m.group(1))
        return _relative_one(word, m.group(2), as_of, 1 if "calendar" in m.group(0) else fsm)
    m = _FISCAL_YEAR.search(t)
    if m:
        return fiscal_year(_year2(m.group("y")), fsm)
    if re.search(r"\byesterday\b", t):
        d = as_of - timedelta(days=1)
        return Period(f"yesterday ({d.isoformat()})", d, d, "day", fsm)
    m = _ISO_DATE.search(t)
    if m:
        d = _ymd(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return Period(d.isoformat(), d, d, "day", fsm)
    for m in _SINGLE_MONTH.finditer(t):
        if not (m.group("pre") or m.group("y")):
            continue                          # "may" alone is a verb, not a month
        month = MONTHS[m.group("m")]
        if m.group("y"):
            year = int(m.group("y"))
        else:
            year = _bare_year(date(as_of.year, month, 1), as_of)
        return month_of(date(year, month, 1), fsm)
    m = _YEAR.search(t)
    if m:
        y = int(m.group(1))
        return Period(str(y), date(y, 1, 1), min(date(y, 12, 31), as_of) if y == as_of.year else date(y, 12, 31),
                      "year", fsm)
    if re.search(r"\b(recent|recently|lately)\b", t):
        return Period("last 90 days", as_of - timedelta(days=89), as_of, "days", fsm)
    return None
