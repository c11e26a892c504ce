"""The measure planner: every number is recomputed here in plain Python from the raw demo tables (two seeds),
including fiscal calendars that do not start in January, and the SQL keeps the portable rules."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest

from revops_cli.errors import UsageError
from revops_cli.model.planner import ModelQuery, plan_query


# --- the raw tables and an independent reference ---------------------------------------------------------------

@pytest.fixture(scope="module")
def raw(demo_db):
    import duckdb

    con = duckdb.connect(str(demo_db), read_only=True)
    out = {}
    for t in ("accounts", "users", "opportunities", "billing_monthly", "calls", "leads"):
        cur = con.execute(f"SELECT * FROM {t}")
        cols = [d[0] for d in cur.description]
        out[t] = [dict(zip(cols, r)) for r in cur.fetchall()]
    con.close()
    out["account"] = {a["account_id"]: a for a in out["accounts"]}
    out["user"] = {u["user_id"]: u for u in out["users"]}
    return out


@pytest.fixture(scope="module")
def con(demo_db):
    import duckdb

    c = duckdb.connect(str(demo_db), read_only=True)
    yield c
    c.close()


@pytest.fixture
def model(revops_home):
    from revops_cli.config import load_settings
    from revops_cli.model.loader import load_model

    return load_model(load_settings())


def run(con, model, query, fsm=1):
    plan = plan_query(model, query, fiscal_year_start_month=fsm)
    cur = con.execute(plan.sql, plan.params)
    assert [d[0] for d in cur.description] == plan.columns
    return plan, cur.fetchall()


def fiscal_start(d: date, grain: str, fsm: int) -> date:
    """First day of the fiscal quarter/year holding d, by month arithmetic (not the planner's code)."""
    span = 3 if grain == "quarter" else 12
    index = d.year * 12 + d.month - 1 - (fsm - 1)        # months since the fiscal epoch
    start = index - index % span + (fsm - 1)
    return date(start // 12, start % 12 + 1, 1)


def bucket(d, grain: str, fsm: int = 1) -> date:
    d = d.date() if isinstance(d, datetime) else d
    if grain == "day":
        return d
    if grain == "week":
        return d - timedelta(days=d.weekday())
    if grain == "month":
        return d.replace(day=1)
    return fiscal_start(d, grain, fsm)


def within(d, period) -> bool:
    d = d.date() if isinstance(d, datetime) else d
    return d is not None and period[0] <= d <= period[1]


def segment_of(raw, account_id):
    acc = raw["account"].get(account_id)
    return (acc and acc["segment"]) or "Unknown"


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


def assert_rows(rows, expected: dict, n_dims: int):
    """rows: [(dims..., measures...)]; expected: {dims tuple: measures tuple}."""
    got = {tuple(r[:n_dims]): tuple(r[n_dims:]) for r in rows}
    assert len(got) == len(rows), "a dimension value appears twice"
    assert set(got) == set(expected)
    for key, values in expected.items():
        assert all(close(g, e) for g, e in zip(got[key], values)), (key, got[key], values)


# --- measures by dimensions ------------------------------------------------------------------------------------

def test_bookings_and_revenue_by_segment_join_two_entities(con, raw, model):
    period = (date(2026, 1, 1), date(2026, 9, 30))
    plan, rows = run(con, model, ModelQuery(["bookings", "revenue"], ["segment"], period=period))
    bookings, revenue = defaultdict(float), defaultdict(float)
    for o in raw["opportunities"]:
        if o["is_won"] and within(o["close_date"], period):
            bookings[segment_of(raw, o["account_id"])] += o["amount"]
    for b in raw["billing_monthly"]:
        if within(b["month"], period):
            revenue[segment_of(raw, b["account_id"])] += b["revenue"]
    expected = {(s,): (bookings.get(s, 0.0), revenue.get(s, 0.0)) for s in set(bookings) | set(revenue)}
    assert len(expected) >= 3
    assert_rows(rows, expected, 1)
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)          # default order: the dimension
    assert set(plan.measures) == {"bookings", "revenue"} and "Closed-won" in plan.measures["bookings"]
    assert plan.entities == ["accounts", "billing_monthly", "opportunities"]


@pytest.mark.parametrize("fsm", [1, 2, 11])
def test_pipeline_by_fiscal_quarter_of_close_date(con, raw, model, fsm):
    period = (date(2026, 1, 1), date(2027, 6, 30))
    _, rows = run(con, model, ModelQuery(["pipeline", "open_deal_count"], ["close_date:quarter"], period=period), fsm)
    amount, count = defaultdict(float), defaultdict(int)
    for o in raw["opportunities"]:
        if not o["is_closed"] and within(o["close_date"], period):
            q = fiscal_start(o["close_date"], "quarter", fsm)
            amount[q] += o["amount"]
            count[q] += 1
    assert_rows(rows, {(q,): (amount[q], count[q]) for q in amount}, 1)
    assert all(r[0].month in {(fsm - 1 + 3 * k) % 12 + 1 for k in range(4)} for r in rows)


@pytest.mark.parametrize("fsm", [1, 4])
def test_win_rate_and_bookings_by_quarter_and_region_with_competitor_and_region_filters(con, raw, model, fsm):
    period = (date(2025, 7, 1), date(2026, 9, 30))
    query = ModelQuery(["win_rate", "bookings"], ["time:quarter", "region"], period=period,
                       filters=[{"field": "competitor", "op": "contains", "value": "snowflake"},
                                {"field": "region", "op": "!=", "value": "NA"}])
    _, rows = run(con, model, query, fsm)
    won, closed, booked = defaultdict(int), defaultdict(int), defaultdict(float)
    for o in raw["opportunities"]:
        comps = [c.strip().lower() for c in (o["competitors"] or "").split(",")]
        region = (raw["account"][o["account_id"]]["region"] or "Unknown")
        if "snowflake" not in comps or region == "NA" or not within(o["close_date"], period):
            continue
        key = (fiscal_start(o["close_date"], "quarter", fsm), region)
        if o["is_closed"]:
            closed[key] += 1
            won[key] += bool(o["is_won"])
        if o["is_won"]:
            booked[key] += o["amount"]
    expected = {k: (100.0 * won[k] / closed[k] if closed[k] else None, booked.get(k, 0.0))
                for k in set(closed) | set(booked)}
    assert len(expected) >= 4
    assert_rows(rows, expected, 2)


def test_filters_order_and_limit(con, raw, model):
    query = ModelQuery(["bookings", "won_deal_count"], ["owner"],
                       filters=[("type", "in", ["New Business", "Expansion"]),
                                ("stage", "not in", ["Closed Lost"]),
                                ("close_date", "between", ["2025-10-01", "2026-09-30"]),
                                ("opportunities.amount", ">=", 20000)],
                       order=["-bookings", "owner"], limit=3)
    _, rows = run(con, model, query)
    total, n = defaultdict(float), defaultdict(int)
    for o in raw["opportunities"]:
        if (o["is_won"] and o["type"] in ("New Business", "Expansion") and o["stage"] != "Closed Lost"
                and within(o["close_date"], (date(2025, 10, 1), date(2026, 9, 30))) and o["amount"] >= 20000):
            owner = raw["user"][o["owner_id"]]["name"]
            total[owner] += o["amount"]
            n[owner] += 1
    top = sorted(total, key=lambda k: (-total[k], k))[:3]
    assert [r[0] for r in rows] == top
    assert all(close(r[1], total[r[0]]) and r[2] == n[r[0]] for r in rows)


@pytest.mark.parametrize("grain, fsm", [("day", 1), ("week", 1), ("month", 1), ("year", 1), ("year", 7)])
def test_time_grains_of_a_date_that_is_not_the_period_column(con, raw, model, grain, fsm):
    period = (date(2026, 4, 1), date(2026, 9, 30))          # on close_date; bucketed by created_date
    _, rows = run(con, model, ModelQuery(["deal_count"], [f"created_date:{grain}"], period=period), fsm)
    n = defaultdict(int)
    for o in raw["opportunities"]:
        if within(o["close_date"], period):
            n[bucket(o["created_date"], grain, fsm)] += 1
    assert_rows(rows, {(k,): (v,) for k, v in n.items()}, 1)


def test_averages_and_counts_on_other_entities(con, raw, model):
    period = (date(2026, 1, 1), date(2026, 6, 30))
    _, rows = run(con, model, ModelQuery(["average_deal_size", "sales_cycle_days"], ["type"], period=period))
    sizes, cycles = defaultdict(list), defaultdict(list)
    for o in raw["opportunities"]:
        if o["is_won"] and within(o["close_date"], period):
            sizes[o["type"]].append(o["amount"])
            cycles[o["type"]].append((o["close_date"] - o["created_date"]).days)
    assert_rows(rows, {(t,): (sum(v) / len(v), sum(cycles[t]) / len(cycles[t])) for t, v in sizes.items()}, 1)

    period = (date(2026, 9, 1), date(2026, 11, 24))
    _, rows = run(con, model, ModelQuery(["calls"], ["owner", "time:month"], period=period))
    n = defaultdict(int)
    for c in raw["calls"]:
        if within(c["started_at"], period):
            owner = raw["user"][c["owner_id"]]["name"] if c["owner_id"] in raw["user"] else None
            n[(owner, bucket(c["started_at"], "month"))] += 1
    assert_rows(rows, {k: (v,) for k, v in n.items()}, 2)


def test_without_dimensions_one_row_of_totals(con, raw, model):
    period = (date(2026, 10, 1), date(2026, 12, 31))
    _, rows = run(con, model, ModelQuery(["pipeline", "weighted_pipeline", "leads"], period=period))
    opps = [o for o in raw["opportunities"] if not o["is_closed"] and within(o["close_date"], period)]
    leads = [x for x in raw["leads"] if within(x["created_date"], period)]
    assert len(rows) == 1
    assert close(rows[0][0], sum(o["amount"] for o in opps))
    assert close(rows[0][1], sum(o["amount"] * o["probability"] / 100.0 for o in opps))
    assert rows[0][2] == len(leads)


# --- cohort measures -------------------------------------------------------------------------------------------

def months(start: date, end: date):
    d = start
    while d <= end:
        yield d
        d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def nrr_and_churn(raw, period, base_nrr, base_churn, key_of):
    """Per group: NRR over accounts billed in base_nrr, churned ARR of accounts billed in base_churn only."""
    def per_account(window):
        rev, n = defaultdict(float), defaultdict(set)
        for b in raw["billing_monthly"]:
            if within(b["month"], window):
                rev[b["account_id"]] += b["revenue"]
                n[b["account_id"]].add(b["month"])
        return rev, n

    now, now_n = per_account(period)
    then, _ = per_account(base_nrr)
    prev, prev_n = per_account(base_churn)
    num, den, churn = defaultdict(float), defaultdict(float), defaultdict(float)
    groups = set()
    for acc in set(now) | set(then) | set(prev):
        g = key_of(acc)
        if acc in now or acc in then:
            groups.add(g)
        if then.get(acc, 0) > 0:
            num[g] += now.get(acc, 0.0)
            den[g] += then[acc]
        if prev.get(acc, 0) > 0 and now.get(acc, 0) == 0:
            churn[g] += 12 * prev[acc] / len(prev_n[acc])
    return ({g: (100 * num[g] / den[g] if den[g] else None) for g in groups},
            churn)


def test_net_revenue_retention_and_churned_arr_by_segment(con, raw, model):
    period = (date(2026, 7, 1), date(2026, 9, 30))
    plan, rows = run(con, model, ModelQuery(["net_revenue_retention", "churned_arr"], ["segment"], period=period))
    nrr, churn = nrr_and_churn(raw, period, (date(2025, 7, 1), date(2025, 9, 30)),
                               (date(2026, 4, 1), date(2026, 6, 30)), lambda a: segment_of(raw, a))
    got = {r[0]: (r[1], r[2]) for r in rows}
    for seg, value in nrr.items():
        assert close(got[seg][0], value), seg
    for seg, value in churn.items():
        assert close(got[seg][1], value), seg
    assert any(v > 0 for v in churn.values()) and any(v for v in nrr.values())
    assert plan.windows == {"net_revenue_retention": (date(2025, 7, 1), date(2025, 9, 30)),
                            "churned_arr": (date(2026, 4, 1), date(2026, 6, 30))}


def test_net_revenue_retention_by_fiscal_quarter(con, raw, model):
    fsm = 2
    period = (date(2025, 11, 1), date(2026, 10, 31))            # four whole fiscal quarters
    _, rows = run(con, model, ModelQuery(["net_revenue_retention"], ["time:quarter"], period=period), fsm)
    assert len(rows) == 4
    for q_start, value in rows:
        q_end = date(q_start.year + (q_start.month + 3 > 12), (q_start.month + 2) % 12 + 1, 1) - timedelta(days=1)
        base = (date(q_start.year - 1, q_start.month, 1), date(q_end.year - 1, q_end.month, q_end.day))
        assert q_start == fiscal_start(q_start, "quarter", fsm)
        nrr, _ = nrr_and_churn(raw, (q_start, q_end), base, base, lambda a: "all")
        assert close(value, nrr["all"]), q_start


def test_new_logos_are_accounts_whose_first_win_falls_in_the_period(con, raw, model):
    period = (date(2026, 1, 1), date(2026, 11, 24))
    plan, rows = run(con, model, ModelQuery(["new_logos"], ["segment"], period=period))
    first: dict[str, date] = {}
    for o in raw["opportunities"]:
        if o["is_won"]:
            first[o["account_id"]] = min(first.get(o["account_id"], o["close_date"]), o["close_date"])
    expected: dict[str, int] = defaultdict(int)
    for acc, d in first.items():
        if period[0] <= d <= period[1]:
            expected[segment_of(raw, acc)] += 1
    got = {r[0]: r[1] for r in rows if r[1]}
    assert got == dict(expected) and sum(expected.values()) > 0
    # an account won before the period and again in it is no new logo
    again = {o["account_id"] for o in raw["opportunities"] if o["is_won"] and period[0] <= o["close_date"] <= period[1]}
    assert sum(expected.values()) < len(again)
    assert plan.windows["new_logos"][1] == date(2025, 12, 31)


def test_gross_revenue_retention_caps_each_account_at_its_revenue_a_year_earlier(con, raw, model):
    period = (date(2025, 11, 1), date(2026, 10, 31))
    _, rows = run(con, model, ModelQuery(["gross_revenue_retention", "net_revenue_retention"], period=period))
    now: dict[str, float] = defaultdict(float)
    then: dict[str, float] = defaultdict(float)
    for b in raw["billing_monthly"]:
        if period[0] <= b["month"] <= period[1]:
            now[b["account_id"]] += b["revenue"]
        elif date(2024, 11, 1) <= b["month"] <= date(2025, 10, 31):
            then[b["account_id"]] += b["revenue"]
    base = {a: v for a, v in then.items() if v > 0}
    grr = 100 * sum(min(now.get(a, 0.0), v) for a, v in base.items()) / sum(base.values())
    nrr = 100 * sum(now.get(a, 0.0) for a in base) / sum(base.values())
    assert close(rows[0][0], grr) and close(rows[0][1], nrr)
    assert grr <= nrr


# --- missing data, bad questions, portable SQL ---------------------------------------------------------------

def test_a_measure_on_missing_data_is_null_with_the_reason_never_zero(con, model, revops_home, tmp_path):
    from revops_cli.config import load_settings
    from revops_cli.model.loader import load_model

    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "m.yaml").write_text(
        "entities:\n  opportunity_stage_history:\n    missing: no close-date history in this warehouse\n")
    mapped = load_model(load_settings())
    plan, rows = run(con, mapped, ModelQuery(["slip_count", "deal_count"],
                                             period=(date(2026, 1, 1), date(2026, 6, 30))))
    assert rows[0][0] is None and rows[0][1] > 0
    assert plan.unavailable == {"slip_count": "no close-date history in this warehouse"}
    assert plan.meta()["unavailable"] == plan.unavailable


@pytest.mark.parametrize("query, words", [
    (dict(measures=["bookngs"]), ["bookngs", "bookings"]),
    (dict(measures=[]), ["at least one measure"]),
    (dict(measures=["bookings"], dimensions=["segmnt"]), ["segmnt", "segment"]),
    (dict(measures=["bookings"], dimensions=["segment:quarter"]), ["not a date"]),
    (dict(measures=["bookings"], dimensions=["close_date:fortnight"]), ["fortnight"]),
    (dict(measures=["bookings"], dimensions=["lead_status"]), ["does not apply", "leads"]),
    (dict(measures=["net_revenue_retention"], dimensions=["segment"]), ["needs a period"]),
    (dict(measures=["bookings"], filters=[("segment", "like", "x")]), ["operator", "like"]),
    (dict(measures=["bookings"], filters=[("segment", "in", "SMB")]), ["list"]),
    (dict(measures=["bookings"], filters=[("segmnt", "=", "SMB")]), ["segmnt"]),
    (dict(measures=["bookings"], order=["-revenue"]), ["revenue", "not a column"]),
    (dict(measures=["bookings"], limit=0), ["limit"]),
    (dict(measures=["bookings"], period=("2026-10-01", "2026-09-01")), ["before it starts"]),
])
def test_bad_questions_are_usage_errors_saying_what_to_do(model, query, words):
    with pytest.raises(UsageError) as caught:
        plan_query(model, ModelQuery(**query))
    text = caught.value.one_line()
    assert all(w in text for w in words), text
    assert caught.value.exit_code == 2


def test_model_query_from_json_round_trips():
    data = {"measures": ["bookings"], "dimensions": ["segment", "close_date:quarter"],
            "filters": [{"field": "region", "op": "in", "value": ["EMEA"]}],
            "period": {"start": "2026-10-01", "end": "2026-12-31"}, "order": ["-bookings"], "limit": 5}
    q = ModelQuery.from_dict(data)
    assert q.period == (date(2026, 10, 1), date(2026, 12, 31)) and q.dimensions[1].grain == "quarter"
    assert q.to_dict() == data
    with pytest.raises(UsageError):
        ModelQuery.from_dict({"measures": ["bookings"], "dimension": ["segment"]})


def test_the_sql_keeps_the_portable_rules(model):
    queries = [
        (ModelQuery(["win_rate", "revenue", "net_revenue_retention", "churned_arr"], ["time:quarter", "segment"],
                    filters=[("region", "not in", ["LATAM"])], period=(date(2026, 1, 1), date(2026, 12, 31))), 2),
        (ModelQuery(["win_rate"], ["stage"], filters=[("stage", "not in", ["Closed Lost"]),
                                                      ("competitor", "contains", "Snowflake")]), 1),
        (ModelQuery(["pipeline"], ["close_date:month", "created_date:year"], period=(date(2026, 1, 1), date(2026, 3, 31))), 1),
    ]
    for query, fsm in queries:
        sql = plan_query(model, query, fiscal_year_start_month=fsm).sql
        upper = sql.upper()
        assert "FILTER (" not in upper and "QUALIFY" not in upper and "INTERVAL" not in upper
        assert ("NOT IN (" in sql) == any(f.op == "not in" for f in query.filters)
        assert " NOT region" not in sql and " NOT stage" not in sql
        truncs = re.findall(r"(CAST\()?DATE_TRUNC\('(\w+)'", sql)
        assert all(cast and unit == unit.lower() for cast, unit in truncs)
        assert "::" not in sql


def test_the_same_rows_through_firebolt(demo_db, con, tmp_path, model):
    import shutil

    from fakes.firebolt_core import FireboltCoreFake
    from revops_cli.warehouse.firebolt import FireboltWarehouse

    served = tmp_path / "fb.duckdb"
    shutil.copy(demo_db, served)
    query = ModelQuery(["bookings", "revenue", "net_revenue_retention"], ["time:quarter", "segment"],
                       filters=[("region", "not in", ["LATAM"])], period=(date(2026, 2, 1), date(2026, 10, 31)))
    plan = plan_query(model, query, fiscal_year_start_month=2)
    cur = con.execute(plan.sql, plan.params)
    columns, rows = [d[0] for d in cur.description], cur.fetchall()
    with FireboltCoreFake(served, database="revops") as url:
        fire = FireboltWarehouse(url=url, database="revops")
        b = fire.query(plan.sql, plan.params)
        fire.close()

    def plain(rows):
        return sorted(tuple(round(float(v), 4) if isinstance(v, (int, float)) and not isinstance(v, bool)
                            else (v.date() if isinstance(v, datetime) else v) for v in r) for r in rows)

    assert columns == b.columns and len(rows) > 3
    assert plain(rows) == plain(b.rows)
