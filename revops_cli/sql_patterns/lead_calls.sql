/*
name: lead_calls
description: Calls with a lead (by lead id) or at its account, most recent first - brief, key points and next steps, for pain signals.
params:
  lead_id: {type: str, default: null, example: LEAD-000001, description: Calls logged against this lead}
  account_id: {type: str, default: null, description: Also calls with this account}
  end_date: {type: date, default: null, description: Only calls on or before this day}
  limit: {type: int, default: 5}
examples:
  - What did John Smith tell us on the discovery call?
*/
SELECT
    c.call_id,
    c.started_at,
    c.lead_id,
    c.account_id,
    c.title,
    c.participants,
    c.brief,
    c.key_points,
    c.next_steps
FROM {{ table('calls') }} c
WHERE (c.lead_id = {{ p('lead_id') }} OR c.account_id = {{ p('account_id') }})
{% if end_date %}
  AND CAST(c.started_at AS DATE) <= {{ p('end_date') }}
{% endif %}
ORDER BY CASE WHEN c.lead_id = {{ p('lead_id') }} THEN 0 ELSE 1 END NULLS LAST, c.started_at DESC NULLS LAST, c.call_id NULLS LAST
LIMIT {{ limit }}
