"""Shape `fivetran-salesforce`: the raw tables Fivetran's Salesforce connector writes, from the canonical demo data.

Snake_case tables and columns as the connector lands them (`account`, `opportunity`, `opportunity_history`,
`contact`, `lead`, `"user"` (a reserved word: always quoted), `user_role`, `task`), each with `is_deleted`
and `_fivetran_synced`. Custom fields end in `__c` (`competitors__c` as a multi-select picklist, the
MEDDPICC fields of a MEDDPICC package). IDs stay the canonical ones; real Salesforce IDs are 18-character
strings, which changes nothing for the joins.

How each canonical entity comes back (what the `fivetran-salesforce` preset does), and the mess on the way:

- accounts <- account (NOT is_deleted; soft-deleted duplicates). type is the Salesforce picklist
  (ACCOUNT_TYPE_TO_CANONICAL). website carries a scheme, `www.` or a trailing slash around the domain.
  billing_country is an ISO code or a country name (COUNTRY_REGION gives the region). segment is not a
  field: employee bands (number_of_employees < 200 SMB, < 2000 Mid-Market) give it exactly here.
- users <- "user" (user_type = 'Standard': one AutomatedProcess user is not a person) JOIN user_role
  (role words in USER_ROLE_TO_CANONICAL, "<role> - <team>"); team = department; region from country.
- opportunities <- opportunity (NOT is_deleted). Standard Salesforce stages (STAGE_TO_CANONICAL), types
  (OPPORTUNITY_TYPE_TO_CANONICAL), forecast_category in API words with forecast_category_name as labels,
  lead_source in Salesforce words (LEAD_SOURCE_TO_CANONICAL), competitors__c separated by ';'. amount is
  the canonical ARR. MEDDPICC statuses are the canonical words, NULL for Unknown.
- opportunity_stage_history <- opportunity_history: one row per stage or close-date change, as Salesforce
  writes them (stage_name is the stage after the change, prev_close_date/close_date the close-date move);
  from_stage is the previous row's stage (LAG), days_in_stage the days since the opportunity entered it.
- contacts <- contact; leads <- lead (Salesforce status words, LEAD_STATUS_TO_CANONICAL; region from country).
- calls <- task with task_subtype = 'Call' (email tasks and soft-deleted rows are the mess). what_id is the
  opportunity (or the account), who_id the lead; brief is the description. No key points, next steps,
  participants or transcripts.
- usage_daily, billing_monthly, targets, company_research: no tables.
"""

from __future__ import annotations

import datetime as dt

from revops_cli.warehouse.shapes import case_words, lit

TABLES: tuple[str, ...] = ("account", "user_role", "user", "opportunity", "opportunity_history", "contact", "lead",
                           "task")

STAGE_TO_CANONICAL: dict[str, str] = {
    "Prospecting": "Discovery", "Qualification": "Qualification",
    "Needs Analysis": "Technical Validation", "Value Proposition": "Technical Validation",
    "Id. Decision Makers": "Business Justification", "Perception Analysis": "Business Justification",
    "Proposal/Price Quote": "Business Justification", "Negotiation/Review": "Negotiate",
    "Closed Won": "Closed Won", "Closed Lost": "Closed Lost"}
_STAGE_WORDS: dict[str, tuple[str, ...]] = {
    "Discovery": ("Prospecting",), "Qualification": ("Qualification",),
    "Technical Validation": ("Needs Analysis", "Value Proposition"),
    "Business Justification": ("Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote"),
    "Negotiate": ("Negotiation/Review",), "Closed Won": ("Closed Won",), "Closed Lost": ("Closed Lost",)}
OPPORTUNITY_TYPE_TO_CANONICAL: dict[str, str] = {
    "New Customer": "New Business", "Existing Customer - Upgrade": "Expansion",
    "Existing Customer - Renewal": "Renewal"}
FORECAST_CATEGORY_TO_CANONICAL: dict[str, str] = {
    "Pipeline": "Pipeline", "BestCase": "Best Case", "Forecast": "Commit", "Closed": "Closed", "Omitted": "Omitted"}
ACCOUNT_TYPE_TO_CANONICAL: dict[str, str] = {
    "Customer - Direct": "customer", "Customer - Channel": "customer", "Former Customer": "churned",
    "Prospect": "prospect"}
LEAD_SOURCE_TO_CANONICAL: dict[str, str] = {
    "Web": "Website", "Webinar": "Webinar", "Trade Show": "Event", "Cold Call": "Outbound",
    "Employee Referral": "Referral", "External Referral": "Referral", "Partner": "Partner",
    "Advertisement": "Paid Search", "Existing Customer": "Existing Customer"}
_SOURCE_WORDS: dict[str, tuple[str, ...]] = {
    "Website": ("Web",), "Webinar": ("Webinar",), "Event": ("Trade Show",), "Outbound": ("Cold Call",),
    "Referral": ("Employee Referral", "External Referral"), "Partner": ("Partner",), "Paid Search": ("Advertisement",),
    "Existing Customer": ("Existing Customer",)}
LEAD_STATUS_TO_CANONICAL: dict[str, str] = {
    "Open - Not Contacted": "New", "Working - Contacted": "Working", "Marketing Qualified": "MQL",
    "Sales Qualified": "SQL", "Closed - Not Converted": "Disqualified", "Closed - Converted": "Converted"}
USER_ROLE_TO_CANONICAL: dict[str, str] = {
    "Account Executive": "AE", "Sales Development Representative": "SDR", "Customer Success Manager": "CSM",
    "Sales Manager": "Sales Manager"}
_COUNTRY_WORDS: dict[str, tuple[str, ...]] = {
    "NA": ("US", "United States", "USA", "CA", "Canada"),
    "EMEA": ("GB", "United Kingdom", "DE", "Germany", "FR", "France", "NL", "Netherlands", "SE", "ES", "Spain"),
    "APAC": ("SG", "Singapore", "AU", "Australia", "JP", "Japan", "IN", "India"),
    "LATAM": ("BR", "Brazil", "MX", "Mexico", "AR", "Argentina", "CL", "Chile", "CO", "Colombia"),
}
COUNTRY_REGION: dict[str, str] = {c: r for r, cs in _COUNTRY_WORDS.items() for c in cs}
# the canonical forecast category -> Salesforce API word
_FORECAST_WORDS = {v: k for k, v in FORECAST_CATEGORY_TO_CANONICAL.items()}

DDL = """
CREATE TABLE account (id TEXT, name TEXT, type TEXT, parent_id TEXT, billing_city TEXT, billing_state TEXT,
    billing_country TEXT, website TEXT, industry TEXT, annual_revenue DOUBLE PRECISION, number_of_employees INTEGER,
    owner_id TEXT, account_source TEXT, description TEXT, created_date TIMESTAMP, last_modified_date TIMESTAMP,
    is_deleted BOOLEAN, _fivetran_synced TIMESTAMP);
CREATE TABLE user_role (id TEXT, name TEXT, developer_name TEXT, parent_role_id TEXT, rollup_description TEXT,
    is_deleted BOOLEAN, _fivetran_synced TIMESTAMP);
CREATE TABLE "user" (id TEXT, username TEXT, name TEXT, first_name TEXT, last_name TEXT, email TEXT, alias TEXT,
    title TEXT, department TEXT, division TEXT, country TEXT, user_role_id TEXT, manager_id TEXT, user_type TEXT,
    is_active BOOLEAN, created_date TIMESTAMP, last_login_date TIMESTAMP, is_deleted BOOLEAN,
    _fivetran_synced TIMESTAMP);
CREATE TABLE opportunity (id TEXT, name TEXT, account_id TEXT, type TEXT, stage_name TEXT, amount DOUBLE PRECISION,
    expected_revenue DOUBLE PRECISION, probability DOUBLE PRECISION, close_date DATE, created_date TIMESTAMP,
    owner_id TEXT, lead_source TEXT, next_step TEXT, is_closed BOOLEAN, is_won BOOLEAN, forecast_category TEXT,
    forecast_category_name TEXT, last_activity_date DATE, fiscal_quarter INTEGER, fiscal_year INTEGER,
    campaign_id TEXT, description TEXT, has_open_activity BOOLEAN, competitors__c TEXT,
    metrics__c TEXT, metrics_status__c TEXT, economic_buyer__c TEXT, economic_buyer_status__c TEXT,
    identify_pain__c TEXT, identify_pain_status__c TEXT, champion__c TEXT, champion_status__c TEXT,
    decision_criteria__c TEXT, decision_criteria_status__c TEXT, competition__c TEXT, competition_status__c TEXT,
    decision_making_process__c TEXT, decision_making_process_status__c TEXT, paper_process__c TEXT,
    paper_process_status__c TEXT, is_deleted BOOLEAN, _fivetran_synced TIMESTAMP);
CREATE TABLE opportunity_history (id TEXT, opportunity_id TEXT, created_date TIMESTAMP, created_by_id TEXT,
    stage_name TEXT, amount DOUBLE PRECISION, expected_revenue DOUBLE PRECISION, close_date DATE,
    prev_close_date DATE, probability DOUBLE PRECISION, forecast_category TEXT, is_deleted BOOLEAN,
    _fivetran_synced TIMESTAMP);
CREATE TABLE contact (id TEXT, account_id TEXT, first_name TEXT, last_name TEXT, name TEXT, title TEXT,
    department TEXT, email TEXT, phone TEXT, mailing_country TEXT, lead_source TEXT, owner_id TEXT,
    created_date TIMESTAMP, is_deleted BOOLEAN, _fivetran_synced TIMESTAMP);
CREATE TABLE lead (id TEXT, first_name TEXT, last_name TEXT, name TEXT, title TEXT, email TEXT, company TEXT,
    website TEXT, industry TEXT, number_of_employees INTEGER, country TEXT, lead_source TEXT, status TEXT,
    rating TEXT, owner_id TEXT, created_date TIMESTAMP, last_activity_date DATE, is_converted BOOLEAN,
    converted_account_id TEXT, converted_date DATE, is_deleted BOOLEAN, _fivetran_synced TIMESTAMP);
CREATE TABLE task (id TEXT, who_id TEXT, what_id TEXT, account_id TEXT, subject TEXT, activity_date DATE,
    description TEXT, owner_id TEXT, type TEXT, task_subtype TEXT, call_duration_in_seconds INTEGER,
    call_type TEXT, status TEXT, priority TEXT, is_closed BOOLEAN, created_date TIMESTAMP, created_by_id TEXT,
    is_deleted BOOLEAN, _fivetran_synced TIMESTAMP);
"""

_ROLE_WORDS = {"AE": "Account Executive", "SDR": "Sales Development Representative",
               "CSM": "Customer Success Manager", "Sales Manager": "Sales Manager"}
_USER_COUNTRY = {"NA": "US", "EMEA": "GB", "APAC": "SG", "LATAM": "BR"}


def build(con, *, seed: int, as_of: dt.date) -> None:
    """Write the Fivetran Salesforce tables into `con`'s main database from the canonical warehouse `c`."""
    synced = f"({lit(as_of)}::TIMESTAMP + INTERVAL 3 HOUR)"
    con.execute(DDL)
    con.execute("CREATE OR REPLACE TEMP MACRO sf_stage(s, k) AS " + case_words("s", _STAGE_WORDS, "k", "stage", "s"))
    con.execute("CREATE OR REPLACE TEMP MACRO sf_country(r, k) AS "
                + case_words("r", _COUNTRY_WORDS, "k", "country", "NULL"))
    con.execute("CREATE OR REPLACE TEMP MACRO sf_source(s, k) AS "
                + case_words("s", _SOURCE_WORDS, "k", "source", "s"))

    con.execute(f"""
    INSERT INTO account
    WITH x AS (
        SELECT a.*, CASE a.account_type
                WHEN 'customer' THEN CASE WHEN u(a.account_id, 'chan') < 0.2 THEN 'Customer - Channel'
                                          ELSE 'Customer - Direct' END
                WHEN 'churned' THEN 'Former Customer' ELSE 'Prospect' END AS sf_type,
            pickw(['https://www.', 'http://www.', 'www.', 'https://', ''], a.account_id, 'web') || a.domain
                || CASE WHEN u(a.account_id, 'slash') < 0.2 THEN '/' ELSE '' END AS website,
            sf_country(a.region, a.account_id) AS country
        FROM c.accounts a)
    SELECT account_id, name, sf_type, NULL, NULL, NULL, country, website, industry, annual_revenue, employees, owner_id,
        pickw(['Web', 'Trade Show', 'Partner', 'Cold Call'], account_id, 'asrc'), NULL,
        created_date::TIMESTAMP + INTERVAL 10 HOUR, created_date::TIMESTAMP + INTERVAL 40 DAY, FALSE, {synced}
    FROM x
    UNION ALL
    SELECT account_id || '-DUP', name || ' (duplicate)', 'Prospect', NULL, NULL, NULL, country, website, industry, NULL,
        NULL, owner_id, NULL, 'merged', created_date::TIMESTAMP + INTERVAL 20 DAY, created_date::TIMESTAMP + INTERVAL 21 DAY,
        TRUE, {synced}
    FROM x WHERE u(account_id, 'del') < 0.05
    """)
    con.execute(f"""
    INSERT INTO user_role
    SELECT DISTINCT 'ROLE-' || upper(replace(role, ' ', '')) || '-' || upper(replace(team, '-', '')),
        CASE role {" ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in _ROLE_WORDS.items())} END || ' - ' || team,
        replace(role || '_' || team, ' ', '_'), NULL, NULL, FALSE, {synced}
    FROM c.users
    """)
    con.execute(f"""
    INSERT INTO "user"
    SELECT user_id, email, name, split_part(name, ' ', 1), substr(name, length(split_part(name, ' ', 1)) + 2), email,
        lower(substr(name, 1, 4)), NULL, team, 'Sales',
        CASE region {" ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in _USER_COUNTRY.items())} END,
        'ROLE-' || upper(replace(role, ' ', '')) || '-' || upper(replace(team, '-', '')), manager_id, 'Standard', TRUE,
        TIMESTAMP '2023-01-09 09:00:00', {synced} - INTERVAL 1 DAY, FALSE, {synced}
    FROM c.users
    UNION ALL
    SELECT 'USR-AUTOPROC', 'autoproc@00d.example', 'Automated Process', NULL, 'Automated Process', NULL, 'autoproc',
        NULL, NULL, NULL, NULL, NULL, NULL, 'AutomatedProcess', TRUE, TIMESTAMP '2023-01-02 00:00:00', NULL, FALSE, {synced}
    """)

    meddpicc = ("metrics", "economic_buyer", "identify_pain", "champion", "decision_criteria", "competition",
                "decision_making_process", "paper_process")
    med = ", ".join(f"o.{f}, CASE WHEN o.{f}_status = 'Unknown' THEN NULL ELSE o.{f}_status END" for f in meddpicc)
    opp_type = " ".join(f"WHEN {lit(v)} THEN {lit(k)}" for k, v in OPPORTUNITY_TYPE_TO_CANONICAL.items())
    fc = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in _FORECAST_WORDS.items())
    con.execute(f"""
    INSERT INTO opportunity
    WITH x AS (
        SELECT o.*, coalesce((SELECT min(h.changed_at) FROM c.opportunity_stage_history h
                              WHERE h.opportunity_id = o.opportunity_id AND h.from_stage IS NULL),
                             o.created_date::TIMESTAMP + INTERVAL 8 HOUR) AS created_at
        FROM c.opportunities o)
    SELECT o.opportunity_id, o.name, o.account_id, CASE o.type {opp_type} END, sf_stage(o.stage, o.opportunity_id),
        o.amount, o.amount * o.probability / 100.0, o.probability, o.close_date, o.created_at, o.owner_id,
        sf_source(o.lead_source, o.opportunity_id), o.next_step, o.is_closed, o.is_won,
        CASE o.forecast_category {fc} END, o.forecast_category, o.last_activity_date,
        quarter(o.close_date), year(o.close_date), NULL, NULL, NOT o.is_closed, replace(o.competitors, ',', ';'),
        {med}, FALSE, {synced}
    FROM x o
    UNION ALL
    SELECT o.opportunity_id || '-DUP', o.name || ' (clone)', o.account_id, CASE o.type {opp_type} END, 'Prospecting',
        o.amount, 0, 10, o.close_date, o.created_at + INTERVAL 1 DAY, o.owner_id, NULL, NULL, FALSE, FALSE, 'Pipeline',
        'Pipeline', NULL, quarter(o.close_date), year(o.close_date), NULL, NULL, TRUE, NULL,
        NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, TRUE, {synced}
    FROM x o WHERE u(o.opportunity_id, 'del') < 0.03
    """)
    probs = "CASE h.to_stage WHEN 'Discovery' THEN 10 WHEN 'Qualification' THEN 20 WHEN 'Technical Validation' THEN 40 " \
            "WHEN 'Business Justification' THEN 60 WHEN 'Negotiate' THEN 75 WHEN 'Closed Won' THEN 100 ELSE 0 END"
    hist_fc = ("CASE h.to_stage WHEN 'Discovery' THEN 'Pipeline' WHEN 'Qualification' THEN 'Pipeline' "
               "WHEN 'Technical Validation' THEN 'Pipeline' WHEN 'Business Justification' THEN 'BestCase' "
               "WHEN 'Negotiate' THEN 'Forecast' WHEN 'Closed Won' THEN 'Closed' ELSE 'Omitted' END")
    con.execute(f"""
    INSERT INTO opportunity_history
    WITH x AS (
        SELECT h.*, 'OH-' || h.opportunity_id || '-'
                    || lpad(row_number() OVER (PARTITION BY h.opportunity_id ORDER BY h.changed_at)::VARCHAR, 2, '0') AS hid
        FROM c.opportunity_stage_history h)
    SELECT hid, h.opportunity_id, h.changed_at, h.changed_by, sf_stage(h.to_stage, h.opportunity_id), h.amount,
        h.amount * {probs} / 100.0, h.new_close_date, h.old_close_date, {probs}, {hist_fc}, FALSE, {synced}
    FROM x h
    UNION ALL
    SELECT hid || '-X', h.opportunity_id, h.changed_at + INTERVAL 30 MINUTE, h.changed_by, 'Closed Lost', h.amount, 0,
        h.new_close_date, h.new_close_date, 0, 'Omitted', TRUE, {synced}
    FROM x h WHERE u(hid, 'del') < 0.02
    """)
    con.execute(f"""
    INSERT INTO contact
    WITH x AS (SELECT ct.*, sf_country(a.region, a.account_id) AS country, a.owner_id
               FROM c.contacts ct JOIN c.accounts a USING (account_id))
    SELECT contact_id, account_id, first_name, last_name, name, title, department, email,
        '+1-555-' || lpad((abs(hash(contact_id)) % 10000)::VARCHAR, 4, '0'), country, NULL, owner_id,
        created_date::TIMESTAMP + INTERVAL 11 HOUR, FALSE, {synced}
    FROM x
    UNION ALL
    SELECT contact_id || '-DUP', account_id, first_name, last_name, name, title, department, upper(email), NULL, country,
        NULL, owner_id, created_date::TIMESTAMP + INTERVAL 2 DAY, TRUE, {synced}
    FROM x WHERE u(contact_id, 'del') < 0.04
    """)
    status = " ".join(f"WHEN {lit(v)} THEN {lit(k)}" for k, v in LEAD_STATUS_TO_CANONICAL.items())
    con.execute(f"""
    INSERT INTO lead
    WITH x AS (SELECT l.*, sf_country(l.region, l.lead_id) AS country FROM c.leads l)
    SELECT lead_id, first_name, last_name, name, title, email, company, 'www.' || company_domain, industry, employees,
        country, sf_source(source, lead_id), CASE status {status} END,
        CASE WHEN status IN ('MQL', 'SQL') THEN 'Hot' WHEN status = 'Working' THEN 'Warm' ELSE 'Cold' END, owner_id,
        created_date::TIMESTAMP + INTERVAL 9 HOUR, last_activity_date, status = 'Converted', converted_account_id,
        CASE WHEN status = 'Converted' THEN last_activity_date END, FALSE, {synced}
    FROM x
    UNION ALL
    SELECT lead_id || '-DUP', first_name, last_name, name, title, email, company, NULL, industry, NULL, country,
        NULL, 'Open - Not Contacted', NULL, owner_id, created_date::TIMESTAMP + INTERVAL 1 DAY, NULL, FALSE, NULL, NULL,
        TRUE, {synced}
    FROM x WHERE u(lead_id, 'del') < 0.03
    """)
    con.execute(f"""
    INSERT INTO task
    WITH x AS (SELECT * FROM c.calls)
    SELECT call_id, lead_id, coalesce(opportunity_id, account_id), account_id, title, started_at::DATE, brief, owner_id,
        'Call', 'Call', duration_minutes * 60, CASE WHEN lead_id IS NOT NULL THEN 'Outbound' ELSE 'Inbound' END,
        'Completed', 'Normal', TRUE, started_at, owner_id, FALSE, {synced}
    FROM x
    UNION ALL
    SELECT call_id || '-DEL', lead_id, coalesce(opportunity_id, account_id), account_id, title, started_at::DATE, brief,
        owner_id, 'Call', 'Call', duration_minutes * 60, 'Inbound', 'Completed', 'Normal', TRUE, started_at, owner_id,
        TRUE, {synced}
    FROM x WHERE u(call_id, 'del') < 0.03
    UNION ALL
    SELECT 'EML-' || substr(call_id, 6), lead_id, coalesce(opportunity_id, account_id), account_id,
        'Email: follow-up after ' || title, (started_at + INTERVAL 1 DAY)::DATE, 'Thanks for your time today.',
        owner_id, 'Email', 'Email', NULL, NULL, 'Completed', 'Normal', TRUE, started_at + INTERVAL 1 DAY, owner_id,
        FALSE, {synced}
    FROM x WHERE u(call_id, 'mail') < 0.7
    """)
