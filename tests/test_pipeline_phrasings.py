"""Pipeline and forecast questions as managers type them (issue 13 parts 2, 3 and 5): a breakdown shows every
group's total, abbreviated periods are read (never dropped), a manager's team is the reps they manage, deals
created are counted by their created date, and a forecast's bare quarter is the nearer one. Numbers are computed
here in SQL on both seeds."""

from __future__ import annotations

from datetime import date

import pytest

Q1_NEXT = (date(2027, 1, 1), date(2027, 3, 31))


def test_pipeline_by_stage_is_a_table_of_stage_totals(asker, sql):
    a = asker("pipeline by stage")
    assert a.ok, a.text
    expected = {s: (int(n), float(v)) for s, n, v in
                sql("SELECT stage, COUNT(*), SUM(amount) FROM opportunities WHERE NOT is_closed GROUP BY 1")}
    rows = {r["stage"]: (r["deal_count"], r["amount"]) for r in a.data["rows"]}
    assert rows.keys() == expected.keys()
    for stage, (n, amount) in expected.items():
        assert rows[stage][0] == n and rows[stage][1] == pytest.approx(amount)
    # the funnel order (stage probability), not quarter x stage
    probs = [float(sql("SELECT MAX(probability) FROM opportunities WHERE NOT is_closed AND stage = ?", r["stage"])[0][0])
             for r in a.data["rows"]]
    assert probs == sorted(probs)
    assert "| Quarter |" not in a.text


@pytest.mark.parametrize("q,where,dim", [
    ("enterprise pipe by stage", "a.segment = 'Enterprise'", "stage"),
    ("apac open pipe by rep", "a.region = 'APAC'", "owner"),
])
def test_a_filtered_breakdown_shows_every_group(asker, sql, q, where, dim):
    a = asker(q)
    assert a.ok, a.text
    col = {"stage": "o.stage", "owner": "u.name"}[dim]
    expected = {k: float(v) for k, v in sql(f"""SELECT {col}, SUM(o.amount) FROM opportunities o
        JOIN accounts a ON a.account_id = o.account_id JOIN users u ON u.user_id = o.owner_id
        WHERE NOT o.is_closed AND {where} GROUP BY 1""")}
    got = {r[dim]: r["amount"] for r in a.data["rows"]}
    assert got == pytest.approx(expected)


@pytest.mark.parametrize("q", ["enterprise pipe closing next qtr", "enterprise pipeline closing next quarter"])
def test_abbreviated_period_is_read(asker, sql, q):
    a = asker(q)
    assert a.ok, a.text
    assert (a.data["period"]["start"], a.data["period"]["end"]) == (Q1_NEXT[0].isoformat(), Q1_NEXT[1].isoformat())
    amount = sql("""SELECT SUM(o.amount) FROM opportunities o JOIN accounts a ON a.account_id = o.account_id
                    WHERE NOT o.is_closed AND a.segment = 'Enterprise' AND o.close_date BETWEEN ? AND ?""", *Q1_NEXT)[0][0]
    assert a.data["summary"]["open_amount"] == pytest.approx(float(amount))


def test_a_managers_team_is_the_reps_they_manage(asker, sql):
    a = asker("commit for tom becker's team this quarter")
    assert a.ok, a.text
    assert "team of Tom Becker" in a.data["interpretation"] and "owner Tom Becker" not in a.data["interpretation"]
    amount = sql("""SELECT SUM(o.amount) FROM opportunities o JOIN users u ON u.user_id = o.owner_id
                    JOIN users m ON m.user_id = u.manager_id
                    WHERE NOT o.is_closed AND o.forecast_category = 'Commit' AND m.name = 'Tom Becker'
                    AND o.close_date BETWEEN DATE '2026-10-01' AND DATE '2026-12-31'""")[0][0]
    from revops_cli.formatting import money

    assert money(float(amount)) in a.text


@pytest.mark.parametrize("q", ["how many opps have we created this month", "how many deals did we open this month"])
def test_deals_created_are_counted_by_created_date(asker, sql, q):
    a = asker(q)
    assert a.ok, a.text
    n = sql("SELECT COUNT(*) FROM opportunities WHERE created_date BETWEEN DATE '2026-11-01' AND DATE '2026-11-24'")[0][0]
    assert a.data["interpretation"].startswith("Deals created") and f"{n} deals" in a.data["interpretation"]
    assert "open deals" not in a.data["interpretation"]


def test_which_rep_has_the_most_ranks_the_reps(asker, sql):
    a = asker("which rep is carrying the most open pipeline")
    assert a.ok, a.text
    assert "by owner" in a.data["interpretation"]
    top = sql("""SELECT u.name FROM opportunities o JOIN users u ON u.user_id = o.owner_id WHERE NOT o.is_closed
                 GROUP BY 1 ORDER BY SUM(o.amount) DESC LIMIT 1""")[0][0]
    assert a.data["rows"][0]["owner"] == top


def test_forecast_bare_quarter_is_the_nearer_one_and_says_what_is_left(asker, sql):
    a = asker("how's the q1 forecast shaping up")
    assert a.ok, a.text
    assert a.data["period"]["start"] == Q1_NEXT[0].isoformat()
    a = asker("what's the gap to plan this quarter")
    target = sql("SELECT SUM(bookings_target) FROM targets WHERE quarter_start = DATE '2026-10-01'")[0][0]
    won = sql("""SELECT COALESCE(SUM(amount), 0) FROM opportunities WHERE is_won
                 AND close_date BETWEEN DATE '2026-10-01' AND DATE '2026-11-24'""")[0][0]
    assert a.data["summary"]["left_to_close"] == pytest.approx(max(float(target) - float(won), 0.0))


def test_a_team_named_by_first_name_carries_its_reps_pipeline(asker, sql):
    a = asker("how much is elena's team carrying")
    assert a.ok, a.text
    n, amount = sql("""SELECT COUNT(*), SUM(o.amount) FROM opportunities o JOIN users u ON u.user_id = o.owner_id
                       JOIN users m ON m.user_id = u.manager_id WHERE NOT o.is_closed AND m.name = 'Elena Rossi'""")[0]
    assert "team of Elena Rossi" in a.data["interpretation"] and a.data["interpretation"].endswith(f"· {n} deals")
    from revops_cli.formatting import money

    assert money(float(amount)) in a.text


@pytest.mark.parametrize("q", ["are we gonna make the number next quarter", "will we hit plan next qtr"])
def test_making_the_number_is_the_forecast(asker, q):
    a = asker(q)
    assert a.ok, a.text
    assert a.data["analysis"] == "forecast_vs_target"
    assert a.data["period"]["start"] == Q1_NEXT[0].isoformat()


@pytest.mark.parametrize("q,where,smallest", [
    ("top 5 deals closing this month", "o.close_date BETWEEN DATE '2026-11-01' AND DATE '2026-11-30'", False),
    ("biggest 5 open opps", "TRUE", False),
    ("smallest 3 open deals in negotiate", "o.stage = 'Negotiate'", True),
])
def test_a_deal_list_asked_for_n_lists_those_n(asker, sql, q, where, smallest):
    n = 3 if smallest else 5
    a = asker(q)
    assert a.ok, a.text
    amounts = sorted((float(v) for (v,) in sql(f"SELECT o.amount FROM opportunities o WHERE NOT o.is_closed AND {where}")),
                     reverse=not smallest)
    assert [r["amount"] for r in a.data["rows"]] == pytest.approx(amounts[:n])
    assert a.data["summary"]["deal_count"] == len(amounts)              # the totals stay those of every deal
    assert a.data["interpretation"].endswith(f"{n} {'smallest' if smallest else 'biggest'} of {len(amounts)} deals")


def test_the_smallest_n_of_more_deals_than_the_list_holds_is_refused(asker):
    a = asker("bottom 3 open deals")
    assert not a.ok and a.data["error"]["exit_code"] == 9
    assert "3 smallest" in a.text
