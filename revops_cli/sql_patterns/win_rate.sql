/*
name: win_rate
description: Win rate of deals closed in a period (won / closed, by count and by amount), by segment, by owner or in total.
params:
  start_date: {type: date, required: true, example: 2026-01-01, description: Earliest close date}
  end_date: {type: date, required: true, example: 2026-11-24, description: Latest close date}
  group_by: {type: str, default: segment, choices: [segment, owner, total]}
  segment: {type: str, default: null, choices: [SMB, Mid-Market, Enterprise]}
  region: {type: str, default: null, description: Only accounts in this region}
  owner_id: {type: str, default: null, description: Only this AE's deals (users.user_id)}
  deal_type: {type: str, default: null, choices: [New Business, Expansion, Renewal]}
examples:
  - What is our win rate this year by segment?
  - Which reps have the best win rate?
*/
SELECT
{% if group_by == 'segment' %}
    COALESCE(a.segment, 'Unknown') AS segment,
{% elif group_by == 'owner' %}
    o.owner_id,
    COALESCE(u.name, o.owner_id) AS owner_name,
{% else %}
    'All' AS segment,
{% endif %}
    COUNT(*) AS closed_count,
    SUM(CASE WHEN o.is_won THEN 1 ELSE 0 END) AS won_count,
    SUM(CASE WHEN o.is_won THEN 0 ELSE 1 END) AS lost_count,
    100 * CAST(SUM(CASE WHEN o.is_won THEN 1 ELSE 0 END) AS DOUBLE PRECISION) / NULLIF(COUNT(*), 0) AS win_rate_pct,
    SUM(CASE WHEN o.is_won THEN o.amount ELSE 0 END) AS won_amount,
    SUM(CASE WHEN o.is_won THEN 0 ELSE o.amount END) AS lost_amount,
    100 * SUM(CASE WHEN o.is_won THEN o.amount ELSE 0 END) / NULLIF(SUM(o.amount), 0) AS win_rate_by_amount_pct,
    AVG(CASE WHEN o.is_won THEN o.amount END) AS avg_won_amount,
    AVG(CASE WHEN o.is_won THEN CAST(DATE_DIFF('day', CAST(o.created_date AS TIMESTAMP), CAST(o.close_date AS TIMESTAMP)) AS DOUBLE PRECISION) END) AS avg_won_cycle_days
FROM {{ table('opportunities') }} o
JOIN {{ table('accounts') }} a ON a.account_id = o.account_id
{% if group_by == 'owner' %}
LEFT JOIN {{ table('users') }} u ON u.user_id = o.owner_id
{% endif %}
WHERE o.is_closed
  AND o.close_date BETWEEN {{ p('start_date') }} AND {{ p('end_date') }}
{% if segment %}
  AND a.segment = {{ p('segment') }}
{% endif %}
{% if region %}
  AND a.region = {{ p('region') }}
{% endif %}
{% if owner_id %}
  AND o.owner_id = {{ p('owner_id') }}
{% endif %}
{% if deal_type %}
  AND o.type = {{ p('deal_type') }}
{% endif %}
{% if group_by == 'segment' %}
GROUP BY COALESCE(a.segment, 'Unknown')
ORDER BY win_rate_pct DESC NULLS LAST
{% elif group_by == 'owner' %}
GROUP BY o.owner_id, COALESCE(u.name, o.owner_id)
ORDER BY win_rate_pct DESC NULLS LAST, won_amount DESC NULLS LAST
{% endif %}
