/*
name: competitor_mentions
description: For each competitor in a list, the calls in a period whose transcript mentions it (case-insensitive) and the accounts and deals involved.
params:
  start_date: {type: date, required: true, example: 2026-07-01, description: Calls on or after this day}
  end_date: {type: date, required: true, example: 2026-11-24, description: Calls on or before this day}
  competitors: {type: "list[str]", default: [Snowflake, Databricks, BigQuery, Redshift, ClickHouse], description: Competitor names to look for}
  account: {type: str, default: null, description: Only calls with this account (id or part of the name)}
  search_in: {type: str, default: transcript, choices: [transcript, notes], description: "transcript: the call transcripts; notes: the call brief, key points and next steps and the deal's competitors field (a warehouse without transcripts)"}
requires: [calls.transcript]
fallback:
  calls.transcript: {params: {search_in: notes}, uses: "call notes (the calls' brief, key points and next steps and the deals' competitors field)"}
examples:
  - Which competitors came up in our calls this quarter?
  - Which competitors were mentioned in our last call with Acme Corp?
*/
{% if not competitors %}
SELECT CAST(NULL AS TEXT) AS competitor, 0 AS mention_call_count, 0 AS account_count, 0 AS opportunity_count,
       CAST(NULL AS TIMESTAMP) AS last_mentioned_at
WHERE 1 = 0
{% else %}
{% for name in competitors %}
{% if not loop.first %}
UNION ALL
{% endif %}
SELECT
    {{ bind(name) }} AS competitor,
    COUNT(*) AS mention_call_count,
    COUNT(DISTINCT c.account_id) AS account_count,
    COUNT(DISTINCT c.opportunity_id) AS opportunity_count,
    MAX(c.started_at) AS last_mentioned_at
FROM {{ table('calls') }} c
{% if search_in == 'notes' %}
LEFT JOIN {{ table('opportunities') }} o ON o.opportunity_id = c.opportunity_id
{% endif %}
{% if account %}
JOIN {{ table('accounts') }} a ON a.account_id = c.account_id
{% endif %}
WHERE CAST(c.started_at AS DATE) BETWEEN {{ p('start_date') }} AND {{ p('end_date') }}
  AND LOWER({% if search_in == 'notes' %}CONCAT(COALESCE(c.brief, ''), ' ', COALESCE(c.key_points, ''), ' ', COALESCE(c.next_steps, ''), ' ', COALESCE(o.competitors, '')){% else %}c.transcript{% endif %}) LIKE {{ bind('%' ~ (name | lower) ~ '%') }}
{% if account %}
  AND (a.account_id = {{ p('account') }} OR LOWER(a.name) LIKE {{ like('account') }})
{% endif %}
{% endfor %}
ORDER BY mention_call_count DESC NULLS LAST, competitor NULLS LAST
{% endif %}
