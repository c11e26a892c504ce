{#- The deal filters, each applied the one same way: included by deals_closing_in_period and hygiene_deal_facts
    (`{% include "deal_filters.sql" %}`), which declare every parameter used here. `o` is the opportunity,
    `a` its account. See sql_patterns/catalog.py, "Shared text". #}
{% if segment %}
  AND a.segment = {{ p('segment') }}
{% endif %}
{% if owner_id %}
  AND o.owner_id = {{ p('owner_id') }}
{% endif %}
{% if min_amount is not none %}
  AND o.amount >= {{ p('min_amount') }}
{% endif %}
{% if max_amount is not none %}
  AND o.amount <= {{ p('max_amount') }}
{% endif %}
{% if below_amount is not none %}
  AND o.amount < {{ p('below_amount') }}
{% endif %}
{% if region %}
  AND a.region = {{ p('region') }}
{% endif %}
{% if industry %}
  AND a.industry = {{ p('industry') }}
{% endif %}
{% if account_id %}
  AND o.account_id = {{ p('account_id') }}
{% endif %}
{% if stages %}
  AND o.stage IN ({{ p_list('stages') }})
{% endif %}
{% if deal_type %}
  AND o.type = {{ p('deal_type') }}
{% endif %}
{% if lead_source %}
  AND o.lead_source = {{ p('lead_source') }}
{% endif %}
{% if competitor %}
  AND (',' || LOWER(COALESCE(o.competitors, '')) || ',') LIKE {{ bind('%,' ~ competitor.lower() ~ ',%') }}
{% endif %}
