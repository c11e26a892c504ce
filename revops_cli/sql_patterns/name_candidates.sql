/*
name: name_candidates
description: Names of accounts, deals, leads, contacts and researched companies that start like a term; the candidates the manager fuzzy-matches a misspelt name against.
params:
  prefix: {type: str, required: true, example: ix, description: The first letters of the name (lower case)}
  limit: {type: int, default: 2000}
examples:
  - Which names start with "ix"?
*/
SELECT kind, id, name, extra FROM (
    SELECT 'account' AS kind, a.account_id AS id, a.name AS name, a.account_type AS extra
    FROM {{ table('accounts') }} a WHERE LOWER(a.name) LIKE {{ bind(prefix ~ '%') }}
    UNION ALL
    SELECT 'opportunity', o.opportunity_id, o.name, o.stage
    FROM {{ table('opportunities') }} o WHERE LOWER(o.name) LIKE {{ bind(prefix ~ '%') }}
    UNION ALL
    SELECT 'lead', l.lead_id, l.name, l.company
    FROM {{ table('leads') }} l WHERE LOWER(l.name) LIKE {{ bind(prefix ~ '%') }}
    UNION ALL
    SELECT 'contact', c.contact_id, c.name, c.account_id
    FROM {{ table('contacts') }} c WHERE LOWER(c.name) LIKE {{ bind(prefix ~ '%') }}
    UNION ALL
    SELECT 'company', r.company_name, r.company_name, r.domain
    FROM {{ table('company_research') }} r WHERE LOWER(r.company_name) LIKE {{ bind(prefix ~ '%') }}
) names
ORDER BY kind NULLS LAST, name NULLS LAST
LIMIT {{ limit }}
