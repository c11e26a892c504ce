/*
name: owner_leaderboard
description: AEs ranked by closed-won amount in a period, with win rate and the open pipeline they have closing in the same period.
params:
  start_date: {type: date, required: true, example: 2026-10-01, description: Earliest close date}
  end_date: {type: date, required: true, example: 2026-12-31, description: Latest close date}
  segment: {type: str, default: null, choices: [SMB, Mid-Market, Enterprise]}
  region: {type: str, default: null, description: Only accounts in this region}
  limit: {type: int, default: 25}
examples:
  - Who are our top reps this quarter?
  - Show the sales leaderboard for Enterprise
*/
WITH per_owner AS (
    SELECT
        o.owner_id,
        SUM(CASE WHEN o.is_won THEN o.amount ELSE 0 END) AS won_amount,
        SUM(CASE WHEN o.is_won THEN 1 ELSE 0 END) AS won_count,
        SUM(CASE WHEN o.is_closed THEN 1 ELSE 0 END) AS closed_count,
        SUM(CASE WHEN NOT o.is_closed THEN 1 ELSE 0 END) AS open_deal_count,
        SUM(CASE WHEN NOT o.is_closed THEN o.amount ELSE 0 END) AS open_pipeline_amount,
        SUM(CASE WHEN NOT o.is_closed THEN CAST(o.amount * o.probability AS DOUBLE PRECISION) / 100 ELSE 0 END) AS weighted_pipeline_amount
    FROM {{ table('opportunities') }} o
    JOIN {{ table('accounts') }} a ON a.account_id = o.account_id
    WHERE o.close_date BETWEEN {{ p('start_date') }} AND {{ p('end_date') }}
{% if segment %}
      AND a.segment = {{ p('segment') }}
{% endif %}
{% if region %}
      AND a.region = {{ p('region') }}
{% endif %}
    GROUP BY o.owner_id
)
SELECT
    ROW_NUMBER() OVER (ORDER BY po.won_amount DESC NULLS LAST, po.weighted_pipeline_amount DESC NULLS LAST, po.owner_id NULLS LAST) AS leaderboard_rank,
    po.owner_id,
    COALESCE(u.name, po.owner_id) AS owner_name,
    u.team,
    u.region,
    po.won_amount,
    po.won_count,
    po.closed_count,
    100 * CAST(po.won_count AS DOUBLE PRECISION) / NULLIF(po.closed_count, 0) AS win_rate_pct,
    po.open_deal_count,
    po.open_pipeline_amount,
    po.weighted_pipeline_amount
FROM per_owner po
LEFT JOIN {{ table('users') }} u ON u.user_id = po.owner_id
ORDER BY leaderboard_rank NULLS LAST
LIMIT {{ limit }}
