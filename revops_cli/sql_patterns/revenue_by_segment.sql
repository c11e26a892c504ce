/*
name: revenue_by_segment
description: Recognised revenue (billing) by segment for a period, next to the same period a year earlier, with the year-over-year change; plus a total row.
params:
  start_date: {type: date, required: true, example: 2026-10-01, description: First day of the period (a month start)}
  end_date: {type: date, required: true, example: 2026-12-31, description: Last day of the period}
  prev_start_date: {type: date, default: null, description: First day of the comparison period (default one year before start_date)}
  prev_end_date: {type: date, default: null, description: Last day of the comparison period (default one year before end_date)}
requires: [billing_monthly]
examples:
  - Q4 revenue by segment
  - How does this quarter's revenue compare with last year by segment?
*/
{% set prev_start = prev_start_date if prev_start_date else add_years(start_date, -1) %}
{% set prev_end = prev_end_date if prev_end_date else add_years(end_date, -1) %}
WITH cur AS (
    SELECT a.segment, SUM(b.revenue) AS revenue, COUNT(DISTINCT b.account_id) AS paying_accounts
    FROM {{ table('billing_monthly') }} b
    JOIN {{ table('accounts') }} a ON a.account_id = b.account_id
    WHERE b.month BETWEEN {{ p('start_date') }} AND {{ p('end_date') }}
    GROUP BY a.segment
),
prev AS (
    SELECT a.segment, SUM(b.revenue) AS revenue, COUNT(DISTINCT b.account_id) AS paying_accounts
    FROM {{ table('billing_monthly') }} b
    JOIN {{ table('accounts') }} a ON a.account_id = b.account_id
    WHERE b.month BETWEEN {{ bind(prev_start) }} AND {{ bind(prev_end) }}
    GROUP BY a.segment
),
segs AS (
    SELECT segment FROM cur
    UNION
    SELECT segment FROM prev
),
by_segment AS (
    SELECT
        COALESCE(s.segment, 'Unknown') AS segment,
        COALESCE(c.revenue, 0) AS revenue,
        COALESCE(p.revenue, 0) AS prev_year_revenue,
        COALESCE(c.paying_accounts, 0) AS paying_accounts,
        COALESCE(p.paying_accounts, 0) AS prev_year_paying_accounts
    FROM segs s
    LEFT JOIN cur c ON c.segment = s.segment
    LEFT JOIN prev p ON p.segment = s.segment
),
with_total AS (
    -- each column CAST to one type in both branches: Firebolt does not unify a SUM's NUMERIC with a column's type
    SELECT 1 AS sort_key, CAST(segment AS TEXT) AS segment, CAST(revenue AS DOUBLE PRECISION) AS revenue,
           CAST(prev_year_revenue AS DOUBLE PRECISION) AS prev_year_revenue,
           CAST(paying_accounts AS BIGINT) AS paying_accounts,
           CAST(prev_year_paying_accounts AS BIGINT) AS prev_year_paying_accounts
    FROM by_segment
    UNION ALL
    SELECT 2 AS sort_key, CAST('Total' AS TEXT), CAST(SUM(revenue) AS DOUBLE PRECISION),
           CAST(SUM(prev_year_revenue) AS DOUBLE PRECISION),
           CAST(SUM(paying_accounts) AS BIGINT), CAST(SUM(prev_year_paying_accounts) AS BIGINT)
    FROM by_segment
)
SELECT
    segment,
    revenue,
    prev_year_revenue,
    revenue - prev_year_revenue AS yoy_change,
    100 * (revenue - prev_year_revenue) / NULLIF(prev_year_revenue, 0) AS yoy_change_pct,
    paying_accounts,
    prev_year_paying_accounts
FROM with_total
ORDER BY sort_key NULLS LAST, revenue DESC NULLS LAST
