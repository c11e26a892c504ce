/*
name: stage_history
description: Every stage move and close-date change of one opportunity, oldest first, with who made it.
params:
  opportunity_id: {type: str, required: true, example: OPP-0000001}
examples:
  - How has the IXIS deal progressed through the stages?
  - When did OPP-0000123 move to Negotiate?
*/
SELECT
    h.opportunity_id,
    h.changed_at,
    CASE WHEN COALESCE(h.from_stage, '') <> COALESCE(h.to_stage, '') THEN 'stage'
         ELSE 'close_date' END AS change_type,
    h.from_stage,
    h.to_stage,
    h.days_in_stage,
    h.old_close_date,
    h.new_close_date,
    CASE WHEN h.old_close_date IS NOT NULL AND h.new_close_date IS NOT NULL
         THEN DATE_DIFF('day', CAST(h.old_close_date AS TIMESTAMP), CAST(h.new_close_date AS TIMESTAMP)) END AS close_date_moved_days,
    h.amount,
    h.changed_by,
    u.name AS changed_by_name
FROM {{ table('opportunity_stage_history') }} h
LEFT JOIN {{ table('users') }} u ON u.user_id = h.changed_by
WHERE h.opportunity_id = {{ p('opportunity_id') }}
ORDER BY h.changed_at NULLS LAST
