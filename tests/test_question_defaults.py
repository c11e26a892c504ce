"""What a question means when it leaves something out, and the periods it names (issue 13 parts 3 and 5): open
pipeline with no period is every open deal, said in the interpretation line; a window the question gives is
kept; forecast, revenue and bookings read "QTD", a month name, "closed won"; impossible periods exit 2. Numbers
are computed here in SQL on both seeds."""

from __future__ import annotations

from datetime import date

import pytest

from conftest import AS_OF
Q4 = (date(2026, 10, 1), date(2026, 12, 31))
Q3 = (date(2026, 7, 1), date(2026, 9, 30))


def open_pipeline(sql, where: str = "TRUE", *params, period=None) -> tuple[int, float]:
    window = "AND o.close_date BETWEEN ? AND ?" if period else ""
    n, amount = sql(f"""SELECT COUNT(*), COALESCE(SUM(o.amount), 0) FROM opportunities o
                        JOIN accounts a ON a.account_id = o.account_id LEFT JOIN users u ON u.user_id = o.owner_id
                        WHERE NOT o.is_closed {window} AND ({where})""", *(list(period) if period else []), *params)[0]
    return int(n), float(amount)


@pytest.mark.parametrize("q,where,label", [
    ("open pipeline in EMEA", "a.region = 'EMEA'", "region EMEA"),
    ("apac smb pipeline", "a.region = 'APAC' AND a.segment = 'SMB'", "segment SMB"),
    ("how much pipeline does Marcus have?", "u.name = 'Marcus Reed'", "owner Marcus Reed"),
    ("pipeline by stage", "TRUE", "by stage"),
])
def test_open_pipeline_with_no_period_is_every_open_deal(asker, sql, q, where, label):
    a = asker(q)
    assert a.ok, a.text
    line = a.data["interpretation"]
    assert line.startswith("Open pipeline") and "any close date" in line and label in line, line
    assert a.text.lstrip("_").startswith(line)
    n, amount = open_pipeline(sql, where)
    assert a.data["summary"]["deal_count"] == n
    assert a.data["summary"]["open_amount"] == pytest.approx(amount)
    assert line.endswith(f"· {n} deals")


def test_pipeline_by_stage_adds_up_per_stage(asker, sql):
    a = asker("pipeline by stage")
    expected = {s: float(v) for s, v in sql("SELECT stage, SUM(amount) FROM opportunities WHERE NOT is_closed GROUP BY 1")}
    got = {s: v["amount"] for s, v in a.data["summary"]["by_stage"].items()}
    assert got == pytest.approx(expected)


@pytest.mark.parametrize("q,period", [
    ("what's in the pipe for this quarter", Q4),
    ("what's closing in the next 30 days", (AS_OF, date(2026, 12, 23))),
])
def test_a_window_the_question_gives_is_kept(asker, sql, q, period):
    a = asker(q)
    assert a.ok, a.text
    p = a.data["period"]
    assert (p["start"], p["end"]) == (period[0].isoformat(), period[1].isoformat())
    n, amount = open_pipeline(sql, period=period)
    assert a.data["summary"]["deal_count"] == n
    assert next(v for k, v in a.data["summary"].items() if k in ("open_amount", "total_amount")) == pytest.approx(amount)
    assert "any close date" not in a.data["interpretation"]


def _won(sql, start: date, end: date) -> float:
    return float(sql("SELECT COALESCE(SUM(amount), 0) FROM opportunities WHERE is_won AND close_date BETWEEN ? AND ?",
                     start, end)[0][0])


def _open_category(sql, category: str) -> float:
    return float(sql("""SELECT COALESCE(SUM(amount), 0) FROM opportunities WHERE NOT is_closed AND forecast_category = ?
                        AND close_date BETWEEN ? AND ?""", category, *Q4)[0][0])


@pytest.mark.parametrize("q", ["commit vs best case for Q4", "closed won so far this quarter vs target",
                               "qtd bookings vs target", "forecast vs target this quarter"])
def test_forecast_reads_commit_best_case_and_quarter_to_date(asker, sql, q):
    a = asker(q)
    assert a.ok, a.text
    s = a.data["summary"]
    target = float(sql("SELECT SUM(bookings_target) FROM targets WHERE quarter_start = ?", Q4[0])[0][0])
    assert s["bookings_target"] == pytest.approx(target)
    assert s["closed_won_amount"] == pytest.approx(_won(sql, Q4[0], AS_OF))
    assert s["commit_amount"] == pytest.approx(_open_category(sql, "Commit"))
    assert s["best_case_amount"] == pytest.approx(_open_category(sql, "Best Case"))


@pytest.mark.parametrize("q,word", [
    ("Q7 2026 forecast", "Q7"), ("bookings forecast as of 2026-02-30", "2026-02-30"),
    ("risks on the IXIS deal in Q7 2026", "Q7"), ("revenue from 2026-03-01 to 2026-02-01", "2026-02-01"),
    ("what's closing in Q0", "Q0"),
])
def test_an_impossible_period_is_refused_with_exit_2(asker, q, word):
    a = asker(q)
    assert not a.ok and a.data["error"]["exit_code"] == 2
    assert word in a.error


def test_a_month_name_is_that_month(asker, sql):
    a = asker("how much did we bill in October?")
    assert a.ok, a.text
    assert a.data["period"]["start"] == "2026-10-01" and a.data["period"]["end"] == "2026-10-31"
    expected = float(sql("SELECT SUM(revenue) FROM billing_monthly WHERE month = DATE '2026-10-01'")[0][0])
    assert a.data["summary"]["revenue"] == pytest.approx(expected)


def test_closed_won_by_segment_is_bookings(asker, sql):
    a = asker("closed won last quarter by segment")
    assert a.ok, a.text
    assert "Q3 2026" in a.data["interpretation"] and "by segment" in a.data["interpretation"]
    expected = {s: float(v) for s, v in sql("""SELECT a.segment, SUM(o.amount) FROM opportunities o JOIN accounts a
                                               ON a.account_id = o.account_id WHERE o.is_won AND o.close_date
                                               BETWEEN ? AND ? GROUP BY 1""", *Q3)}
    assert {r["segment"]: r["bookings"] for r in a.data["rows"]} == pytest.approx(expected)


def test_revenue_for_one_account_names_it(asker, sql):
    a = asker("how much revenue did DataCorp bring in this year")
    assert a.ok, a.text
    assert "account DataCorp" in a.data["interpretation"]
    assert a.data["account"]["name"] == "DataCorp"
    expected = float(sql("""SELECT SUM(b.revenue) FROM billing_monthly b JOIN accounts a ON a.account_id = b.account_id
                            WHERE a.name = 'DataCorp' AND b.month BETWEEN DATE '2026-01-01' AND ?""", AS_OF)[0][0])
    assert a.data["summary"]["revenue"] == pytest.approx(expected)


def test_follow_ups_refine_built_in_and_model_answers(asker, sql):
    s = "refine"
    asker("pipeline by region", s)
    a = asker("only EMEA", s)
    assert a.ok and "region EMEA" in a.data["interpretation"] and "by region" not in a.data["interpretation"]
    assert a.data["summary"]["open_amount"] == pytest.approx(open_pipeline(sql, "a.region = 'EMEA'")[1])
    won = asker("deals we won last quarter", "wl")
    assert won.ok
    lost = asker("and the ones we lost?", "wl")
    assert lost.ok and "lost deals" in lost.data["interpretation"].lower() and "Q3 2026" in lost.data["interpretation"]
    n = sql("SELECT COUNT(*) FROM opportunities WHERE is_closed AND NOT is_won AND close_date BETWEEN ? AND ?", *Q3)[0][0]
    assert lost.data["interpretation"].endswith(f"· {n} deals")
    cycle = asker("average sales cycle for deals won in EMEA this year", "ad")
    assert cycle.ok
    apac = asker("only APAC", "ad")
    assert apac.ok and "region APAC" in apac.data["interpretation"] and "EMEA" not in apac.data["interpretation"]
    assert "Average sales cycle" in apac.data["interpretation"]
