/*
name: pipeline_by_quarter_and_stage
description: Open pipeline by close quarter and stage - deal count, total and probability-weighted amount.
params:
  start_date: {type: date, required: true, example: 2026-10-01, description: Earliest close date}
  end_date: {type: date, required: true, example: 2027-06-30, description: Latest close date}
  segment: {type: str, default: null, choices: [SMB, Mid-Market, Enterprise]}
examples:
  - Show pipeline by quarter and stage
  - How much Enterprise pipeline sits in Negotiate for next quarter?
*/
SELECT
    CAST(EXTRACT(YEAR FROM o.close_date) AS TEXT) || '-Q' || CAST(EXTRACT(QUARTER FROM o.close_date) AS TEXT) AS close_quarter,
    o.stage,
    MAX(o.probability) AS stage_probability,
    COUNT(*) AS deal_count,
    SUM(o.amount) AS total_amount,
    SUM(CAST(o.amount * o.probability AS DOUBLE PRECISION) / 100) AS weighted_amount
FROM {{ table('opportunities') }} o
JOIN {{ table('accounts') }} a ON a.account_id = o.account_id
WHERE NOT o.is_closed
  AND o.close_date BETWEEN {{ p('start_date') }} AND {{ p('end_date') }}
{% if segment %}
  AND a.segment = {{ p('segment') }}
{% endif %}
GROUP BY
    CAST(EXTRACT(YEAR FROM o.close_date) AS TEXT) || '-Q' || CAST(EXTRACT(QUARTER FROM o.close_date) AS TEXT),
    o.stage
ORDER BY close_quarter NULLS LAST, stage_probability NULLS LAST, o.stage NULLS LAST
