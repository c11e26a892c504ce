/*
name: calls_for_account
description: Sales calls with an account (by id or part of its name), most recent first - brief, key points and next steps.
params:
  account: {type: str, required: true, example: ACC-000001, description: "Account id, or part of the account name"}
  start_date: {type: date, default: null, description: Only calls on or after this day}
  end_date: {type: date, default: null, description: Only calls on or before this day}
  include_transcript: {type: bool, default: false}
  limit: {type: int, default: 20}
examples:
  - What happened in our last call with Acme Corp?
  - Summarise the IXIS calls this quarter
*/
SELECT
    c.call_id,
    c.started_at,
    c.duration_minutes,
    c.title,
    a.account_id,
    a.name AS account_name,
    c.opportunity_id,
    o.name AS deal_name,
    u.name AS owner_name,
    c.participants,
    c.brief,
    c.key_points,
    c.next_steps{% if include_transcript %},
    c.transcript{% endif %}

FROM {{ table('calls') }} c
JOIN {{ table('accounts') }} a ON a.account_id = c.account_id
LEFT JOIN {{ table('opportunities') }} o ON o.opportunity_id = c.opportunity_id
LEFT JOIN {{ table('users') }} u ON u.user_id = c.owner_id
WHERE (a.account_id = {{ p('account') }} OR LOWER(a.name) LIKE {{ like('account') }})
{% if start_date %}
  AND CAST(c.started_at AS DATE) >= {{ p('start_date') }}
{% endif %}
{% if end_date %}
  AND CAST(c.started_at AS DATE) <= {{ p('end_date') }}
{% endif %}
ORDER BY c.started_at DESC NULLS LAST, c.call_id NULLS LAST
LIMIT {{ limit }}
