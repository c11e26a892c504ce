/*
name: deals_at_risk_inputs
description: Open deals closing in a period with their risk inputs - days since last activity and last call, close-date pushes, days in the current stage, MEDDPICC statuses and competitors.
params:
  start_date: {type: date, required: true, example: 2026-10-01, description: Earliest close date}
  end_date: {type: date, required: true, example: 2026-12-31, description: Latest close date}
  as_of: {type: date, required: true, example: 2026-11-24, description: Today}
  segment: {type: str, default: null, choices: [SMB, Mid-Market, Enterprise]}
  owner_id: {type: str, default: null}
  limit: {type: int, default: 100}
examples:
  - What are the main risk factors for deals closing this quarter?
  - Which Q4 deals are at risk?
*/
WITH pushes AS (
    SELECT h.opportunity_id, COUNT(*) AS push_count,
           SUM(DATE_DIFF('day', CAST(h.old_close_date AS TIMESTAMP), CAST(h.new_close_date AS TIMESTAMP))) AS days_pushed
    FROM {{ table('opportunity_stage_history') }} h
    WHERE h.new_close_date > h.old_close_date AND CAST(h.changed_at AS DATE) <= {{ p('as_of') }}
    GROUP BY h.opportunity_id
),
stage_moves AS (
    SELECT h.opportunity_id, MAX(h.changed_at) AS last_stage_change_at
    FROM {{ table('opportunity_stage_history') }} h
    WHERE COALESCE(h.from_stage, '') <> COALESCE(h.to_stage, '') AND CAST(h.changed_at AS DATE) <= {{ p('as_of') }}
    GROUP BY h.opportunity_id
),
deal_calls AS (
    SELECT c.opportunity_id, COUNT(*) AS call_count, MAX(c.started_at) AS last_call_at
    FROM {{ table('calls') }} c
    WHERE c.opportunity_id IS NOT NULL AND CAST(c.started_at AS DATE) <= {{ p('as_of') }}
    GROUP BY c.opportunity_id
)
SELECT
    o.opportunity_id,
    o.name AS deal_name,
    a.name AS account_name,
    a.segment,
    u.name AS owner_name,
    o.type AS deal_type,
    o.stage,
    o.amount,
    o.probability,
    o.forecast_category,
    o.close_date,
    DATE_DIFF('day', CAST({{ p('as_of') }} AS TIMESTAMP), CAST(o.close_date AS TIMESTAMP)) AS days_to_close,
    o.last_activity_date,
    DATE_DIFF('day', CAST(o.last_activity_date AS TIMESTAMP), CAST({{ p('as_of') }} AS TIMESTAMP)) AS days_since_activity,
    COALESCE(dc.call_count, 0) AS call_count,
    dc.last_call_at,
    DATE_DIFF('day', CAST(CAST(dc.last_call_at AS DATE) AS TIMESTAMP), CAST({{ p('as_of') }} AS TIMESTAMP)) AS days_since_last_call,
    COALESCE(p.push_count, 0) AS push_count,
    COALESCE(p.days_pushed, 0) AS days_pushed,
    DATE_DIFF('day', CAST(COALESCE(CAST(sm.last_stage_change_at AS DATE), o.created_date) AS TIMESTAMP), CAST({{ p('as_of') }} AS TIMESTAMP)) AS days_in_current_stage,
    o.competitors,
    o.next_step,
    o.metrics_status,
    o.economic_buyer_status,
    o.identify_pain_status,
    o.champion_status,
    o.decision_criteria_status,
    o.competition_status,
    o.decision_making_process_status,
    o.paper_process_status,
    (CASE WHEN o.metrics_status IN ('Validated', 'Leveraged') THEN 1 ELSE 0 END
     + CASE WHEN o.economic_buyer_status IN ('Validated', 'Leveraged') THEN 1 ELSE 0 END
     + CASE WHEN o.identify_pain_status IN ('Validated', 'Leveraged') THEN 1 ELSE 0 END
     + CASE WHEN o.champion_status IN ('Validated', 'Leveraged') THEN 1 ELSE 0 END
     + CASE WHEN o.decision_criteria_status IN ('Validated', 'Leveraged') THEN 1 ELSE 0 END
     + CASE WHEN o.competition_status IN ('Validated', 'Leveraged') THEN 1 ELSE 0 END
     + CASE WHEN o.decision_making_process_status IN ('Validated', 'Leveraged') THEN 1 ELSE 0 END
     + CASE WHEN o.paper_process_status IN ('Validated', 'Leveraged') THEN 1 ELSE 0 END) AS meddpicc_validated_count,
    (CASE WHEN COALESCE(o.metrics_status, 'Unknown') = 'Unknown' THEN 1 ELSE 0 END
     + CASE WHEN COALESCE(o.economic_buyer_status, 'Unknown') = 'Unknown' THEN 1 ELSE 0 END
     + CASE WHEN COALESCE(o.identify_pain_status, 'Unknown') = 'Unknown' THEN 1 ELSE 0 END
     + CASE WHEN COALESCE(o.champion_status, 'Unknown') = 'Unknown' THEN 1 ELSE 0 END
     + CASE WHEN COALESCE(o.decision_criteria_status, 'Unknown') = 'Unknown' THEN 1 ELSE 0 END
     + CASE WHEN COALESCE(o.competition_status, 'Unknown') = 'Unknown' THEN 1 ELSE 0 END
     + CASE WHEN COALESCE(o.decision_making_process_status, 'Unknown') = 'Unknown' THEN 1 ELSE 0 END
     + CASE WHEN COALESCE(o.paper_process_status, 'Unknown') = 'Unknown' THEN 1 ELSE 0 END) AS meddpicc_unknown_count
FROM {{ table('opportunities') }} o
JOIN {{ table('accounts') }} a ON a.account_id = o.account_id
LEFT JOIN {{ table('users') }} u ON u.user_id = o.owner_id
LEFT JOIN pushes p ON p.opportunity_id = o.opportunity_id
LEFT JOIN stage_moves sm ON sm.opportunity_id = o.opportunity_id
LEFT JOIN deal_calls dc ON dc.opportunity_id = o.opportunity_id
WHERE NOT o.is_closed
  AND o.close_date BETWEEN {{ p('start_date') }} AND {{ p('end_date') }}
{% if segment %}
  AND a.segment = {{ p('segment') }}
{% endif %}
{% if owner_id %}
  AND o.owner_id = {{ p('owner_id') }}
{% endif %}
ORDER BY o.amount DESC NULLS LAST, o.opportunity_id NULLS LAST
LIMIT {{ limit }}
