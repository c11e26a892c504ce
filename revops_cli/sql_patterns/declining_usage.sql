/*
name: declining_usage
description: Customers whose usage in the last N days fell against the N days before, with the % change and ARR from billing.
params:
  as_of: {type: date, required: true, example: 2026-11-24, description: The last day of the recent window (today)}
  window_days: {type: int, default: 30, description: Length of each window in days}
  min_decline_pct: {type: float, default: 10, description: Only drops of at least this many percent (engine hours)}
  segment: {type: str, default: null, choices: [SMB, Mid-Market, Enterprise]}
  limit: {type: int, default: 50}
examples:
  - Which customers show declining engagement patterns?
  - Which Enterprise customers' usage dropped last month?
*/
{% set split = as_of - days(window_days) %}
WITH usage_cmp AS (
    SELECT
        d.account_id,
        SUM(CASE WHEN d.usage_date > {{ bind(split) }} THEN d.engine_hours ELSE 0 END) AS recent_engine_hours,
        SUM(CASE WHEN d.usage_date <= {{ bind(split) }} THEN d.engine_hours ELSE 0 END) AS prior_engine_hours,
        SUM(CASE WHEN d.usage_date > {{ bind(split) }} THEN d.query_count ELSE 0 END) AS recent_query_count,
        SUM(CASE WHEN d.usage_date <= {{ bind(split) }} THEN d.query_count ELSE 0 END) AS prior_query_count,
        AVG(CASE WHEN d.usage_date > {{ bind(split) }} THEN CAST(d.active_users AS DOUBLE PRECISION) END) AS recent_avg_active_users,
        AVG(CASE WHEN d.usage_date <= {{ bind(split) }} THEN CAST(d.active_users AS DOUBLE PRECISION) END) AS prior_avg_active_users
    FROM {{ table('usage_daily') }} d
    WHERE d.usage_date > {{ bind(split - days(window_days)) }} AND d.usage_date <= {{ p('as_of') }}
    GROUP BY d.account_id
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
    csm.name AS csm_name,
    ae.name AS owner_name,
    u.recent_engine_hours,
    u.prior_engine_hours,
    100 * (u.recent_engine_hours - u.prior_engine_hours) / NULLIF(u.prior_engine_hours, 0) AS usage_change_pct,
    u.recent_query_count,
    u.prior_query_count,
    100 * CAST(u.recent_query_count - u.prior_query_count AS DOUBLE PRECISION) / NULLIF(u.prior_query_count, 0) AS query_count_change_pct,
    u.recent_avg_active_users,
    u.prior_avg_active_users,
    lb.plan,
    lb.month AS last_billed_month,
    lb.revenue AS last_month_revenue,
    12 * lb.revenue AS arr
FROM usage_cmp u
JOIN {{ table('accounts') }} a ON a.account_id = u.account_id
LEFT JOIN last_bill lb ON lb.account_id = u.account_id AND lb.rn = 1
LEFT JOIN {{ table('users') }} csm ON csm.user_id = a.csm_id
LEFT JOIN {{ table('users') }} ae ON ae.user_id = a.owner_id
WHERE a.account_type = 'customer'
  AND u.prior_engine_hours > 0
  AND 100 * (u.recent_engine_hours - u.prior_engine_hours) / u.prior_engine_hours <= 0 - {{ p('min_decline_pct') }}
{% if segment %}
  AND a.segment = {{ p('segment') }}
{% endif %}
ORDER BY usage_change_pct, arr DESC NULLS LAST, a.account_id
LIMIT {{ limit }}
