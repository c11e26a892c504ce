/*
name: contacts_at_account
description: The contacts at an account (by id or part of its name) - primary and senior people first.
params:
  account: {type: str, required: true, example: ACC-000001, description: "Account id, or part of the account name"}
  department: {type: str, default: null, description: "Only this department (Data, Engineering, Finance, IT, Executive, ...)"}
  limit: {type: int, default: 50}
examples:
  - Who do we know at IXIS?
  - Who is the finance contact at DataCorp?
*/
SELECT
    a.account_id,
    a.name AS account_name,
    c.contact_id,
    c.name,
    c.title,
    c.department,
    c.seniority,
    c.email,
    c.is_primary,
    c.created_date
FROM {{ table('contacts') }} c
JOIN {{ table('accounts') }} a ON a.account_id = c.account_id
WHERE (a.account_id = {{ p('account') }} OR LOWER(a.name) LIKE {{ like('account') }})
{% if department %}
  AND LOWER(c.department) = LOWER({{ p('department') }})
{% endif %}
ORDER BY a.account_id NULLS LAST,
         CASE WHEN c.is_primary THEN 0 ELSE 1 END NULLS LAST,
         CASE c.seniority WHEN 'C-Level' THEN 1 WHEN 'VP' THEN 2 WHEN 'Director' THEN 3
                          WHEN 'Manager' THEN 4 ELSE 5 END NULLS LAST,
         c.name NULLS LAST
LIMIT {{ limit }}
