/*
name: revenue_by_month
description: Recognised revenue (billing) per month in a period, with paying accounts and the month-over-month change.
params:
  start_date: {type: date, required: true, example: 2026-01-01, description: First month (a month start)}
  end_date: {type: date, required: true, example: 2026-11-30, description: Last day of the period}
  segment: {type: str, default: null, choices: [SMB, Mid-Market, Enterprise]}
requires: [billing_monthly]
examples:
  - Show revenue by month this year
  - What are the Q4 revenue trends for Mid-Market?
*/
WITH monthly AS (
    SELECT b.month, SUM(b.revenue) AS revenue, COUNT(DISTINCT b.account_id) AS paying_accounts
    FROM {{ table('billing_monthly') }} b
{% if segment %}
    JOIN {{ table('accounts') }} a ON a.account_id = b.account_id
{% endif %}
    WHERE b.month BETWEEN {{ p('start_date') }} AND {{ p('end_date') }}
{% if segment %}
      AND a.segment = {{ p('segment') }}
{% endif %}
    GROUP BY b.month
)
SELECT
    month,
    revenue,
    paying_accounts,
    revenue / NULLIF(paying_accounts, 0) AS revenue_per_account,
    revenue - LAG(revenue) OVER (ORDER BY month NULLS LAST) AS mom_change,
    100 * (revenue - LAG(revenue) OVER (ORDER BY month NULLS LAST)) / NULLIF(LAG(revenue) OVER (ORDER BY month NULLS LAST), 0) AS mom_change_pct
FROM monthly
ORDER BY month NULLS LAST
