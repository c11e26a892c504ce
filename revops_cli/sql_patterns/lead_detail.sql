/*
name: lead_detail
description: One lead by id - every field, engagement counts, owner, the converted account and the lead's calls.
params:
  lead_id: {type: str, required: true, example: LEAD-000001}
examples:
  - Tell me everything about this lead
  - How engaged is LEAD-000042?
*/
WITH lead_calls AS (
    SELECT c.lead_id, COUNT(*) AS call_count, MAX(c.started_at) AS last_call_at
    FROM {{ table('calls') }} c
    WHERE c.lead_id = {{ p('lead_id') }}
    GROUP BY c.lead_id
)
SELECT
    l.lead_id,
    l.name,
    l.first_name,
    l.last_name,
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
    l.owner_id,
    u.name AS owner_name,
    l.converted_account_id,
    a.name AS converted_account_name,
    COALESCE(lc.call_count, 0) AS call_count,
    lc.last_call_at
FROM {{ table('leads') }} l
LEFT JOIN {{ table('users') }} u ON u.user_id = l.owner_id
LEFT JOIN {{ table('accounts') }} a ON a.account_id = l.converted_account_id
LEFT JOIN lead_calls lc ON lc.lead_id = l.lead_id
WHERE l.lead_id = {{ p('lead_id') }}
