"""Ad-hoc questions over the semantic model (issue 13 part 2): a question no built-in analysis answers with all its
filters is compiled by the measure planner and answered with its interpretation line and receipt. Expected
numbers come from SQL written here, on both seeds."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import AS_OF

Y2026 = (date(2026, 1, 1), date(2026, 12, 31))


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
    assert a.data["summary"]["lost_deal_count"] == n        # the model's count of closed-lost deals
    assert "lost deals" in a.data["interpretation"].lower() and "competitor Databricks" in a.data["interpretation"]


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


# --- measures and filter kinds of the model: customers, churn, deal conditions, competitors, lead statuses ----------

def _quarter_before(d: date) -> tuple[date, date]:
    q = (d.month - 1) // 3
    y, q = (d.year, q - 1) if q else (d.year - 1, 3)
    start = date(y, 3 * q + 1, 1)
    end = date(y + (3 * q + 4 > 12), (3 * q + 3) % 12 + 1, 1)
    from datetime import timedelta
    return start, end - timedelta(days=1)


LAST_Q = _quarter_before(AS_OF)
THIS_Q = (date(2026, 10, 1), date(2026, 12, 31))


def test_customers_now_in_a_region_and_per_segment(asker, sql):
    a = asker("how many customers do we have in LATAM")
    answered(a)
    (n,) = sql("SELECT COUNT(*) FROM accounts WHERE account_type = 'customer' AND region = 'LATAM'")[0]
    assert a.data["summary"]["customers"] == n
    assert a.data["interpretation"] == f"Customers · region LATAM · now · {n} customer{'s' * (n != 1)}"
    a = asker("number of customers in each segment")
    answered(a)
    expected = dict(sql("SELECT segment, COUNT(*) FROM accounts WHERE account_type = 'customer' GROUP BY 1"))
    assert {r["segment"]: r["customers"] for r in a.data["rows"]} == expected


def test_customers_in_a_past_period_are_refused_not_answered_with_today(asker):
    a = asker("how many customers did we have last year")
    assert not a.ok and a.data["error"]["exit_code"] == 9
    assert "customers" in a.text.lower()


def test_churned_customers_counted_and_listed(asker, sql):
    a = asker("how many customers churned this year")
    answered(a)
    (n,) = sql("SELECT COUNT(*) FROM accounts WHERE churned_date BETWEEN ? AND ?", Y2026[0], AS_OF)[0]
    assert a.data["summary"]["churned_customers"] == n
    a = asker("which accounts churned last quarter?")
    answered(a)
    names = {r[0] for r in sql("SELECT name FROM accounts WHERE churned_date BETWEEN ? AND ?", *LAST_Q)}
    assert {r["account"] for r in a.data["rows"]} == names
    for name in names:
        assert name in a.text


def test_deals_pushed_more_than_n_times_from_the_history(asker, sql):
    expected = {r[0] for r in sql("""SELECT o.name FROM opportunities o JOIN opportunity_stage_history h
                                     ON h.opportunity_id = o.opportunity_id
                                     WHERE NOT o.is_closed AND h.from_stage = h.to_stage
                                     AND h.new_close_date > h.old_close_date
                                     GROUP BY o.opportunity_id, o.name HAVING COUNT(*) > 1""")}
    a = asker("open deals that slipped more than once")
    answered(a)
    assert {r["deal"] for r in a.data["rows"]} == expected
    assert "close date pushed more than 1×" in a.data["interpretation"]
    assert "open deals" in a.data["interpretation"].lower()


def test_deals_with_no_activity_for_n_days_and_overdue(asker, sql):
    a = asker("deals with no activity in the last 14 days")
    answered(a)
    (n,) = sql("""SELECT COUNT(*) FROM opportunities WHERE NOT is_closed AND last_activity_date < ?""",
               date(2026, 11, 10))[0]
    assert a.data["summary"]["row_count"] == n or sum(r["deal_count"] for r in a.data["rows"]) == n
    assert "no activity since 2026-11-10" in a.data["interpretation"]
    a = asker("which opportunities are overdue?")
    answered(a)
    names = {r[0] for r in sql("SELECT name FROM opportunities WHERE NOT is_closed AND close_date < ?", AS_OF)}
    assert {r["deal"] for r in a.data["rows"]} == names


def test_renewals_due_with_an_amount_floor_and_up_for_renewal(asker, sql):
    from datetime import timedelta

    a = asker("renewals due in the next 90 days over $100K")
    answered(a)
    names = {r[0] for r in sql("""SELECT name FROM opportunities WHERE NOT is_closed AND type = 'Renewal'
                                   AND amount >= 100000 AND close_date BETWEEN ? AND ?""",
                               AS_OF, AS_OF + timedelta(days=90))}
    assert {r["deal"] for r in a.data["rows"]} == names
    assert "type Renewal" in a.data["interpretation"] and "$100K" in a.data["interpretation"]
    a = asker("how much is up for renewal this quarter")
    answered(a)
    (amount,) = sql("""SELECT SUM(amount) FROM opportunities WHERE NOT is_closed AND type = 'Renewal'
                       AND close_date BETWEEN ? AND ?""", *THIS_Q)[0]
    assert a.data["summary"]["pipeline"] == pytest.approx(amount)


def test_forecast_category_and_region_with_no_measure_is_their_open_pipeline(asker, sql):
    a = asker("emea commit")
    answered(a)
    (amount,) = sql("""SELECT SUM(o.amount) FROM opportunities o JOIN accounts a ON a.account_id = o.account_id
                       WHERE NOT o.is_closed AND o.forecast_category = 'Commit' AND a.region = 'EMEA'""")[0]
    assert a.data["summary"]["pipeline"] == pytest.approx(amount)
    assert "now" in a.data["interpretation"]


def _per_competitor(sql, where: str, value: str = "COUNT(*)") -> dict:
    return dict(sql(f"""SELECT TRIM(c), {value} FROM (SELECT unnest(string_split(competitors, ',')) AS c, amount
                        FROM opportunities WHERE {where} AND competitors IS NOT NULL) t WHERE TRIM(c) <> '' GROUP BY 1"""))


def test_losses_and_open_pipeline_by_competitor_count_each_competitor(asker, sql):
    a = asker("who do we lose to most?")
    answered(a)
    expected = _per_competitor(sql, "is_closed AND NOT is_won")
    assert {r["competitor"]: r["lost_deal_count"] for r in a.data["rows"]} == expected
    assert a.data["rows"][0]["competitor"] == max(expected, key=lambda k: (expected[k], k))  or \
        expected[a.data["rows"][0]["competitor"]] == max(expected.values())
    a = asker("open pipeline by competitor")
    answered(a)
    expected = _per_competitor(sql, "NOT is_closed", "SUM(amount)")
    assert {r["competitor"]: r["pipeline"] for r in a.data["rows"]} == pytest.approx(expected)
    assert "counts once for each" in a.text


def test_lost_deals_to_a_competitor_listed(asker, sql):
    a = asker("which deals did we lose to snowflake last quarter?")
    answered(a)
    names = {r[0] for r in sql("""SELECT name FROM opportunities WHERE is_closed AND NOT is_won
                                  AND list_contains(string_split(competitors, ','), 'Snowflake')
                                  AND close_date BETWEEN ? AND ?""", *LAST_Q)}
    assert {r["deal"] for r in a.data["rows"]} == names
    assert a.data["interpretation"].startswith("Lost deals · competitor Snowflake")


def test_won_vs_lost_and_counts_by_a_dimension_mean_open_deals_now(asker, sql):
    a = asker("won vs lost deals this year")
    answered(a)
    expected = dict(sql("""SELECT CASE WHEN is_won THEN 'Won' ELSE 'Lost' END, COUNT(*) FROM opportunities
                           WHERE is_closed AND close_date BETWEEN ? AND ? GROUP BY 1""", Y2026[0], AS_OF))
    assert {r["outcome"]: r["deal_count"] for r in a.data["rows"]} == expected
    a = asker("deal count by segment")
    answered(a)
    expected = dict(sql("""SELECT a.segment, COUNT(*) FROM opportunities o JOIN accounts a ON a.account_id = o.account_id
                           WHERE NOT o.is_closed GROUP BY 1"""))
    assert {r["segment"]: r["open_deal_count"] for r in a.data["rows"]} == expected
    assert "now (any close date)" in a.data["interpretation"]


def test_average_open_deal_size_in_the_pipe(asker, sql):
    a = asker("avg deal size in the pipe for mid-market")
    answered(a)
    (avg,) = sql("""SELECT AVG(o.amount) FROM opportunities o JOIN accounts a ON a.account_id = o.account_id
                    WHERE NOT o.is_closed AND a.segment = 'Mid-Market'""")[0]
    assert a.data["summary"]["average_open_deal_size"] == pytest.approx(avg)


def test_lead_statuses_with_the_leads_own_region_and_source(asker, sql):
    a = asker("how many MQLs do we have right now")
    answered(a)
    (n,) = sql("SELECT COUNT(*) FROM leads WHERE status = 'MQL'")[0]
    assert a.data["summary"]["leads"] == n
    a = asker("SQLs by region")
    answered(a)
    assert {r["region"]: r["leads"] for r in a.data["rows"]} == \
        dict(sql("SELECT region, COUNT(*) FROM leads WHERE status = 'SQL' GROUP BY 1"))
    a = asker("mqls from webinars")
    answered(a)
    (n,) = sql("SELECT COUNT(*) FROM leads WHERE status = 'MQL' AND source = 'Webinar'")[0]
    assert a.data["summary"]["leads"] == n


def test_won_deals_and_idle_deals_closing_this_quarter_are_applied(asker, sql):
    a = asker("won deals closing this quarter")
    answered(a)
    names = {r[0] for r in sql("SELECT name FROM opportunities WHERE is_won AND close_date BETWEEN ? AND ?",
                               THIS_Q[0], AS_OF)}
    assert {r["deal"] for r in a.data["rows"]} == names
    a = asker("deals closing this quarter with no activity in 30 days")
    answered(a)
    names = {r[0] for r in sql("""SELECT name FROM opportunities WHERE NOT is_closed AND close_date BETWEEN ? AND ?
                                  AND last_activity_date < ?""", *THIS_Q, date(2026, 10, 25))}
    assert {r["deal"] for r in a.data["rows"]} == names


def test_the_biggest_deal_and_averages_that_open_with_a_metric_word(asker, sql):
    a = asker("what's the biggest deal in the pipeline?")
    answered(a)
    (name, amount) = sql("SELECT name, amount FROM opportunities WHERE NOT is_closed ORDER BY amount DESC LIMIT 1")[0]
    assert [r["deal"] for r in a.data["rows"]] == [name] and a.data["rows"][0]["deal_amount"] == pytest.approx(amount)
    a = asker("average open enterprise deal")          # "enterprise" is a segment, not a deal called "… Enterprise"
    assert a.agent == "data"
    answered(a)
    (avg,) = sql("""SELECT AVG(o.amount) FROM opportunities o JOIN accounts a ON a.account_id = o.account_id
                    WHERE NOT o.is_closed AND a.segment = 'Enterprise'""")[0]
    assert a.data["summary"]["average_open_deal_size"] == pytest.approx(avg)
    a = asker("avg won deal size by segment last quarter")      # "avg won" is no deal's name
    assert a.agent == "data"
    answered(a)
    expected = dict(sql("""SELECT a.segment, AVG(o.amount) FROM opportunities o JOIN accounts a ON a.account_id = o.account_id
                           WHERE o.is_won AND o.close_date BETWEEN ? AND ? GROUP BY 1""", *LAST_Q))
    assert {r["segment"]: r["average_deal_size"] for r in a.data["rows"]} == pytest.approx(expected)


def test_customers_at_risk_in_a_lower_case_region_and_usage_growth(asker, sql):
    a = asker("na customers at risk")
    assert a.ok and a.data["analysis"] == "declining_engagement"
    assert "region NA" in a.data["interpretation"]
    names = [r["account_name"] for r in a.data["rows"]]
    if names:
        regions = {r[0] for r in sql(f"SELECT DISTINCT region FROM accounts WHERE name IN ({','.join('?' * len(names))})",
                                     *names)}
        assert regions == {"NA"}
    a = asker("which customers grew usage the most?")
    assert a.ok and a.data["analysis"] == "expansion"


def test_arr_is_the_last_whole_months_run_rate_not_all_billing_ever(asker, sql):
    last_month = date(AS_OF.year - (AS_OF.month == 1), (AS_OF.month - 2) % 12 + 1, 1)
    a = asker("what's our ARR?")
    answered(a)
    (month_rev,) = sql("SELECT SUM(revenue) FROM billing_monthly WHERE month = ?", last_month)[0]
    assert a.data["summary"]["arr"] == pytest.approx(12 * month_rev)
    assert a.data["interpretation"].startswith("ARR · billing month in ")
    a = asker("top 3 accounts by arr")
    answered(a)
    expected = sql("""SELECT a.name, 12 * SUM(b.revenue) FROM billing_monthly b JOIN accounts a ON a.account_id = b.account_id
                      WHERE b.month = ? GROUP BY 1 ORDER BY 2 DESC LIMIT 3""", last_month)
    assert [(r["account"], pytest.approx(r["arr"])) for r in a.data["rows"]] == [(n, pytest.approx(v)) for n, v in expected]
    a = asker("MRR by segment last quarter")
    answered(a)
    start, end = LAST_Q
    expected = dict(sql("""SELECT a.segment, SUM(b.revenue) / COUNT(DISTINCT b.month) FROM billing_monthly b
                           JOIN accounts a ON a.account_id = b.account_id WHERE b.month BETWEEN ? AND ? GROUP BY 1""",
                        start, end))
    assert {r["segment"]: r["mrr"] for r in a.data["rows"]} == pytest.approx(expected)


def test_new_logos_are_first_wins_in_the_period(asker, sql):
    a = asker("how many new logos did we land this year?")
    answered(a)
    n = sql("""SELECT count(*) FROM (SELECT account_id, min(close_date) AS f FROM opportunities WHERE is_won
               GROUP BY account_id) WHERE f BETWEEN ? AND ?""", Y2026[0], AS_OF)[0][0]
    assert a.data["summary"]["new_logos"] == n
    line = a.data["interpretation"]
    assert line.startswith("New logos ·") and "New Business" not in line      # the measure, not the deal type


def test_two_values_of_one_dimension_compared_side_by_side(asker, sql):
    a = asker("win rate referral vs outbound this year")
    answered(a)
    got = {r["lead_source"]: r["win_rate"] for r in a.data["rows"]}
    want = dict(sql("""SELECT lead_source, 100.0 * avg(CASE WHEN is_won THEN 1 ELSE 0 END) FROM opportunities
                       WHERE is_closed AND lead_source IN ('Referral', 'Outbound') AND close_date BETWEEN ? AND ?
                       GROUP BY lead_source""", Y2026[0], AS_OF))
    assert set(got) == set(want) and all(got[k] == pytest.approx(v) for k, v in want.items())


def test_lost_deals_are_said_once_and_short_periods_are_read(asker, sql):
    a = asker("how many deals did we lose this yr")
    answered(a)
    line = a.data["interpretation"]
    assert line.count("ost deals") == 1 and "2026 to date" in line
    n = sql("SELECT count(*) FROM opportunities WHERE is_closed AND NOT is_won AND close_date BETWEEN ? AND ?",
            Y2026[0], AS_OF)[0][0]
    assert a.data["summary"]["lost_deal_count"] == n


def test_one_named_accounts_usage_is_answered_for_that_account(asker, sql):
    from datetime import timedelta

    a = asker("is datacorp's usage growing?")
    assert a.ok, a.text
    assert a.data["account"]["name"] == "DataCorp" and a.data["interpretation"].startswith("Usage at DataCorp")
    start = AS_OF - timedelta(days=29)
    recent, prior = sql("""SELECT sum(CASE WHEN u.usage_date >= ? THEN u.engine_hours END),
                                  sum(CASE WHEN u.usage_date < ? THEN u.engine_hours END)
                           FROM usage_daily u JOIN accounts a ON a.account_id = u.account_id
                           WHERE a.name = 'DataCorp' AND u.usage_date BETWEEN ? AND ?""",
                        start, start, start - timedelta(days=30), AS_OF)[0]
    s = a.data["summary"]
    assert s["recent"]["engine_hours"] == pytest.approx(recent) and s["prior"]["engine_hours"] == pytest.approx(prior)
    assert ("growing" in a.text) == (recent >= 1.1 * prior or s["change_pct"]["peak_active_users"] >= 10)


def test_a_misspelt_breakdown_is_read_and_an_unknown_one_is_refused(asker, sql):
    a = asker("win rate by regoin this year")
    answered(a)
    assert "by region" in a.data["interpretation"]
    got = {r["region"]: r["win_rate"] for r in a.data["rows"]}
    want = dict(sql("""SELECT a.region, 100.0 * avg(CASE WHEN o.is_won THEN 1 ELSE 0 END) FROM opportunities o
                       JOIN accounts a ON a.account_id = o.account_id WHERE o.is_closed AND o.close_date BETWEEN ? AND ?
                       GROUP BY 1""", Y2026[0], AS_OF))
    assert got == pytest.approx(want)
    a = asker("win rate by persona this year")
    assert not a.ok and a.data["error"]["exit_code"] == 9 and "persona" in a.text


def test_the_quarter_before_is_the_comparison_not_a_year_earlier(asker, sql):
    a = asker("revenue last quarter compared to the quarter before")
    answered(a)
    start, end = LAST_Q
    before = _quarter_before(start)
    (now,), (then,) = (sql("SELECT sum(revenue) FROM billing_monthly WHERE month BETWEEN ? AND ?", *q)[0]
                       for q in ((start, end), before))
    assert a.data["interpretation"].endswith(f"vs Q{(before[0].month - 1) // 3 + 1} {before[0].year}")
    assert a.data["summary"]["revenue"] == pytest.approx(now)
    assert f"${then / 1e6:.1f}M" in a.text


def test_renewals_coming_up_are_deals_not_call_mentions_and_churned_logos_are_named(asker, sql):
    from datetime import timedelta

    a = asker("renewals coming up in the next 60 days")
    answered(a)
    n = sql("""SELECT count(*) FROM opportunities WHERE NOT is_closed AND type = 'Renewal'
               AND close_date BETWEEN ? AND ?""", AS_OF, AS_OF + timedelta(days=60))[0][0]
    assert a.data["interpretation"].endswith(f"{n} deal" + ("s" if n != 1 else ""))
    a = asker("churned logos this year")
    answered(a)
    names = [r[0] for r in sql("SELECT name FROM accounts WHERE churned_date BETWEEN ? AND ?", Y2026[0], AS_OF)]
    assert names and all(name in a.text for name in names)


def test_bookings_ytd_against_the_same_span_last_year_not_billing_revenue(asker, sql):
    a = asker("bookings ytd vs last year")
    answered(a)
    assert a.data["interpretation"].startswith("Bookings ·")
    (now,), (then,) = (sql("SELECT sum(amount) FROM opportunities WHERE is_won AND close_date BETWEEN ? AND ?", s, e)[0]
                       for s, e in ((Y2026[0], AS_OF), (date(2025, 1, 1), date(2025, AS_OF.month, AS_OF.day))))
    assert a.data["summary"]["bookings"] == pytest.approx(now)
    assert f"${then / 1e6:.1f}M" in a.text or f"${then / 1e3:.0f}K" in a.text


def test_how_long_to_close_is_the_cycle_and_shortest_sorts_smallest_first(asker, sql):
    a = asker("how long to close enterprise deals last year")
    answered(a)
    assert a.data["interpretation"].startswith("Average sales cycle (days) · won deals · segment Enterprise")
    a = asker("which segment has the shortest sales cycle this year")
    answered(a)
    cycles = [r["sales_cycle_days"] for r in a.data["rows"]]
    assert cycles == sorted(cycles) and a.text.count("Lowest:") == 1


def test_a_rate_with_no_measure_is_refused_and_renewal_rate_is_the_renewals_win_rate(asker, sql):
    a = asker("churn rate this year")
    assert not a.ok and a.data["error"]["exit_code"] == 9 and "churn rate" in a.text
    a = asker("renewal rate this year")
    answered(a)
    (rate,) = sql("""SELECT 100.0 * avg(CASE WHEN is_won THEN 1 ELSE 0 END) FROM opportunities
                     WHERE is_closed AND type = 'Renewal' AND close_date BETWEEN ? AND ?""", Y2026[0], AS_OF)[0]
    assert "type Renewal" in a.data["interpretation"] and a.data["summary"]["win_rate"] == pytest.approx(rate)


def test_a_list_of_deals_has_one_row_per_opportunity(asker, sql):
    """Two deals of one name (a renewal won twice) are two rows of a deal list, never merged into one."""
    rows = sql("""SELECT opportunity_id, name, amount FROM opportunities WHERE is_won AND close_date BETWEEN ? AND ?""",
               Y2026[0], AS_OF)
    names = [r[1] for r in rows]
    assert len(set(names)) < len(names)           # the demo has won deals sharing a name in this window
    a = asker("list the deals we won this year")
    answered(a)
    got = a.data["rows"]
    assert len(got) == len(rows) == a.data["row_count"]
    assert sorted((r["deal"], r["deal_amount"]) for r in got) == sorted((n, amt) for _, n, amt in rows)
    assert "deal_id" not in a.text and "deal id" not in a.text          # the key groups, the name shows


def test_competitors_on_deals_in_everyday_words(asker, sql):
    """'vs <competitor>' names the competitor (no comparison); 'who is X competing against' is the open pipeline
    by competitor with the owner applied; money lost to a competitor is an amount; a competitor the warehouse
    does not know is named as not understood, never answered with every deal."""
    split = "unnest(string_split(competitors, ','))"
    a = asker("our win rate vs databricks ytd")
    answered(a)
    (rate,) = sql("""SELECT avg(CASE WHEN is_won THEN 1.0 ELSE 0.0 END) FROM opportunities WHERE is_closed
                     AND list_contains(string_split(competitors, ','), 'Databricks') AND close_date BETWEEN ? AND ?""",
                  Y2026[0], AS_OF)[0]
    assert a.data["summary"]["win_rate"] == pytest.approx(100 * float(rate)) and "vs " not in a.data["interpretation"]

    (rep,) = sql("""SELECT u.name FROM opportunities o JOIN users u ON u.user_id = o.owner_id
                    WHERE NOT o.is_closed AND o.competitors IS NOT NULL GROUP BY u.name ORDER BY count(*) DESC, u.name
                    LIMIT 1""")[0]
    a = asker(f"who is {rep.lower()} competing against on their open deals")
    answered(a)
    expected = dict(sql(f"""SELECT c, sum(amount) FROM (SELECT {split} AS c, amount FROM opportunities o
                            JOIN users u ON u.user_id = o.owner_id WHERE NOT o.is_closed AND u.name = ?) t
                            GROUP BY c""", rep))
    assert {r["competitor"]: r["pipeline"] for r in a.data["rows"]} == pytest.approx(expected)

    a = asker("how much did we lose to snowflake this year")
    answered(a)
    (lost,) = sql("""SELECT sum(amount) FROM opportunities WHERE is_closed AND NOT is_won
                     AND list_contains(string_split(competitors, ','), 'Snowflake') AND close_date BETWEEN ? AND ?""",
                  Y2026[0], AS_OF)[0]
    assert a.data["summary"]["deal_amount"] == pytest.approx(lost)

    a = asker("which competitor cost us the most $ this year")
    answered(a)
    (top,) = sql(f"""SELECT c FROM (SELECT {split} AS c, amount FROM opportunities WHERE is_closed AND NOT is_won
                     AND close_date BETWEEN ? AND ?) t GROUP BY c ORDER BY sum(amount) DESC LIMIT 1""",
                 Y2026[0], AS_OF)[0]
    assert a.data["rows"][0]["competitor"] == top

    a = asker("deals where we're up against teradata")
    assert not a.ok and a.data["error"]["exit_code"] == 9 and "teradata" in a.text


def test_losses_to_a_competitor_we_do_not_know_are_refused_not_counted_as_every_loss(asker, sql):
    a = asker("how many deals did we lose to teradata in emea last month")
    assert not a.ok and a.data["error"]["exit_code"] == 9
    assert "teradata" in a.text.lower()
    a = asker("how many deals did we lose to snowflake this year")
    answered(a)
    (n,) = sql("""SELECT COUNT(*) FROM opportunities WHERE is_closed AND NOT is_won AND competitors LIKE '%Snowflake%'
                  AND close_date BETWEEN ? AND ?""", date(2026, 1, 1), AS_OF)[0]
    assert a.data["interpretation"].startswith("Lost deals · competitor Snowflake")
    assert a.data["summary"]["lost_deal_count"] == n


def test_a_sum_over_no_matching_deals_is_zero_not_na(asker, sql):
    from revops_cli.formatting import money

    a = asker("datacorp bookings this year")
    answered(a)
    (v,) = sql("""SELECT COALESCE(SUM(o.amount), 0) FROM opportunities o JOIN accounts a ON a.account_id = o.account_id
                  WHERE o.is_won AND a.name = 'DataCorp' AND o.close_date BETWEEN ? AND ?""", date(2026, 1, 1), AS_OF)[0]
    assert a.data["summary"]["bookings"] == pytest.approx(v)
    assert f"**{money(v)}**" in a.text and "n/a" not in a.text
