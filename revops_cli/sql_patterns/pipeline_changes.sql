/*
name: pipeline_changes
description: Every deal that changed between two dates - created, moved stage, won, lost, close date moved, amount changed - with its state at the start (the end of the day before start_date) and at the end (the end of end_date) rebuilt from the stage and close-date history, its owner, team and segment. Every row also carries the open pipeline, commit and best case closing in the period at both dates (in total and for the deal's owner). Forecast categories are not in the history - a deal's category at a date is its current one while it is in the same stage, else the category most open deals in that stage have now.
params:
  start_date: {type: date, required: true, example: 2026-11-18, description: "First day of changes; the state before is the end of the day before"}
  end_date: {type: date, required: true, example: 2026-11-24, description: Last day of changes; the "after" state is the end of this day}
  period_start: {type: date, required: true, example: 2026-10-01, description: "The forecast period (pipeline, commit, slipped out of it): first close date"}
  period_end: {type: date, required: true, example: 2026-12-31, description: "The forecast period: last close date"}
  segment: {type: str, default: null, choices: [SMB, Mid-Market, Enterprise]}
  region: {type: str, default: null, description: Only accounts in this region}
  owner_id: {type: str, default: null, description: Only this AE's deals (users.user_id)}
  limit: {type: int, default: 5000}
requires: [opportunity_stage_history.to_stage, opportunity_stage_history.new_close_date]
examples:
  - What changed in the pipeline since last Monday?
  - What slipped out of Q4 this week?
*/
WITH hist AS (
    SELECT
        h.opportunity_id,
        h.changed_at,
        CAST(h.changed_at AS DATE) AS changed_on,
        h.from_stage,
        h.to_stage,
        h.old_close_date,
        h.new_close_date,
        h.amount
    FROM {{ table('opportunity_stage_history') }} h
    WHERE CAST(h.changed_at AS DATE) <= {{ p('end_date') }}
),
ranked AS (
    SELECT
        hist.*,
        ROW_NUMBER() OVER (PARTITION BY hist.opportunity_id ORDER BY hist.changed_at DESC NULLS LAST) AS rn_after,
        CASE WHEN hist.changed_on < {{ p('start_date') }} THEN
            ROW_NUMBER() OVER (PARTITION BY hist.opportunity_id,
                                            CASE WHEN hist.changed_on < {{ p('start_date') }} THEN 1 ELSE 0 END
                               ORDER BY hist.changed_at DESC NULLS LAST) END AS rn_before
    FROM hist
),
moves AS (
    SELECT
        hist.opportunity_id,
        COUNT(*) AS change_count,
        SUM(CASE WHEN COALESCE(hist.from_stage, '') <> COALESCE(hist.to_stage, '') AND hist.from_stage IS NOT NULL
                 THEN 1 ELSE 0 END) AS stage_move_count,
        SUM(CASE WHEN hist.new_close_date > hist.old_close_date THEN 1 ELSE 0 END) AS push_count,
        SUM(CASE WHEN hist.new_close_date < hist.old_close_date THEN 1 ELSE 0 END) AS pull_count,
        MAX(hist.changed_at) AS last_changed_at
    FROM hist
    WHERE hist.changed_on >= {{ p('start_date') }}
    GROUP BY hist.opportunity_id
),
closed_stages AS (
    SELECT o.stage, MAX(CASE WHEN o.is_won THEN 1 ELSE 0 END) AS won
    FROM {{ table('opportunities') }} o
    WHERE o.is_closed
    GROUP BY o.stage
),
stage_rank AS (
    SELECT o.stage, AVG(CAST(o.probability AS DOUBLE PRECISION)) AS stage_probability
    FROM {{ table('opportunities') }} o
    GROUP BY o.stage
),
stage_category AS (
    SELECT c.stage, c.forecast_category
    FROM (
        SELECT o.stage, o.forecast_category,
               ROW_NUMBER() OVER (PARTITION BY o.stage ORDER BY COUNT(*) DESC NULLS LAST,
                                  o.forecast_category NULLS LAST) AS rn
        FROM {{ table('opportunities') }} o
        WHERE NOT o.is_closed AND o.forecast_category IS NOT NULL
        GROUP BY o.stage, o.forecast_category
    ) c
    WHERE c.rn = 1
),
states AS (
    SELECT
        o.opportunity_id,
        o.name AS deal_name,
        a.name AS account_name,
        a.segment,
        a.region,
        o.owner_id,
        u.name AS owner_name,
        u.team,
        o.created_date,
        o.forecast_category AS current_forecast_category,
        o.stage AS current_stage,
        CASE WHEN o.created_date < {{ p('start_date') }} OR b.opportunity_id IS NOT NULL THEN TRUE ELSE FALSE END
            AS existed_before,
        COALESCE(b.to_stage, o.stage) AS stage_before,
        COALESCE(b.new_close_date, o.close_date) AS close_date_before,
        COALESCE(b.amount, o.amount) AS amount_before,
        COALESCE(f.to_stage, o.stage) AS stage_after,
        COALESCE(f.new_close_date, o.close_date) AS close_date_after,
        COALESCE(f.amount, o.amount) AS amount_after,
        COALESCE(m.change_count, 0) AS change_count,
        COALESCE(m.stage_move_count, 0) AS stage_move_count,
        COALESCE(m.push_count, 0) AS push_count,
        COALESCE(m.pull_count, 0) AS pull_count,
        m.last_changed_at
    FROM {{ table('opportunities') }} o
    JOIN {{ table('accounts') }} a ON a.account_id = o.account_id
    LEFT JOIN {{ table('users') }} u ON u.user_id = o.owner_id
    LEFT JOIN ranked b ON b.opportunity_id = o.opportunity_id AND b.rn_before = 1
    LEFT JOIN ranked f ON f.opportunity_id = o.opportunity_id AND f.rn_after = 1
    LEFT JOIN moves m ON m.opportunity_id = o.opportunity_id
    WHERE o.created_date <= {{ p('end_date') }}
    {% if segment %}
      AND a.segment = {{ p('segment') }}
    {% endif %}
    {% if region %}
      AND a.region = {{ p('region') }}
    {% endif %}
    {% if owner_id %}
      AND o.owner_id = {{ p('owner_id') }}
    {% endif %}
),
classified AS (
    SELECT
        s.*,
        CASE WHEN cb.stage IS NOT NULL THEN TRUE ELSE FALSE END AS closed_before,
        CASE WHEN cb.won = 1 THEN TRUE ELSE FALSE END AS won_before,
        CASE WHEN ca.stage IS NOT NULL THEN TRUE ELSE FALSE END AS closed_after,
        CASE WHEN ca.won = 1 THEN TRUE ELSE FALSE END AS won_after,
        CASE WHEN s.stage_before = s.current_stage THEN s.current_forecast_category
             ELSE COALESCE(kb.forecast_category, s.current_forecast_category) END AS forecast_category_before,
        CASE WHEN s.stage_after = s.current_stage THEN s.current_forecast_category
             ELSE COALESCE(ka.forecast_category, s.current_forecast_category) END AS forecast_category_after,
        rb.stage_probability AS stage_probability_before,
        ra.stage_probability AS stage_probability_after
    FROM states s
    LEFT JOIN closed_stages cb ON cb.stage = s.stage_before
    LEFT JOIN closed_stages ca ON ca.stage = s.stage_after
    LEFT JOIN stage_category kb ON kb.stage = s.stage_before
    LEFT JOIN stage_category ka ON ka.stage = s.stage_after
    LEFT JOIN stage_rank rb ON rb.stage = s.stage_before
    LEFT JOIN stage_rank ra ON ra.stage = s.stage_after
),
levels AS (
    SELECT
        c.*,
        CASE WHEN c.existed_before AND NOT c.closed_before
                  AND c.close_date_before BETWEEN {{ p('period_start') }} AND {{ p('period_end') }}
             THEN COALESCE(c.amount_before, 0) ELSE 0 END AS pipeline_before,
        CASE WHEN NOT c.closed_after
                  AND c.close_date_after BETWEEN {{ p('period_start') }} AND {{ p('period_end') }}
             THEN COALESCE(c.amount_after, 0) ELSE 0 END AS pipeline_after
    FROM classified c
),
totals AS (
    SELECT
        SUM(l.pipeline_before) AS total_pipeline_before,
        SUM(l.pipeline_after) AS total_pipeline_after,
        SUM(CASE WHEN l.forecast_category_before = 'Commit' THEN l.pipeline_before ELSE 0 END) AS total_commit_before,
        SUM(CASE WHEN l.forecast_category_after = 'Commit' THEN l.pipeline_after ELSE 0 END) AS total_commit_after,
        SUM(CASE WHEN l.forecast_category_before = 'Best Case' THEN l.pipeline_before ELSE 0 END)
            AS total_best_case_before,
        SUM(CASE WHEN l.forecast_category_after = 'Best Case' THEN l.pipeline_after ELSE 0 END) AS total_best_case_after,
        SUM(CASE WHEN l.pipeline_before > 0 THEN 1 ELSE 0 END) AS total_deals_before,
        SUM(CASE WHEN l.pipeline_after > 0 THEN 1 ELSE 0 END) AS total_deals_after
    FROM levels l
),
owner_levels AS (
    SELECT
        l.owner_id,
        SUM(l.pipeline_before) AS owner_pipeline_before,
        SUM(l.pipeline_after) AS owner_pipeline_after,
        SUM(CASE WHEN l.forecast_category_before = 'Commit' THEN l.pipeline_before ELSE 0 END) AS owner_commit_before,
        SUM(CASE WHEN l.forecast_category_after = 'Commit' THEN l.pipeline_after ELSE 0 END) AS owner_commit_after
    FROM levels l
    GROUP BY l.owner_id
),
changed AS (
    SELECT l.*, ol.owner_pipeline_before, ol.owner_pipeline_after, ol.owner_commit_before, ol.owner_commit_after
    FROM levels l
    LEFT JOIN owner_levels ol ON ol.owner_id = l.owner_id
    WHERE l.change_count > 0 OR NOT l.existed_before
)
SELECT t.*, ch.*
FROM totals t
LEFT JOIN changed ch ON 1 = 1
ORDER BY ch.last_changed_at DESC NULLS LAST, ch.opportunity_id NULLS LAST
LIMIT {{ limit }}
