"""Shape `reference-v5`: the reference system's Firebolt `dwh_prod` schema, built from the canonical demo data.

Tables and columns are those of the reference's knowledge base (`knowledge_base/firebolt_schema/` in the
public reference repository; docs/design/semantic-model-research.md §6 maps them). IDs stay the canonical
ones (they are opaque strings either way), so a deal, account or call can be compared row by row.

How each canonical entity comes back (what the `reference-v5` model preset does), and the mess on the way:

- accounts <- salesforce_account_d LEFT JOIN organization_d (internal organisations out: one internal
  account "Firebolt (internal)" with billing and consumption rows belongs to none of the canonical
  entities). account_region is NULL for ~30% of accounts; billing_country then gives the region, and for
  some FB 2.0 customers billing_country is NULL too and amberflo_customer_d.customer_country gives it.
  Region words: North America / NA, Europe / EMEA, APAC, LATAM / Latin America. segment does not exist:
  sf_account_type_custom is a customer type (Commit Customer, PLG Customer, Former Customer, Prospect or
  NULL). customer_since, churned_date, employees, annual_revenue, tech_stack, funding_stage, csm_id: none.
- users <- employee_d (first_name, last_name, user_email; no role, team, region, manager).
- opportunities <- opportunity_d. amount is TCV: ARR x contract_duration_months / 12 (durations 12, 24, 36,
  or NULL for a one-year deal, where TCV = ARR). Stages are the reference's words (new business: Opportunity
  Created, Discover, Proof of Concept, Propose, Negotiate, Signature; renewals: Open, Qualification, ...),
  one canonical stage each: see STAGE_TO_CANONICAL. Types New Business / Upsell / Expansion / Renewal.
  MEDDPICC statuses in the reference's words (STATUS_TO_CANONICAL; NULL means Unknown). probability is
  the canonical one. No forecast category, last activity date, next step; lead source only through
  campaign_d.campaign_name.
- opportunity_stage_history <- opportunity_stage_f: one row per stage move (ended_at_ts = when it moved),
  plus one `is_active_stage` row per opportunity (the current stage, ended_at_ts NULL) and a few
  soft-deleted rows. The canonical creation row comes from opportunity_d.created_at_ts. Close-date moves
  (slipped deals) do not exist in this schema.
- contacts <- contact_d, leads <- lead_d (soft-deleted duplicates; lead statuses and sources in
  Salesforce words: LEAD_STATUS_TO_CANONICAL, LEAD_SOURCE_TO_CANONICAL).
- calls <- gong_call_f (gong_scope = 'External'; soft-deleted duplicates; internal meetings with no account,
  scope 'Internal'). Account and opportunity sit in gong_related_* or only in gong_primary_*; the title in
  gong_title or only in gong_call_name; duration as a string and start/end timestamps. No transcripts.
- usage_daily <- consumption_daily_d (no active users).
- billing_monthly <- billing_event_f, daily events (weekly at large scale) in exact cents: FB 2.0 accounts
  reach salesforce_account_d through organization_id, FB 1.0 accounts (is_fb2_usage FALSE, no
  organization) through aflo_customer_name = firebolt_fb1_account_d.account_name. plan is the platform.
- targets, company_research: no tables.
"""

from __future__ import annotations

import datetime as dt

from revops_cli.warehouse.shapes import lit

TABLES: tuple[str, ...] = (
    "organization_d", "salesforce_account_d", "amberflo_customer_d", "firebolt_fb1_account_d", "employee_d",
    "campaign_d", "opportunity_d", "opportunity_stage_f", "contact_d", "lead_d", "gong_call_f",
    "consumption_daily_d", "billing_event_f",
)

# Warehouse word -> canonical value, the maps the preset declares.
STAGE_TO_CANONICAL: dict[str, str] = {
    "Opportunity Created": "Discovery", "Open": "Discovery",
    "Discover": "Qualification", "Qualification": "Qualification",
    "Proof of Concept": "Technical Validation",
    "Propose": "Business Justification",
    "Negotiate": "Negotiate", "Signature": "Negotiate",
    "Closed Won": "Closed Won", "Closed Lost": "Closed Lost",
}
OPPORTUNITY_TYPE_TO_CANONICAL: dict[str, str] = {
    "New Business": "New Business", "Upsell": "Expansion", "Expansion": "Expansion", "Renewal": "Renewal"}
STATUS_TO_CANONICAL: dict[str, str] = {
    "Unknown": "Unknown", "Not Defined": "Unknown", "Unclear": "Unknown",
    "Identified": "Identified", "Weak": "Identified", "Partial": "Identified", "Researched": "Identified",
    "In Progress": "Identified",
    "Validated": "Validated", "Engaged": "Validated", "Known": "Validated", "Mapped": "Validated",
    "Strong": "Leveraged",
}
ACCOUNT_TYPE_TO_CANONICAL: dict[str, str] = {
    "Commit Customer": "customer", "PLG Customer": "customer", "Former Customer": "churned", "Prospect": "prospect"}
REGION_TO_CANONICAL: dict[str, str] = {
    "North America": "NA", "NA": "NA", "Europe": "EMEA", "EMEA": "EMEA", "APAC": "APAC",
    "LATAM": "LATAM", "Latin America": "LATAM"}
COUNTRY_REGION: dict[str, str] = {
    **{c: "North America" for c in ("US", "CA", "MX")},
    **{c: "Europe" for c in ("GB", "DE", "FR", "IT", "ES", "NL", "CH", "SE", "NO", "DK")},
    **{c: "APAC" for c in ("JP", "KR", "SG", "AU", "NZ", "IN")},
    **{c: "LATAM" for c in ("BR", "AR", "CL", "CO", "PE")},
}
LEAD_STATUS_TO_CANONICAL: dict[str, str] = {
    "Open - Not Contacted": "New", "Working - Contacted": "Working", "Marketing Qualified": "MQL",
    "Sales Qualified": "SQL", "Closed - Not Converted": "Disqualified", "Unqualified": "Disqualified",
    "Closed - Converted": "Converted"}
LEAD_SOURCE_TO_CANONICAL: dict[str, str] = {
    "Web": "Website", "Website": "Website", "Webinar": "Webinar", "Trade Show": "Event", "Event": "Event",
    "Outbound Prospecting": "Outbound", "Customer Referral": "Referral", "Partner": "Partner",
    "Google Ads": "Paid Search", "Paid Search": "Paid Search"}

# canonical status -> the words each MEDDPICC field uses for it (the reference KB's examples)
_STATUS_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "metrics": {"Unknown": ("Not Defined", "Unknown"), "Identified": ("Identified",), "Validated": ("Validated",)},
    "economic_buyer": {"Unknown": ("Unknown",), "Identified": ("Identified",), "Validated": ("Engaged",)},
    "identify_pain": {"Unknown": ("Unclear", "Unknown"), "Identified": ("Identified",), "Validated": ("Validated",)},
    "champion": {"Unknown": ("Unknown",), "Identified": ("Identified", "Weak"), "Validated": ("Engaged",)},
    "decision_criteria": {"Unknown": ("Unknown",), "Identified": ("Partial",), "Validated": ("Known",)},
    "competition": {"Unknown": ("Unknown",), "Identified": ("Researched",), "Validated": ("Known",)},
    "decision_making_process": {"Unknown": ("Unknown",), "Identified": ("Partial",), "Validated": ("Mapped",)},
    "paper_process": {"Unknown": ("Unknown",), "Identified": ("In Progress",), "Validated": ("Mapped",)},
}
MEDDPICC_FIELDS: tuple[str, ...] = tuple(_STATUS_WORDS)
_REGION_WORDS = {"NA": ["North America", "North America", "North America", "NA"], "EMEA": ["Europe", "Europe", "EMEA"],
                 "APAC": ["APAC"], "LATAM": ["LATAM", "Latin America"]}
_COUNTRIES = {r: [c for c, w in COUNTRY_REGION.items() if w == word]
              for r, word in (("NA", "North America"), ("EMEA", "Europe"), ("APAC", "APAC"), ("LATAM", "LATAM"))}
INTERNAL_ACCOUNT_ID = "ACC-INTERNAL"


DDL = """
CREATE TABLE organization_d (organization_id TEXT, organization_name TEXT, company_name TEXT, is_internal BOOLEAN,
    is_verified BOOLEAN, verified_at TIMESTAMP);
CREATE TABLE salesforce_account_d (sf_account_id TEXT, sf_x18_digit_id TEXT, sf_account_name TEXT, organization_id TEXT,
    sf_account_type_custom TEXT, account_region TEXT, sf_industry TEXT, sf_sub_industry TEXT, sf_owner_id TEXT,
    sf_open_opportunities INTEGER, billing_country TEXT, potential_account_spend_usd DOUBLE PRECISION,
    sf_company_domain TEXT, created_at_ts TIMESTAMP);
CREATE TABLE amberflo_customer_d (aflo_customer_id TEXT, aflo_customer_name TEXT, organization_id TEXT,
    payment_method_id TEXT, life_cycle_stage TEXT, payment_provider_name TEXT, is_private_offer BOOLEAN,
    is_test BOOLEAN, is_enabled BOOLEAN, aws_customer_id TEXT, customer_country TEXT, customer_city TEXT,
    customer_state TEXT);
CREATE TABLE firebolt_fb1_account_d (account_name TEXT, sf_account_id TEXT);
CREATE TABLE employee_d (sf_user_id TEXT, first_name TEXT, last_name TEXT, user_email TEXT);
CREATE TABLE campaign_d (campaign_id TEXT, campaign_name TEXT);
CREATE TABLE opportunity_d (opportunity_id TEXT, opportunity_name TEXT, opportunity_type TEXT, sf_account_id TEXT,
    stage_name TEXT, amount DOUBLE PRECISION, contract_duration_months INTEGER, probability DOUBLE PRECISION,
    close_date DATE, created_at_ts TIMESTAMP, closed_at_date DATE, closed_won_lost_reason TEXT, owner_id TEXT,
    campaign_id TEXT, contact_id TEXT,
    metrics TEXT, metrics_status TEXT, economic_buyer TEXT, economic_buyer_status TEXT,
    identify_pain TEXT, identify_pain_status TEXT, champion TEXT, champion_status TEXT,
    decision_criteria TEXT, decision_criteria_status TEXT, competition TEXT, competition_status TEXT,
    competitors TEXT, decision_making_process TEXT, decision_making_process_status TEXT,
    decision_timeline_date DATE, paper_process TEXT, paper_process_status TEXT);
CREATE TABLE opportunity_stage_f (opportunity_stage_id TEXT, opportunity_id TEXT, owner_id TEXT, created_by_id TEXT,
    from_stage TEXT, to_stage TEXT, days_in_stage INTEGER, started_at_ts TIMESTAMP, ended_at_ts TIMESTAMP,
    is_first_stage BOOLEAN, is_last_stage BOOLEAN, is_active_stage BOOLEAN, is_deleted BOOLEAN,
    system_modified_at_ts TIMESTAMP, dbt_last_updated_ts TIMESTAMP);
CREATE TABLE contact_d (contact_id TEXT, contact_name TEXT, contact_email TEXT, contact_phone TEXT,
    contact_title TEXT, sf_account_id TEXT, is_deleted BOOLEAN, created_date_ts TIMESTAMP,
    last_modified_date_ts TIMESTAMP);
CREATE TABLE lead_d (lead_id TEXT, lead_name TEXT, lead_email TEXT, lead_phone TEXT, lead_title TEXT,
    lead_company TEXT, lead_status TEXT, lead_source TEXT, is_deleted BOOLEAN, created_date_ts TIMESTAMP,
    last_modified_date_ts TIMESTAMP);
CREATE TABLE gong_call_f (sf_gong_call_id TEXT, gong_call_id TEXT, gong_call_name TEXT, gong_title TEXT,
    sf_owner_id TEXT, is_deleted BOOLEAN, created_by_id TEXT, created_date_ts TIMESTAMP,
    last_modified_date_ts TIMESTAMP, gong_call_start_ts TIMESTAMP, gong_call_end_ts TIMESTAMP,
    gong_scheduled_ts TIMESTAMP, gong_call_duration TEXT, gong_direction TEXT, gong_media TEXT, gong_system TEXT,
    gong_language TEXT, gong_quality_score DOUBLE PRECISION, gong_recorded_from TEXT, gong_scope TEXT,
    gong_primary_user TEXT, gong_talk_time_them DOUBLE PRECISION, gong_playbook_match TEXT,
    gong_participants_emails TEXT, gong_primary_account TEXT, gong_related_account TEXT, gong_related_lead TEXT,
    gong_related_contact TEXT, gong_related_opportunity TEXT, gong_primary_opportunity TEXT,
    gong_opportunity_stage_now TEXT, gong_opp_stage_time_of_call TEXT, gong_opp_amount_time_of_call DOUBLE PRECISION,
    gong_opp_close_date_time_of_call DATE, gong_opp_probability_time_of_call DOUBLE PRECISION,
    gong_call_brief TEXT, gong_call_key_points TEXT, gong__call_highlights_next_steps TEXT,
    gong_related_participants_json TEXT, source_file_name TEXT, source_file_timestamp TIMESTAMP,
    dbt_last_updated_ts TIMESTAMP);
CREATE TABLE consumption_daily_d (consumption_date DATE, sf_account_id TEXT, engine_hours DOUBLE PRECISION,
    query_count BIGINT, data_scanned_bytes BIGINT);
CREATE TABLE billing_event_f (organization_id TEXT, mrr_report_date_ts TIMESTAMP, amount DECIMAL(18, 2),
    is_fb2_usage BOOLEAN, aflo_customer_name TEXT, aflo_customer_id TEXT, aws_account_id TEXT);
"""


def build(con, *, seed: int, as_of: dt.date) -> None:
    """Write the dwh_prod tables into `con`'s main database from the canonical warehouse attached as `c`."""
    A = lit(as_of)
    con.execute(DDL)
    _macros(con)

    # paying accounts: FB 1.0 (billing via firebolt_fb1_account_d) or FB 2.0 (via an organization)
    con.execute(f"""
    CREATE TEMP TABLE acct AS
    SELECT a.*, a.account_type <> 'prospect' AS paying,
        a.account_type <> 'prospect' AND u(a.account_id, 'fb1') < 0.2 AS fb1,
        CASE WHEN a.account_type <> 'prospect' AND u(a.account_id, 'fb1') >= 0.2
             THEN 'ORG-' || substr(a.account_id, 5) END AS organization_id,
        lower(regexp_replace(a.name, '[^A-Za-z0-9]+', '-', 'g')) AS slug,
        u(a.account_id, 'noregion') < 0.3 AS no_region,
        u(a.account_id, 'nocountry') < 0.4 AS no_country
    FROM c.accounts a
    """)
    con.execute("""
    INSERT INTO organization_d
    SELECT organization_id, slug, name, FALSE, u(account_id, 'ver') < 0.9,
           CASE WHEN u(account_id, 'ver') < 0.9 THEN customer_since::TIMESTAMP + INTERVAL 3 HOUR END
    FROM acct WHERE organization_id IS NOT NULL
    UNION ALL SELECT 'ORG-INTERNAL-1', 'firebolt-internal', 'Firebolt Analytics Inc.', TRUE, TRUE,
                     TIMESTAMP '2022-01-03 09:00:00'
    UNION ALL SELECT 'ORG-INTERNAL-2', 'firebolt-qa', 'Firebolt Analytics Inc.', TRUE, TRUE,
                     TIMESTAMP '2022-01-03 09:05:00'
    """)
    region_word = ("CASE a.region " + " ".join(
        f"WHEN {lit(r)} THEN pickw({lit(w)}, a.account_id, 'rw')" for r, w in _REGION_WORDS.items()) + " END")
    country = ("CASE a.region " + " ".join(
        f"WHEN {lit(r)} THEN pickw({lit(cs)}, a.account_id, 'cty')" for r, cs in _COUNTRIES.items()) + " END")
    # region: account_region, else billing_country, else (FB 2.0 customers only) amberflo's customer_country
    con.execute(f"""
    INSERT INTO salesforce_account_d
    SELECT a.account_id, a.account_id || 'AAQ', a.name, a.organization_id,
        CASE a.account_type
             WHEN 'customer' THEN CASE WHEN a.segment = 'SMB' OR (a.segment = 'Mid-Market' AND u(a.account_id, 'plg') < 0.15)
                                      THEN 'PLG Customer' ELSE 'Commit Customer' END
             WHEN 'churned' THEN 'Former Customer'
             ELSE CASE WHEN u(a.account_id, 'ptype') < 0.6 THEN NULL ELSE 'Prospect' END END,
        CASE WHEN a.no_region THEN NULL ELSE {region_word} END,
        a.industry, NULL, a.owner_id,
        (SELECT count(*) FROM c.opportunities o WHERE o.account_id = a.account_id AND NOT o.is_closed)::INTEGER,
        CASE WHEN a.no_region AND a.no_country AND a.organization_id IS NOT NULL THEN NULL ELSE {country} END,
        a.potential_spend, a.domain, a.created_date::TIMESTAMP + INTERVAL 10 HOUR
    FROM acct a
    UNION ALL
    SELECT '{INTERNAL_ACCOUNT_ID}', '{INTERNAL_ACCOUNT_ID}AAQ', 'Firebolt (internal)', 'ORG-INTERNAL-1', NULL,
        'North America', 'Software', NULL, (SELECT min(user_id) FROM c.users), 0, 'US', 0, 'firebolt.io',
        TIMESTAMP '2022-01-03 10:00:00'
    """)
    con.execute(f"""
    INSERT INTO amberflo_customer_d
    SELECT 'AFLO-' || substr(a.account_id, 5), a.slug, a.organization_id, 'pm_' || substr(md5(a.account_id), 1, 12),
        CASE a.account_type WHEN 'churned' THEN 'churned' ELSE 'active' END,
        CASE WHEN u(a.account_id, 'pay') < 0.3 THEN 'AWS Marketplace' ELSE 'Stripe' END,
        u(a.account_id, 'po') < 0.1, FALSE, a.account_type <> 'churned', NULL,
        {country}, NULL, NULL
    FROM acct a WHERE a.organization_id IS NOT NULL
    UNION ALL SELECT 'AFLO-INTERNAL-1', 'firebolt-internal', 'ORG-INTERNAL-1', NULL, 'active', 'None', FALSE, TRUE,
        TRUE, NULL, 'US', 'San Mateo', 'CA'
    """)
    con.execute("""
    INSERT INTO firebolt_fb1_account_d
    SELECT replace(slug, '-', '_') || '_fb1', account_id FROM acct WHERE fb1
    """)
    con.execute("""
    INSERT INTO employee_d
    SELECT user_id, split_part(name, ' ', 1), substr(name, length(split_part(name, ' ', 1)) + 2), email FROM c.users
    """)
    con.execute("""
    INSERT INTO campaign_d
    SELECT 'CMP-' || lpad(row_number() OVER (ORDER BY lead_source)::VARCHAR, 3, '0'), lead_source
    FROM (SELECT DISTINCT lead_source FROM c.opportunities WHERE lead_source IS NOT NULL)
    """)

    # opportunities: TCV amounts, the reference's stage, type and status words
    status_cols = []
    for f, words in _STATUS_WORDS.items():
        arms = " ".join(f"WHEN {lit(s)} THEN pickw({lit(w)}, o.opportunity_id, '{f}')" for s, w in words.items())
        status_cols.append(f"CASE WHEN o.{f}_status = 'Unknown' AND u(o.opportunity_id, '{f}n') < 0.15 THEN NULL "
                           f"ELSE CASE o.{f}_status {arms} WHEN 'Leveraged' THEN 'Strong' END END")
    con.execute(f"""
    CREATE TEMP TABLE opp AS
    SELECT o.*,
        CASE WHEN o.type = 'Renewal' THEN 12
             WHEN u(o.opportunity_id, 'dur') < 0.10 THEN NULL
             WHEN u(o.opportunity_id, 'dur') < 0.55 THEN 12
             WHEN u(o.opportunity_id, 'dur') < 0.80 THEN 24 ELSE 36 END AS duration,
        coalesce((SELECT min(h.changed_at) FROM c.opportunity_stage_history h
                  WHERE h.opportunity_id = o.opportunity_id AND h.from_stage IS NULL),
                 o.created_date::TIMESTAMP + INTERVAL 8 HOUR) AS created_at
    FROM c.opportunities o
    """)
    con.execute(f"""
    INSERT INTO opportunity_d
    SELECT o.opportunity_id, o.name,
        CASE WHEN o.type = 'Expansion' AND u(o.opportunity_id, 'ups') < 0.6 THEN 'Upsell' ELSE o.type END,
        o.account_id, ref_stage(o.stage, o.type, o.opportunity_id),
        o.amount * coalesce(o.duration, 12) / 12, o.duration, o.probability, o.close_date, o.created_at,
        CASE WHEN o.is_closed THEN o.close_date END,
        CASE WHEN o.is_won THEN pickw(['Technical win', 'Price / performance', 'Champion drove it'], o.opportunity_id, 'why')
             WHEN o.is_closed THEN pickw(['Lost to competitor', 'No decision', 'Budget', 'Timing', 'Went with incumbent'],
                                         o.opportunity_id, 'why') END,
        o.owner_id, cmp.campaign_id,
        (SELECT min(ct.contact_id) FROM c.contacts ct WHERE ct.account_id = o.account_id AND ct.is_primary),
        o.metrics, {status_cols[0]}, o.economic_buyer, {status_cols[1]}, o.identify_pain, {status_cols[2]},
        o.champion, {status_cols[3]}, o.decision_criteria, {status_cols[4]}, o.competition, {status_cols[5]},
        o.competitors, o.decision_making_process, {status_cols[6]},
        CASE WHEN NOT o.is_closed THEN o.close_date - 14 END, o.paper_process, {status_cols[7]}
    FROM opp o LEFT JOIN campaign_d cmp ON cmp.campaign_name = o.lead_source
    """)

    # stage moves, one active-stage row per opportunity, and a few soft-deleted rows
    con.execute(f"""
    CREATE TEMP TABLE sc AS
    SELECT h.*, o.type, o.owner_id,
        lag(h.changed_at) OVER (PARTITION BY h.opportunity_id ORDER BY h.changed_at) AS entered_at,
        row_number() OVER (PARTITION BY h.opportunity_id ORDER BY h.changed_at) AS pos,
        count(*) OVER (PARTITION BY h.opportunity_id) AS n
    FROM c.opportunity_stage_history h JOIN c.opportunities o USING (opportunity_id)
    WHERE h.from_stage IS NULL OR h.from_stage <> h.to_stage
    """)
    con.execute(f"""
    INSERT INTO opportunity_stage_f
    WITH rows AS (
        SELECT opportunity_id || '-' || lpad(pos::VARCHAR, 2, '0') AS sid, opportunity_id, owner_id, changed_by,
            ref_stage(from_stage, type, opportunity_id) AS from_stage, ref_stage(to_stage, type, opportunity_id) AS to_stage,
            days_in_stage, entered_at AS started_at_ts, changed_at AS ended_at_ts, pos = 2 AS is_first,
            to_stage LIKE 'Closed%' AS is_last, FALSE AS is_active
        FROM sc WHERE from_stage IS NOT NULL
        UNION ALL
        SELECT opportunity_id || '-' || lpad((pos + 1)::VARCHAR, 2, '0'), opportunity_id, owner_id, changed_by,
            ref_stage(to_stage, type, opportunity_id), NULL, date_diff('day', changed_at, {A}::TIMESTAMP)::INTEGER,
            changed_at, NULL, pos = 1, FALSE, TRUE
        FROM sc WHERE pos = n
    )
    SELECT sid, opportunity_id, owner_id, changed_by, from_stage, to_stage, days_in_stage, started_at_ts, ended_at_ts,
        is_first, is_last, is_active, FALSE, coalesce(ended_at_ts, started_at_ts) + INTERVAL 5 MINUTE,
        {A}::TIMESTAMP + INTERVAL 2 HOUR
    FROM rows
    UNION ALL
    SELECT sid || '-X', opportunity_id, owner_id, changed_by, from_stage, 'Closed Lost', days_in_stage,
        started_at_ts, ended_at_ts, FALSE, TRUE, FALSE, TRUE, ended_at_ts + INTERVAL 1 DAY, {A}::TIMESTAMP + INTERVAL 2 HOUR
    FROM rows WHERE NOT is_active AND u(sid, 'del') < 0.03
    """)

    con.execute("""
    INSERT INTO contact_d
    WITH x AS (
        SELECT contact_id, name, email, '+1-555-' || lpad((abs(hash(contact_id)) % 10000)::VARCHAR, 4, '0') AS phone,
            title, account_id, created_date::TIMESTAMP + INTERVAL 11 HOUR AS created
        FROM c.contacts)
    SELECT contact_id, name, email, phone, title, account_id, FALSE, created, created + INTERVAL 40 DAY FROM x
    UNION ALL
    SELECT contact_id || '-DUP', name, upper(email), phone, title, account_id, TRUE, created + INTERVAL 2 DAY,
        created + INTERVAL 3 DAY
    FROM x WHERE u(contact_id, 'del') < 0.04
    """)
    lead_status = ("CASE l.status WHEN 'New' THEN 'Open - Not Contacted' WHEN 'Working' THEN 'Working - Contacted' "
                   "WHEN 'MQL' THEN 'Marketing Qualified' WHEN 'SQL' THEN 'Sales Qualified' "
                   "WHEN 'Disqualified' THEN pickw(['Closed - Not Converted', 'Closed - Not Converted', 'Unqualified'], "
                   "l.lead_id, 'st') WHEN 'Converted' THEN 'Closed - Converted' END")
    lead_source = ("CASE l.source WHEN 'Website' THEN pickw(['Web', 'Website'], l.lead_id, 'src') "
                   "WHEN 'Event' THEN pickw(['Trade Show', 'Event'], l.lead_id, 'src') "
                   "WHEN 'Outbound' THEN 'Outbound Prospecting' WHEN 'Referral' THEN 'Customer Referral' "
                   "WHEN 'Paid Search' THEN pickw(['Google Ads', 'Paid Search'], l.lead_id, 'src') ELSE l.source END")
    con.execute(f"""
    INSERT INTO lead_d
    WITH x AS (
        SELECT l.lead_id, l.name, l.email, '+1-555-' || lpad((abs(hash(l.lead_id)) % 10000)::VARCHAR, 4, '0') AS phone,
            l.title, l.company, {lead_status} AS status, {lead_source} AS source,
            l.created_date::TIMESTAMP + INTERVAL 9 HOUR AS created, l.last_activity_date::TIMESTAMP + INTERVAL 12 HOUR AS modified
        FROM c.leads l)
    SELECT lead_id, name, email, phone, title, company, status, source, FALSE, created, modified FROM x
    UNION ALL
    SELECT lead_id || '-DUP', name, email, phone, title, company, 'Open - Not Contacted', source, TRUE,
        created + INTERVAL 1 DAY, modified
    FROM x WHERE u(lead_id, 'del') < 0.03
    """)
    _calls(con, as_of)
    _usage_and_billing(con, as_of)


def _macros(con) -> None:
    arms = {"Discovery": "CASE WHEN t = 'Renewal' THEN 'Open' ELSE 'Opportunity Created' END",
            "Qualification": "CASE WHEN t = 'Renewal' THEN 'Qualification' ELSE 'Discover' END",
            "Technical Validation": "'Proof of Concept'", "Business Justification": "'Propose'",
            "Negotiate": "CASE WHEN u(k, 'signature') < 0.3 THEN 'Signature' ELSE 'Negotiate' END"}
    con.execute("CREATE OR REPLACE TEMP MACRO ref_stage(s, t, k) AS CASE s "
                + " ".join(f"WHEN {lit(k)} THEN {v}" for k, v in arms.items()) + " ELSE s END")


def _calls(con, as_of: dt.date) -> None:
    A = lit(as_of)
    con.execute(f"""
    CREATE TEMP TABLE call_x AS
    SELECT cl.*, coalesce(a.domain, l.company_domain, 'example.com') AS domain,
        o.type AS opp_type, o.stage AS opp_stage, o.amount AS arr, o.close_date AS opp_close, o.probability AS opp_prob,
        od.amount AS tcv,
        (SELECT arg_max(h.to_stage, h.changed_at) FROM c.opportunity_stage_history h
         WHERE h.opportunity_id = cl.opportunity_id AND h.changed_at <= cl.started_at) AS stage_then,
        (SELECT arg_max(h.new_close_date, h.changed_at) FROM c.opportunity_stage_history h
         WHERE h.opportunity_id = cl.opportunity_id AND h.changed_at <= cl.started_at) AS close_then,
        u(cl.call_id, 'link') AS ul, u(cl.call_id, 'olink') AS uo
    FROM c.calls cl
    LEFT JOIN c.accounts a ON a.account_id = cl.account_id
    LEFT JOIN c.leads l ON l.lead_id = cl.lead_id
    LEFT JOIN c.opportunities o ON o.opportunity_id = cl.opportunity_id
    LEFT JOIN opportunity_d od ON od.opportunity_id = cl.opportunity_id
    """)
    emails = ("array_to_string(list_transform(string_split(participants, ','), lambda p: "
              "replace(lower(regexp_replace(trim(split_part(p, ' (', 1)), '[^A-Za-z ]', '', 'g')), ' ', '.') || '@' || "
              "CASE WHEN p LIKE '%(Firebolt %' THEN 'firebolt.io' ELSE domain END), ',')")
    pjson = ("to_json(list_transform(string_split(participants, ','), lambda p: "
             "{'name': trim(split_part(p, ' (', 1)), 'affiliation': rtrim(split_part(p, ' (', 2), ')')}))::VARCHAR")
    con.execute(f"""
    INSERT INTO gong_call_f
    WITH x AS (
        SELECT call_id AS sid, (hash(call_id, 'gong') % 9000000000000000000)::VARCHAR AS gid, title, owner_id,
            started_at, started_at + to_minutes(coalesce(duration_minutes, 0)::INTEGER) AS ended_at, duration_minutes,
            CASE WHEN lead_id IS NOT NULL AND account_id IS NULL THEN 'Outbound' ELSE 'Conference' END AS direction,
            pickw(['Zoom', 'Zoom', 'Google Meet', 'Microsoft Teams'], call_id, 'sys') AS sys,
            {emails} AS emails, {pjson} AS pjson,
            CASE WHEN ul < 0.10 THEN NULL ELSE account_id END AS related_account,
            CASE WHEN ul >= 0.10 AND ul < 0.20 THEN NULL ELSE account_id END AS primary_account,
            lead_id,
            CASE WHEN uo < 0.10 THEN NULL ELSE opportunity_id END AS related_opp,
            CASE WHEN uo >= 0.10 AND uo < 0.20 THEN NULL ELSE opportunity_id END AS primary_opp,
            ref_stage(opp_stage, opp_type, opportunity_id) AS stage_now,
            ref_stage(stage_then, opp_type, opportunity_id) AS stage_then, tcv, close_then, opp_prob,
            brief, key_points, next_steps
        FROM call_x)
    SELECT sid, gid, title, CASE WHEN u(sid, 'notitle') < 0.15 THEN NULL ELSE title END, owner_id, FALSE, owner_id,
        ended_at + INTERVAL 1 HOUR, ended_at + INTERVAL 2 HOUR, started_at, ended_at, started_at - INTERVAL 2 DAY,
        lpad((duration_minutes // 60)::VARCHAR, 2, '0') || ':' || lpad((duration_minutes % 60)::VARCHAR, 2, '0') || ':00',
        direction, 'Video', sys, 'en-US', round(60 + 40 * u(sid, 'q'), 1), sys, 'External', owner_id,
        round(0.3 + 0.4 * u(sid, 'tt'), 2), NULL, emails, primary_account, related_account, lead_id, NULL, related_opp,
        primary_opp, stage_now, stage_then, tcv, close_then, opp_prob, brief, key_points, next_steps, pjson,
        'gong_calls_' || strftime(started_at, '%Y%m%d') || '.parquet', ended_at + INTERVAL 3 HOUR, {A}::TIMESTAMP
    FROM x
    UNION ALL
    SELECT sid || '-DEL', gid || '9', title, title, owner_id, TRUE, owner_id, ended_at, ended_at, started_at, ended_at,
        NULL, NULL, direction, 'Video', sys, 'en-US', NULL, sys, 'External', owner_id, NULL, NULL, emails,
        primary_account, related_account, lead_id, NULL, related_opp, primary_opp, stage_now, stage_then, tcv,
        close_then, opp_prob, brief, key_points, next_steps, pjson, NULL, NULL, {A}::TIMESTAMP
    FROM x WHERE u(sid, 'del') < 0.03
    """)
    # internal meetings: no account, no opportunity, no lead
    con.execute(f"""
    INSERT INTO gong_call_f
    WITH mgr AS (SELECT list(user_id ORDER BY user_id) AS ids, list(email ORDER BY user_id) AS em
                 FROM c.users WHERE role IN ('Sales Manager', 'AE')),
    k AS (SELECT i FROM range(1, greatest(4, (SELECT count(*) FROM c.calls) // 8) + 1) t(i))
    SELECT 'INT-' || lpad(i::VARCHAR, 6, '0'), (hash(i, 'int') % 9000000000000000000)::VARCHAR,
        pickw(['Weekly pipeline review', 'Forecast call', 'Deal desk', 'Team stand-up', 'QBR prep'], i::VARCHAR, 'ti'),
        NULL, mgr.ids[1 + (i % len(mgr.ids))::INTEGER], FALSE, NULL, NULL, NULL,
        ({A} - (7 * (i // 2) + (i % 2) * 3)::INTEGER)::TIMESTAMP + INTERVAL 16 HOUR,
        ({A} - (7 * (i // 2) + (i % 2) * 3)::INTEGER)::TIMESTAMP + INTERVAL 16 HOUR + INTERVAL 30 MINUTE,
        NULL, '00:30:00', 'Conference', 'Video', 'Google Meet', 'en-US', NULL, 'Google Meet', 'Internal', NULL, NULL,
        NULL, array_to_string(list_slice(mgr.em, 1, 4), ','), NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        NULL, NULL, 'Internal meeting: pipeline and forecast review.', 'Commit list reviewed' || chr(10) || 'Two deals at risk',
        NULL, NULL, NULL, NULL, {A}::TIMESTAMP
    FROM k, mgr
    """)


def _usage_and_billing(con, as_of: dt.date) -> None:
    A = lit(as_of)
    con.execute(f"""
    INSERT INTO consumption_daily_d
    SELECT usage_date, account_id, engine_hours, query_count, bytes_scanned FROM c.usage_daily
    UNION ALL
    SELECT ({A} - i::INTEGER)::DATE, '{INTERNAL_ACCOUNT_ID}', 30 + (i % 7), 5000 + 37 * i, 9000000000 + 1000 * i
    FROM range(0, 60) t(i)
    """)
    # revenue in exact cents, spread over the days of each month (up to as_of); weekly above ~200k months
    many = con.execute("SELECT count(*) FROM c.billing_monthly").fetchone()[0] > 200_000
    step = 7 if many else 1
    con.execute(f"""
    INSERT INTO billing_event_f
    WITH m AS (
        SELECT b.account_id, b.month, round(b.revenue * 100)::BIGINT AS cents, a.organization_id, a.fb1, a.slug,
            list_filter(range(0, date_diff('day', b.month, last_day(b.month)) + 1, {step}),
                        lambda d: b.month + d::INTEGER <= {A}) AS offsets
        FROM c.billing_monthly b JOIN acct a USING (account_id)
    ), d AS (
        SELECT *, unnest(offsets) AS off, len(offsets) AS n FROM m
    ), e AS (
        SELECT *, row_number() OVER (PARTITION BY account_id, month ORDER BY off) AS k FROM d
    )
    SELECT CASE WHEN fb1 THEN NULL ELSE organization_id END, (month + off::INTEGER)::TIMESTAMP,
        (CASE WHEN k < n THEN cents // n ELSE cents - (n - 1) * (cents // n) END)::DECIMAL(18, 2) / 100,
        NOT fb1, CASE WHEN fb1 THEN replace(slug, '-', '_') || '_fb1' ELSE slug END,
        CASE WHEN fb1 THEN NULL ELSE 'AFLO-' || substr(account_id, 5) END,
        CASE WHEN fb1 THEN lpad((abs(hash(account_id)) % 1000000000000)::VARCHAR, 12, '0') END
    FROM e
    UNION ALL
    SELECT 'ORG-INTERNAL-1', ({A} - i::INTEGER)::TIMESTAMP, 412.50, TRUE, 'firebolt-internal', 'AFLO-INTERNAL-1', NULL
    FROM range(0, 90) t(i)
    """)
