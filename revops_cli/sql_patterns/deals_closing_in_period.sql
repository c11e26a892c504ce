/*
name: deals_closing_in_period
description: Open deals whose close date falls in a period, biggest first, with probability-weighted amounts.
params:
  start_date: {type: date, required: true, example: 2026-10-01, description: First day of the period}
  end_date: {type: date, required: true, example: 2026-12-31, description: Last day of the period}
  segment: {type: str, default: null, choices: [SMB, Mid-Market, Enterprise]}
  owner_id: {type: str, default: null, description: Only this AE's deals (users.user_id)}
  min_amount: {type: float, default: null, description: Only deals at least this big}
  max_amount: {type: float, default: null, description: Only deals at most this big}
  below_amount: {type: float, default: null, description: Only deals smaller than this}
  region: {type: str, default: null, description: Only accounts in this region}
  industry: {type: str, default: null, description: Only accounts in this industry}
  account_id: {type: str, default: null, description: Only this account's deals}
  stages: {type: "list[str]", default: null, description: Only deals in these stages}
  deal_type: {type: str, default: null, description: "Only this opportunity type (New Business, Expansion, Renewal)"}
  lead_source: {type: str, default: null, description: Only deals from this lead source}
  competitor: {type: str, default: null, description: Only deals where this competitor is listed}
  limit: {type: int, default: 50}
examples:
  - What deals are closing this quarter?
  - Which Enterprise deals close in Q4?
  - Show deals over $100K closing next month
*/
SELECT
    o.opportunity_id,
    o.name AS deal_name,
    a.name AS account_name,
    a.account_id,
    a.segment,
    a.region,
    a.industry,
    u.name AS owner_name,
    o.type AS deal_type,
    o.stage,
    o.forecast_category,
    o.amount,
    o.probability,
    CAST(o.amount * o.probability AS DOUBLE PRECISION) / 100 AS weighted_amount,
    o.close_date,
    o.lead_source,
    o.competitors,
    o.next_step
FROM {{ table('opportunities') }} o
JOIN {{ table('accounts') }} a ON a.account_id = o.account_id
LEFT JOIN {{ table('users') }} u ON u.user_id = o.owner_id
WHERE NOT o.is_closed
  AND o.close_date BETWEEN {{ p('start_date') }} AND {{ p('end_date') }}
{% include "deal_filters.sql" %}
ORDER BY o.amount DESC NULLS LAST, o.close_date NULLS LAST, o.opportunity_id NULLS LAST
LIMIT {{ limit }}
