/*
name: hygiene_deal_facts
description: One row per open deal with what the pipeline hygiene rules look at - owner, stage, amount, close date, next step, days since the last activity, the economic buyer's status, and from the stage history up to the as-of day the close-date pushes (count, days), the stage moves that skipped a stage (count, the last one) and the last amount change (when, from, to, at which stage). Biggest deals first.
params:
  as_of: {type: date, required: true, example: 2026-11-24, description: Today; history after it is ignored}
  stage_order: {type: "list[str]", required: true, example: "Discovery,Qualification,Technical Validation,Business Justification,Negotiate,Closed Won", description: The stages in pipeline order (a move over one of them skipped it)}
  close_start: {type: date, default: null, description: Only deals closing on or after this day}
  close_end: {type: date, default: null, description: Only deals closing on or before this day}
  segment: {type: str, default: null, choices: [SMB, Mid-Market, Enterprise]}
  owner_id: {type: str, default: null, description: Only this AE's deals (users.user_id)}
  min_amount: {type: float, default: null, description: Only deals at least this big}
  max_amount: {type: float, default: null, description: Only deals at most this big}
  below_amount: {type: float, default: null, description: Only deals smaller than this}
  region: {type: str, default: null, description: Only accounts in this region}
  industry: {type: str, default: null, description: Only accounts in this industry}
  account_id: {type: str, default: null, description: Only this account's deals}
  stages: {type: "list[str]", default: null, description: Only deals in these stages}
  deal_type: {type: str, default: null, description: "Only this opportunity type (New Business, Expansion, Renewal)"}
  lead_source: {type: str, default: null, description: Only deals from this lead source}
  competitor: {type: str, default: null, description: Only deals where this competitor is listed}
  limit: {type: int, default: 5000}
examples:
  - Which deals break our hygiene rules?
  - Which open deals have no next step?
*/
WITH deals AS (
    SELECT
        o.opportunity_id,
        o.name AS deal_name,
        a.name AS account_name,
        a.account_id,
        a.segment,
        a.region,
        a.industry,
        o.owner_id,
        u.name AS owner_name,
        u.email AS owner_email,
        o.type AS deal_type,
        o.stage,
        o.probability,
        o.forecast_category,
        o.amount,
        o.close_date,
        o.created_date,
        o.next_step,
        o.last_activity_date,
        o.economic_buyer_status,
        o.lead_source,
        o.competitors
    FROM {{ table('opportunities') }} o
    JOIN {{ table('accounts') }} a ON a.account_id = o.account_id
    LEFT JOIN {{ table('users') }} u ON u.user_id = o.owner_id
{% filter indent(4) %}{# the filters, four spaces further in: inside this CTE #}
    WHERE NOT o.is_closed
{% if close_start %}
  AND o.close_date >= {{ p('close_start') }}
{% endif %}
{% if close_end %}
  AND o.close_date <= {{ p('close_end') }}
{% endif %}
{% include "deal_filters.sql" %}
{% endfilter %}
),
moves AS (
    SELECT
        h.opportunity_id,
        h.changed_at,
        h.from_stage,
        h.to_stage,
        h.old_close_date,
        h.new_close_date,
        h.amount,
        LAG(h.amount) OVER (PARTITION BY h.opportunity_id ORDER BY h.changed_at NULLS LAST) AS amount_before,
        CASE h.from_stage
{% for s in stage_order %}
            WHEN {{ bind(s) }} THEN {{ loop.index }}
{% endfor %}
        END AS from_index,
        CASE h.to_stage
{% for s in stage_order %}
            WHEN {{ bind(s) }} THEN {{ loop.index }}
{% endfor %}
        END AS to_index
    FROM {{ table('opportunity_stage_history') }} h
    JOIN deals d ON d.opportunity_id = h.opportunity_id
    WHERE h.changed_at < {{ bind(as_of + days(1)) }}
),
pushes AS (
    SELECT opportunity_id, COUNT(*) AS push_count,
           SUM(DATE_DIFF('day', CAST(old_close_date AS TIMESTAMP), CAST(new_close_date AS TIMESTAMP))) AS days_pushed,
           MAX(changed_at) AS last_pushed_at
    FROM moves
    WHERE new_close_date > old_close_date
    GROUP BY opportunity_id
),
skips AS (
    SELECT opportunity_id, from_stage AS skip_from_stage, to_stage AS skip_to_stage, changed_at AS skipped_at,
           COUNT(*) OVER (PARTITION BY opportunity_id) AS skip_count,
           ROW_NUMBER() OVER (PARTITION BY opportunity_id ORDER BY changed_at DESC NULLS LAST) AS rn
    FROM moves
    WHERE to_index - from_index > 1
),
amount_changes AS (
    SELECT opportunity_id, changed_at AS amount_changed_at, amount_before, amount AS amount_after,
           to_stage AS amount_change_stage,
           ROW_NUMBER() OVER (PARTITION BY opportunity_id ORDER BY changed_at DESC NULLS LAST) AS rn
    FROM moves
    WHERE amount_before IS NOT NULL AND amount IS NOT NULL AND amount <> amount_before
)
SELECT
    d.*,
    DATE_DIFF('day', CAST(d.last_activity_date AS TIMESTAMP), CAST({{ p('as_of') }} AS TIMESTAMP)) AS days_since_activity,
    DATE_DIFF('day', CAST(d.close_date AS TIMESTAMP), CAST({{ p('as_of') }} AS TIMESTAMP)) AS days_past_close,
    COALESCE(p.push_count, 0) AS push_count,
    COALESCE(p.days_pushed, 0) AS days_pushed,
    p.last_pushed_at,
    COALESCE(s.skip_count, 0) AS skip_count,
    s.skip_from_stage,
    s.skip_to_stage,
    s.skipped_at,
    c.amount_changed_at,
    c.amount_before,
    c.amount_after,
    c.amount_change_stage
FROM deals d
LEFT JOIN pushes p ON p.opportunity_id = d.opportunity_id
LEFT JOIN skips s ON s.opportunity_id = d.opportunity_id AND s.rn = 1
LEFT JOIN amount_changes c ON c.opportunity_id = d.opportunity_id AND c.rn = 1
ORDER BY d.amount DESC NULLS LAST, d.opportunity_id NULLS LAST
LIMIT {{ limit }}
