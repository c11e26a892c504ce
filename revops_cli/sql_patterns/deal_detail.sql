/*
name: deal_detail
description: One opportunity by id with its account, owner and every MEDDPICC field and status.
params:
  opportunity_id: {type: str, required: true, example: OPP-0000001}
examples:
  - Show me everything about OPP-0000123
  - What is the MEDDPICC status of the IXIS deal?
*/
SELECT
    o.opportunity_id,
    o.name AS deal_name,
    o.type AS deal_type,
    o.stage,
    o.amount,
    o.probability,
    CAST(o.amount * o.probability AS DOUBLE PRECISION) / 100 AS weighted_amount,
    o.forecast_category,
    o.close_date,
    o.created_date,
    o.is_closed,
    o.is_won,
    o.lead_source,
    o.next_step,
    o.competitors,
    o.last_activity_date,
    a.account_id,
    a.name AS account_name,
    a.domain AS account_domain,
    a.industry,
    a.segment,
    a.region,
    a.account_type,
    a.employees,
    a.tech_stack,
    a.potential_spend,
    o.owner_id,
    u.name AS owner_name,
    u.email AS owner_email,
    u.team AS owner_team,
    o.metrics,
    o.metrics_status,
    o.economic_buyer,
    o.economic_buyer_status,
    o.identify_pain,
    o.identify_pain_status,
    o.champion,
    o.champion_status,
    o.decision_criteria,
    o.decision_criteria_status,
    o.competition,
    o.competition_status,
    o.decision_making_process,
    o.decision_making_process_status,
    o.paper_process,
    o.paper_process_status
FROM {{ table('opportunities') }} o
JOIN {{ table('accounts') }} a ON a.account_id = o.account_id
LEFT JOIN {{ table('users') }} u ON u.user_id = o.owner_id
WHERE o.opportunity_id = {{ p('opportunity_id') }}
