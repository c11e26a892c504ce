{#- The bookings target per segment of the quarters inside start_date .. end_date: the `tgt` CTE of
    forecast_vs_target and pipeline_coverage_vs_target (`WITH {% include "segment_targets.sql" %},`). #}
tgt AS (
    SELECT t.segment, SUM(t.bookings_target) AS bookings_target
    FROM {{ table('targets') }} t
    WHERE t.quarter_start >= {{ p('start_date') }} AND t.quarter_end <= {{ p('end_date') }}
    GROUP BY t.segment
)
