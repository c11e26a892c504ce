/*
name: lead_account_match
description: The CRM account a lead's company already is - by account id, exact company name or domain - with its firmographics, type and owner.
params:
  company: {type: str, default: null, example: DataCorp, description: "The company name, exact but case-insensitive"}
  account_id: {type: str, default: null, description: The account id (e.g. the lead's converted account)}
  domain: {type: str, default: null, description: The company's web domain}
examples:
  - Is DataCorp already a customer?
*/
SELECT
    a.account_id,
    a.name AS account_name,
    a.domain,
    a.industry,
    a.segment,
    a.region,
    a.employees,
    a.account_type,
    a.funding_stage,
    a.tech_stack,
    a.customer_since,
    a.churned_date,
    u.name AS owner_name
FROM {{ table('accounts') }} a
LEFT JOIN {{ table('users') }} u ON u.user_id = a.owner_id
WHERE a.account_id = {{ p('account_id') }}
   OR LOWER(a.name) = LOWER({{ p('company') }})
   OR LOWER(a.domain) = LOWER({{ p('domain') }})
ORDER BY CASE WHEN a.account_id = {{ p('account_id') }} THEN 0
              WHEN LOWER(a.name) = LOWER({{ p('company') }}) THEN 1 ELSE 2 END NULLS LAST,
         a.account_id NULLS LAST
LIMIT 5
