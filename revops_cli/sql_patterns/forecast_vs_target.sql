/*
name: forecast_vs_target
description: Forecast for a period per segment and in total - closed won, commit and best case against the bookings target, with the gap.
params:
  start_date: {type: date, required: true, example: 2026-10-01, description: First day of the period (a quarter start)}
  end_date: {type: date, required: true, example: 2026-12-31, description: Last day of the period (a quarter end)}
requires: [targets, accounts.segment, opportunities.forecast_category]
examples:
  - Are we going to hit the number this quarter?
  - Q4 forecast vs target by segment
*/
WITH {% include "segment_targets.sql" %},
deals AS (
    SELECT
        a.segment,
        SUM(CASE WHEN o.is_won THEN o.amount ELSE 0 END) AS closed_won_amount,
        SUM(CASE WHEN NOT o.is_closed AND o.forecast_category = 'Commit' THEN o.amount ELSE 0 END) AS commit_amount,
        SUM(CASE WHEN NOT o.is_closed AND o.forecast_category = 'Best Case' THEN o.amount ELSE 0 END) AS best_case_amount,
        SUM(CASE WHEN NOT o.is_closed AND o.forecast_category = 'Pipeline' THEN o.amount ELSE 0 END) AS pipeline_amount
    FROM {{ table('opportunities') }} o
    JOIN {{ table('accounts') }} a ON a.account_id = o.account_id
    WHERE o.close_date BETWEEN {{ p('start_date') }} AND {{ p('end_date') }}
    GROUP BY a.segment
),
by_segment AS (
    SELECT
        t.segment,
        t.bookings_target,
        COALESCE(d.closed_won_amount, 0) AS closed_won_amount,
        COALESCE(d.commit_amount, 0) AS commit_amount,
        COALESCE(d.best_case_amount, 0) AS best_case_amount,
        COALESCE(d.pipeline_amount, 0) AS pipeline_amount
    FROM tgt t
    LEFT JOIN deals d ON d.segment = t.segment
),
with_total AS (
    -- each column CAST to one type in both branches: Firebolt does not unify a SUM's NUMERIC with a column's type
    SELECT 1 AS sort_key, CAST(segment AS TEXT) AS segment, CAST(bookings_target AS DOUBLE PRECISION) AS bookings_target,
           CAST(closed_won_amount AS DOUBLE PRECISION) AS closed_won_amount,
           CAST(commit_amount AS DOUBLE PRECISION) AS commit_amount,
           CAST(best_case_amount AS DOUBLE PRECISION) AS best_case_amount,
           CAST(pipeline_amount AS DOUBLE PRECISION) AS pipeline_amount
    FROM by_segment
    UNION ALL
    SELECT 2 AS sort_key, CAST('Total' AS TEXT), CAST(SUM(bookings_target) AS DOUBLE PRECISION),
           CAST(SUM(closed_won_amount) AS DOUBLE PRECISION), CAST(SUM(commit_amount) AS DOUBLE PRECISION),
           CAST(SUM(best_case_amount) AS DOUBLE PRECISION), CAST(SUM(pipeline_amount) AS DOUBLE PRECISION)
    FROM by_segment
)
SELECT
    segment,
    bookings_target,
    closed_won_amount,
    commit_amount,
    best_case_amount,
    pipeline_amount,
    closed_won_amount + commit_amount AS commit_forecast_amount,
    closed_won_amount + commit_amount + best_case_amount AS best_case_forecast_amount,
    bookings_target - (closed_won_amount + commit_amount) AS gap_to_target_at_commit,
    bookings_target - (closed_won_amount + commit_amount + best_case_amount) AS gap_to_target_at_best_case,
    100 * closed_won_amount / NULLIF(bookings_target, 0) AS attainment_pct,
    100 * (closed_won_amount + commit_amount) / NULLIF(bookings_target, 0) AS commit_forecast_pct_of_target
FROM with_total
ORDER BY sort_key NULLS LAST, segment NULLS LAST
