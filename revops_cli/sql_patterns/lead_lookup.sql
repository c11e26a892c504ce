/*
name: lead_lookup
description: Find leads by (part of) their name or email, optionally narrowed by company - most recently active first.
params:
  name: {type: str, required: true, example: john, description: Part of the lead's name or email}
  company: {type: str, default: null, description: Part of the company name or domain}
  limit: {type: int, default: 20}
examples:
  - Is John Smith from DataCorp a good lead?
  - What do you think about Sarah Johnson at TechCorp?
*/
SELECT
    l.lead_id,
    l.name,
    l.title,
    l.seniority,
    l.company,
    l.company_domain,
    l.email,
    l.status,
    l.source,
    l.region,
    l.created_date,
    l.last_activity_date,
    u.name AS owner_name
FROM {{ table('leads') }} l
LEFT JOIN {{ table('users') }} u ON u.user_id = l.owner_id
WHERE (LOWER(l.name) LIKE {{ like('name') }} OR LOWER(l.email) LIKE {{ like('name') }})
{% if company %}
  AND (LOWER(l.company) LIKE {{ like('company') }} OR LOWER(l.company_domain) LIKE {{ like('company') }})
{% endif %}
ORDER BY l.last_activity_date DESC NULLS LAST, l.lead_id NULLS LAST
LIMIT {{ limit }}
