/*
name: name_index
description: The warehouse's vocabulary - regions, segments, industries, stages, deal types, lead sources, forecast categories, competitor lists, lead statuses and people in the sales team - with how many rows carry each value; the manager finds these names in a question before any keyword rule.
params:
  limit: {type: int, default: 5000}
examples:
  - Which regions, segments and stages does the warehouse know?
*/
SELECT kind, value, extra, n FROM (
    SELECT 'region' AS kind, a.region AS value, CAST(NULL AS TEXT) AS extra, CAST(COUNT(*) AS BIGINT) AS n
    FROM {{ table('accounts') }} a WHERE a.region IS NOT NULL GROUP BY a.region
    UNION ALL
    SELECT 'segment', a.segment, CAST(NULL AS TEXT), CAST(COUNT(*) AS BIGINT)
    FROM {{ table('accounts') }} a WHERE a.segment IS NOT NULL GROUP BY a.segment
    UNION ALL
    SELECT 'industry', a.industry, CAST(NULL AS TEXT), CAST(COUNT(*) AS BIGINT)
    FROM {{ table('accounts') }} a WHERE a.industry IS NOT NULL GROUP BY a.industry
    UNION ALL
    SELECT 'stage', o.stage, CAST(NULL AS TEXT), CAST(COUNT(*) AS BIGINT)
    FROM {{ table('opportunities') }} o WHERE o.stage IS NOT NULL GROUP BY o.stage
    UNION ALL
    SELECT 'deal_type', o.type, CAST(NULL AS TEXT), CAST(COUNT(*) AS BIGINT)
    FROM {{ table('opportunities') }} o WHERE o.type IS NOT NULL GROUP BY o.type
    UNION ALL
    SELECT 'lead_source', o.lead_source, CAST('opportunities' AS TEXT), CAST(COUNT(*) AS BIGINT)
    FROM {{ table('opportunities') }} o WHERE o.lead_source IS NOT NULL GROUP BY o.lead_source
    UNION ALL
    SELECT 'lead_source', l.source, CAST('leads' AS TEXT), CAST(COUNT(*) AS BIGINT)
    FROM {{ table('leads') }} l WHERE l.source IS NOT NULL GROUP BY l.source
    UNION ALL
    SELECT 'forecast_category', o.forecast_category, CAST(NULL AS TEXT), CAST(COUNT(*) AS BIGINT)
    FROM {{ table('opportunities') }} o WHERE o.forecast_category IS NOT NULL GROUP BY o.forecast_category
    UNION ALL
    SELECT 'competitors', o.competitors, CAST(NULL AS TEXT), CAST(COUNT(*) AS BIGINT)
    FROM {{ table('opportunities') }} o WHERE o.competitors IS NOT NULL AND o.competitors <> '' GROUP BY o.competitors
    UNION ALL
    SELECT 'lead_status', l.status, CAST(NULL AS TEXT), CAST(COUNT(*) AS BIGINT)
    FROM {{ table('leads') }} l WHERE l.status IS NOT NULL GROUP BY l.status
    UNION ALL
    SELECT 'user', u.name, CAST(CONCAT(u.user_id, '|', COALESCE(u.role, '')) AS TEXT), CAST(1 AS BIGINT)
    FROM {{ table('users') }} u WHERE u.name IS NOT NULL
) vocabulary
ORDER BY kind NULLS LAST, value NULLS LAST, extra NULLS LAST, n NULLS LAST
LIMIT {{ limit }}
