/*
name: data_deal_risk_factors
description: Risk factors across all open deals closing in a period - for each factor (no economic buyer at a late stage, close date pushed 2+ times, no activity for 21+ days, a competitor present, close date already past) how many deals and how much amount it touches, deals with any and with two or more factors, and the biggest deals per factor. One row per listed deal (factor, factor_rank, deal columns), each carrying the totals; a single row with factor NULL when no deal shows a factor.
params:
  start_date: {type: date, required: true, example: 2026-10-01, description: Earliest close date}
  end_date: {type: date, required: true, example: 2026-12-31, description: Latest close date}
  as_of: {type: date, required: true, example: 2026-11-24, description: Today}
  segment: {type: str, default: null, choices: [SMB, Mid-Market, Enterprise]}
  region: {type: str, default: null, description: Only accounts in this region}
  owner_id: {type: str, default: null, description: Only this AE's deals (users.user_id)}
  min_amount: {type: float, default: null, description: Only deals at least this big}
  late_stage_probability: {type: int, default: 60, description: A stage with at least this probability is a late stage}
  min_pushes: {type: int, default: 2, description: Close-date pushes that make a deal a slipper}
  stale_days: {type: int, default: 21, description: Days without activity that make a deal stale}
  per_factor: {type: int, default: 3, description: Deals listed per factor}
examples:
  - What are the main risk factors for deals closing this quarter?
  - Which Q4 deals are at risk?
  - How many Enterprise deals closing this quarter have no economic buyer?
*/
WITH deals AS (
    SELECT o.opportunity_id, COALESCE(o.amount, 0) AS amount, o.probability, o.economic_buyer_status,
           o.last_activity_date, o.competitors, o.close_date
    FROM {{ table('opportunities') }} o
{% if segment or region %}
    JOIN {{ table('accounts') }} a ON a.account_id = o.account_id
{% endif %}
    WHERE NOT o.is_closed
      AND o.close_date BETWEEN {{ p('start_date') }} AND {{ p('end_date') }}
{% if segment %}
      AND a.segment = {{ p('segment') }}
{% endif %}
{% if region %}
      AND a.region = {{ p('region') }}
{% endif %}
{% if owner_id %}
      AND o.owner_id = {{ p('owner_id') }}
{% endif %}
{% if min_amount is not none %}
      AND o.amount >= {{ p('min_amount') }}
{% endif %}
),
pushes AS (
    SELECT h.opportunity_id, COUNT(*) AS push_count
    FROM {{ table('opportunity_stage_history') }} h
    JOIN deals d ON d.opportunity_id = h.opportunity_id
    WHERE h.new_close_date > h.old_close_date
      AND h.changed_at < {{ bind(as_of + days(1)) }}
    GROUP BY h.opportunity_id
),
flags AS (
    SELECT
        d.opportunity_id,
        d.amount,
        COALESCE(p.push_count, 0) AS push_count,
        CASE WHEN d.probability >= {{ late_stage_probability }}
                  AND COALESCE(d.economic_buyer_status, 'Unknown') = 'Unknown' THEN 1 ELSE 0 END AS f_no_economic_buyer,
        CASE WHEN COALESCE(p.push_count, 0) >= {{ min_pushes }} THEN 1 ELSE 0 END AS f_pushed,
        CASE WHEN d.last_activity_date IS NULL
                  OR d.last_activity_date <= {{ bind(as_of - days(stale_days)) }} THEN 1 ELSE 0 END AS f_stale,
        CASE WHEN COALESCE(TRIM(d.competitors), '') <> '' THEN 1 ELSE 0 END AS f_competitor,
        CASE WHEN d.close_date < {{ p('as_of') }} THEN 1 ELSE 0 END AS f_past_due
    FROM deals d
    LEFT JOIN pushes p ON p.opportunity_id = d.opportunity_id
),
scored AS (
    SELECT f.*, f_no_economic_buyer + f_pushed + f_stale + f_competitor + f_past_due AS factor_count
    FROM flags f
),
-- Top-N per factor: one small ORDER BY ... LIMIT per factor (a top-N scan each), not a window over all rows.
factor_top AS (
    (SELECT 'no_economic_buyer' AS factor, f.opportunity_id, f.amount, f.push_count
     FROM flags f WHERE f.f_no_economic_buyer = 1
     ORDER BY f.amount DESC NULLS LAST, f.opportunity_id NULLS LAST
     LIMIT {{ per_factor }})
    UNION ALL
    (SELECT 'pushed' AS factor, f.opportunity_id, f.amount, f.push_count
     FROM flags f WHERE f.f_pushed = 1
     ORDER BY f.amount DESC NULLS LAST, f.opportunity_id NULLS LAST
     LIMIT {{ per_factor }})
    UNION ALL
    (SELECT 'stale' AS factor, f.opportunity_id, f.amount, f.push_count
     FROM flags f WHERE f.f_stale = 1
     ORDER BY f.amount DESC NULLS LAST, f.opportunity_id NULLS LAST
     LIMIT {{ per_factor }})
    UNION ALL
    (SELECT 'competitor' AS factor, f.opportunity_id, f.amount, f.push_count
     FROM flags f WHERE f.f_competitor = 1
     ORDER BY f.amount DESC NULLS LAST, f.opportunity_id NULLS LAST
     LIMIT {{ per_factor }})
    UNION ALL
    (SELECT 'past_due' AS factor, f.opportunity_id, f.amount, f.push_count
     FROM flags f WHERE f.f_past_due = 1
     ORDER BY f.amount DESC NULLS LAST, f.opportunity_id NULLS LAST
     LIMIT {{ per_factor }})
),
totals AS (
    SELECT
        COUNT(*) AS open_deal_count,
        COALESCE(SUM(amount), 0) AS open_amount,
        COALESCE(SUM(f_no_economic_buyer), 0) AS no_economic_buyer_count,
        COALESCE(SUM(f_no_economic_buyer * amount), 0) AS no_economic_buyer_amount,
        COALESCE(SUM(f_pushed), 0) AS pushed_count,
        COALESCE(SUM(f_pushed * amount), 0) AS pushed_amount,
        COALESCE(SUM(f_stale), 0) AS stale_count,
        COALESCE(SUM(f_stale * amount), 0) AS stale_amount,
        COALESCE(SUM(f_competitor), 0) AS competitor_count,
        COALESCE(SUM(f_competitor * amount), 0) AS competitor_amount,
        COALESCE(SUM(f_past_due), 0) AS past_due_count,
        COALESCE(SUM(f_past_due * amount), 0) AS past_due_amount,
        COALESCE(SUM(CASE WHEN factor_count >= 1 THEN 1 ELSE 0 END), 0) AS at_risk_count,
        COALESCE(SUM(CASE WHEN factor_count >= 1 THEN amount ELSE 0 END), 0) AS at_risk_amount,
        COALESCE(SUM(CASE WHEN factor_count >= 2 THEN 1 ELSE 0 END), 0) AS multi_risk_count,
        COALESCE(SUM(CASE WHEN factor_count >= 2 THEN amount ELSE 0 END), 0) AS multi_risk_amount
    FROM scored
),
top_deals AS (
    SELECT
        t.factor,
        ROW_NUMBER() OVER (PARTITION BY t.factor ORDER BY t.amount DESC NULLS LAST, t.opportunity_id NULLS LAST) AS factor_rank,
        o.opportunity_id,
        o.name AS deal_name,
        a.name AS account_name,
        a.segment,
        u.name AS owner_name,
        o.stage,
        o.amount,
        o.probability,
        o.close_date,
        o.last_activity_date,
        DATE_DIFF('day', CAST(o.last_activity_date AS TIMESTAMP), CAST({{ p('as_of') }} AS TIMESTAMP)) AS days_since_activity,
        t.push_count,
        o.economic_buyer_status,
        o.competitors
    FROM factor_top t
    JOIN {{ table('opportunities') }} o ON o.opportunity_id = t.opportunity_id
    JOIN {{ table('accounts') }} a ON a.account_id = o.account_id
    LEFT JOIN {{ table('users') }} u ON u.user_id = o.owner_id
)
SELECT s.*, d.*
FROM totals s
LEFT JOIN top_deals d ON 1 = 1
ORDER BY d.factor NULLS LAST, d.factor_rank NULLS LAST
