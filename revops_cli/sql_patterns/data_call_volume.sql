/*
name: data_call_volume
description: Calls in a period (optionally with one account) - how many, with how many accounts, and how many mention at least one of a list of competitors.
params:
  start_date: {type: date, required: true, example: 2026-07-01, description: Calls on or after this day}
  end_date: {type: date, required: true, example: 2026-09-30, description: Calls on or before this day}
  competitors: {type: "list[str]", default: [Snowflake, Databricks, BigQuery, Redshift, ClickHouse], description: Competitor names to look for}
  account: {type: str, default: null, description: Only calls with this account (id or part of the name)}
  search_in: {type: str, default: transcript, choices: [transcript, notes], description: "transcript: the call transcripts; notes: the call brief, key points and next steps and the deal's competitors field (a warehouse without transcripts)"}
requires: [calls.transcript]
fallback:
  calls.transcript: {params: {search_in: notes}, uses: "call notes (the calls' brief, key points and next steps and the deals' competitors field)"}
examples:
  - How many sales calls did we have in Q3, and how many mentioned a competitor?
*/
SELECT
    COUNT(*) AS call_count,
    COUNT(DISTINCT c.account_id) AS account_count,
{% if competitors %}
    COALESCE(SUM(CASE WHEN
{% for name in competitors %}
        {% if not loop.first %}OR {% endif %}LOWER({% if search_in == 'notes' %}CONCAT(COALESCE(c.brief, ''), ' ', COALESCE(c.key_points, ''), ' ', COALESCE(c.next_steps, ''), ' ', COALESCE(o.competitors, '')){% else %}c.transcript{% endif %}) LIKE {{ bind('%' ~ (name | lower) ~ '%') }}
{% endfor %}
        THEN 1 ELSE 0 END), 0) AS competitor_call_count
{% else %}
    0 AS competitor_call_count
{% endif %}
FROM {{ table('calls') }} c
{% if search_in == 'notes' %}
LEFT JOIN {{ table('opportunities') }} o ON o.opportunity_id = c.opportunity_id
{% endif %}
{% if account %}
JOIN {{ table('accounts') }} a ON a.account_id = c.account_id
{% endif %}
WHERE CAST(c.started_at AS DATE) BETWEEN {{ p('start_date') }} AND {{ p('end_date') }}
{% if account %}
  AND (a.account_id = {{ p('account') }} OR LOWER(a.name) LIKE {{ like('account') }})
{% endif %}
