/*
name: calls_for_opportunity
description: Sales calls linked to one opportunity, most recent first - brief, key points and next steps.
params:
  opportunity_id: {type: str, required: true, example: OPP-0000001}
  include_transcript: {type: bool, default: false}
  limit: {type: int, default: 20}
examples:
  - What was discussed on the IXIS deal calls?
  - What are the next steps agreed on OPP-0000123?
*/
SELECT
    c.call_id,
    c.started_at,
    c.duration_minutes,
    c.title,
    c.opportunity_id,
    o.name AS deal_name,
    a.name AS account_name,
    u.name AS owner_name,
    c.participants,
    c.brief,
    c.key_points,
    c.next_steps{% if include_transcript %},
    c.transcript{% endif %}

FROM {{ table('calls') }} c
LEFT JOIN {{ table('opportunities') }} o ON o.opportunity_id = c.opportunity_id
LEFT JOIN {{ table('accounts') }} a ON a.account_id = c.account_id
LEFT JOIN {{ table('users') }} u ON u.user_id = c.owner_id
WHERE c.opportunity_id = {{ p('opportunity_id') }}
ORDER BY c.started_at DESC NULLS LAST, c.call_id NULLS LAST
LIMIT {{ limit }}
