"""Ad-hoc questions over the semantic model (issue 13 part 2): a question no built-in analysis answers with all its
filters is compiled by the measure planner and answered with its interpretation line and receipt. Expected
numbers come from SQL written here, on both seeds."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from conftest import AS_OF

Y2026 = (date(2026, 1, 1), date(2026, 12, 31))


@pytest.fixture
def asker(demo_db, settings_for):
    settings_for(demo_db)

    def ask(text: str):
        from revops_cli.config import load_settings
        from revops_cli.models import Request
        from revops_cli.service import ask as service_ask

        return service_ask(Request(text=text), load_settings())
    return ask


@pytest.fixture
def sql(demo_db):
    def run(query: str, *params):
        con = duckdb.connect(str(demo_db), read_only=True)
        try:
            return con.execute(query, list(params)).fetchall()
        finally:
            con.close()
    return run


def answered(a) -> dict:
    assert a.ok, a.text
    assert a.data["analysis"] == "adhoc"
    line = a.data["interpretation"]
    assert a.text.lstrip("_").startswith(line)
    r = a.data["receipt"]
    assert r["sql"] and r["sql"][0]["sql"].lstrip().upper().startswith(("SELECT", "WITH"))
    assert any(d["kind"] == "measure" and d["description"] for d in r["definitions"])
    return r


def test_sales_cycle_won_in_emea_this_year(asker, sql):
    a = asker("average sales cycle for deals won in EMEA this year")
    r = answered(a)
    days, n = sql("""SELECT AVG(DATE_DIFF('day', CAST(o.created_date AS TIMESTAMP), CAST(o.close_date AS TIMESTAMP))), COUNT(*)
                     FROM opportunities o JOIN accounts a ON a.account_id = o.account_id
                     WHERE o.is_won AND a.region = 'EMEA' AND o.close_date BETWEEN ? AND ?""", Y2026[0], AS_OF)[0]
    assert a.data["summary"]["sales_cycle_days"] == pytest.approx(days)
    assert a.data["summary"]["won_deal_count"] == n
    line = a.data["interpretation"]
    assert line.startswith("Average sales cycle (days) · won deals")
    assert "region EMEA" in line and "close date in 2026 to date" in line and line.endswith(f"{n} deals")
    assert r["period"]["start"] == "2026-01-01"
    assert {f["dimension"] for f in r["filters"]} >= {"region", "status"}


def test_sales_cycle_for_mid_market_any_close_date(asker, sql):
    a = asker("average sales cycle for mid-market deals")
    answered(a)
    days, n = sql("""SELECT AVG(DATE_DIFF('day', CAST(o.created_date AS TIMESTAMP), CAST(o.close_date AS TIMESTAMP))), COUNT(*)
                     FROM opportunities o JOIN accounts a ON a.account_id = o.account_id
                     WHERE o.is_won AND a.segment = 'Mid-Market'""")[0]
    assert a.data["summary"]["sales_cycle_days"] == pytest.approx(days)
    assert "segment Mid-Market" in a.data["interpretation"] and "any close date" in a.data["interpretation"]
    assert f"{days:.1f} days" in a.text


def test_pipeline_created_last_month_by_lead_source(asker, sql):
    a = asker("pipeline created last month by lead source")
    answered(a)
    expected = {src: amt for src, amt in sql("""SELECT COALESCE(lead_source, 'Unknown'), SUM(amount) FROM opportunities
                                                 WHERE created_date BETWEEN '2026-10-01' AND '2026-10-31' GROUP BY 1""")}
    got = {r["lead_source"]: r["pipeline_created"] for r in a.data["rows"]}
    assert got == pytest.approx(expected)
    assert "created October 2026" in a.data["interpretation"]


def test_reps_with_more_than_2m_open_in_negotiate(asker, sql):
    a = asker("which reps have more than $2M open in Negotiate")
    answered(a)
    expected = {name: amt for name, amt in sql("""SELECT u.name, SUM(o.amount) FROM opportunities o
                                                  JOIN users u ON u.user_id = o.owner_id
                                                  WHERE NOT o.is_closed AND o.stage = 'Negotiate'
                                                  GROUP BY 1 HAVING SUM(o.amount) >= 2000000""")}
    got = {r["owner"]: r["pipeline"] for r in a.data["rows"]}
    assert got == pytest.approx(expected)
    assert "stage Negotiate" in a.data["interpretation"]


def test_compare_q3_and_q4_bookings_by_region(asker, sql):
    a = asker("compare Q3 and Q4 bookings by region")
    answered(a)

    def by_region(start, end):
        return {reg: amt for reg, amt in sql("""SELECT COALESCE(a.region, 'Unknown'), SUM(o.amount) FROM opportunities o
                                                JOIN accounts a ON a.account_id = o.account_id
                                                WHERE o.is_won AND o.close_date BETWEEN ? AND ? GROUP BY 1""", start, end)}
    assert {r["region"]: r["bookings"] for r in a.data["rows"]} == pytest.approx(by_region("2026-07-01", "2026-09-30"))
    assert {r["region"]: r["bookings"] for r in a.data["compare_rows"]} == \
        pytest.approx(by_region("2026-10-01", "2026-12-31"))
    assert "Q3 2026" in a.data["interpretation"] and "vs Q4 2026" in a.data["interpretation"]


def test_nrr_for_the_last_four_quarters(asker, sql):
    a = asker("NRR for the last four quarters")
    answered(a)
    rows = a.data["rows"]
    assert len(rows) == 4
    # Q3 2026 against Q3 2025, per account, written here
    (nrr,) = sql("""WITH now AS (SELECT account_id, SUM(revenue) v FROM billing_monthly
                                 WHERE month BETWEEN '2026-07-01' AND '2026-09-30' GROUP BY 1),
                         base AS (SELECT account_id, SUM(revenue) v FROM billing_monthly
                                  WHERE month BETWEEN '2025-07-01' AND '2025-09-30' GROUP BY 1)
                    SELECT 100.0 * SUM(COALESCE(now.v, 0)) / SUM(base.v)
                    FROM base LEFT JOIN now USING (account_id) WHERE base.v > 0""")[0]
    last = next(r for r in rows if str(r["time_quarter"]).startswith("2026-07-01"))
    assert last["net_revenue_retention"] == pytest.approx(nrr)


def test_open_deal_count_by_region(asker, sql):
    a = asker("open deal count by region")
    assert a.ok, a.text
    expected = dict(sql("""SELECT COALESCE(a.region, 'Unknown'), COUNT(*) FROM opportunities o
                           JOIN accounts a ON a.account_id = o.account_id WHERE NOT o.is_closed GROUP BY 1"""))
    if a.data["analysis"] == "adhoc":
        assert {r["region"]: r["open_deal_count"] for r in a.data["rows"]} == expected
    assert str(sum(expected.values())) in a.data["interpretation"].replace(",", "")


@pytest.mark.parametrize("q,word", [
    ("average sales cycle for deals in Narnia", "Narnia"),
    ("win rate for open deals this quarter", "open"),
])
def test_a_word_not_understood_gets_no_number(asker, q, word):
    a = asker(q)
    assert not a.ok
    assert a.data["error"]["exit_code"] == 9
    assert any(word.lower() in m.lower() for m in a.data["not_understood"]), a.data["not_understood"]
    assert "summary" not in a.data


def test_deals_lost_to_a_competitor_this_year(asker, sql):
    a = asker("how many deals did we lose to databricks this year?")
    answered(a)
    (n,) = sql("""SELECT COUNT(*) FROM opportunities WHERE is_closed AND NOT is_won
                  AND list_contains(string_split(competitors, ','), 'Databricks') AND close_date BETWEEN ? AND ?""",
               Y2026[0], AS_OF)[0]
    assert a.data["summary"]["deal_count"] == n
    assert "lost deals" in a.data["interpretation"] and "competitor Databricks" in a.data["interpretation"]


def test_share_of_open_pipeline_from_partners(asker, sql):
    a = asker("what share of open pipeline comes from partners?")
    answered(a)
    part, total = sql("""SELECT SUM(CASE WHEN lead_source = 'Partner' THEN amount ELSE 0 END), SUM(amount)
                         FROM opportunities WHERE NOT is_closed""")[0]
    assert a.data["summary"]["share"] == pytest.approx(part / total)
    assert f"{100 * part / total:.1f}%" in a.text


def test_top_3_industries_by_open_pipeline(asker, sql):
    a = asker("top 3 industries by open pipeline")
    answered(a)
    expected = [r[0] for r in sql("""SELECT COALESCE(a.industry, 'Unknown') FROM opportunities o
                                     JOIN accounts a ON a.account_id = o.account_id WHERE NOT o.is_closed
                                     GROUP BY 1 ORDER BY SUM(o.amount) DESC LIMIT 3""")]
    assert [r["industry"] for r in a.data["rows"]] == expected
    assert "top 3" in a.data["interpretation"]


def test_a_measure_named_with_an_analysis_word_is_the_measure(asker, sql):
    # 'expansion' also names the expansion-candidates analysis, which computes no deal size: the question asks
    # for the average won amount of Expansion deals in EMEA over the last six whole months (May-Oct 2026).
    a = asker("average deal size for expansion deals in EMEA last 6 months")
    answered(a)
    size, n = sql("""SELECT AVG(o.amount), COUNT(*) FROM opportunities o JOIN accounts a ON a.account_id = o.account_id
                     WHERE o.is_won AND o.type = 'Expansion' AND a.region = 'EMEA'
                       AND o.close_date BETWEEN DATE '2026-05-01' AND DATE '2026-10-31'""")[0]
    assert a.data["summary"]["average_deal_size"] == pytest.approx(size)
    line = a.data["interpretation"]
    assert "type Expansion" in line and "region EMEA" in line and line.endswith(f"{n} deals")
