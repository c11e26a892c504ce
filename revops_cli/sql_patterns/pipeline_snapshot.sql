/*
name: pipeline_snapshot
description: The pipeline as it stands - every open deal, and the deals closed in the last days - with what a later comparison needs (stage, close date, amount, forecast category, probability, owner, team, segment). `revops snapshot` stores it once a day, for warehouses without stage history.
params:
  closed_since: {type: date, required: true, example: 2026-09-25, description: "Deals closed on or after this day are kept too (won and lost between two snapshots)"}
examples:
  - Snapshot of the open pipeline today
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
    o.created_date,
    o.is_closed,
    o.is_won
FROM {{ table('opportunities') }} o
JOIN {{ table('accounts') }} a ON a.account_id = o.account_id
LEFT JOIN {{ table('users') }} u ON u.user_id = o.owner_id
WHERE NOT o.is_closed
   OR o.close_date >= {{ p('closed_since') }}
ORDER BY o.opportunity_id NULLS LAST
