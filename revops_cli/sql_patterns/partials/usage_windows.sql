{#- Each account's usage in the last window_days up to as_of against the window_days before (`split` is where
    they meet, set by the pattern): the `usage_cmp` CTE of declining_usage and top_usage_growth
    (`WITH {% include "usage_windows.sql" %},`). #}
usage_cmp AS (
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
)
