/*
name: lead_contact_detail
description: One contact by id with the firmographics of its account, and the calls the contact took part in - for assessing a contact as a lead.
params:
  contact_id: {type: str, required: true, example: CON-000001}
examples:
  - Is this contact a good lead?
*/
WITH ct AS (
    SELECT c.*
    FROM {{ table('contacts') }} c
    WHERE c.contact_id = {{ p('contact_id') }}
),
person_calls AS (
    SELECT ct.contact_id, COUNT(*) AS call_count, MAX(k.started_at) AS last_call_at
    FROM {{ table('calls') }} k
    JOIN ct ON k.account_id = ct.account_id AND LOWER(k.participants) LIKE '%' || LOWER(ct.name) || '%'
    GROUP BY ct.contact_id
)
SELECT
    ct.contact_id,
    ct.name,
    ct.first_name,
    ct.last_name,
    ct.title,
    ct.department,
    ct.seniority,
    ct.email,
    ct.is_primary,
    ct.created_date,
    a.account_id,
    a.name AS company,
    a.domain AS company_domain,
    a.industry,
    a.employees,
    a.region,
    a.account_type,
    a.segment,
    u.name AS owner_name,
    COALESCE(pc.call_count, 0) AS call_count,
    pc.last_call_at
FROM ct
JOIN {{ table('accounts') }} a ON a.account_id = ct.account_id
LEFT JOIN {{ table('users') }} u ON u.user_id = a.owner_id
LEFT JOIN person_calls pc ON pc.contact_id = ct.contact_id
