/*
name: pipeline_coverage_vs_target
description: Closed-won plus open pipeline in a period against the bookings target, per segment and in total - coverage ratio and gap.
params:
  start_date: {type: date, required: true, example: 2026-10-01, description: First day of the period (a quarter start)}
  end_date: {type: date, required: true, example: 2026-12-31, description: Last day of the period (a quarter end)}
requires: [targets, accounts.segment]
examples:
  - What is our pipeline coverage for Q4?
  - Do we have enough pipeline to hit the Enterprise target this quarter?
*/
WITH {% include "segment_targets.sql" %},
deals AS (
    SELECT
        a.segment,
        SUM(CASE WHEN o.is_won THEN o.amount ELSE 0 END) AS closed_won_amount,
        SUM(CASE WHEN NOT o.is_closed THEN o.amount ELSE 0 END) AS open_pipeline_amount,
        SUM(CASE WHEN NOT o.is_closed THEN CAST(o.amount * o.probability AS DOUBLE PRECISION) / 100 ELSE 0 END) AS weighted_pipeline_amount,
        SUM(CASE WHEN NOT o.is_closed THEN 1 ELSE 0 END) AS open_deal_count
    FROM {{ table('opportunities') }} o
    JOIN {{ table('accounts') }} a ON a.account_id = o.account_id
    WHERE o.close_date BETWEEN {{ p('start_date') }} AND {{ p('end_date') }}
      AND (o.is_won OR NOT o.is_closed)
    GROUP BY a.segment
),
by_segment AS (
    SELECT
        t.segment,
        t.bookings_target,
        COALESCE(d.closed_won_amount, 0) AS closed_won_amount,
        COALESCE(d.open_pipeline_amount, 0) AS open_pipeline_amount,
        COALESCE(d.weighted_pipeline_amount, 0) AS weighted_pipeline_amount,
        COALESCE(d.open_deal_count, 0) AS open_deal_count
    FROM tgt t
    LEFT JOIN deals d ON d.segment = t.segment
),
with_total AS (
    -- each column CAST to one type in both branches: Firebolt does not unify a SUM's NUMERIC with a column's type
    SELECT 1 AS sort_key, CAST(segment AS TEXT) AS segment, CAST(bookings_target AS DOUBLE PRECISION) AS bookings_target,
           CAST(closed_won_amount AS DOUBLE PRECISION) AS closed_won_amount,
           CAST(open_pipeline_amount AS DOUBLE PRECISION) AS open_pipeline_amount,
           CAST(weighted_pipeline_amount AS DOUBLE PRECISION) AS weighted_pipeline_amount,
           CAST(open_deal_count AS BIGINT) AS open_deal_count
    FROM by_segment
    UNION ALL
    SELECT 2 AS sort_key, CAST('Total' AS TEXT), CAST(SUM(bookings_target) AS DOUBLE PRECISION),
           CAST(SUM(closed_won_amount) AS DOUBLE PRECISION), CAST(SUM(open_pipeline_amount) AS DOUBLE PRECISION),
           CAST(SUM(weighted_pipeline_amount) AS DOUBLE PRECISION), CAST(SUM(open_deal_count) AS BIGINT)
    FROM by_segment
)
SELECT
    segment,
    bookings_target,
    closed_won_amount,
    open_pipeline_amount,
    weighted_pipeline_amount,
    open_deal_count,
    GREATEST(bookings_target - closed_won_amount, 0) AS remaining_target,
    CASE WHEN bookings_target - closed_won_amount > 0
         THEN open_pipeline_amount / (bookings_target - closed_won_amount) END AS coverage_ratio,
    (closed_won_amount + open_pipeline_amount) / NULLIF(bookings_target, 0) AS total_coverage_ratio,
    100 * closed_won_amount / NULLIF(bookings_target, 0) AS attainment_pct,
    bookings_target - closed_won_amount - open_pipeline_amount AS gap_amount
FROM with_total
ORDER BY sort_key NULLS LAST, segment NULLS LAST
