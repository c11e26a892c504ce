/*
name: forecast_rollup_deals
description: The deals of a forecast period, one row each - open deals closing in it and deals won in it - with owner, team, segment, stage, forecast category, amount and CRM probability; biggest first. The forecast roll-up adds each open deal's evidence-adjusted probability.
params:
  start_date: {type: date, required: true, example: 2026-10-01, description: First close date of the period}
  end_date: {type: date, required: true, example: 2026-12-31, description: Last close date of the period}
  segment: {type: str, default: null, choices: [SMB, Mid-Market, Enterprise]}
  region: {type: str, default: null, description: Only accounts in this region}
  owner_id: {type: str, default: null, description: Only this AE's deals (users.user_id)}
  limit: {type: int, default: 5000}
requires: [opportunities.forecast_category, opportunities.probability]
examples:
  - Forecast roll-up per rep this quarter
  - Which reps' commit looks soft?
*/
SELECT
    o.opportunity_id,
    o.name AS deal_name,
    a.name AS account_name,
    o.owner_id,
    u.name AS owner_name,
    u.team,
    a.segment,
    a.region,
    o.stage,
    o.forecast_category,
    o.amount,
    o.probability,
    o.close_date,
    o.is_closed,
    o.is_won
FROM {{ table('opportunities') }} o
JOIN {{ table('accounts') }} a ON a.account_id = o.account_id
LEFT JOIN {{ table('users') }} u ON u.user_id = o.owner_id
WHERE o.close_date BETWEEN {{ p('start_date') }} AND {{ p('end_date') }}
  AND (NOT o.is_closed OR o.is_won)
{% if segment %}
  AND a.segment = {{ p('segment') }}
{% endif %}
{% if region %}
  AND a.region = {{ p('region') }}
{% endif %}
{% if owner_id %}
  AND o.owner_id = {{ p('owner_id') }}
{% endif %}
ORDER BY o.amount DESC NULLS LAST, o.opportunity_id NULLS LAST
LIMIT {{ limit }}
