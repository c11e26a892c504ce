"""The demo warehouse generator: determinism, schema, realism and the named examples of the reference system."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pytest

from revops_cli.errors import UsageError
from revops_cli.warehouse import demo_data
from revops_cli.warehouse.demo_data import COMPETITORS, MEDDPICC_STATUSES, STAGES, TABLES, generate

AS_OF = dt.date(2026, 11, 24)
SCHEMA = Path(demo_data.__file__).parent / "schema.sql"


def _quarter_bounds(d: dt.date) -> tuple[dt.date, dt.date]:
    start = dt.date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    nxt = dt.date(start.year + (start.month + 2) // 12, (start.month + 2) % 12 + 1, 1)
    return start, nxt - dt.timedelta(days=1)


def _schema_columns() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for table, body in re.findall(r"CREATE TABLE (\w+) \((.*?)\n\);", SCHEMA.read_text(), re.S):
        cols = []
        for line in body.splitlines():
            line = line.split("--")[0].strip()
            if line:
                cols.append(line.split()[0].strip('"'))          # "quarter" is quoted (Firebolt reserves it)
        out[table] = cols
    return out


def _checksums(path: Path) -> dict[str, str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: con.execute(f"SELECT md5(string_agg(x::VARCHAR, '|' ORDER BY x::VARCHAR)) FROM {t} x").fetchone()[0]
                for t in TABLES}
    finally:
        con.close()


@pytest.fixture(scope="module")
def wh(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    counts = generate(path, scale=1.0, seed=42, as_of=AS_OF)
    return path, counts


@pytest.fixture(scope="module")
def con(wh):
    c = duckdb.connect(str(wh[0]), read_only=True)
    yield c
    c.close()


def one(con, sql, params=None):
    return con.execute(sql, params or []).fetchone()


# ------------------------------------------------------------------------------------------ structure
def test_every_table_non_empty_with_schema_columns(wh, con):
    path, counts = wh
    schema = _schema_columns()
    assert set(schema) == set(TABLES)
    for table, cols in schema.items():
        got = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        assert got == cols, table
        assert counts[table] > 0, table
        assert one(con, f"SELECT count(*) FROM {table}")[0] == counts[table]


def test_scale_one_sizes(wh):
    counts = wh[1]
    assert 280 <= counts["accounts"] <= 320
    assert 950 <= counts["opportunities"] <= 1050
    assert 550 <= counts["leads"] <= 650
    assert 1400 <= counts["contacts"] <= 1600
    assert 150 <= counts["calls"] <= 500
    assert counts["usage_daily"] > 100 * 120
    assert counts["targets"] == 30


def test_ids_unique_and_well_formed(con):
    for table, col, pattern in (("accounts", "account_id", r"^ACC-\d{6}$"), ("opportunities", "opportunity_id", r"^OPP-\d{7}$"),
                                ("users", "user_id", r"^USR-\d{4}$"), ("contacts", "contact_id", r"^CON-\d{7}$"),
                                ("leads", "lead_id", r"^LEAD-\d{6}$"), ("calls", "call_id", r"^CALL-\d{6}$")):
        n, distinct, bad = one(con, f"SELECT count(*), count(DISTINCT {col}), count(*) FILTER "
                                    f"(WHERE NOT regexp_matches({col}, '{pattern}')) FROM {table}")
        assert n == distinct and bad == 0, table
    assert one(con, "SELECT count(*) - count(DISTINCT name) FROM accounts")[0] == 0


def test_references_resolve(con):
    checks = {
        "opportunities.account_id": "SELECT count(*) FROM opportunities o ANTI JOIN accounts a USING (account_id)",
        "opportunities.owner_id": "SELECT count(*) FROM opportunities o ANTI JOIN users u ON u.user_id = o.owner_id",
        "history.opportunity_id": "SELECT count(*) FROM opportunity_stage_history h ANTI JOIN opportunities o USING (opportunity_id)",
        "contacts.account_id": "SELECT count(*) FROM contacts c ANTI JOIN accounts a USING (account_id)",
        "accounts.owner_id": "SELECT count(*) FROM accounts a ANTI JOIN users u ON u.user_id = a.owner_id",
        "usage.account_id": "SELECT count(*) FROM usage_daily x ANTI JOIN accounts a USING (account_id)",
        "billing.account_id": "SELECT count(*) FROM billing_monthly x ANTI JOIN accounts a USING (account_id)",
        "calls.opportunity_id": "SELECT count(*) FROM calls c WHERE opportunity_id IS NOT NULL AND opportunity_id NOT IN (SELECT opportunity_id FROM opportunities)",
        "calls.lead_id": "SELECT count(*) FROM calls c WHERE lead_id IS NOT NULL AND lead_id NOT IN (SELECT lead_id FROM leads)",
        "leads.company research": "SELECT count(*) FROM leads l ANTI JOIN company_research r ON r.company_name = l.company",
        "accounts research": "SELECT count(*) FROM accounts a ANTI JOIN company_research r ON r.company_name = a.name",
        "leads.converted": "SELECT count(*) FROM leads WHERE status = 'Converted' AND converted_account_id NOT IN (SELECT account_id FROM accounts)",
    }
    for name, sql in checks.items():
        assert one(con, sql)[0] == 0, name
    assert one(con, "SELECT count(*) FROM calls WHERE opportunity_id IS NULL AND lead_id IS NULL")[0] == 0


# ------------------------------------------------------------------------------------------ determinism
def test_same_inputs_identical_data(wh, tmp_path):
    again = tmp_path / "again.duckdb"
    counts = generate(again, scale=1.0, seed=42, as_of=AS_OF)
    assert counts == wh[1]
    assert _checksums(again) == _checksums(wh[0])


def test_other_seed_other_numbers_same_named_examples(wh, tmp_path):
    other = tmp_path / "seed7.duckdb"
    generate(other, scale=1.0, seed=7, as_of=AS_OF)
    a, b = _checksums(wh[0]), _checksums(other)
    for t in ("opportunities", "accounts", "usage_daily", "billing_monthly", "leads", "calls"):
        assert a[t] != b[t], t
    c = duckdb.connect(str(other), read_only=True)
    try:
        _assert_named_examples(c, AS_OF)
    finally:
        c.close()


def test_no_temp_file_left_and_overwrite_is_atomic(wh, tmp_path):
    path = tmp_path / "out" / "w.duckdb"                # the parent folder is created
    generate(path, scale=0.05, seed=1, as_of=AS_OF)
    generate(path, scale=0.05, seed=2, as_of=AS_OF)     # replaces an existing file
    assert [p.name for p in path.parent.iterdir()] == ["w.duckdb"]


def test_bad_arguments():
    with pytest.raises(UsageError):
        generate(Path("/nonexistent/x.duckdb"), scale=0, as_of=AS_OF)
    with pytest.raises(UsageError):
        generate(Path("/nonexistent/x.duckdb"), scale=1, as_of="2026-11-24")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ realism
def test_stage_probability_and_forecast_consistent(con):
    rows = con.execute("SELECT stage, probability, forecast_category, is_closed, is_won, count(*) "
                       "FROM opportunities GROUP BY ALL").fetchall()
    assert {r[0] for r in rows} == set(STAGES)
    for stage, prob, fc, closed, won, _ in rows:
        assert prob == STAGES[stage]
        assert fc in demo_data.FORECAST_CATEGORIES[stage]
        assert closed == stage.startswith("Closed")
        assert won == (stage == "Closed Won")


def test_meddpicc_and_competitors(con):
    for f in demo_data.MEDDPICC_FIELDS:
        bad = one(con, f"SELECT count(*) FROM opportunities WHERE {f}_status NOT IN {tuple(MEDDPICC_STATUSES)} "
                       f"OR ({f}_status = 'Unknown') <> ({f} IS NULL)")[0]
        assert bad == 0, f
    early = one(con, "SELECT avg(CASE WHEN metrics_status IN ('Unknown', 'Identified') THEN 1 ELSE 0 END) "
                     "FROM opportunities WHERE stage = 'Discovery'")[0]
    late = one(con, "SELECT avg(CASE WHEN metrics_status IN ('Validated', 'Leveraged') THEN 1 ELSE 0 END) "
                    "FROM opportunities WHERE stage = 'Negotiate'")[0]
    assert early > 0.9 and late > 0.6
    names = {c for (s,) in con.execute("SELECT competitors FROM opportunities WHERE competitors IS NOT NULL").fetchall()
             for c in s.split(",")}
    assert names == set(COMPETITORS)


def test_dates_relative_to_as_of(con):
    qs, qe = _quarter_bounds(AS_OF)
    n_cur, n_next, n_hist = one(con, f"""
        SELECT count(*) FILTER (WHERE NOT is_closed AND close_date BETWEEN DATE '{qs}' AND DATE '{qe}'),
               count(*) FILTER (WHERE NOT is_closed AND close_date > DATE '{qe}'),
               count(*) FILTER (WHERE is_closed AND close_date < DATE '{qs}' - INTERVAL 21 MONTH)
        FROM opportunities""")
    assert n_cur > 50 and n_next > 50 and n_hist > 20
    assert one(con, "SELECT max(close_date) FROM opportunities WHERE is_closed")[0] <= AS_OF
    assert one(con, "SELECT max(created_date) FROM opportunities")[0] <= AS_OF
    assert one(con, "SELECT count(*) FROM opportunities WHERE created_date > close_date")[0] == 0
    assert one(con, "SELECT max(changed_at)::DATE FROM opportunity_stage_history")[0] <= AS_OF
    assert one(con, "SELECT max(started_at)::DATE FROM calls")[0] <= AS_OF
    lo, hi, days = one(con, "SELECT min(usage_date), max(usage_date), count(DISTINCT usage_date) FROM usage_daily")
    assert hi == AS_OF and days == 180
    months = one(con, "SELECT count(DISTINCT month) FROM billing_monthly")[0]
    assert months >= 25                                  # 8 past quarters + the current one
    quarters = [r[0] for r in con.execute("SELECT DISTINCT quarter FROM targets ORDER BY 1").fetchall()]
    assert quarters[0] == "2024-Q4" and quarters[-1] == "2027-Q1" and len(quarters) == 10
    week_start = AS_OF - dt.timedelta(days=AS_OF.weekday())
    assert one(con, f"SELECT count(*) FROM leads WHERE created_date >= DATE '{week_start}'")[0] >= 5
    assert one(con, "SELECT count(*) FROM opportunities WHERE NOT is_closed AND last_activity_date <= ? - 21",
               [AS_OF])[0] > 10


def test_stage_history_consistent(con):
    # every opportunity has history; the last row matches its current stage and close date
    bad = one(con, """
        SELECT count(*) FROM opportunities o LEFT JOIN (
            SELECT opportunity_id, arg_max(to_stage, changed_at) AS st, arg_max(new_close_date, changed_at) AS cd
            FROM opportunity_stage_history GROUP BY 1) h USING (opportunity_id)
        WHERE h.st IS DISTINCT FROM o.stage OR h.cd IS DISTINCT FROM o.close_date""")[0]
    assert bad == 0
    pushes = one(con, "SELECT count(DISTINCT opportunity_id) FROM opportunity_stage_history "
                      "WHERE from_stage = to_stage AND old_close_date < new_close_date")[0]
    assert pushes > 100
    assert one(con, "SELECT count(*) FROM opportunity_stage_history WHERE days_in_stage < 0")[0] == 0
    # a row that moves neither stage nor close date changes the amount (the previous row had another one)
    assert one(con, """
        SELECT count(*) FROM (
            SELECT *, lag(amount) OVER (PARTITION BY opportunity_id ORDER BY changed_at) AS prev_amount
            FROM opportunity_stage_history)
        WHERE from_stage = to_stage AND old_close_date = new_close_date
          AND prev_amount IS NOT DISTINCT FROM amount""")[0] == 0


def test_history_has_week_to_week_movement(con):
    # the forecast call's raw material, in the last three weeks: amounts up and down, close dates pulled in,
    # deals slipping out of the quarter, stages going back; the current row of each deal unchanged
    moves = dict(con.execute(f"""
        WITH h AS (SELECT *, lag(amount) OVER (PARTITION BY opportunity_id ORDER BY changed_at) AS prev_amount
                   FROM opportunity_stage_history)
        SELECT kind, count(*) FROM (
            SELECT CASE WHEN from_stage = to_stage AND old_close_date = new_close_date AND amount > prev_amount
                        THEN 'up'
                        WHEN from_stage = to_stage AND old_close_date = new_close_date AND amount < prev_amount
                        THEN 'down'
                        WHEN new_close_date < old_close_date THEN 'pulled'
                        WHEN new_close_date > DATE '2026-12-31' AND old_close_date <= DATE '2026-12-31' THEN 'slipped'
                   END AS kind
            FROM h WHERE changed_at >= DATE '{AS_OF}' - 21)
        WHERE kind IS NOT NULL GROUP BY 1""").fetchall())
    assert moves.get("up", 0) >= 1 and moves.get("down", 0) >= 1, moves
    assert moves.get("pulled", 0) >= 1 and moves.get("slipped", 0) >= 1, moves
    backs = one(con, f"""
        WITH r AS (SELECT stage, max(probability) AS p FROM opportunities GROUP BY 1)
        SELECT count(*) FROM opportunity_stage_history h JOIN r f ON f.stage = h.from_stage
        JOIN r t ON t.stage = h.to_stage
        WHERE t.p < f.p AND h.to_stage NOT LIKE 'Closed%' AND h.changed_at >= DATE '{AS_OF}' - 21""")[0]
    assert backs >= 1


def test_customers_usage_and_billing(con):
    declining, growing = one(con, f"""
        WITH u AS (SELECT account_id,
                      avg(query_count) FILTER (WHERE usage_date > DATE '{AS_OF}' - 30) AS recent,
                      avg(query_count) FILTER (WHERE usage_date <= DATE '{AS_OF}' - 150) AS early
                   FROM usage_daily GROUP BY 1)
        SELECT count(*) FILTER (WHERE recent < 0.6 * early), count(*) FILTER (WHERE recent > 1.6 * early) FROM u""")
    assert declining >= 3 and growing >= 3
    assert one(con, "SELECT count(*) FROM usage_daily u JOIN accounts a USING (account_id) "
                    "WHERE a.account_type = 'prospect'")[0] == 0
    # churned accounts stop billing and usage at churned_date
    assert one(con, "SELECT count(*) FROM billing_monthly b JOIN accounts a USING (account_id) "
                    "WHERE a.churned_date IS NOT NULL AND b.month >= date_trunc('month', a.churned_date)")[0] == 0
    assert one(con, "SELECT count(*) FROM usage_daily u JOIN accounts a USING (account_id) "
                    "WHERE a.churned_date IS NOT NULL AND u.usage_date >= a.churned_date")[0] == 0
    assert one(con, "SELECT count(*) FROM accounts WHERE account_type = 'churned' AND churned_date IS NULL")[0] == 0


def test_leads_and_research(con):
    statuses = {r[0] for r in con.execute("SELECT DISTINCT status FROM leads").fetchall()}
    assert statuses == set(demo_data.LEAD_STATUSES)
    assert {r[0] for r in con.execute("SELECT DISTINCT source FROM leads").fetchall()} == set(demo_data.LEAD_SOURCES)
    lo = one(con, "SELECT min(created_date) FROM leads")[0]
    assert (AS_OF - lo).days > 300
    assert one(con, "SELECT count(*) FROM company_research WHERE description IS NULL OR headquarters IS NULL "
                    "OR recent_news IS NULL OR (employees IS NULL) <> (employee_range IS NULL)")[0] == 0
    # research on every account's company is complete; on lead-only companies it has gaps, as enrichment does
    assert one(con, "SELECT count(*) FROM company_research r SEMI JOIN accounts a ON a.name = r.company_name "
                    "WHERE r.employees IS NULL OR r.tech_stack IS NULL")[0] == 0
    no_stack, no_heads = one(con, "SELECT count(*) FILTER (WHERE tech_stack IS NULL), count(*) FILTER (WHERE employees "
                                  "IS NULL) FROM company_research r ANTI JOIN accounts a ON a.name = r.company_name")
    n_research = one(con, "SELECT count(*) FROM company_research")[0]
    assert 0 < no_stack < 0.1 * n_research and 0 < no_heads < 0.1 * n_research
    # a few leads come without a title (and so without seniority and department), never the named ones
    untitled = one(con, "SELECT count(*) FROM leads WHERE title IS NULL")[0]
    assert 0 < untitled < 0.1 * one(con, "SELECT count(*) FROM leads")[0]
    assert one(con, "SELECT count(*) FROM leads WHERE title IS NULL AND (seniority IS NOT NULL OR department IS NOT "
                    "NULL OR name = 'John Smith')")[0] == 0
    assert one(con, "SELECT count(*) FROM company_research r ANTI JOIN accounts a ON a.name = r.company_name")[0] > 50


def test_transcripts_carry_signals(con):
    rows = con.execute("SELECT transcript, participants FROM calls").fetchall()
    turns = [len(t.strip().split("\n")) for t, _ in rows]
    assert min(turns) >= 8 and max(turns) <= 30
    for t, parts in rows:
        assert all(re.match(r"^[^:]+: \S", line) for line in t.strip().split("\n"))
        assert all("(" in p and p.endswith(")") for p in parts.split(","))
    text = "\n".join(t for t, _ in rows).lower()
    for word in ("snowflake", "databricks", "cfo", "budget", "legal", "procurement", "security review",
                 "decision criteria", "next quarter", "budget freeze", "msa", "timeline"):
        assert word in text, word


# ------------------------------------------------------------------------------------------ named examples
def _assert_named_examples(con, as_of: dt.date) -> None:
    qs, qe = _quarter_bounds(as_of)
    row = one(con, """
        SELECT o.name, o.type, o.stage, o.amount, o.probability, u.name, u.role, o.close_date, o.competitors,
               o.economic_buyer_status, o.metrics_status, o.champion_status, a.name, a.domain, o.opportunity_id
        FROM opportunities o JOIN users u ON u.user_id = o.owner_id JOIN accounts a USING (account_id)
        WHERE a.name = 'IXIS Technologies'""")
    (name, typ, stage, amount, prob, owner, role, close, comps, eb, metrics, champion, acct, domain, oid) = row
    assert name == "IXIS - Snowflake Cost Replacement" and typ == "New Business"
    assert (stage, amount, prob) == ("Negotiate", 2_100_000, 75)
    assert (owner, role) == ("Sarah Johnson", "AE")
    assert qs <= close <= qe and close >= as_of
    assert "Snowflake" in comps.split(",")
    assert (eb, metrics, champion) == ("Identified", "Validated", "Validated")
    assert (acct, domain) == ("IXIS Technologies", "ixis.io")
    assert one(con, "SELECT count(*) FROM opportunity_stage_history WHERE opportunity_id = ? AND from_stage = to_stage "
                    "AND old_close_date <> new_close_date", [oid])[0] >= 1
    calls = con.execute("SELECT transcript FROM calls WHERE opportunity_id = ? ORDER BY started_at", [oid]).fetchall()
    assert 3 <= len(calls) <= 5
    allt = " ".join(t for (t,) in calls)
    assert all("Snowflake" in t for (t,) in calls)
    for needle in ("CFO", "next quarter", "legal", "$500K"):
        assert needle in allt, needle

    lead = one(con, "SELECT title, company, employees, status FROM leads WHERE name = 'John Smith'")
    assert lead[:2] == ("VP of Data Engineering", "DataCorp")
    cr = one(con, "SELECT funding_stage, employee_range, tech_stack FROM company_research WHERE company_name = 'DataCorp'")
    assert cr[0] == "Series B" and cr[1] == "200-500" and {"Snowflake", "dbt"} <= set(cr[2].split(","))
    dc = one(con, "SELECT o.amount, o.type, o.close_date, a.account_type FROM opportunities o JOIN accounts a "
                  "USING (account_id) WHERE o.name = 'DataCorp Expansion'")
    assert dc[0] == 800_000 and dc[1] == "Expansion" and qs <= dc[2] <= qe and dc[3] == "customer"
    tf = one(con, "SELECT amount, probability, close_date FROM opportunities WHERE name = 'TechFlow Migration'")
    assert tf[0] == 600_000 and 55 <= tf[1] <= 75 and qs <= tf[2] <= qe
    assert one(con, "SELECT a.segment FROM opportunities o JOIN accounts a USING (account_id) "
                    "WHERE o.name = 'Microsoft Enterprise'")[0] == "Enterprise"
    assert one(con, "SELECT count(*) FROM opportunities o JOIN accounts a USING (account_id) "
                    "WHERE a.name = 'TechCorp' AND NOT o.is_closed")[0] >= 1
    assert one(con, "SELECT c.title FROM contacts c JOIN accounts a USING (account_id) "
                    "WHERE a.name = 'TechCorp' AND c.name = 'Sara Johnston'")[0] == "Director of Analytics"
    acme = con.execute("SELECT c.transcript FROM calls c JOIN opportunities o USING (opportunity_id) "
                       "WHERE o.name = 'Acme Corp - Analytics Platform' ORDER BY c.started_at").fetchall()
    assert len(acme) >= 2 and "Databricks" in acme[-1][0] and "Snowflake" in acme[-1][0]
    assert one(con, "SELECT company FROM leads WHERE name = 'Michael Chen'")[0] == "Enterprise Solutions"
    assert one(con, "SELECT company FROM leads WHERE name = 'Lisa Wang'")[0] == "CloudTech"
    assert one(con, "SELECT count(*) FROM accounts WHERE name = 'CloudTech'")[0] == 0
    assert one(con, "SELECT count(*) FROM company_research WHERE company_name = 'CloudTech'")[0] == 1
    for person in ("Sarah Johnson", "John Smith", "Michael Chen", "Lisa Wang", "Sara Johnston"):
        n = one(con, "SELECT count(*) FROM (SELECT name FROM users UNION ALL SELECT name FROM contacts "
                     "UNION ALL SELECT name FROM leads) WHERE name = ?", [person])[0]
        assert n == 1, person


def test_named_examples(con):
    _assert_named_examples(con, AS_OF)


@pytest.mark.parametrize("as_of", [dt.date(2025, 2, 10), dt.date(2025, 3, 30)])
def test_other_as_of_small_scale(tmp_path, as_of):
    path = tmp_path / "small.duckdb"
    counts = generate(path, scale=0.2, seed=3, as_of=as_of)
    assert 50 <= counts["accounts"] <= 70 and 180 <= counts["opportunities"] <= 220
    assert all(v > 0 for v in counts.values())
    c = duckdb.connect(str(path), read_only=True)
    try:
        _assert_named_examples(c, as_of)
        assert one(c, "SELECT max(usage_date) FROM usage_daily")[0] == as_of
        assert one(c, "SELECT max(close_date) FROM opportunities WHERE is_closed")[0] <= as_of
        assert one(c, "SELECT max(changed_at)::DATE FROM opportunity_stage_history")[0] <= as_of
        bad = one(c, "SELECT count(*) FROM opportunities WHERE probability <> "
                     "CASE stage " + " ".join(f"WHEN '{s}' THEN {p}" for s, p in STAGES.items()) + " END")[0]
        assert bad == 0
    finally:
        c.close()
