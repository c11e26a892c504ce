/*
name: usage_trend_for_account
description: One account's product usage per day, week or month in a period - queries, engine hours, bytes scanned, peak active users.
params:
  account: {type: str, required: true, example: ACC-000002, description: "Account id, or part of the account name"}
  start_date: {type: date, required: true, example: 2026-06-01}
  end_date: {type: date, required: true, example: 2026-11-24}
  grain: {type: str, default: week, choices: [day, week, month]}
examples:
  - How has IXIS's usage trended since June?
  - Show Acme's monthly query volume this year
*/
SELECT
    a.account_id,
    a.name AS account_name,
    CAST(date_trunc('{{ grain }}', d.usage_date) AS DATE) AS period_start,
    SUM(d.query_count) AS query_count,
    SUM(d.engine_hours) AS engine_hours,
    SUM(d.bytes_scanned) AS bytes_scanned,
    MAX(d.active_users) AS peak_active_users,
    COUNT(*) AS days_with_usage
FROM {{ table('usage_daily') }} d
JOIN {{ table('accounts') }} a ON a.account_id = d.account_id
WHERE (a.account_id = {{ p('account') }} OR LOWER(a.name) LIKE {{ like('account') }})
  AND d.usage_date BETWEEN {{ p('start_date') }} AND {{ p('end_date') }}
GROUP BY a.account_id, a.name, CAST(date_trunc('{{ grain }}', d.usage_date) AS DATE)
ORDER BY a.account_id NULLS LAST, period_start NULLS LAST
