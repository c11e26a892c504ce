/*
name: lead_conversion_by_segment
description: Which lead sources, personas (seniority and department) and industries convert best - leads, conversions (SQL or Converted) and the rate - optionally for a company-size band.
params:
  min_employees: {type: int, default: null, example: 1000, description: Only leads at companies with at least this many employees}
  max_employees: {type: int, default: null, description: Only leads at companies with at most this many employees}
  start_date: {type: date, default: null, description: Only leads created on or after this day}
  end_date: {type: date, default: null, description: Only leads created on or before this day}
examples:
  - What is the best outreach strategy for enterprise leads?
  - Which lead sources convert best for mid-market?
*/
WITH research AS (
    SELECT r.company_name, r.employees,
           ROW_NUMBER() OVER (PARTITION BY LOWER(r.company_name) ORDER BY r.updated_at DESC NULLS LAST, r.domain NULLS LAST) AS rn
    FROM {{ table('company_research') }} r
),
seg AS (
    SELECT
        COALESCE(l.source, 'Unknown') AS source,
        COALESCE(l.seniority, 'Unknown') AS seniority,
        COALESCE(l.department, 'Unknown') AS department,
        COALESCE(l.industry, 'Unknown') AS industry,
        CASE WHEN l.status IN ('SQL', 'Converted') THEN 1 ELSE 0 END AS converted,
        COALESCE(l.email_clicks, 0) + COALESCE(l.content_downloads, 0) + COALESCE(l.events_attended, 0) AS touches
    FROM {{ table('leads') }} l
    LEFT JOIN research r ON r.rn = 1 AND LOWER(r.company_name) = LOWER(l.company)
    WHERE 1 = 1
{% if min_employees is not none %}
      AND COALESCE(l.employees, r.employees) >= {{ p('min_employees') }}
{% endif %}
{% if max_employees is not none %}
      AND COALESCE(l.employees, r.employees) <= {{ p('max_employees') }}
{% endif %}
{% if start_date %}
      AND l.created_date >= {{ p('start_date') }}
{% endif %}
{% if end_date %}
      AND l.created_date <= {{ p('end_date') }}
{% endif %}
)
SELECT dimension, value, leads, conversions,
       100 * CAST(conversions AS DOUBLE PRECISION) / leads AS conversion_pct,
       CAST(touches AS DOUBLE PRECISION) / leads AS avg_touches
FROM (
    SELECT 'source' AS dimension, CAST(source AS TEXT) AS value, COUNT(*) AS leads, SUM(converted) AS conversions, SUM(touches) AS touches
    FROM seg GROUP BY source
    UNION ALL
    SELECT 'seniority', CAST(seniority AS TEXT), COUNT(*), SUM(converted), SUM(touches) FROM seg GROUP BY seniority
    UNION ALL
    SELECT 'department', CAST(department AS TEXT), COUNT(*), SUM(converted), SUM(touches) FROM seg GROUP BY department
    UNION ALL
    SELECT 'persona', CAST(seniority || ' / ' || department AS TEXT), COUNT(*), SUM(converted), SUM(touches)
    FROM seg GROUP BY seniority, department
    UNION ALL
    SELECT 'industry', CAST(industry AS TEXT), COUNT(*), SUM(converted), SUM(touches) FROM seg GROUP BY industry
    UNION ALL
    SELECT 'all', CAST('all' AS TEXT), COUNT(*), SUM(converted), SUM(touches) FROM seg
) t
WHERE leads > 0
ORDER BY dimension NULLS LAST, conversion_pct DESC NULLS LAST, leads DESC NULLS LAST, value NULLS LAST
