"""The shaped warehouses (`revops demo init --shape`): the reference system's dwh_prod and Fivetran Salesforce.

Each test reads a shaped warehouse with plain SQL that undoes the shape (the row filters, expressions and
value maps the model presets declare) and compares the result with the canonical warehouse built from the
same seed, row for row (EXCEPT ALL both ways). The mess has to be there too: a query that forgets a
filter or a map gets other numbers.
"""

from __future__ import annotations

import duckdb
import pytest

from revops_cli.warehouse.shapes import fivetran_salesforce as F
from revops_cli.warehouse.shapes import reference_v5 as R
from cli import run

MEDDPICC = R.MEDDPICC_FIELDS


def case(expr: str, mapping: dict[str, str], default: str = "NULL") -> str:
    return f"CASE {expr} " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in mapping.items()) + f" ELSE {default} END"


def open_pair(shaped, canonical):
    con = duckdb.connect(str(shaped), read_only=True)
    con.execute(f"ATTACH '{canonical}' AS c (READ_ONLY)")
    return con


def assert_same_rows(con, mine: str, canonical: str) -> int:
    extra = con.execute(f"SELECT * FROM (({mine}) EXCEPT ALL ({canonical})) LIMIT 3").fetchall()
    missing = con.execute(f"SELECT * FROM (({canonical}) EXCEPT ALL ({mine})) LIMIT 3").fetchall()
    assert not extra and not missing, f"only in the shaped warehouse: {extra}; only in the canonical one: {missing}"
    n = con.execute(f"SELECT count(*) FROM ({canonical})").fetchone()[0]
    assert n > 0
    return n


# ---------------------------------------------------------------------------------------------- reference-v5
_REF_REGION = case(
    "COALESCE(a.account_region, {b}, {c})".format(b=case("a.billing_country", R.COUNTRY_REGION),
                                                    c=case("ac.customer_country", R.COUNTRY_REGION)),
    R.REGION_TO_CANONICAL, "'Unknown'")
REFERENCE = {
    "accounts": (f"""
        SELECT a.sf_account_id, a.sf_account_name, a.sf_company_domain, a.sf_industry, {_REF_REGION},
            {case('a.sf_account_type_custom', R.ACCOUNT_TYPE_TO_CANONICAL, "'prospect'")},
            a.potential_account_spend_usd, a.sf_owner_id, CAST(a.created_at_ts AS DATE)
        FROM salesforce_account_d a LEFT JOIN organization_d org ON org.organization_id = a.organization_id
        LEFT JOIN (SELECT organization_id, MIN(customer_country) AS customer_country
                   FROM amberflo_customer_d GROUP BY 1) ac ON ac.organization_id = a.organization_id
        WHERE COALESCE(org.is_internal, FALSE) = FALSE""",
        "SELECT account_id, name, domain, industry, region, account_type, potential_spend, owner_id, created_date "
        "FROM c.accounts"),
    "users": ("SELECT sf_user_id, TRIM(CONCAT(first_name, ' ', last_name)), user_email FROM employee_d",
              "SELECT user_id, name, email FROM c.users"),
    "opportunities": (f"""
        SELECT o.opportunity_id, o.opportunity_name, o.sf_account_id,
            {case('o.opportunity_type', R.OPPORTUNITY_TYPE_TO_CANONICAL)}, {case('o.stage_name', R.STAGE_TO_CANONICAL)},
            CASE WHEN o.contract_duration_months > 0 THEN o.amount * 12.0 / o.contract_duration_months ELSE o.amount END,
            CAST(o.probability AS INTEGER), o.close_date, CAST(o.created_at_ts AS DATE), o.owner_id, o.competitors,
            o.stage_name IN ('Closed Won', 'Closed Lost'), o.stage_name = 'Closed Won', c.campaign_name, """
        + ", ".join(f"o.{f}, {case(f'COALESCE(o.{f}_status, {chr(39)}Unknown{chr(39)})', R.STATUS_TO_CANONICAL)}"
                    for f in MEDDPICC)
        + " FROM opportunity_d o LEFT JOIN campaign_d c ON c.campaign_id = o.campaign_id",
        "SELECT opportunity_id, name, account_id, type, stage, amount, probability, close_date, created_date, owner_id, "
        "competitors, is_closed, is_won, lead_source, " + ", ".join(f"{f}, {f}_status" for f in MEDDPICC)
        + " FROM c.opportunities"),
    "stage moves": (f"""
        SELECT f.opportunity_id, f.ended_at_ts, {case('f.from_stage', R.STAGE_TO_CANONICAL)},
            {case('f.to_stage', R.STAGE_TO_CANONICAL)}, f.days_in_stage, f.created_by_id
        FROM opportunity_stage_f f WHERE f.is_deleted = FALSE AND f.ended_at_ts IS NOT NULL
        UNION ALL
        SELECT o.opportunity_id, o.created_at_ts, NULL, 'Discovery', NULL, NULL FROM opportunity_d o""",
        "SELECT opportunity_id, changed_at, from_stage, to_stage, days_in_stage, "
        "CASE WHEN from_stage IS NOT NULL THEN changed_by END FROM c.opportunity_stage_history "
        "WHERE from_stage IS NULL OR from_stage <> to_stage"),
    "contacts": ("SELECT contact_id, sf_account_id, contact_name, contact_title, contact_email, "
                 "CAST(created_date_ts AS DATE), SPLIT_PART(contact_name, ' ', 1) FROM contact_d WHERE is_deleted = FALSE",
                 "SELECT contact_id, account_id, name, title, email, created_date, first_name FROM c.contacts"),
    "leads": (f"SELECT lead_id, lead_name, lead_title, lead_email, lead_company, "
              f"{case('lead_source', R.LEAD_SOURCE_TO_CANONICAL)}, {case('lead_status', R.LEAD_STATUS_TO_CANONICAL)}, "
              f"CAST(created_date_ts AS DATE) FROM lead_d WHERE is_deleted = FALSE",
              "SELECT lead_id, name, title, email, company, source, status, created_date FROM c.leads"),
    "calls": ("""
        SELECT sf_gong_call_id, COALESCE(gong_related_account, gong_primary_account),
            COALESCE(gong_related_opportunity, gong_primary_opportunity), gong_related_lead, gong_call_start_ts,
            DATE_DIFF('minute', gong_call_start_ts, gong_call_end_ts), COALESCE(gong_title, gong_call_name),
            sf_owner_id, gong_call_brief, gong_call_key_points, gong__call_highlights_next_steps
        FROM gong_call_f WHERE is_deleted = FALSE AND gong_scope <> 'Internal'""",
              "SELECT call_id, account_id, opportunity_id, lead_id, started_at, duration_minutes, title, owner_id, brief, "
              "key_points, next_steps FROM c.calls"),
    "usage": ("""
        SELECT u.sf_account_id, u.consumption_date, u.query_count, u.engine_hours, u.data_scanned_bytes
        FROM consumption_daily_d u
        WHERE u.sf_account_id NOT IN (SELECT a.sf_account_id FROM salesforce_account_d a
                                      JOIN organization_d o ON o.organization_id = a.organization_id WHERE o.is_internal)""",
              "SELECT account_id, usage_date, query_count, engine_hours, bytes_scanned FROM c.usage_daily"),
    "billing (two paths, days to months)": ("""
        SELECT COALESCE(sa.sf_account_id, fb1.sf_account_id), CAST(DATE_TRUNC('month', b.mrr_report_date_ts) AS DATE),
            CAST(SUM(b.amount) AS DOUBLE PRECISION)
        FROM billing_event_f b
        LEFT JOIN salesforce_account_d sa ON sa.organization_id = b.organization_id
        LEFT JOIN firebolt_fb1_account_d fb1 ON fb1.account_name = b.aflo_customer_name
        LEFT JOIN organization_d org ON org.organization_id = b.organization_id
        WHERE COALESCE(org.is_internal, FALSE) = FALSE GROUP BY 1, 2""",
                                            "SELECT account_id, month, revenue FROM c.billing_monthly"),
}


@pytest.mark.parametrize("entity", list(REFERENCE))
def test_reference_shape_gives_back_the_canonical_rows(reference_db, demo_db, entity):
    mine, canonical = REFERENCE[entity]
    with open_pair(reference_db, demo_db) as con:
        assert_same_rows(con, mine, canonical)


def test_reference_shape_has_the_mess_of_a_real_dwh_prod(reference_db, demo_db):
    with open_pair(reference_db, demo_db) as con:
        one = lambda q: con.execute(q).fetchone()[0]  # noqa: E731
        # TCV, not ARR: the raw amounts add up to more than the canonical ARR
        assert one("SELECT sum(amount) FROM opportunity_d") > one("SELECT sum(amount) FROM c.opportunities")
        assert one("SELECT count(*) FROM opportunity_d WHERE contract_duration_months IS NULL") > 0
        # regions: NULL for some accounts, and for some of those billing_country too (amberflo gives it)
        assert one("SELECT count(*) FROM salesforce_account_d WHERE account_region IS NULL") > 0
        assert one("SELECT count(*) FROM salesforce_account_d WHERE account_region IS NULL "
                   "AND billing_country IS NULL") > 0
        # soft-deleted rows where the KB documents is_deleted
        for table in ("contact_d", "lead_d", "gong_call_f", "opportunity_stage_f"):
            assert one(f"SELECT count(*) FROM {table} WHERE is_deleted") > 0, table
        # internal meetings have no account, no opportunity and no lead
        assert one("SELECT count(*) FROM gong_call_f WHERE gong_scope = 'Internal' AND gong_primary_account IS NULL "
                   "AND gong_related_account IS NULL AND gong_related_lead IS NULL") > 0
        # billing is daily, FB 1.0 revenue only reaches an account through firebolt_fb1_account_d
        assert one("SELECT count(*) FROM billing_event_f") > 10 * one("SELECT count(*) FROM c.billing_monthly")
        assert one("SELECT count(*) FROM billing_event_f WHERE NOT is_fb2_usage AND organization_id IS NULL") > 0
        # other words: stages, MEDDPICC statuses; no segment column at all
        assert one("SELECT count(*) FROM opportunity_d WHERE stage_name IN ('Propose', 'Signature', 'Discover')") > 0
        assert one("SELECT count(*) FROM opportunity_d WHERE champion_status IN ('Engaged', 'Strong', 'Weak')") > 0
        assert "segment" not in {r[0] for r in con.execute("DESCRIBE salesforce_account_d").fetchall()}
        # a query that forgets the internal-organisation filter counts an account too many
        assert one("SELECT count(*) FROM salesforce_account_d") == one("SELECT count(*) FROM c.accounts") + 1


# ---------------------------------------------------------------------------------------------- fivetran
_FT_SEGMENT = ("CASE WHEN a.number_of_employees < 200 THEN 'SMB' WHEN a.number_of_employees < 2000 "
               "THEN 'Mid-Market' ELSE 'Enterprise' END")
_FT_DOMAIN = "REGEXP_REPLACE(REGEXP_REPLACE(LOWER(a.website), '^(https?://)?(www[.])?', ''), '/+$', '')"
FIVETRAN = {
    "accounts": (f"""
        SELECT a.id, a.name, {_FT_DOMAIN}, a.industry, {_FT_SEGMENT}, {case('a.billing_country', F.COUNTRY_REGION)},
            a.number_of_employees, a.annual_revenue, {case('a.type', F.ACCOUNT_TYPE_TO_CANONICAL, "'prospect'")},
            a.owner_id, CAST(a.created_date AS DATE)
        FROM account a WHERE NOT COALESCE(a.is_deleted, FALSE)""",
                 "SELECT account_id, name, domain, industry, segment, region, employees, annual_revenue, account_type, "
                 "owner_id, created_date FROM c.accounts"),
    "users": (f"""
        SELECT u.id, u.name, u.email,
            {case("SPLIT_PART(r.name, ' - ', 1)", F.USER_ROLE_TO_CANONICAL)}, u.department,
            {case('u.country', F.COUNTRY_REGION)}, u.manager_id
        FROM "user" u LEFT JOIN user_role r ON r.id = u.user_role_id
        WHERE NOT COALESCE(u.is_deleted, FALSE) AND u.user_type = 'Standard'""",
              "SELECT user_id, name, email, role, team, region, manager_id FROM c.users"),
    "opportunities": (f"""
        SELECT o.id, o.name, o.account_id, {case('o.type', F.OPPORTUNITY_TYPE_TO_CANONICAL)},
            {case('o.stage_name', F.STAGE_TO_CANONICAL)}, o.amount, CAST(o.probability AS INTEGER),
            {case('o.forecast_category', F.FORECAST_CATEGORY_TO_CANONICAL)}, o.close_date, CAST(o.created_date AS DATE),
            o.owner_id, {case('o.lead_source', F.LEAD_SOURCE_TO_CANONICAL)}, o.next_step,
            REPLACE(o.competitors__c, ';', ','), o.is_closed, o.is_won, o.last_activity_date, """
                      + ", ".join(f"o.{f}__c, COALESCE(o.{f}_status__c, 'Unknown')" for f in MEDDPICC)
                      + " FROM opportunity o WHERE NOT COALESCE(o.is_deleted, FALSE)",
                      "SELECT opportunity_id, name, account_id, type, stage, amount, probability, forecast_category, "
                      "close_date, created_date, owner_id, lead_source, next_step, competitors, is_closed, is_won, "
                      "last_activity_date, " + ", ".join(f"{f}, {f}_status" for f in MEDDPICC)
                      + " FROM c.opportunities"),
    "stage history (LAG)": (f"""
        WITH h AS (
            SELECT opportunity_id, created_date, created_by_id, close_date, prev_close_date, amount,
                {case('stage_name', F.STAGE_TO_CANONICAL)} AS to_stage,
                LAG({case('stage_name', F.STAGE_TO_CANONICAL)}) OVER (PARTITION BY opportunity_id ORDER BY created_date)
                    AS from_stage
            FROM opportunity_history WHERE NOT COALESCE(is_deleted, FALSE)
        ), entered AS (SELECT opportunity_id, to_stage, MIN(created_date) AS at FROM h GROUP BY 1, 2)
        SELECT h.opportunity_id, h.created_date, h.from_stage, h.to_stage,
            CAST(DATE_DIFF('day', e.at, h.created_date) AS INTEGER), h.prev_close_date, h.close_date, h.amount,
            h.created_by_id
        FROM h LEFT JOIN entered e ON e.opportunity_id = h.opportunity_id AND e.to_stage = h.from_stage""",
                            "SELECT opportunity_id, changed_at, from_stage, to_stage, days_in_stage, old_close_date, "
                            "new_close_date, amount, changed_by FROM c.opportunity_stage_history"),
    "contacts": ("SELECT id, account_id, first_name, last_name, name, title, department, email, CAST(created_date AS DATE) "
                 "FROM contact WHERE NOT COALESCE(is_deleted, FALSE)",
                 "SELECT contact_id, account_id, first_name, last_name, name, title, department, email, created_date "
                 "FROM c.contacts"),
    "leads": (f"""
        SELECT id, first_name, last_name, name, title, email, company, SPLIT_PART(email, '@', 2), industry,
            number_of_employees, {case('country', F.COUNTRY_REGION)}, {case('lead_source', F.LEAD_SOURCE_TO_CANONICAL)},
            {case('status', F.LEAD_STATUS_TO_CANONICAL)}, CAST(created_date AS DATE), owner_id, last_activity_date,
            converted_account_id
        FROM lead WHERE NOT COALESCE(is_deleted, FALSE)""",
              "SELECT lead_id, first_name, last_name, name, title, email, company, company_domain, industry, employees, "
              "region, source, status, created_date, owner_id, last_activity_date, converted_account_id FROM c.leads"),
    "calls": ("""
        SELECT t.id, t.account_id, o.id, l.id, t.created_date, CAST(t.call_duration_in_seconds / 60 AS INTEGER),
            t.subject, t.owner_id, t.description
        FROM task t LEFT JOIN opportunity o ON o.id = t.what_id LEFT JOIN lead l ON l.id = t.who_id
        WHERE NOT COALESCE(t.is_deleted, FALSE) AND t.task_subtype = 'Call'""",
              "SELECT call_id, account_id, opportunity_id, lead_id, started_at, duration_minutes, title, owner_id, brief "
              "FROM c.calls"),
}


@pytest.mark.parametrize("entity", list(FIVETRAN))
def test_fivetran_shape_gives_back_the_canonical_rows(fivetran_db, demo_db, entity):
    mine, canonical = FIVETRAN[entity]
    with open_pair(fivetran_db, demo_db) as con:
        assert_same_rows(con, mine, canonical)


def test_fivetran_shape_has_the_connector_columns_and_mess(fivetran_db, demo_db):
    with open_pair(fivetran_db, demo_db) as con:
        one = lambda q: con.execute(q).fetchone()[0]  # noqa: E731
        for table in F.TABLES:
            cols = {r[0] for r in con.execute(f'DESCRIBE "{table}"').fetchall()}
            assert {"is_deleted", "_fivetran_synced"} <= cols, table
            if table not in ("user", "user_role"):
                assert one(f'SELECT count(*) FROM "{table}" WHERE is_deleted') > 0, table
        assert one("SELECT count(*) FROM task WHERE task_subtype = 'Email'") > 0
        assert one("SELECT count(*) FROM account WHERE website LIKE 'http%'") > 0
        assert one("SELECT count(*) FROM account WHERE length(billing_country) > 2") > 0
        assert one("SELECT count(*) FROM opportunity WHERE competitors__c LIKE '%;%'") > 0
        # close-date moves are there: slipped deals can be counted on this schema
        assert one("SELECT count(*) FROM opportunity_history WHERE prev_close_date < close_date") > 0


# ---------------------------------------------------------------------------------------------- the command
def test_demo_init_with_a_shape_writes_that_schema(capsys, tmp_path):
    out = tmp_path / "out"
    db = out / "dwh_prod.duckdb"
    r = run(capsys, "demo", "init", "--shape", "reference-v5", "--scale", "0.05", "--seed", "3",
            "--as-of", "2026-11-24", "--path", str(db))
    assert r.code == 0, r.err
    assert "reference-v5" in r.out
    with duckdb.connect(str(db), read_only=True) as con:
        tables = {t[0] for t in con.execute("SHOW TABLES").fetchall()}
    assert set(R.TABLES) <= tables and "opportunities" not in tables
    assert [p.name for p in out.iterdir()] == ["dwh_prod.duckdb"]        # no canonical or temporary file left

    db2 = out / "sf.duckdb"
    assert run(capsys, "demo", "init", "--shape", "fivetran-salesforce", "--scale", "0.05", "--path", str(db2)).code == 0
    with duckdb.connect(str(db2), read_only=True) as con:
        assert con.execute('SELECT count(*) FROM "user"').fetchone()[0] > 0


def test_demo_init_with_an_unknown_shape_is_a_usage_error(capsys, tmp_path):
    r = run(capsys, "demo", "init", "--shape", "snowflake-hubspot", "--path", str(tmp_path / "out" / "x.duckdb"))
    assert r.code == 2
    assert "unknown warehouse shape" in r.err and "reference-v5" in r.err
    assert not (tmp_path / "out").exists()
