/*
name: company_research_lookup
description: Stored company research (firmographics, funding, tech stack, recent news) by part of the company name or domain.
params:
  company: {type: str, required: true, example: ixis, description: Part of the company name or domain}
  limit: {type: int, default: 5}
examples:
  - Research TechCorp company
  - What do we know about DataCorp's tech stack and funding?
*/
SELECT
    r.company_name,
    r.domain,
    r.industry,
    r.employees,
    r.employee_range,
    r.funding_stage,
    r.total_funding,
    r.headquarters,
    r.founded_year,
    r.tech_stack,
    r.description,
    r.recent_news,
    r.source_url,
    r.updated_at
FROM {{ table('company_research') }} r
WHERE LOWER(r.company_name) LIKE {{ like('company') }} OR LOWER(r.domain) LIKE {{ like('company') }}
ORDER BY CASE WHEN LOWER(r.company_name) = LOWER({{ p('company') }}) THEN 0 ELSE 1 END NULLS LAST, r.company_name NULLS LAST
LIMIT {{ limit }}
