/*
name: declining_usage
description: Customers whose usage in the last N days fell at least X% against the N days before - % change in engine hours and queries, active users, ARR from billing, the next open renewal and days since the last call - steepest drops first. Every row also carries the totals over all declining customers (total_*, per-segment counts and ARR), so a short list still gives complete figures. One pass over the usage table.
params:
  as_of: {type: date, required: true, example: 2026-11-24, description: The last day of the recent window (today)}
  window_days: {type: int, default: 30, description: Length of each window in days}
  min_decline_pct: {type: float, default: 10, description: Only drops of at least this many percent (engine hours)}
  segment: {type: str, default: null, choices: [SMB, Mid-Market, Enterprise]}
  region: {type: str, default: null, description: Only accounts in this region}
  limit: {type: int, default: 50}
examples:
  - Which customers show declining engagement patterns?
  - Which Enterprise customers are at risk of churning?
*/
{% set split = as_of - days(window_days) %}
WITH {% include "usage_windows.sql" %},
declining AS (
    SELECT u.*, 100 * (u.recent_engine_hours - u.prior_engine_hours) / u.prior_engine_hours AS usage_change_pct
    FROM usage_cmp u
    JOIN {{ table('accounts') }} a ON a.account_id = u.account_id
    WHERE a.account_type = 'customer'
      AND u.prior_engine_hours > 0
      AND 100 * (u.recent_engine_hours - u.prior_engine_hours) / u.prior_engine_hours <= 0 - {{ p('min_decline_pct') }}
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
    JOIN declining x ON x.account_id = b.account_id
    WHERE b.month <= {{ p('as_of') }}
),
last_call AS (
    SELECT c.account_id, MAX(c.started_at) AS last_call_at
    FROM {{ table('calls') }} c
    JOIN declining x ON x.account_id = c.account_id
    WHERE c.started_at < {{ bind(as_of + days(1)) }}
    GROUP BY c.account_id
),
renewal AS (
    SELECT o.account_id, o.opportunity_id, o.close_date, o.amount,
           ROW_NUMBER() OVER (PARTITION BY o.account_id ORDER BY o.close_date NULLS LAST, o.opportunity_id NULLS LAST) AS rn
    FROM {{ table('opportunities') }} o
    JOIN declining x ON x.account_id = o.account_id
    WHERE o.type = 'Renewal' AND NOT o.is_closed
),
joined AS (
    SELECT
        a.account_id,
        a.name AS account_name,
        a.segment,
        csm.name AS csm_name,
        ae.name AS owner_name,
        x.recent_engine_hours,
        x.prior_engine_hours,
        x.usage_change_pct,
        x.recent_query_count,
        x.prior_query_count,
        100 * CAST(x.recent_query_count - x.prior_query_count AS DOUBLE PRECISION) / NULLIF(x.prior_query_count, 0) AS query_count_change_pct,
        x.recent_avg_active_users,
        x.prior_avg_active_users,
        lb.plan,
        12 * lb.revenue AS arr,
        r.opportunity_id AS renewal_opportunity_id,
        r.close_date AS renewal_close_date,
        r.amount AS renewal_amount,
        DATE_DIFF('day', CAST({{ p('as_of') }} AS TIMESTAMP), CAST(r.close_date AS TIMESTAMP)) AS days_to_renewal,
        lc.last_call_at,
        DATE_DIFF('day', CAST(CAST(lc.last_call_at AS DATE) AS TIMESTAMP), CAST({{ p('as_of') }} AS TIMESTAMP)) AS days_since_last_call
    FROM declining x
    JOIN {{ table('accounts') }} a ON a.account_id = x.account_id
    LEFT JOIN last_bill lb ON lb.account_id = x.account_id AND lb.rn = 1
    LEFT JOIN last_call lc ON lc.account_id = x.account_id
    LEFT JOIN renewal r ON r.account_id = x.account_id AND r.rn = 1
    LEFT JOIN {{ table('users') }} csm ON csm.user_id = a.csm_id
    LEFT JOIN {{ table('users') }} ae ON ae.user_id = a.owner_id
)
SELECT
    j.*,
    COUNT(*) OVER () AS total_accounts,
    SUM(COALESCE(j.arr, 0)) OVER () AS total_arr,
    AVG(j.usage_change_pct) OVER () AS avg_usage_change_pct,
    MAX(j.arr) OVER () AS largest_arr,
    FIRST_VALUE(j.account_name) OVER (ORDER BY COALESCE(j.arr, 0) DESC NULLS LAST, j.account_id NULLS LAST
                                      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS largest_arr_account,
    FIRST_VALUE(j.usage_change_pct) OVER (ORDER BY COALESCE(j.arr, 0) DESC NULLS LAST, j.account_id NULLS LAST
                                          ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS largest_arr_usage_change_pct,
    SUM(CASE WHEN j.days_to_renewal BETWEEN 0 AND 90 THEN 1 ELSE 0 END) OVER () AS renewing_90d_count,
    SUM(CASE WHEN j.days_to_renewal BETWEEN 0 AND 90 THEN COALESCE(j.arr, 0) ELSE 0 END) OVER () AS renewing_90d_arr,
    SUM(CASE WHEN j.days_since_last_call IS NULL OR j.days_since_last_call > 30 THEN 1 ELSE 0 END) OVER () AS no_call_30d_count,
    SUM(CASE WHEN j.segment = 'SMB' THEN 1 ELSE 0 END) OVER () AS smb_accounts,
    SUM(CASE WHEN j.segment = 'SMB' THEN COALESCE(j.arr, 0) ELSE 0 END) OVER () AS smb_arr,
    SUM(CASE WHEN j.segment = 'Mid-Market' THEN 1 ELSE 0 END) OVER () AS mid_market_accounts,
    SUM(CASE WHEN j.segment = 'Mid-Market' THEN COALESCE(j.arr, 0) ELSE 0 END) OVER () AS mid_market_arr,
    SUM(CASE WHEN j.segment = 'Enterprise' THEN 1 ELSE 0 END) OVER () AS enterprise_accounts,
    SUM(CASE WHEN j.segment = 'Enterprise' THEN COALESCE(j.arr, 0) ELSE 0 END) OVER () AS enterprise_arr
FROM joined j
ORDER BY j.usage_change_pct NULLS LAST, j.arr DESC NULLS LAST, j.account_id NULLS LAST
LIMIT {{ limit }}
