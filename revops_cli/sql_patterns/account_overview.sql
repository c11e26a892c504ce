/*
name: account_overview
description: One account (by id or part of its name) at a glance - type, segment, owner and CSM, ARR and plan, open pipeline, lifetime won, contacts and the last call.
params:
  account: {type: str, required: true, example: ACC-000001, description: "Account id, or part of the account name"}
  as_of: {type: date, default: null, example: 2026-11-24, description: Today (default the warehouse's current date)}
  limit: {type: int, default: 10}
examples:
  - Give me an overview of IXIS
  - How big a customer is DataCorp?
*/
WITH acct AS (
    SELECT a.*
    FROM {{ table('accounts') }} a
    WHERE a.account_id = {{ p('account') }} OR LOWER(a.name) LIKE {{ like('account') }}
),
deals AS (
    SELECT o.account_id,
           SUM(CASE WHEN NOT o.is_closed THEN 1 ELSE 0 END) AS open_deal_count,
           SUM(CASE WHEN NOT o.is_closed THEN o.amount ELSE 0 END) AS open_pipeline_amount,
           SUM(CASE WHEN o.is_won THEN o.amount ELSE 0 END) AS lifetime_won_amount,
           MIN(CASE WHEN NOT o.is_closed THEN o.close_date END) AS next_close_date
    FROM {{ table('opportunities') }} o
    JOIN acct ON acct.account_id = o.account_id
    GROUP BY o.account_id
),
bills AS (
    SELECT b.account_id, b.month, b.revenue, b.plan,
           ROW_NUMBER() OVER (PARTITION BY b.account_id ORDER BY b.month DESC NULLS LAST) AS rn
    FROM {{ table('billing_monthly') }} b
    JOIN acct ON acct.account_id = b.account_id
{% if as_of %}
    WHERE b.month <= {{ p('as_of') }}
{% endif %}
),
calls_ranked AS (
    SELECT c.account_id, c.started_at, c.title, c.brief,
           ROW_NUMBER() OVER (PARTITION BY c.account_id ORDER BY c.started_at DESC NULLS LAST, c.call_id NULLS LAST) AS rn,
           COUNT(*) OVER (PARTITION BY c.account_id) AS call_count
    FROM {{ table('calls') }} c
    JOIN acct ON acct.account_id = c.account_id
{% if as_of %}
    WHERE CAST(c.started_at AS DATE) <= {{ p('as_of') }}
{% endif %}
),
contact_counts AS (
    SELECT ct.account_id, COUNT(*) AS contact_count
    FROM {{ table('contacts') }} ct
    JOIN acct ON acct.account_id = ct.account_id
    GROUP BY ct.account_id
)
SELECT
    acct.account_id,
    acct.name AS account_name,
    acct.domain,
    acct.account_type,
    acct.segment,
    acct.industry,
    acct.region,
    acct.employees,
    acct.funding_stage,
    acct.tech_stack,
    acct.customer_since,
    acct.churned_date,
    ae.name AS owner_name,
    csm.name AS csm_name,
    b.plan,
    b.month AS last_billed_month,
    12 * b.revenue AS arr,
    acct.potential_spend,
    COALESCE(d.open_deal_count, 0) AS open_deal_count,
    COALESCE(d.open_pipeline_amount, 0) AS open_pipeline_amount,
    d.next_close_date,
    COALESCE(d.lifetime_won_amount, 0) AS lifetime_won_amount,
    COALESCE(cc.contact_count, 0) AS contact_count,
    COALESCE(lc.call_count, 0) AS call_count,
    lc.started_at AS last_call_at,
    lc.title AS last_call_title,
    lc.brief AS last_call_brief,
    DATE_DIFF('day', CAST(CAST(lc.started_at AS DATE) AS TIMESTAMP), CAST({% if as_of %}{{ p('as_of') }}{% else %}CURRENT_DATE{% endif %} AS TIMESTAMP)) AS days_since_last_call
FROM acct
LEFT JOIN deals d ON d.account_id = acct.account_id
LEFT JOIN bills b ON b.account_id = acct.account_id AND b.rn = 1
LEFT JOIN calls_ranked lc ON lc.account_id = acct.account_id AND lc.rn = 1
LEFT JOIN contact_counts cc ON cc.account_id = acct.account_id
LEFT JOIN {{ table('users') }} ae ON ae.user_id = acct.owner_id
LEFT JOIN {{ table('users') }} csm ON csm.user_id = acct.csm_id
ORDER BY CASE WHEN acct.account_type = 'customer' THEN 0 ELSE 1 END NULLS LAST, arr DESC NULLS LAST, acct.account_id NULLS LAST
LIMIT {{ limit }}
