-- The canonical RevOps warehouse schema. Every SQL pattern, agent and test speaks these names;
-- `tables:` in revops.yaml maps them to a real warehouse's own table names.
-- Plain PostgreSQL types only, so the same DDL runs on DuckDB and Firebolt.
-- Multi-valued text columns (tech_stack, competitors, participants) are comma-separated.

CREATE TABLE accounts (
    account_id        TEXT NOT NULL,      -- 'ACC-000001'
    name              TEXT NOT NULL,      -- 'IXIS Technologies'
    domain            TEXT,               -- 'ixis.io'
    industry          TEXT,               -- 'Software', 'Financial Services', ...
    segment           TEXT,               -- 'SMB' | 'Mid-Market' | 'Enterprise'
    region            TEXT,               -- 'NA' | 'EMEA' | 'APAC' | 'LATAM'
    employees         INTEGER,
    annual_revenue    DOUBLE PRECISION,   -- company revenue, USD
    account_type      TEXT,               -- 'customer' | 'prospect' | 'churned'
    tech_stack        TEXT,               -- 'Snowflake,dbt,Looker'
    funding_stage     TEXT,               -- 'Seed', 'Series A', ..., 'Public', 'Private'
    potential_spend   DOUBLE PRECISION,   -- estimated annual spend with us, USD
    owner_id          TEXT,               -- AE (users.user_id)
    csm_id            TEXT,               -- CSM (users.user_id), customers only
    created_date      DATE,
    customer_since    DATE,               -- NULL for prospects
    churned_date      DATE                -- NULL unless churned
);

CREATE TABLE users (
    user_id           TEXT NOT NULL,      -- 'USR-0001'
    name              TEXT NOT NULL,
    email             TEXT,
    role              TEXT,               -- 'AE' | 'SDR' | 'CSM' | 'Sales Manager'
    team              TEXT,               -- 'Enterprise', 'Mid-Market', 'SMB'
    region            TEXT,
    manager_id        TEXT,
    slack_user_id     TEXT
);

CREATE TABLE opportunities (
    opportunity_id    TEXT NOT NULL,      -- 'OPP-0000001'
    name              TEXT NOT NULL,      -- 'IXIS - Snowflake Cost Replacement'
    account_id        TEXT NOT NULL,
    type              TEXT,               -- 'New Business' | 'Expansion' | 'Renewal'
    stage             TEXT,               -- see STAGES in warehouse/demo_data.py
    amount            DOUBLE PRECISION,   -- ARR, USD
    probability       INTEGER,            -- 0..100, CRM stage probability
    forecast_category TEXT,               -- 'Pipeline' | 'Best Case' | 'Commit' | 'Closed' | 'Omitted'
    close_date        DATE,
    created_date      DATE,
    owner_id          TEXT,               -- AE
    lead_source       TEXT,
    next_step         TEXT,
    competitors       TEXT,               -- 'Snowflake,Databricks'
    is_closed         BOOLEAN,
    is_won            BOOLEAN,
    last_activity_date DATE,
    -- MEDDPICC: free text + status ('Unknown' | 'Identified' | 'Validated' | 'Leveraged')
    metrics                          TEXT,
    metrics_status                   TEXT,
    economic_buyer                   TEXT,
    economic_buyer_status            TEXT,
    identify_pain                    TEXT,
    identify_pain_status             TEXT,
    champion                         TEXT,
    champion_status                  TEXT,
    decision_criteria                TEXT,
    decision_criteria_status         TEXT,
    competition                      TEXT,
    competition_status               TEXT,
    decision_making_process          TEXT,
    decision_making_process_status   TEXT,
    paper_process                    TEXT,
    paper_process_status             TEXT
);

-- One row per change: a stage move (from_stage <> to_stage), a close-date move
-- (from_stage = to_stage, old_close_date <> new_close_date), or an amount change (from_stage = to_stage,
-- old_close_date = new_close_date, an amount other than the previous row's).
CREATE TABLE opportunity_stage_history (
    opportunity_id    TEXT NOT NULL,
    changed_at        TIMESTAMP NOT NULL,
    from_stage        TEXT,
    to_stage          TEXT,
    days_in_stage     INTEGER,            -- days spent in from_stage before this change
    old_close_date    DATE,
    new_close_date    DATE,
    amount            DOUBLE PRECISION,   -- amount after the change
    changed_by        TEXT                -- users.user_id
);

CREATE TABLE contacts (
    contact_id        TEXT NOT NULL,
    account_id        TEXT NOT NULL,
    first_name        TEXT,
    last_name         TEXT,
    name              TEXT,
    title             TEXT,
    department        TEXT,               -- 'Data', 'Engineering', 'Finance', 'IT', 'Executive', ...
    seniority         TEXT,               -- 'C-Level' | 'VP' | 'Director' | 'Manager' | 'Individual Contributor'
    email             TEXT,
    is_primary        BOOLEAN,
    created_date      DATE
);

CREATE TABLE leads (
    lead_id           TEXT NOT NULL,
    first_name        TEXT,
    last_name         TEXT,
    name              TEXT,
    title             TEXT,
    seniority         TEXT,
    department        TEXT,
    email             TEXT,
    company           TEXT,
    company_domain    TEXT,
    industry          TEXT,
    employees         INTEGER,
    region            TEXT,
    source            TEXT,               -- 'Website' | 'Webinar' | 'Event' | 'Outbound' | 'Referral' | 'Partner' | 'Paid Search'
    status            TEXT,               -- 'New' | 'Working' | 'MQL' | 'SQL' | 'Disqualified' | 'Converted'
    created_date      DATE,
    owner_id          TEXT,               -- SDR
    email_opens       INTEGER,
    email_clicks      INTEGER,
    web_visits        INTEGER,
    content_downloads INTEGER,
    events_attended   INTEGER,
    last_activity_date DATE,
    converted_account_id TEXT
);

CREATE TABLE calls (
    call_id           TEXT NOT NULL,
    account_id        TEXT,
    opportunity_id    TEXT,
    lead_id           TEXT,
    started_at        TIMESTAMP NOT NULL,
    duration_minutes  INTEGER,
    title             TEXT,
    owner_id          TEXT,
    participants      TEXT,               -- 'Sarah Johnson (Acme AE),Dana Lee (IXIS, CFO)'
    brief             TEXT,
    key_points        TEXT,               -- newline-separated bullet lines
    next_steps        TEXT,
    transcript        TEXT                -- 'Speaker Name: words\n' per turn
);

CREATE TABLE usage_daily (
    account_id        TEXT NOT NULL,
    usage_date        DATE NOT NULL,
    query_count       BIGINT,
    engine_hours      DOUBLE PRECISION,
    bytes_scanned     BIGINT,
    active_users      INTEGER
);

CREATE TABLE billing_monthly (
    account_id        TEXT NOT NULL,
    month             DATE NOT NULL,      -- first day of the month
    revenue           DOUBLE PRECISION,   -- recognised revenue, USD
    plan              TEXT
);

CREATE TABLE targets (
    "quarter"         TEXT NOT NULL,      -- '2026-Q4' (calendar quarters); quoted: a Firebolt reserved word
    quarter_start     DATE NOT NULL,
    quarter_end       DATE NOT NULL,
    segment           TEXT NOT NULL,      -- 'SMB' | 'Mid-Market' | 'Enterprise'
    bookings_target   DOUBLE PRECISION,   -- closed-won amount target
    revenue_target    DOUBLE PRECISION    -- billing revenue target
);

CREATE TABLE company_research (
    company_name      TEXT NOT NULL,
    domain            TEXT,
    industry          TEXT,
    employees         INTEGER,
    employee_range    TEXT,               -- '200-500'
    funding_stage     TEXT,
    total_funding     DOUBLE PRECISION,
    headquarters      TEXT,
    founded_year      INTEGER,
    tech_stack        TEXT,
    description       TEXT,
    recent_news       TEXT,               -- newline-separated headlines
    source_url        TEXT,
    updated_at        DATE
);
