/*
name: churn_risk_inputs
description: Per customer, the inputs of a churn-risk score - usage trend, days since the last call, the open renewal, the billing trend over the last 3 complete months, and the CSM.
params:
  as_of: {type: date, required: true, example: 2026-11-24, description: Today}
  window_days: {type: int, default: 30, description: Length of each usage window in days}
  segment: {type: str, default: null, choices: [SMB, Mid-Market, Enterprise]}
  limit: {type: int, default: 200}
examples:
  - Which customers are at risk of churning?
  - Show churn risk signals for our Enterprise customers
*/
{% set split = as_of - days(window_days) %}
{% set this_month = month_start(as_of) %}
WITH usage_cmp AS (
    SELECT
        d.account_id,
        SUM(CASE WHEN d.usage_date > {{ bind(split) }} THEN d.engine_hours ELSE 0 END) AS recent_engine_hours,
        SUM(CASE WHEN d.usage_date <= {{ bind(split) }} THEN d.engine_hours ELSE 0 END) AS prior_engine_hours,
        AVG(CASE WHEN d.usage_date > {{ bind(split) }} THEN CAST(d.active_users AS DOUBLE PRECISION) END) AS recent_avg_active_users,
        AVG(CASE WHEN d.usage_date <= {{ bind(split) }} THEN CAST(d.active_users AS DOUBLE PRECISION) END) AS prior_avg_active_users,
        MAX(d.usage_date) AS last_usage_date
    FROM {{ table('usage_daily') }} d
    WHERE d.usage_date > {{ bind(split - days(window_days)) }} AND d.usage_date <= {{ p('as_of') }}
    GROUP BY d.account_id
),
last_call AS (
    SELECT c.account_id, MAX(c.started_at) AS last_call_at, COUNT(*) AS call_count
    FROM {{ table('calls') }} c
    WHERE c.account_id IS NOT NULL AND CAST(c.started_at AS DATE) <= {{ p('as_of') }}
    GROUP BY c.account_id
),
renewal AS (
    SELECT o.account_id, o.opportunity_id, o.close_date, o.amount, o.stage, o.forecast_category,
           ROW_NUMBER() OVER (PARTITION BY o.account_id ORDER BY o.close_date NULLS LAST, o.opportunity_id NULLS LAST) AS rn
    FROM {{ table('opportunities') }} o
    WHERE o.type = 'Renewal' AND NOT o.is_closed
),
billing AS (
    SELECT
        b.account_id,
        SUM(CASE WHEN b.month >= {{ bind(add_months(this_month, -3)) }} THEN b.revenue ELSE 0 END) AS recent_3m_revenue,
        SUM(CASE WHEN b.month < {{ bind(add_months(this_month, -3)) }} THEN b.revenue ELSE 0 END) AS prior_3m_revenue
    FROM {{ table('billing_monthly') }} b
    WHERE b.month >= {{ bind(add_months(this_month, -6)) }} AND b.month < {{ bind(this_month) }}
    GROUP BY b.account_id
),
last_bill AS (
    SELECT b.account_id, b.month, b.revenue, b.plan,
           ROW_NUMBER() OVER (PARTITION BY b.account_id ORDER BY b.month DESC NULLS LAST) AS rn
    FROM {{ table('billing_monthly') }} b
    WHERE b.month <= {{ p('as_of') }}
)
SELECT
    a.account_id,
    a.name AS account_name,
    a.segment,
    a.customer_since,
    csm.name AS csm_name,
    ae.name AS owner_name,
    u.recent_engine_hours,
    u.prior_engine_hours,
    100 * (u.recent_engine_hours - u.prior_engine_hours) / NULLIF(u.prior_engine_hours, 0) AS usage_change_pct,
    u.recent_avg_active_users,
    u.prior_avg_active_users,
    100 * (u.recent_avg_active_users - u.prior_avg_active_users) / NULLIF(u.prior_avg_active_users, 0) AS active_users_change_pct,
    u.last_usage_date,
    lc.last_call_at,
    DATE_DIFF('day', CAST(CAST(lc.last_call_at AS DATE) AS TIMESTAMP), CAST({{ p('as_of') }} AS TIMESTAMP)) AS days_since_last_call,
    r.opportunity_id AS renewal_opportunity_id,
    r.close_date AS renewal_close_date,
    r.amount AS renewal_amount,
    r.stage AS renewal_stage,
    DATE_DIFF('day', CAST({{ p('as_of') }} AS TIMESTAMP), CAST(r.close_date AS TIMESTAMP)) AS days_to_renewal,
    bl.recent_3m_revenue,
    bl.prior_3m_revenue,
    100 * (bl.recent_3m_revenue - bl.prior_3m_revenue) / NULLIF(bl.prior_3m_revenue, 0) AS billing_change_pct,
    lb.plan,
    12 * lb.revenue AS arr
FROM {{ table('accounts') }} a
LEFT JOIN usage_cmp u ON u.account_id = a.account_id
LEFT JOIN last_call lc ON lc.account_id = a.account_id
LEFT JOIN renewal r ON r.account_id = a.account_id AND r.rn = 1
LEFT JOIN billing bl ON bl.account_id = a.account_id
LEFT JOIN last_bill lb ON lb.account_id = a.account_id AND lb.rn = 1
LEFT JOIN {{ table('users') }} csm ON csm.user_id = a.csm_id
LEFT JOIN {{ table('users') }} ae ON ae.user_id = a.owner_id
WHERE a.account_type = 'customer'
{% if segment %}
  AND a.segment = {{ p('segment') }}
{% endif %}
ORDER BY usage_change_pct NULLS LAST, arr DESC NULLS LAST, a.account_id NULLS LAST
LIMIT {{ limit }}
