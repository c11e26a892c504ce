"""SQL patterns: the catalog (headers, overrides, parameters, table mapping) and every package pattern's SQL,
run on a small hand-built warehouse and on the demo warehouse, with key numbers recomputed in Python from
raw `SELECT *` rows.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from revops_cli.errors import ConfigError, NotFoundError, UsageError
from revops_cli.sql_patterns.catalog import PACKAGE_DIR, Catalog, load_pattern

AS_OF = date(2026, 11, 24)
Q4 = (date(2026, 10, 1), date(2026, 12, 31))
SCHEMA = (Path(__file__).resolve().parents[1] / "revops_cli" / "warehouse" / "schema.sql").read_text()
COMPETITORS = ["Snowflake", "Databricks", "BigQuery", "Redshift", "ClickHouse"]
STAGES = {"Discovery": 10, "Qualification": 20, "Technical Validation": 40, "Business Justification": 60,
          "Negotiate": 75, "Closed Won": 100, "Closed Lost": 0}
SEGMENTS = ["SMB", "Mid-Market", "Enterprise"]

CATALOG = Catalog.load()
PATTERNS = CATALOG.names()


# --------------------------------------------------------------------------- a small hand-built warehouse

def _insert(con, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    cols = list(rows[0])
    one = f"({', '.join('?' for _ in cols)})"
    for i in range(0, len(rows), 300):   # one multi-row INSERT per chunk: executemany is slow in DuckDB
        chunk = rows[i:i + 300]
        con.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES {', '.join(one for _ in chunk)}",
                    [r[c] for r in chunk for c in cols])


def build_hand_warehouse(path: Path, seed: int = 3) -> Path:
    """Every schema table with a few hundred rows of seeded random data (independent of demo_data.py)."""
    rnd = random.Random(seed)
    con = duckdb.connect(str(path))
    con.execute(SCHEMA)
    users = [{"user_id": f"USR-{i:04d}", "name": f"Rep {i}", "email": f"rep{i}@x.io",
              "role": "AE" if i <= 6 else ("CSM" if i <= 8 else "SDR"), "team": SEGMENTS[i % 3], "region": "NA",
              "manager_id": None, "slack_user_id": None} for i in range(1, 10)]
    _insert(con, "users", users)
    accounts = []
    for i in range(1, 31):
        kind = "customer" if i % 3 else ("prospect" if i % 2 else "churned")
        name = "IXIS Technologies" if i == 1 else f"Company {i:02d} {rnd.choice(['Labs', 'Inc', 'Group'])}"
        accounts.append({"account_id": f"ACC-{i:06d}", "name": name, "domain": f"c{i}.io", "industry": "Software",
                         "segment": SEGMENTS[i % 3], "region": "NA", "employees": 100 * i, "annual_revenue": 1e6 * i,
                         "account_type": "customer" if i == 1 else kind, "tech_stack": "Snowflake,dbt",
                         "funding_stage": "Series B", "potential_spend": 50000.0 * i,
                         "owner_id": f"USR-{1 + i % 6:04d}", "csm_id": f"USR-{7 + i % 2:04d}",
                         "created_date": date(2024, 1, 1), "customer_since": date(2024, 6, 1),
                         "churned_date": None})
    _insert(con, "accounts", accounts)
    statuses = ["Unknown", "Identified", "Validated", "Leveraged"]
    opps, history = [], []
    for i in range(1, 161):
        acc = accounts[rnd.randrange(len(accounts))]
        stage = rnd.choice(list(STAGES))
        closed = stage.startswith("Closed")
        close = date(2025, 7, 1) + timedelta(days=rnd.randrange(640))
        created = close - timedelta(days=rnd.randrange(30, 200))
        opp = {"opportunity_id": f"OPP-{i:07d}", "name": f"{acc['name'].split()[0]} {i} - Platform",
               "account_id": acc["account_id"], "type": rnd.choice(["New Business", "Expansion", "Renewal"]),
               "stage": stage, "amount": float(rnd.randrange(5, 500) * 1000), "probability": STAGES[stage],
               "forecast_category": ("Closed" if stage == "Closed Won" else "Omitted" if closed else
                                     rnd.choice(["Pipeline", "Best Case", "Commit"])),
               "close_date": close, "created_date": created, "owner_id": acc["owner_id"], "lead_source": "Website",
               "next_step": "Follow up", "competitors": ",".join(rnd.sample(COMPETITORS, rnd.randrange(3))),
               "is_closed": closed, "is_won": stage == "Closed Won",
               "last_activity_date": AS_OF - timedelta(days=rnd.randrange(40))}
        for f in ("metrics", "economic_buyer", "identify_pain", "champion", "decision_criteria", "competition",
                  "decision_making_process", "paper_process"):
            opp[f] = f"{f} notes"
            opp[f + "_status"] = rnd.choice(statuses)
        opps.append(opp)
        when = datetime(2026, 1, 5, 9) + timedelta(days=rnd.randrange(320))
        old = close - timedelta(days=30)
        for k in range(rnd.randrange(3)):   # close-date moves (some later, some earlier)
            new = old + timedelta(days=rnd.choice([-10, 14, 30]))
            history.append({"opportunity_id": opp["opportunity_id"], "changed_at": when + timedelta(days=7 * k),
                            "from_stage": stage, "to_stage": stage, "days_in_stage": None,
                            "old_close_date": old, "new_close_date": new, "amount": opp["amount"],
                            "changed_by": opp["owner_id"]})
            old = new
        history.append({"opportunity_id": opp["opportunity_id"], "changed_at": when - timedelta(days=20),
                        "from_stage": "Discovery", "to_stage": stage, "days_in_stage": 12,
                        "old_close_date": None, "new_close_date": None, "amount": opp["amount"],
                        "changed_by": opp["owner_id"]})
    opps[0].update(name="IXIS - Snowflake Cost Replacement", account_id="ACC-000001", stage="Negotiate",
                   probability=75, is_closed=False, is_won=False, close_date=date(2026, 12, 15))
    _insert(con, "opportunities", opps)
    _insert(con, "opportunity_stage_history", history)
    _insert(con, "contacts", [{"contact_id": f"CON-{i:06d}", "account_id": accounts[i % 30]["account_id"],
                               "first_name": "Pat", "last_name": f"Lee{i}", "name": f"Pat Lee{i}",
                               "title": "VP Data", "department": rnd.choice(["Data", "Finance"]),
                               "seniority": rnd.choice(["VP", "Director", "Manager"]), "email": f"p{i}@x.io",
                               "is_primary": i < 30, "created_date": date(2025, 1, 1)} for i in range(60)])
    sources = ["Website", "Webinar", "Event", "Outbound", "Referral"]
    lead_statuses = ["New", "Working", "MQL", "SQL", "Disqualified", "Converted"]
    _insert(con, "leads", [{"lead_id": f"LEAD-{i:06d}", "first_name": "John", "last_name": f"Smith{i}",
                            "name": f"John Smith{i}", "title": "VP", "seniority": "VP", "department": "Data",
                            "email": f"j{i}@d.io", "company": f"DataCorp {i % 5}", "company_domain": "d.io",
                            "industry": "Software", "employees": 500, "region": rnd.choice(["NA", "EMEA"]),
                            "source": rnd.choice(sources), "status": rnd.choice(lead_statuses),
                            "created_date": date(2026, 1, 1) + timedelta(days=rnd.randrange(330)),
                            "owner_id": "USR-0009", "email_opens": 3, "email_clicks": 1, "web_visits": 2,
                            "content_downloads": 0, "events_attended": 0,
                            "last_activity_date": AS_OF - timedelta(days=rnd.randrange(60)),
                            "converted_account_id": None} for i in range(1, 121)])
    calls = []
    for i in range(1, 121):
        opp = opps[rnd.randrange(len(opps))]
        said = rnd.sample(COMPETITORS + ["nobody"], 2)
        lines = [f"Rep: How do you use {said[0].upper() if i % 2 else said[0].lower()} today?",
                 f"Buyer: We also looked at {said[1]} last year.", "Rep: Great."]
        calls.append({"call_id": f"CALL-{i:06d}", "account_id": opp["account_id"],
                      "opportunity_id": opp["opportunity_id"], "lead_id": None,
                      "started_at": datetime(2025, 12, 1, 10) + timedelta(days=rnd.randrange(358), hours=i % 5),
                      "duration_minutes": 30, "title": f"Call {i}", "owner_id": opp["owner_id"],
                      "participants": "Rep (Us),Buyer (Them)", "brief": "brief", "key_points": "- a\n- b",
                      "next_steps": "send deck", "transcript": "\n".join(lines) + "\n"})
    _insert(con, "calls", calls)
    usage = []
    for acc in accounts[:20]:
        trend = rnd.choice([-0.02, 0.0, 0.02])
        for d in range(90):
            day = AS_OF - timedelta(days=89 - d)
            usage.append({"account_id": acc["account_id"], "usage_date": day, "query_count": 1000 + 10 * d,
                          "engine_hours": max(1.0, 50.0 * (1 + trend * d)), "bytes_scanned": 10 ** 9,
                          "active_users": 10 + int(trend * 100 * d / 10)})
    _insert(con, "usage_daily", usage)
    billing = []
    for acc in accounts:
        if acc["account_type"] != "customer":
            continue
        m = date(2025, 1, 1)
        while m <= date(2026, 11, 1):
            billing.append({"account_id": acc["account_id"], "month": m,
                            "revenue": float(rnd.randrange(1000, 20000)), "plan": "Growth"})
            m = date(m.year + m.month // 12, m.month % 12 + 1, 1)
    _insert(con, "billing_monthly", billing)
    targets = []
    for q in range(4):
        qs, qe = date(2026, 3 * q + 1, 1), (date(2026, 3 * q + 4, 1) if q < 3 else date(2027, 1, 1)) - timedelta(days=1)
        for s in SEGMENTS:
            targets.append({"quarter": f"2026-Q{q + 1}", "quarter_start": qs, "quarter_end": qe, "segment": s,
                            "bookings_target": 1e6, "revenue_target": 2e6})
    _insert(con, "targets", targets)
    _insert(con, "company_research", [{"company_name": "IXIS Technologies", "domain": "ixis.io",
                                       "industry": "Software", "employees": 800, "employee_range": "500-1000",
                                       "funding_stage": "Series C", "total_funding": 9e7, "headquarters": "Paris",
                                       "founded_year": 2015, "tech_stack": "Snowflake", "description": "x",
                                       "recent_news": "a\nb", "source_url": "https://x", "updated_at": AS_OF}])
    con.close()
    return path


@pytest.fixture(scope="module")
def hand_db(tmp_path_factory) -> Path:
    return build_hand_warehouse(tmp_path_factory.mktemp("hand") / "hand.duckdb")


@pytest.fixture(scope="module", params=["hand", "demo42", "demo7"])
def warehouse(request, tmp_path_factory):
    """A read-only connection to the hand-built warehouse, or to a generated demo warehouse (two seeds)."""
    if request.param == "hand":
        path = request.getfixturevalue("hand_db")
    else:
        demo = pytest.importorskip("revops_cli.warehouse.demo_data")
        if not hasattr(demo, "generate"):
            pytest.skip("demo_data.generate is not written yet")
        seed = int(request.param[4:])
        path = tmp_path_factory.mktemp(request.param) / "demo.duckdb"
        demo.generate(path, scale=0.2, seed=seed, as_of=AS_OF)
    con = duckdb.connect(str(path), read_only=True)
    yield request.param, con
    con.close()


def rows(con, table: str) -> list[dict]:
    cur = con.execute(f"SELECT * FROM {table}")
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def run(con, pattern: str, **values) -> list[dict]:
    sql, params = CATALOG.get(pattern).render(values)
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def approx(x):
    return pytest.approx(x, rel=1e-9, abs=1e-6)


# ------------------------------------------------------------------------------------ every package pattern

def test_the_package_has_the_promised_patterns():
    promised = {"deal_lookup", "deal_detail", "deals_closing_in_period", "pipeline_by_quarter_and_stage",
                "weighted_pipeline", "pipeline_coverage_vs_target", "forecast_vs_target", "stage_history",
                "slipped_deals", "win_rate", "revenue_by_segment", "revenue_by_month", "top_usage_growth",
                "declining_usage", "churn_risk_inputs", "expansion_signals", "new_leads_by_source",
                "lead_lookup", "lead_detail", "contacts_at_account", "calls_for_account", "calls_for_opportunity",
                "competitor_mentions", "deals_at_risk_inputs", "owner_leaderboard", "account_overview"}
    assert promised <= set(PATTERNS)
    assert len(PATTERNS) >= 24


@pytest.mark.parametrize("name", PATTERNS)
def test_pattern_header_and_render(name):
    pat = CATALOG.get(name)
    assert pat.builtin and pat.path.name == f"{name}.sql"
    assert pat.description and len(pat.description) > 20
    assert 1 <= len(pat.examples) <= 3 and all(q.strip() for q in pat.examples)
    for prm in pat.params.values():
        assert not (prm.required and prm.example is None), f"{name}.{prm.name}: required params need an example"
    sql, params = pat.render(pat.example_values())
    assert sql.count("?") == len(params), "one bound value per placeholder"
    assert "{{" not in sql and "{%" not in sql
    # Only canonical schema tables.
    known = set(re.findall(r"CREATE TABLE (\w+)", SCHEMA))
    sqlglot = pytest.importorskip("sqlglot")
    tree = sqlglot.parse_one(sql, read="duckdb")
    ctes = {c.alias for c in tree.find_all(sqlglot.exp.CTE)}
    tables = {t.name for t in tree.find_all(sqlglot.exp.Table)} - ctes
    assert tables and tables <= known, f"unknown tables {tables - known}"
    # The dialect rule: nothing DuckDB-only.
    upper = re.sub(r"'[^']*'", "''", sql).upper()
    for banned in ("::", " ILIKE ", "QUALIFY", "FILTER (", "GROUP BY ALL", "REGEXP_", "STRPOS", "LIST_", " INTERVAL "):
        assert banned not in upper, f"{name} uses {banned.strip()}"
    guard = pytest.importorskip("revops_cli.warehouse.guard")
    guard.check_read_only(sql)


@pytest.mark.parametrize("name", PATTERNS)
def test_pattern_runs_on_each_warehouse(warehouse, name):
    which, con = warehouse
    pat = CATALOG.get(name)
    values = pat.example_values()
    sql, params = pat.render(values)
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description]
    assert len(cols) == len(set(cols)), f"duplicate column names in {name}"
    cur.fetchall()


OWN = ["account_overview", "calls_for_account", "calls_for_opportunity", "churn_risk_inputs",
       "company_research_lookup", "competitor_mentions", "contacts_at_account", "deal_detail", "deal_lookup",
       "deals_at_risk_inputs", "deals_closing_in_period", "declining_usage", "expansion_signals",
       "forecast_vs_target", "lead_detail", "lead_lookup", "new_leads_by_source", "owner_leaderboard",
       "pipeline_by_quarter_and_stage", "pipeline_coverage_vs_target", "revenue_by_month", "revenue_by_segment",
       "slipped_deals", "stage_history", "top_usage_growth", "usage_trend_for_account", "weighted_pipeline",
       "win_rate"]


def test_own_patterns_find_rows_with_their_example_values(warehouse):
    """Example values are real questions on the demo data: an empty answer would hide a wrong filter."""
    which, con = warehouse
    may_be_empty = {"declining_usage"}   # few customers decline at small scales; checked with a 0 % threshold below
    if which == "hand":
        may_be_empty |= {"lead_detail", "contacts_at_account", "expansion_signals"}
    empty = [n for n in OWN if n not in may_be_empty and not run(con, n, **CATALOG.get(n).example_values())]
    assert not empty


def test_catalog_load_imports_neither_duckdb_nor_jinja():
    code = ("import sys; from revops_cli.sql_patterns.catalog import Catalog; c = Catalog.load(); "
            "assert len(c.names()) >= 24; "
            "print(sorted(m for m in ('duckdb', 'jinja2') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------------ numbers recomputed from raw rows in Python

def _segments(con) -> dict[str, str]:
    return {a["account_id"]: a["segment"] for a in rows(con, "accounts")}


def test_deals_closing_in_period_numbers(warehouse):
    _, con = warehouse
    seg = _segments(con)
    for segment in (None, "Enterprise"):
        expected = {o["opportunity_id"]: o for o in rows(con, "opportunities")
                    if not o["is_closed"] and Q4[0] <= o["close_date"] <= Q4[1]
                    and (segment is None or seg[o["account_id"]] == segment)}
        got = run(con, "deals_closing_in_period", start_date=Q4[0], end_date=Q4[1], segment=segment, limit=100000)
        assert expected, "the fixture must have open deals closing in Q4"
        assert {r["opportunity_id"] for r in got} == set(expected)
        amounts = [r["amount"] for r in got]
        assert amounts == sorted(amounts, reverse=True)
        for r in got:
            o = expected[r["opportunity_id"]]
            assert r["weighted_amount"] == approx(o["amount"] * o["probability"] / 100)
            assert r["segment"] == seg[o["account_id"]]
    everything = [o["amount"] for o in rows(con, "opportunities")
                  if not o["is_closed"] and Q4[0] <= o["close_date"] <= Q4[1]]
    top = run(con, "deals_closing_in_period", start_date="2026-10-01", end_date="2026-12-31", limit=3)
    assert [r["amount"] for r in top] == sorted(everything, reverse=True)[:3]


def test_weighted_pipeline_numbers(warehouse):
    _, con = warehouse
    seg = _segments(con)
    exp = defaultdict(lambda: [0, 0.0, 0.0])
    for o in rows(con, "opportunities"):
        if not o["is_closed"] and Q4[0] <= o["close_date"] <= Q4[1]:
            e = exp[seg[o["account_id"]]]
            e[0] += 1
            e[1] += o["amount"]
            e[2] += o["amount"] * o["probability"] / 100
    got = {r["segment"]: r for r in run(con, "weighted_pipeline", start_date=Q4[0], end_date=Q4[1])}
    assert set(got) == set(exp)
    for s, (n, amount, weighted) in exp.items():
        assert got[s]["deal_count"] == n
        assert got[s]["open_amount"] == approx(amount)
        assert got[s]["weighted_amount"] == approx(weighted)
    (total,) = run(con, "weighted_pipeline", start_date=Q4[0], end_date=Q4[1], group_by="total")
    assert total["segment"] == "All"
    assert total["deal_count"] == sum(e[0] for e in exp.values())
    assert total["weighted_amount"] == approx(sum(e[2] for e in exp.values()))


def test_revenue_by_segment_with_yoy(warehouse):
    _, con = warehouse
    seg = _segments(con)
    start, end = date(2026, 1, 1), date(2026, 10, 31)
    cur, prev = defaultdict(float), defaultdict(float)
    for b in rows(con, "billing_monthly"):
        if start <= b["month"] <= end:
            cur[seg[b["account_id"]]] += b["revenue"]
        if date(2025, 1, 1) <= b["month"] <= date(2025, 10, 31):
            prev[seg[b["account_id"]]] += b["revenue"]
    assert cur and prev
    for values in ({}, {"prev_start_date": "2025-01-01", "prev_end_date": "2025-10-31"}):
        got = {r["segment"]: r for r in run(con, "revenue_by_segment", start_date=start, end_date=end, **values)}
        assert set(got) == set(cur) | set(prev) | {"Total"}
        for s in set(cur) | set(prev):
            assert got[s]["revenue"] == approx(cur[s])
            assert got[s]["prev_year_revenue"] == approx(prev[s])
            assert got[s]["yoy_change"] == approx(cur[s] - prev[s])
            if prev[s]:
                assert got[s]["yoy_change_pct"] == approx(100 * (cur[s] - prev[s]) / prev[s])
        assert got["Total"]["revenue"] == approx(sum(cur.values()))
        assert got["Total"]["yoy_change_pct"] == approx(100 * (sum(cur.values()) - sum(prev.values()))
                                                        / sum(prev.values()))


def test_win_rate_numbers(warehouse):
    _, con = warehouse
    seg = _segments(con)
    start, end = date(2026, 1, 1), AS_OF
    won, closed = defaultdict(int), defaultdict(int)
    by_owner = defaultdict(lambda: [0, 0])
    for o in rows(con, "opportunities"):
        if o["is_closed"] and start <= o["close_date"] <= end:
            closed[seg[o["account_id"]]] += 1
            won[seg[o["account_id"]]] += bool(o["is_won"])
            by_owner[o["owner_id"]][0] += bool(o["is_won"])
            by_owner[o["owner_id"]][1] += 1
    assert closed
    got = {r["segment"]: r for r in run(con, "win_rate", start_date=start, end_date=end)}
    assert set(got) == set(closed)
    for s in closed:
        assert got[s]["closed_count"] == closed[s]
        assert got[s]["won_count"] == won[s]
        assert got[s]["win_rate_pct"] == approx(100 * won[s] / closed[s])
    owners = {r["owner_id"]: r for r in run(con, "win_rate", start_date=start, end_date=end, group_by="owner")}
    assert {k: (r["won_count"], r["closed_count"]) for k, r in owners.items()} == \
        {k: tuple(v) for k, v in by_owner.items()}
    (total,) = run(con, "win_rate", start_date=start, end_date=end, group_by="total")
    assert total["win_rate_pct"] == approx(100 * sum(won.values()) / sum(closed.values()))


def test_new_leads_by_source_numbers(warehouse):
    _, con = warehouse
    start, end = date(2026, 7, 1), AS_OF
    count, status = defaultdict(int), defaultdict(lambda: defaultdict(int))
    for lead in rows(con, "leads"):
        if start <= lead["created_date"] <= end:
            count[lead["source"]] += 1
            status[lead["source"]][lead["status"]] += 1
    assert count
    got = {r["source"]: r for r in run(con, "new_leads_by_source", start_date=start, end_date=end)}
    assert {k: r["lead_count"] for k, r in got.items()} == dict(count)
    for src, r in got.items():
        st = status[src]
        assert (r["mql_count"], r["sql_count"], r["converted_count"], r["disqualified_count"]) == \
            (st["MQL"], st["SQL"], st["Converted"], st["Disqualified"])
        assert r["qualified_rate_pct"] == approx(100 * (st["MQL"] + st["SQL"] + st["Converted"]) / count[src])


def test_competitor_mentions_numbers(warehouse):
    _, con = warehouse
    start, end = date(2026, 1, 1), AS_OF
    calls = [c for c in rows(con, "calls") if start <= c["started_at"].date() <= end]
    names = COMPETITORS + ["Nobody Inc"]
    got = {r["competitor"]: r for r in run(con, "competitor_mentions", start_date=start, end_date=end,
                                           competitors=names)}
    assert set(got) == set(names), "one row per competitor, mentioned or not"
    total = 0
    for name in names:
        hits = [c for c in calls if name.lower() in (c["transcript"] or "").lower()]
        total += len(hits)
        assert got[name]["mention_call_count"] == len(hits), name
        assert got[name]["account_count"] == len({c["account_id"] for c in hits if c["account_id"]}), name
    assert total > 0
    counts = [r["mention_call_count"] for r in run(con, "competitor_mentions", start_date=start, end_date=end)]
    assert counts == sorted(counts, reverse=True)
    assert run(con, "competitor_mentions", start_date=start, end_date=end, competitors=[]) == []


def test_pipeline_coverage_and_forecast_numbers(warehouse):
    _, con = warehouse
    seg = _segments(con)
    target = defaultdict(float)
    for t in rows(con, "targets"):
        if t["quarter_start"] >= Q4[0] and t["quarter_end"] <= Q4[1]:
            target[t["segment"]] += t["bookings_target"]
    assert target
    won, open_, commit = defaultdict(float), defaultdict(float), defaultdict(float)
    for o in rows(con, "opportunities"):
        if Q4[0] <= o["close_date"] <= Q4[1]:
            s = seg[o["account_id"]]
            if o["is_won"]:
                won[s] += o["amount"]
            elif not o["is_closed"]:
                open_[s] += o["amount"]
                commit[s] += o["amount"] if o["forecast_category"] == "Commit" else 0
    cov = {r["segment"]: r for r in run(con, "pipeline_coverage_vs_target", start_date=Q4[0], end_date=Q4[1])}
    fc = {r["segment"]: r for r in run(con, "forecast_vs_target", start_date=Q4[0], end_date=Q4[1])}
    for s in target:
        assert cov[s]["bookings_target"] == approx(target[s])
        assert cov[s]["closed_won_amount"] == approx(won[s])
        assert cov[s]["open_pipeline_amount"] == approx(open_[s])
        assert cov[s]["gap_amount"] == approx(target[s] - won[s] - open_[s])
        remaining = target[s] - won[s]
        assert cov[s]["coverage_ratio"] == (approx(open_[s] / remaining) if remaining > 0 else None)
        assert fc[s]["gap_to_target_at_commit"] == approx(target[s] - won[s] - commit[s])
    assert cov["Total"]["bookings_target"] == approx(sum(target.values()))
    assert fc["Total"]["closed_won_amount"] == approx(sum(won[s] for s in target))


def test_slipped_deals_numbers(warehouse):
    _, con = warehouse
    start, end = date(2026, 1, 1), AS_OF
    pushes = defaultdict(lambda: [0, 0])
    for h in rows(con, "opportunity_stage_history"):
        if (h["old_close_date"] and h["new_close_date"] and h["new_close_date"] > h["old_close_date"]
                and start <= h["changed_at"].date() <= end):
            pushes[h["opportunity_id"]][0] += 1
            pushes[h["opportunity_id"]][1] += (h["new_close_date"] - h["old_close_date"]).days
    got = {r["opportunity_id"]: r for r in run(con, "slipped_deals", start_date=start, end_date=end,
                                                 open_only=False, limit=100000)}
    assert pushes and set(got) == set(pushes)
    for k, (n, d) in pushes.items():
        assert (got[k]["push_count"], got[k]["days_pushed"]) == (n, d)


def test_declining_usage_numbers(warehouse):
    _, con = warehouse
    split, first = AS_OF - timedelta(days=30), AS_OF - timedelta(days=60)
    customers = {a["account_id"] for a in rows(con, "accounts") if a["account_type"] == "customer"}
    recent, prior = defaultdict(float), defaultdict(float)
    for u in rows(con, "usage_daily"):
        if split < u["usage_date"] <= AS_OF:
            recent[u["account_id"]] += u["engine_hours"] or 0
        elif first < u["usage_date"] <= split:
            prior[u["account_id"]] += u["engine_hours"] or 0
    change = {k: 100 * (recent[k] - v) / v for k, v in prior.items() if v > 0 and k in customers}
    for threshold in (0.0, 10.0):
        expected = {k for k, c in change.items() if c <= -threshold}
        got = run(con, "declining_usage", as_of=AS_OF, min_decline_pct=threshold, limit=100000)
        assert {r["account_id"] for r in got} == expected
        for r in got:
            assert r["usage_change_pct"] == approx(change[r["account_id"]])
        assert [r["usage_change_pct"] for r in got] == sorted(r["usage_change_pct"] for r in got)
    assert run(con, "declining_usage", as_of=AS_OF, min_decline_pct=-1000, limit=100000), "some customer exists"


# --------------------------------------------------------------------------------- named lookups on the data

def test_lookups_find_the_named_examples(warehouse):
    _, con = warehouse
    deals = run(con, "deal_lookup", name="IXIS")
    assert deals and any(d["account_name"] == "IXIS Technologies" for d in deals)
    assert all("ixis" in (d["name"] + d["account_name"]).lower() for d in deals)
    ixis = next(d for d in deals if d["account_name"] == "IXIS Technologies" and not d["is_closed"])
    (detail,) = run(con, "deal_detail", opportunity_id=ixis["opportunity_id"])
    assert detail["account_name"] == "IXIS Technologies" and detail["champion_status"]
    assert run(con, "account_overview", account="ixis")[0]["account_name"] == "IXIS Technologies"
    assert run(con, "stage_history", opportunity_id=ixis["opportunity_id"])


# ------------------------------------------------------------------------------------- catalog behaviour

def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.sql"
    path.write_text(text)
    return path


SIMPLE = """/*
name: {name}
description: {description}
params:
  segment: {{type: str, default: null}}
  names: {{type: "list[str]", default: [a, b]}}
  n: {{type: int, default: 5}}
examples:
  - A question?
*/
SELECT account_id FROM {{{{ table('accounts') }}}}
WHERE account_id IN ({{{{ p_list('names') }}}}){{% if segment %}} AND segment = {{{{ p('segment') }}}}{{% endif %}}
LIMIT {{{{ n }}}}
"""


def test_user_dirs_override_and_add(tmp_path):
    user, project = tmp_path / "home" / "sql_patterns", tmp_path / "proj" / "sql_patterns"
    _write(user, "deal_lookup", SIMPLE.format(name="deal_lookup", description="User's own deal lookup"))
    _write(user, "my_report", SIMPLE.format(name="my_report", description="From the user dir"))
    _write(project, "my_report", SIMPLE.format(name="my_report", description="From the project dir"))
    cat = Catalog.load([user, project, tmp_path / "missing"])
    assert cat.get("deal_lookup").description == "User's own deal lookup"
    assert not cat.get("deal_lookup").builtin
    assert cat.get("my_report").description == "From the project dir"
    assert "my_report" in cat.names() and set(PATTERNS) <= set(cat.names())
    assert Catalog.load().get("deal_lookup").builtin, "the package catalog is unchanged"
    sql, params = cat.get("my_report").render({"names": "x, y ,z", "segment": "SMB"})
    assert "IN (?, ?, ?)" in sql and params == ["x", "y", "z", "SMB"] and sql.endswith("LIMIT 5")
    sql, params = cat.get("my_report").render({"names": []})
    assert "IN (NULL)" in sql and params == []


@pytest.mark.parametrize("text, words", [
    ("SELECT 1", "starts with a /* YAML header"),
    ("/* name: x\nSELECT 1", "never closed"),
    ("/*\nname: bad\ndescription: [unclosed\n*/\nSELECT 1", "bad pattern header"),
    ("/*\n- a list\n*/\nSELECT 1", "must be a YAML mapping"),
    ("/*\nname: bad\n*/\nSELECT 1", "needs a description"),
    ("/*\nname: other\ndescription: d\n*/\nSELECT 1", "differs from the file name"),
    ("/*\ndescription: d\nparams:\n  x: {type: money}\n*/\nSELECT 1", "unknown type"),
    ("/*\ndescription: d\nparams:\n  x: {type: int, default: abc}\n*/\nSELECT 1", "must be an integer"),
    ("/*\ndescription: d\nparams:\n  p: {type: int}\n*/\nSELECT 1", "clashes with the template helper"),
    ("/*\ndescription: d\nparams:\n  x: {type: int, colour: red}\n*/\nSELECT 1", "unknown keys"),
    ("/*\ndescription: d\nwhatever: 1\n*/\nSELECT 1", "unknown header keys"),
    ("/*\ndescription: d\n*/\n", "no SQL"),
])
def test_malformed_header_is_a_config_error_naming_the_file(tmp_path, text, words):
    path = _write(tmp_path / "pats", "bad", text)
    with pytest.raises(ConfigError) as err:
        Catalog.load([tmp_path / "pats"])
    assert str(path) in err.value.message and words in err.value.message
    assert err.value.hint


def test_broken_body_is_a_config_error_at_render(tmp_path):
    folder = tmp_path / "pats"
    _write(folder, "syntax", "/*\ndescription: d\n*/\nSELECT 1\n{% if %}\n")
    _write(folder, "inline", "/*\ndescription: d\nparams:\n  s: {type: str, default: x}\n*/\nSELECT '{{ s }}'\n")
    _write(folder, "undeclared", "/*\ndescription: d\n*/\nSELECT {{ p('nope') }}\n")
    cat = Catalog.load([folder])
    with pytest.raises(ConfigError, match=r"syntax\.sql:5"):
        cat.get("syntax").render({})
    with pytest.raises(ConfigError, match="writes the value 'x' into the SQL text"):
        cat.get("inline").render({})
    with pytest.raises(ConfigError, match="does not declare"):
        cat.get("undeclared").render({})


def test_unknown_pattern_suggests_close_names():
    with pytest.raises(NotFoundError) as err:
        CATALOG.get("deal_lookp")
    assert err.value.message == "unknown SQL pattern 'deal_lookp'"
    assert "did you mean: deal_lookup" in err.value.hint and "revops data patterns" in err.value.hint


def test_parameter_errors():
    pat = CATALOG.get("deals_closing_in_period")
    with pytest.raises(UsageError) as err:
        pat.coerce({"end_date": "2026-12-31"})
    assert err.value.message == "pattern deals_closing_in_period needs parameter 'start_date' (date)"
    assert "start_date (date, required)" in err.value.hint and "limit (int, default 50)" in err.value.hint
    with pytest.raises(UsageError) as err:
        pat.coerce({"start_date": "next tuesday", "end_date": "2026-12-31"})
    assert "'start_date'" in err.value.message and "date" in err.value.message and "'next tuesday'" in err.value.message
    with pytest.raises(UsageError) as err:
        pat.coerce({"start_date": "2026-10-01", "end_date": "2026-12-31", "limit": "ten"})
    assert "'limit'" in err.value.message and "integer" in err.value.message and "'ten'" in err.value.message
    with pytest.raises(UsageError, match="'2026-02-30'"):
        pat.coerce({"start_date": "2026-02-30", "end_date": "2026-12-31"})
    with pytest.raises(UsageError) as err:
        pat.coerce({"start_date": "2026-10-01", "end_date": "2026-12-31", "segmnt": "SMB"})
    assert "'segmnt'" in err.value.message and "did you mean 'segment'" in err.value.hint
    with pytest.raises(UsageError, match="one of SMB, Mid-Market, Enterprise"):
        pat.coerce({"start_date": "2026-10-01", "end_date": "2026-12-31", "segment": "Strategic"})
    with pytest.raises(UsageError):
        pat.coerce({"start_date": "2026-10-01", "end_date": "2026-12-31", "limit": True})
    typed = pat.coerce({"start_date": datetime(2026, 10, 1, 8), "end_date": "2026-12-31", "segment": "enterprise",
                        "limit": "7", "min_amount": "1000.5"})
    assert typed == {"start_date": date(2026, 10, 1), "end_date": date(2026, 12, 31), "segment": "Enterprise",
                     "owner_id": None, "min_amount": 1000.5, "limit": 7, "max_amount": None, "below_amount": None, "region": None,
                     "industry": None, "account_id": None, "stages": None, "deal_type": None, "lead_source": None,
                     "competitor": None}
    assert pat.coerce(typed) == typed, "coercion is idempotent"
    assert CATALOG.get("deal_lookup").coerce({"name": "x", "include_closed": "no"})["include_closed"] is False
    with pytest.raises(UsageError, match="true or false"):
        CATALOG.get("deal_lookup").coerce({"name": "x", "include_closed": "maybe"})
    with pytest.raises(UsageError, match="needs parameter 'name'"):
        CATALOG.get("deal_lookup").coerce({"name": "  "})


def test_rendering_binds_values_and_never_inlines_them():
    sql, params = CATALOG.get("deal_lookup").render({"name": "O'Brien'; DROP TABLE accounts; --"})
    assert "DROP" not in sql and "O'Brien" not in sql
    assert params == ["%o'brien'; drop table accounts; --%"] * 2
    sql, params = CATALOG.get("deals_closing_in_period").render(
        {"start_date": "2026-10-01", "end_date": "2026-12-31", "segment": "SMB", "limit": 5})
    assert params == [date(2026, 10, 1), date(2026, 12, 31), "SMB"]
    assert "BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)" in sql and sql.endswith("LIMIT 5")
    sql, _ = CATALOG.get("deals_closing_in_period").render({"start_date": "2026-10-01", "end_date": "2026-12-31",
                                                             "limit": -1})
    assert sql.endswith("LIMIT (-1)"), "a negative number never forms a -- comment"


def test_table_mapping(hand_db, tmp_path):
    mapping = {"opportunities": "sfdc_opps", "accounts": "crm.accounts_v"}
    pat = CATALOG.get("deals_closing_in_period")
    sql, params = pat.render({"start_date": Q4[0], "end_date": Q4[1]}, table=lambda t: mapping.get(t, t))
    assert "FROM sfdc_opps o" in sql and "JOIN crm.accounts_v a" in sql and " opportunities " not in sql
    con = duckdb.connect()
    con.execute(f"ATTACH '{hand_db}' AS src (READ_ONLY)")
    con.execute("CREATE SCHEMA crm")
    con.execute("CREATE TABLE sfdc_opps AS SELECT * FROM src.opportunities")
    con.execute("CREATE TABLE crm.accounts_v AS SELECT * FROM src.accounts")
    con.execute("CREATE TABLE users AS SELECT * FROM src.users")
    mapped = con.execute(sql, params).fetchall()
    base_sql, base_params = pat.render({"start_date": Q4[0], "end_date": Q4[1]})
    assert mapped == duckdb.connect(str(hand_db), read_only=True).execute(base_sql, base_params).fetchall()
    assert mapped
    for evil in ("opportunities; DROP TABLE accounts", "opportunities o --", "x'y", "1abc", "", "a..b", None):
        with pytest.raises(ConfigError, match="not a plain identifier"):
            pat.render({"start_date": Q4[0], "end_date": Q4[1]}, table=lambda t, e=evil: e)


def test_catalog_reuses_parsed_files_until_they_change(tmp_path):
    folder = tmp_path / "pats"
    path = _write(folder, "mine", SIMPLE.format(name="mine", description="first version"))
    first = Catalog.load([folder]).get("mine")
    first.render({})
    assert Catalog.load([folder]).get("mine") is first
    path.write_text(SIMPLE.format(name="mine", description="second version, longer"))
    assert Catalog.load([folder]).get("mine").description == "second version, longer"
    assert load_pattern(PACKAGE_DIR / "win_rate.sql").name == "win_rate"
