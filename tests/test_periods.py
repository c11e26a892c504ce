"""Calendar-correct periods: expected dates are computed here with dateutil and the calendar module, not read
back from revops_cli.agents.periods."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import MO, relativedelta

from cli import run
from revops_cli.agents.periods import buckets, fiscal_quarter, parse_period
from revops_cli.errors import UsageError

# month ends, leap days, year boundaries, a Monday and a Sunday
DAYS = [date(2026, 11, 30), date(2026, 1, 31), date(2024, 2, 29), date(2025, 3, 1), date(2026, 3, 31),
        date(2026, 12, 31), date(2027, 1, 1), date(2026, 11, 29), date(2028, 2, 29), date(2026, 7, 15)]


def month_start(d: date) -> date:
    return date(d.year, d.month, 1)


def month_end(d: date) -> date:
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def whole_months(start: date, end: date) -> int:
    """How many whole calendar months [start, end] covers (0 when it is not a run of whole months)."""
    if start.day != 1 or end != month_end(end):
        return 0
    return (end.year - start.year) * 12 + end.month - start.month + 1


def fiscal_year_bounds(fy: int, m: int) -> tuple[date, date]:
    """FY named by the calendar year it ends in."""
    start = date(fy if m == 1 else fy - 1, m, 1)
    return start, start + relativedelta(years=1) - timedelta(days=1)


@pytest.mark.parametrize("today", DAYS, ids=str)
@pytest.mark.parametrize("n", [1, 3, 6, 12, 18])
def test_last_n_months_are_n_whole_months_before_this_one(today, n):
    p = parse_period(f"pipeline created in the last {n} months", today)
    assert p.start == month_start(today) - relativedelta(months=n)
    assert p.end == month_start(today) - timedelta(days=1)
    assert whole_months(p.start, p.end) == n


@pytest.mark.parametrize("today", DAYS, ids=str)
def test_last_six_months_in_words_and_the_issue_cases(today):
    assert whole_months(*_se(parse_period("revenue over the past six months", today))) == 6
    assert whole_months(*_se(parse_period("last 12 months", today))) == 12


def _se(p):
    return p.start, p.end


@pytest.mark.parametrize("today", DAYS, ids=str)
@pytest.mark.parametrize("n", [1, 7, 30, 90, 366])
def test_last_and_next_n_days_end_and_start_today(today, n):
    p = parse_period(f"last {n} days", today)
    assert (p.start, p.end) == (today - relativedelta(days=n - 1), today)
    p = parse_period(f"renewals due in the next {n} days", today)
    assert (p.start, p.end) == (today, today + relativedelta(days=n - 1))


@pytest.mark.parametrize("today", DAYS, ids=str)
def test_weeks_are_whole_iso_weeks(today):
    monday = today + relativedelta(weekday=MO(-1))
    assert monday.isoweekday() == 1 and 0 <= (today - monday).days < 7
    this = parse_period("deals closing this week", today)
    assert (this.start, this.end) == (monday, monday + timedelta(days=6))       # the whole week, Mondays too
    last = parse_period("calls last week", today)
    assert (last.start, last.end) == (monday - timedelta(days=7), monday - timedelta(days=1))
    nxt = parse_period("meetings next week", today)
    assert (nxt.start, nxt.end) == (monday + timedelta(days=7), monday + timedelta(days=13))
    four = parse_period("leads in the last 4 weeks", today)
    assert (four.start, four.end) == (monday - timedelta(days=28), monday - timedelta(days=1))
    wtd = parse_period("week to date", today)
    assert (wtd.start, wtd.end) == (monday, today)


def test_this_week_on_a_monday_is_the_whole_week_not_one_day():
    monday = date(2026, 11, 30)
    assert monday.weekday() == 0
    p = parse_period("what's closing this week?", monday)
    assert (p.end - p.start).days + 1 == 7


def test_iso_week_53_crosses_the_year():
    p = parse_period("week 53 2026", date(2026, 11, 30))
    assert p.start == date.fromisocalendar(2026, 53, 1) == date(2026, 12, 28) and p.end == date(2027, 1, 3)


@pytest.mark.parametrize("m", [1, 2, 4, 7, 11, 12])
@pytest.mark.parametrize("year", [2024, 2026])     # a leap year and a common one
def test_fiscal_quarter_of_every_day(m, year):
    d = date(year, 1, 1)
    while d.year == year:
        p = fiscal_quarter(d, m)
        months_in = (d.month - m) % 12                         # months since the fiscal year began
        q = months_in // 3 + 1
        fy = d.year + 1 if m != 1 and d.month >= m else d.year
        start = month_start(d) - relativedelta(months=months_in % 3)
        assert (p.start, p.end) == (start, start + relativedelta(months=3) - timedelta(days=1)), d
        assert (p.fiscal_quarter, p.fiscal_year) == (q, fy), d
        assert p.label == (f"Q{q} {fy}" if m == 1 else f"Q{q} FY{fy}")
        fy_start, fy_end = fiscal_year_bounds(fy, m)
        assert fy_start <= d <= fy_end
        d += timedelta(days=1)


@pytest.mark.parametrize("grain,step", [("day", relativedelta(days=1)), ("week", relativedelta(weeks=1)),
                                         ("month", relativedelta(months=1)), ("quarter", relativedelta(months=3)),
                                         ("year", relativedelta(years=1))])
@pytest.mark.parametrize("m", [1, 2, 10])
def test_buckets_are_whole_contiguous_and_cover_the_range(grain, step, m):
    start, end = date(2023, 12, 30), date(2026, 3, 2)
    bs = buckets(start, end, grain, m)
    assert bs[0].start <= start <= bs[0].end and bs[-1].start <= end <= bs[-1].end
    for a, b in zip(bs, bs[1:]):
        assert b.start == a.end + timedelta(days=1)
    for b in bs:
        assert b.end == b.start + step - timedelta(days=1)
    if grain == "week":
        assert all(b.start.isoweekday() == 1 for b in bs)
    if grain == "quarter":
        assert all((b.start.month - m) % 3 == 0 for b in bs)
        assert [b.label for b in bs] == [fiscal_quarter(b.start, m).label for b in bs]
    if grain == "year":
        assert all(b.start.month == m and b.start.day == 1 for b in bs)
    if grain == "month":
        assert len(bs) == (end.year - start.year) * 12 + end.month - start.month + 1


def test_fiscal_year_starting_in_february():
    today = date(2026, 11, 30)
    p = parse_period("bookings in Q1 FY27", today, 2)
    assert (p.start, p.end) == (date(2026, 2, 1), date(2026, 4, 30)) and p.label == "Q1 FY2027"
    p = parse_period("FY2027 revenue", today, 2)
    assert (p.start, p.end) == fiscal_year_bounds(2027, 2) == (date(2026, 2, 1), date(2027, 1, 31))
    p = parse_period("revenue YTD", today, 2)
    assert (p.start, p.end) == (date(2026, 2, 1), today)
    p = parse_period("QTD bookings", today, 2)
    assert (p.start, p.end) == (date(2026, 11, 1), today)
    p = parse_period("pipeline this quarter", today, 2)
    assert (p.start, p.end) == (date(2026, 11, 1), date(2027, 1, 31)) and p.fiscal_quarter == 4
    p = parse_period("NRR for the last four quarters", today, 2)
    assert (p.start, p.end) == (date(2025, 11, 1), date(2026, 10, 31))
    # leap year: fiscal Q4 FY2024 (Nov 2023 - Jan 2024) and Q1 FY2025 with February's 29 days
    p = parse_period("Q1 FY2025", date(2024, 3, 1), 2)
    assert (p.start, p.end) == (date(2024, 2, 1), date(2024, 4, 30))
    # with a January start, FY and calendar years are the same
    p = parse_period("FY2027", today)
    assert (p.start, p.end) == (date(2027, 1, 1), date(2027, 12, 31))


def test_quarters_years_and_months():
    today = date(2026, 11, 30)
    assert _se(parse_period("Q3 2026", today)) == (date(2026, 7, 1), date(2026, 9, 30))
    assert _se(parse_period("q4 '25", today)) == (date(2025, 10, 1), date(2025, 12, 31))
    assert _se(parse_period("top 10 deals in q4", today)) == (date(2026, 10, 1), date(2026, 12, 31))
    assert _se(parse_period("last quarter", date(2027, 1, 1))) == (date(2026, 10, 1), date(2026, 12, 31))
    assert _se(parse_period("next quarter", today)) == (date(2027, 1, 1), date(2027, 3, 31))
    assert _se(parse_period("last month", date(2024, 3, 31))) == (date(2024, 2, 1), date(2024, 2, 29))
    assert _se(parse_period("win rate in February 2028", today)) == (date(2028, 2, 1), date(2028, 2, 29))
    assert _se(parse_period("deals closed in March", today)) == (date(2026, 3, 1), date(2026, 3, 31))
    assert parse_period("which deals may slip?", today) is None               # "may" the verb


def test_explicit_dates_and_ranges():
    today = date(2026, 11, 30)
    assert _se(parse_period("deals created from 2026-03-01 to 2026-05-15", today)) == (date(2026, 3, 1), date(2026, 5, 15))
    assert _se(parse_period("between March and May", today)) == (date(2026, 3, 1), date(2026, 5, 31))
    assert _se(parse_period("between November and February", today)) == (date(2025, 11, 1), date(2026, 2, 28))
    assert _se(parse_period("from January to February 2024", today)) == (date(2024, 1, 1), date(2024, 2, 29))
    assert _se(parse_period("since 2026-10-15", today)) == (date(2026, 10, 15), today)
    assert _se(parse_period("calls on 2024-02-29", today)) == (date(2024, 2, 29), date(2024, 2, 29))


@pytest.mark.parametrize("text,says", [
    ("pipeline for Q7 2026", "Q7 is not a quarter"),
    ("Q0 bookings", "Q0 is not a quarter"),
    ("revenue on 2026-02-30", "February 2026 has 28 days"),
    ("calls on 2026-02-29", "February 2026 has 28 days"),
    ("deals closing 2026-13-01", "no month 13"),
    ("deals from 2026-05-15 to 2026-03-01", "ends (2026-03-01) before it starts (2026-05-15)"),
    ("week 54 2026", "week 54"),
])
def test_impossible_periods_are_refused(text, says):
    with pytest.raises(UsageError) as exc:
        parse_period(text, date(2026, 11, 30))
    assert says in exc.value.message and exc.value.exit_code == 2


@pytest.fixture
def wh(demo_db, settings_for):
    settings_for(demo_db)
    return demo_db


@pytest.mark.parametrize("question", ["what is our pipeline for Q7 2026?", "revenue on 2026-02-30"])
def test_cli_refuses_an_impossible_period_with_exit_2(capsys, wh, question):
    r = run(capsys, "ask", question)
    assert r.code == 2, r.out
    assert r.err.startswith("Error: ") and "Traceback" not in r.err
    assert "2026" not in r.out                                     # not answered as the whole year


def test_fiscal_start_month_reaches_the_answers(capsys, wh, monkeypatch):
    monkeypatch.setenv("REVOPS_CALENDAR__FISCAL_YEAR_START_MONTH", "2")
    r = run(capsys, "ask", "what is our pipeline this quarter?", "-f", "json")
    assert r.code == 0, r.err
    period = r.json()["data"]["period"]
    assert (period["start"], period["end"]) == ("2026-11-01", "2027-01-31")
    assert (period["fiscal_year"], period["fiscal_quarter"]) == (2027, 4)


@pytest.mark.parametrize("value", ["13", "0"])
def test_fiscal_start_month_out_of_range_is_a_config_error(capsys, wh, monkeypatch, tmp_path, value):
    (tmp_path / "revops.yaml").write_text(f"as_of: 2026-11-24\ncalendar:\n  fiscal_year_start_month: {value}\n")
    r = run(capsys, "ask", "pipeline this quarter")
    assert r.code == 3 and "revops.yaml:3" in r.err and "fiscal_year_start_month" in r.err
    (tmp_path / "revops.yaml").unlink()
    monkeypatch.setenv("REVOPS_CALENDAR__FISCAL_YEAR_START_MONTH", value)
    r = run(capsys, "ask", "pipeline this quarter")
    assert r.code == 3 and "REVOPS_CALENDAR__FISCAL_YEAR_START_MONTH" in r.err


def test_report_date_tokens_follow_the_fiscal_calendar():
    from revops_cli.reports import date_tokens

    t = date_tokens(date(2026, 11, 30), 2)
    assert (t["quarter_start"], t["quarter_end"]) == (date(2026, 11, 1), date(2027, 1, 31))
    assert (t["prev_quarter_start"], t["next_quarter_start"]) == (date(2026, 8, 1), date(2027, 2, 1))
    assert (t["fiscal_year_start"], t["fiscal_year_end"]) == fiscal_year_bounds(2027, 2)
    assert (t["year_start"], t["year_end"]) == (date(2026, 1, 1), date(2026, 12, 31))
    assert date_tokens(date(2026, 11, 30))["quarter_start"] == date(2026, 10, 1)


@pytest.mark.parametrize("today", DAYS, ids=str)
def test_past_week_month_year_roll_back_from_today(today):
    p = parse_period("calls in the past week", today)
    assert (p.start, p.end) == (today - timedelta(days=6), today)
    p = parse_period("the past month", today)
    assert (p.start, p.end) == (today - relativedelta(months=1) + timedelta(days=1), today)
    p = parse_period("over the past year", today)
    assert (p.start, p.end) == (today - relativedelta(years=1) + timedelta(days=1), today)


def test_rest_of_quarter_ranges_of_quarters_and_halves():
    today = date(2026, 11, 24)
    assert _se(parse_period("forecast for the rest of the quarter", today)) == (today, date(2026, 12, 31))
    assert _se(parse_period("pipeline Q1-Q2 2027", today)) == (date(2027, 1, 1), date(2027, 6, 30))
    assert _se(parse_period("H1 2026 revenue", today)) == (date(2026, 1, 1), date(2026, 6, 30))
    assert _se(parse_period("H2 FY27", today, 2)) == (date(2026, 8, 1), date(2027, 1, 31))
    assert _se(parse_period("rest of the year", today, 2)) == (today, date(2027, 1, 31))
    for bad, says in (("Q3-Q1 2026", "ends before it starts"), ("H3 2026", "not a half year"),
                      ("Q1-Q7", "Q7 is not a quarter")):
        with pytest.raises(UsageError, match=says):
            parse_period(bad, today)


def test_the_period_before_has_as_many_whole_units():
    today = date(2026, 11, 30)
    p = parse_period("last 6 months", today).previous
    assert (p.start, p.end) == (date(2025, 11, 1), date(2026, 4, 30))
    p = parse_period("last 2 quarters", today, 2).previous
    assert (p.start, p.end) == (date(2025, 11, 1), date(2026, 4, 30))
    p = parse_period("last week", today).previous
    assert (p.start, p.end) == (date(2026, 11, 16), date(2026, 11, 22))
    p = parse_period("H1 2026", today).previous
    assert (p.start, p.end) == (date(2025, 7, 1), date(2025, 12, 31))
    p = parse_period("2026", date(2026, 11, 24)).previous                     # a year so far: the same days
    assert (p.start, p.end) == (date(2026, 1, 1) - timedelta(days=328), date(2025, 12, 31))
