/*
name: deal_lookup
description: Find deals by a word in the deal or account name (case-insensitive), open deals first, biggest first.
params:
  name: {type: str, required: true, example: ixis, description: Part of the deal or account name}
  include_closed: {type: bool, default: true, description: Also list closed (won or lost) deals}
  limit: {type: int, default: 20}
examples:
  - What is the status of the IXIS deal?
  - Find the DataCorp opportunity
*/
-- Each table is filtered before any join: at a million deals, joining first and filtering the joined
-- rows costs several times more. The hits are an IN list, not a join: where opportunities is a mapped
-- relation with a row filter, from the semantic model, DuckDB would otherwise join all deals to their accounts
-- before meeting the few hits (9x slower at scale 1000).
WITH hits AS (
    SELECT o.opportunity_id FROM {{ table('opportunities') }} o WHERE LOWER(o.name) LIKE {{ like('name') }}
    UNION
    SELECT o.opportunity_id FROM {{ table('opportunities') }} o
    WHERE o.account_id IN (SELECT a.account_id FROM {{ table('accounts') }} a WHERE LOWER(a.name) LIKE {{ like('name') }})
)
SELECT
    o.opportunity_id,
    o.name,
    a.account_id,
    a.name AS account_name,
    a.segment,
    u.name AS owner_name,
    o.type AS deal_type,
    o.stage,
    o.amount,
    o.probability,
    o.forecast_category,
    o.close_date,
    o.is_closed,
    o.is_won,
    o.last_activity_date
FROM {{ table('opportunities') }} o
JOIN {{ table('accounts') }} a ON a.account_id = o.account_id
LEFT JOIN {{ table('users') }} u ON u.user_id = o.owner_id
WHERE o.opportunity_id IN (SELECT h.opportunity_id FROM hits h)
{% if not include_closed %}
  AND NOT o.is_closed
{% endif %}
ORDER BY CASE WHEN o.is_closed THEN 1 ELSE 0 END NULLS LAST, o.amount DESC NULLS LAST, o.opportunity_id NULLS LAST
LIMIT {{ limit }}
