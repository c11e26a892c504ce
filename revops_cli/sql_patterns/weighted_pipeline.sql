/*
name: weighted_pipeline
description: Open pipeline closing in a period, by segment or in total - deal count, open amount and probability-weighted amount.
params:
  start_date: {type: date, required: true, example: 2026-10-01, description: Earliest close date}
  end_date: {type: date, required: true, example: 2026-12-31, description: Latest close date}
  group_by: {type: str, default: segment, choices: [segment, total]}
  segment: {type: str, default: null, choices: [SMB, Mid-Market, Enterprise]}
examples:
  - What is our weighted pipeline this quarter?
  - Weighted pipeline by segment for Q4
*/
SELECT
{% if group_by == 'segment' %}
    COALESCE(a.segment, 'Unknown') AS segment,
{% else %}
    'All' AS segment,
{% endif %}
    COUNT(*) AS deal_count,
    SUM(o.amount) AS open_amount,
    SUM(CAST(o.amount * o.probability AS DOUBLE PRECISION) / 100) AS weighted_amount,
    AVG(CAST(o.probability AS DOUBLE PRECISION)) AS avg_probability_pct,
    SUM(CASE WHEN o.forecast_category = 'Commit' THEN o.amount ELSE 0 END) AS commit_amount,
    SUM(CASE WHEN o.forecast_category = 'Best Case' THEN o.amount ELSE 0 END) AS best_case_amount
FROM {{ table('opportunities') }} o
JOIN {{ table('accounts') }} a ON a.account_id = o.account_id
WHERE NOT o.is_closed
  AND o.close_date BETWEEN {{ p('start_date') }} AND {{ p('end_date') }}
{% if segment %}
  AND a.segment = {{ p('segment') }}
{% endif %}
{% if group_by == 'segment' %}
GROUP BY COALESCE(a.segment, 'Unknown')
ORDER BY weighted_amount DESC NULLS LAST
{% endif %}
