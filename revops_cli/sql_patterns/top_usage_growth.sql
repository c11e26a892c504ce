/*
name: top_usage_growth
description: Accounts whose product usage grew most, comparing the last N days to the N days before (engine hours, queries, active users).
params:
  as_of: {type: date, required: true, example: 2026-11-24, description: The last day of the recent window (today)}
  window_days: {type: int, default: 30, description: Length of each window in days}
  metric: {type: str, default: engine_hours, choices: [engine_hours, query_count], description: Which growth to rank by}
  segment: {type: str, default: null, choices: [SMB, Mid-Market, Enterprise]}
  limit: {type: int, default: 20}
examples:
  - Which accounts grew their usage the most this month?
  - Top Enterprise accounts by query growth
*/
{% set split = as_of - days(window_days) %}
WITH {% include "usage_windows.sql" %},
growth AS (
    SELECT
        u.*,
        100 * (u.recent_engine_hours - u.prior_engine_hours) / NULLIF(u.prior_engine_hours, 0) AS engine_hours_growth_pct,
        100 * CAST(u.recent_query_count - u.prior_query_count AS DOUBLE PRECISION) / NULLIF(u.prior_query_count, 0) AS query_count_growth_pct
    FROM usage_cmp u
)
SELECT
    a.account_id,
    a.name AS account_name,
    a.segment,
    a.account_type,
    g.recent_engine_hours,
    g.prior_engine_hours,
    g.engine_hours_growth_pct,
    g.recent_query_count,
    g.prior_query_count,
    g.query_count_growth_pct,
    g.recent_avg_active_users,
    g.prior_avg_active_users
FROM growth g
JOIN {{ table('accounts') }} a ON a.account_id = g.account_id
WHERE g.{{ metric }}_growth_pct IS NOT NULL
{% if segment %}
  AND a.segment = {{ p('segment') }}
{% endif %}
ORDER BY g.{{ metric }}_growth_pct DESC NULLS LAST, a.account_id NULLS LAST
LIMIT {{ limit }}
