/*
name: new_leads_by_source
description: Leads created in a period by source - how many, and how many reached MQL, SQL, converted or were disqualified.
params:
  start_date: {type: date, required: true, example: 2026-10-01}
  end_date: {type: date, required: true, example: 2026-11-24}
  region: {type: str, default: null, description: "NA, EMEA, APAC or LATAM"}
examples:
  - How many new leads did we get this quarter by source?
  - Which lead sources convert best?
*/
SELECT
    COALESCE(l.source, 'Unknown') AS source,
    COUNT(*) AS lead_count,
    SUM(CASE WHEN l.status = 'New' THEN 1 ELSE 0 END) AS new_count,
    SUM(CASE WHEN l.status = 'Working' THEN 1 ELSE 0 END) AS working_count,
    SUM(CASE WHEN l.status = 'MQL' THEN 1 ELSE 0 END) AS mql_count,
    SUM(CASE WHEN l.status = 'SQL' THEN 1 ELSE 0 END) AS sql_count,
    SUM(CASE WHEN l.status = 'Converted' THEN 1 ELSE 0 END) AS converted_count,
    SUM(CASE WHEN l.status = 'Disqualified' THEN 1 ELSE 0 END) AS disqualified_count,
    100 * CAST(SUM(CASE WHEN l.status IN ('MQL', 'SQL', 'Converted') THEN 1 ELSE 0 END) AS DOUBLE PRECISION) / COUNT(*) AS qualified_rate_pct,
    100 * CAST(SUM(CASE WHEN l.status = 'Converted' THEN 1 ELSE 0 END) AS DOUBLE PRECISION) / COUNT(*) AS conversion_rate_pct
FROM {{ table('leads') }} l
WHERE l.created_date BETWEEN {{ p('start_date') }} AND {{ p('end_date') }}
{% if region %}
  AND l.region = {{ p('region') }}
{% endif %}
GROUP BY COALESCE(l.source, 'Unknown')
ORDER BY lead_count DESC NULLS LAST, source NULLS LAST
