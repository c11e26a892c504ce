/*
name: person_lookup
description: Find people - leads and contacts at accounts - by part of their name, optionally narrowed by company; leads first, most recent first.
params:
  name: {type: str, required: true, example: john smith, description: Part of the person's name}
  company: {type: str, default: null, description: Part of the company name}
  limit: {type: int, default: 20}
examples:
  - Who is John Smith from DataCorp?
  - Find Michael Chen at Enterprise Solutions
*/
SELECT kind, id, name, title, company, email FROM (
    SELECT 'lead' AS kind, l.lead_id AS id, l.name, l.title, l.company, l.email, l.created_date AS seen, 0 AS rank_kind
    FROM {{ table('leads') }} l
    WHERE LOWER(l.name) LIKE {{ like('name') }}
    {% if company %}AND (LOWER(l.company) LIKE {{ like('company') }} OR LOWER(l.company_domain) LIKE {{ like('company') }}){% endif %}
    UNION ALL
    SELECT 'contact' AS kind, c.contact_id AS id, c.name, c.title, a.name AS company, c.email, c.created_date AS seen, 1 AS rank_kind
    FROM {{ table('contacts') }} c
    JOIN {{ table('accounts') }} a ON a.account_id = c.account_id
    WHERE LOWER(c.name) LIKE {{ like('name') }}
    {% if company %}AND (LOWER(a.name) LIKE {{ like('company') }} OR LOWER(a.domain) LIKE {{ like('company') }}){% endif %}
) people
ORDER BY rank_kind NULLS LAST, seen DESC NULLS LAST, id NULLS LAST
LIMIT {{ limit }}
