/*
name: slipped_deals
description: Deals whose close date was pushed later during a period - number of pushes, total days pushed, first and current close date, most pushes first. Every row also carries the totals over all slipped deals (count, amount, days pushed, pushed twice or more, the biggest one), so a short list still gives complete figures.
params:
  start_date: {type: date, required: true, example: 2026-07-01, description: Pushes made on or after this day}
  end_date: {type: date, required: true, example: 2026-11-24, description: Pushes made on or before this day}
  open_only: {type: bool, default: true, description: Only deals that are still open}
  min_pushes: {type: int, default: 1}
  segment: {type: str, default: null, choices: [SMB, Mid-Market, Enterprise]}
  region: {type: str, default: null, description: Only accounts in this region}
  owner_id: {type: str, default: null, description: Only this AE's deals (users.user_id)}
  min_amount: {type: float, default: null, description: Only deals at least this big}
  limit: {type: int, default: 50}
requires: [opportunity_stage_history.old_close_date, opportunity_stage_history.new_close_date]
examples:
  - Which deals keep slipping?
  - Which deals had their close date pushed this quarter?
*/
WITH pushes AS (
    SELECT
        h.opportunity_id,
        COUNT(*) AS push_count,
        SUM(DATE_DIFF('day', CAST(h.old_close_date AS TIMESTAMP), CAST(h.new_close_date AS TIMESTAMP))) AS days_pushed,
        MIN(h.old_close_date) AS first_close_date,
        MAX(h.changed_at) AS last_pushed_at
    FROM {{ table('opportunity_stage_history') }} h
    WHERE h.new_close_date > h.old_close_date
      AND CAST(h.changed_at AS DATE) BETWEEN {{ p('start_date') }} AND {{ p('end_date') }}
    GROUP BY h.opportunity_id
),
slipped AS (
    SELECT
        o.opportunity_id,
        o.name AS deal_name,
        a.name AS account_name,
        a.segment,
        u.name AS owner_name,
        o.stage,
        o.amount,
        o.is_closed,
        o.is_won,
        p.push_count,
        p.days_pushed,
        p.first_close_date,
        o.close_date AS current_close_date,
        p.last_pushed_at
    FROM pushes p
    JOIN {{ table('opportunities') }} o ON o.opportunity_id = p.opportunity_id
    JOIN {{ table('accounts') }} a ON a.account_id = o.account_id
    LEFT JOIN {{ table('users') }} u ON u.user_id = o.owner_id
    WHERE p.push_count >= {{ min_pushes }}
    {% if open_only %}
      AND NOT o.is_closed
    {% endif %}
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
)
SELECT
    s.*,
    COUNT(*) OVER () AS total_deals,
    SUM(COALESCE(s.amount, 0)) OVER () AS total_amount,
    SUM(s.days_pushed) OVER () AS total_days_pushed,
    SUM(CASE WHEN s.push_count >= 2 THEN 1 ELSE 0 END) OVER () AS pushed_twice_deals,
    SUM(CASE WHEN s.push_count >= 2 THEN COALESCE(s.amount, 0) ELSE 0 END) OVER () AS pushed_twice_amount,
    MAX(s.amount) OVER () AS largest_amount,
    FIRST_VALUE(s.deal_name) OVER (ORDER BY COALESCE(s.amount, 0) DESC NULLS LAST, s.opportunity_id NULLS LAST
                                   ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS largest_deal_name,
    FIRST_VALUE(s.stage) OVER (ORDER BY COALESCE(s.amount, 0) DESC NULLS LAST, s.opportunity_id NULLS LAST
                               ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS largest_deal_stage
FROM slipped s
ORDER BY s.push_count DESC NULLS LAST, s.days_pushed DESC NULLS LAST, s.amount DESC NULLS LAST, s.opportunity_id NULLS LAST
LIMIT {{ limit }}
