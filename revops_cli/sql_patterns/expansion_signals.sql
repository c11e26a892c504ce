/*
name: expansion_signals
description: Customers whose engine hours or average active users grew at least X% (last N days vs the N before) and who have no open Expansion deal - growth, plan, ARR and spend headroom, fastest growth first. Every row also carries the totals over all candidates (count, ARR, positive headroom, per segment), so a short list still gives complete figures.
params:
  as_of: {type: date, required: true, example: 2026-11-24, description: Today}
  window_days: {type: int, default: 30, description: Length of each usage window in days}
  min_growth_pct: {type: float, default: 10, description: Minimum growth in % of engine hours or average active users}
  segment: {type: str, default: null, choices: [SMB, Mid-Market, Enterprise]}
  region: {type: str, default: null, description: Only accounts in this region}
  limit: {type: int, default: 50}
examples:
  - Identify top expansion opportunities based on usage trends
  - Which Mid-Market customers should we upsell?
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
candidates AS (
    SELECT g.*, a.name AS account_name, a.segment, a.owner_id, a.csm_id, a.potential_spend
    FROM growth g
    JOIN {{ table('accounts') }} a ON a.account_id = g.account_id
    LEFT JOIN open_expansion x ON x.account_id = g.account_id
    WHERE a.account_type = 'customer'
      AND x.open_expansion_count IS NULL
      AND (g.engine_hours_growth_pct >= {{ p('min_growth_pct') }} OR g.active_users_growth_pct >= {{ p('min_growth_pct') }})
{% if segment %}
      AND a.segment = {{ p('segment') }}
{% endif %}
{% if region %}
      AND a.region = {{ p('region') }}
{% endif %}
),
last_bill AS (
    SELECT b.account_id, b.revenue, b.plan,
           ROW_NUMBER() OVER (PARTITION BY b.account_id ORDER BY b.month DESC NULLS LAST) AS rn
    FROM {{ table('billing_monthly') }} b
    JOIN candidates c ON c.account_id = b.account_id
    WHERE b.month <= {{ p('as_of') }}
),
joined AS (
    SELECT
        c.account_id,
        c.account_name,
        c.segment,
        ae.name AS owner_name,
        csm.name AS csm_name,
        c.recent_engine_hours,
        c.prior_engine_hours,
        c.engine_hours_growth_pct,
        c.recent_avg_active_users,
        c.prior_avg_active_users,
        c.active_users_growth_pct,
        c.recent_peak_active_users,
        lb.plan,
        12 * lb.revenue AS arr,
        c.potential_spend,
        c.potential_spend - COALESCE(12 * lb.revenue, 0) AS spend_headroom
    FROM candidates c
    LEFT JOIN last_bill lb ON lb.account_id = c.account_id AND lb.rn = 1
    LEFT JOIN {{ table('users') }} ae ON ae.user_id = c.owner_id
    LEFT JOIN {{ table('users') }} csm ON csm.user_id = c.csm_id
)
SELECT
    j.*,
    COUNT(*) OVER () AS total_accounts,
    SUM(COALESCE(j.arr, 0)) OVER () AS total_arr,
    MAX(j.spend_headroom) OVER () AS largest_headroom,
    FIRST_VALUE(j.account_name) OVER (ORDER BY COALESCE(j.spend_headroom, 0) DESC NULLS LAST, j.account_id NULLS LAST
                                      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS largest_headroom_account,
    SUM(CASE WHEN j.spend_headroom > 0 THEN j.spend_headroom ELSE 0 END) OVER () AS total_headroom,
    SUM(CASE WHEN j.segment = 'SMB' THEN 1 ELSE 0 END) OVER () AS smb_accounts,
    SUM(CASE WHEN j.segment = 'SMB' AND j.spend_headroom > 0 THEN j.spend_headroom ELSE 0 END) OVER () AS smb_headroom,
    SUM(CASE WHEN j.segment = 'Mid-Market' THEN 1 ELSE 0 END) OVER () AS mid_market_accounts,
    SUM(CASE WHEN j.segment = 'Mid-Market' AND j.spend_headroom > 0 THEN j.spend_headroom ELSE 0 END) OVER () AS mid_market_headroom,
    SUM(CASE WHEN j.segment = 'Enterprise' THEN 1 ELSE 0 END) OVER () AS enterprise_accounts,
    SUM(CASE WHEN j.segment = 'Enterprise' AND j.spend_headroom > 0 THEN j.spend_headroom ELSE 0 END) OVER () AS enterprise_headroom
FROM joined j
ORDER BY j.engine_hours_growth_pct DESC NULLS LAST, j.account_id NULLS LAST
LIMIT {{ limit }}
