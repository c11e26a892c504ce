/*
name: expansion_signals
description: Customers with rising usage or active users (last N days vs the N before) and no open Expansion deal - with plan, ARR and spend headroom.
params:
  as_of: {type: date, required: true, example: 2026-11-24, description: Today}
  window_days: {type: int, default: 30, description: Length of each usage window in days}
  min_growth_pct: {type: float, default: 10, description: "Minimum growth of engine hours or average active users, in %"}
  segment: {type: str, default: null, choices: [SMB, Mid-Market, Enterprise]}
  limit: {type: int, default: 50}
examples:
  - Which customers are ready for an expansion conversation?
  - Show upsell opportunities in Mid-Market
*/
{% set split = as_of - days(window_days) %}
WITH usage_cmp AS (
    SELECT
        d.account_id,
        SUM(CASE WHEN d.usage_date > {{ bind(split) }} THEN d.engine_hours ELSE 0 END) AS recent_engine_hours,
        SUM(CASE WHEN d.usage_date <= {{ bind(split) }} THEN d.engine_hours ELSE 0 END) AS prior_engine_hours,
        AVG(CASE WHEN d.usage_date > {{ bind(split) }} THEN CAST(d.active_users AS DOUBLE PRECISION) END) AS recent_avg_active_users,
        AVG(CASE WHEN d.usage_date <= {{ bind(split) }} THEN CAST(d.active_users AS DOUBLE PRECISION) END) AS prior_avg_active_users,
        MAX(CASE WHEN d.usage_date > {{ bind(split) }} THEN d.active_users END) AS recent_peak_active_users
    FROM {{ table('usage_daily') }} d
    WHERE d.usage_date > {{ bind(split - days(window_days)) }} AND d.usage_date <= {{ p('as_of') }}
    GROUP BY d.account_id
),
growth AS (
    SELECT
        u.*,
        100 * (u.recent_engine_hours - u.prior_engine_hours) / NULLIF(u.prior_engine_hours, 0) AS engine_hours_growth_pct,
        100 * (u.recent_avg_active_users - u.prior_avg_active_users) / NULLIF(u.prior_avg_active_users, 0) AS active_users_growth_pct
    FROM usage_cmp u
),
open_expansion AS (
    SELECT o.account_id, COUNT(*) AS open_expansion_count
    FROM {{ table('opportunities') }} o
    WHERE o.type = 'Expansion' AND NOT o.is_closed
    GROUP BY o.account_id
),
last_bill AS (
    SELECT b.account_id, b.month, b.revenue, b.plan,
           ROW_NUMBER() OVER (PARTITION BY b.account_id ORDER BY b.month DESC) AS rn
    FROM {{ table('billing_monthly') }} b
    WHERE b.month <= {{ p('as_of') }}
)
SELECT
    a.account_id,
    a.name AS account_name,
    a.segment,
    ae.name AS owner_name,
    csm.name AS csm_name,
    g.recent_engine_hours,
    g.prior_engine_hours,
    g.engine_hours_growth_pct,
    g.recent_avg_active_users,
    g.prior_avg_active_users,
    g.active_users_growth_pct,
    g.recent_peak_active_users,
    lb.plan,
    12 * lb.revenue AS arr,
    a.potential_spend,
    a.potential_spend - COALESCE(12 * lb.revenue, 0) AS spend_headroom
FROM growth g
JOIN {{ table('accounts') }} a ON a.account_id = g.account_id
LEFT JOIN open_expansion x ON x.account_id = a.account_id
LEFT JOIN last_bill lb ON lb.account_id = a.account_id AND lb.rn = 1
LEFT JOIN {{ table('users') }} ae ON ae.user_id = a.owner_id
LEFT JOIN {{ table('users') }} csm ON csm.user_id = a.csm_id
WHERE a.account_type = 'customer'
  AND x.open_expansion_count IS NULL
  AND (g.engine_hours_growth_pct >= {{ p('min_growth_pct') }} OR g.active_users_growth_pct >= {{ p('min_growth_pct') }})
{% if segment %}
  AND a.segment = {{ p('segment') }}
{% endif %}
ORDER BY g.engine_hours_growth_pct DESC NULLS LAST, a.account_id
LIMIT {{ limit }}
