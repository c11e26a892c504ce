/*
name: lead_scoring_inputs
description: Every input the ICP score needs for a set of leads - the lead's persona and engagement, calls, and the company's research and CRM account firmographics.
params:
  start_date: {type: date, default: null, example: 2026-11-18, description: Leads created on or after this day}
  end_date: {type: date, default: null, example: 2026-11-24, description: Leads created on or before this day}
  status: {type: str, default: null, example: MQL, description: "Only leads in this status (New, Working, MQL, SQL, Disqualified, Converted)"}
  min_employees: {type: int, default: null, description: Only leads at companies with at least this many employees}
  max_employees: {type: int, default: null, description: Only leads at companies with at most this many employees}
  limit: {type: int, default: 5000}
examples:
  - Score our MQL leads from this week against ICP criteria
*/
WITH research AS (
    SELECT r.*, ROW_NUMBER() OVER (PARTITION BY LOWER(r.company_name) ORDER BY r.updated_at DESC NULLS LAST, r.domain NULLS LAST) AS rn
    FROM {{ table('company_research') }} r
),
research_by_domain AS (
    SELECT r.*, ROW_NUMBER() OVER (PARTITION BY LOWER(r.domain) ORDER BY r.updated_at DESC NULLS LAST, r.company_name NULLS LAST) AS rn
    FROM {{ table('company_research') }} r
    WHERE r.domain IS NOT NULL
),
accts AS (
    SELECT a.*, ROW_NUMBER() OVER (PARTITION BY LOWER(a.name) ORDER BY a.account_id NULLS LAST) AS rn
    FROM {{ table('accounts') }} a
),
lead_calls AS (
    SELECT c.lead_id, COUNT(*) AS call_count, MAX(c.started_at) AS last_call_at
    FROM {{ table('calls') }} c
    WHERE c.lead_id IS NOT NULL
    GROUP BY c.lead_id
)
SELECT
    l.lead_id,
    l.name,
    l.title,
    l.seniority,
    l.department,
    l.email,
    l.company,
    l.company_domain,
    l.industry,
    l.employees,
    l.region,
    l.source,
    l.status,
    l.created_date,
    l.last_activity_date,
    l.email_opens,
    l.email_clicks,
    l.web_visits,
    l.content_downloads,
    l.events_attended,
    u.name AS owner_name,
    COALESCE(lc.call_count, 0) AS call_count,
    lc.last_call_at,
    COALESCE(r.company_name, rd.company_name) AS research_company,
    CASE WHEN r.company_name IS NOT NULL THEN r.industry ELSE rd.industry END AS research_industry,
    CASE WHEN r.company_name IS NOT NULL THEN r.employees ELSE rd.employees END AS research_employees,
    CASE WHEN r.company_name IS NOT NULL THEN r.employee_range ELSE rd.employee_range END AS research_employee_range,
    CASE WHEN r.company_name IS NOT NULL THEN r.funding_stage ELSE rd.funding_stage END AS research_funding_stage,
    CASE WHEN r.company_name IS NOT NULL THEN r.tech_stack ELSE rd.tech_stack END AS research_tech_stack,
    a.account_id,
    a.account_type,
    a.segment AS account_segment,
    a.industry AS account_industry,
    a.employees AS account_employees,
    a.region AS account_region,
    a.funding_stage AS account_funding_stage,
    a.tech_stack AS account_tech_stack
FROM {{ table('leads') }} l
LEFT JOIN {{ table('users') }} u ON u.user_id = l.owner_id
LEFT JOIN lead_calls lc ON lc.lead_id = l.lead_id
LEFT JOIN research r ON r.rn = 1 AND LOWER(r.company_name) = LOWER(l.company)
LEFT JOIN research_by_domain rd ON rd.rn = 1 AND r.company_name IS NULL AND LOWER(rd.domain) = LOWER(l.company_domain)
LEFT JOIN accts a ON a.rn = 1 AND (a.account_id = l.converted_account_id
                                  OR (l.converted_account_id IS NULL AND LOWER(a.name) = LOWER(l.company)))
WHERE 1 = 1
{% if start_date %}
  AND l.created_date >= {{ p('start_date') }}
{% endif %}
{% if end_date %}
  AND l.created_date <= {{ p('end_date') }}
{% endif %}
{% if status %}
  AND LOWER(l.status) = LOWER({{ p('status') }})
{% endif %}
{% if min_employees is not none %}
  AND COALESCE(l.employees, r.employees, rd.employees, a.employees) >= {{ p('min_employees') }}
{% endif %}
{% if max_employees is not none %}
  AND COALESCE(l.employees, r.employees, rd.employees, a.employees) <= {{ p('max_employees') }}
{% endif %}
ORDER BY l.created_date DESC NULLS LAST, l.lead_id NULLS LAST
LIMIT {{ limit }}
