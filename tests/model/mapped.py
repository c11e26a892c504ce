"""A small mapped warehouse for the compiler's tests: the demo data under other table and column names, with
the mess real warehouses have (TCV amounts, soft-deleted rows, other status words) and some data missing
(no forecast categories, no close-date history, no transcripts, no targets). The canonical tables do not
exist in it. refwh's dwh_prod-shaped warehouse (revops_cli/warehouse/shapes/) is the full-size version."""

from __future__ import annotations

from pathlib import Path

MODEL = """
value_maps:
  segment_words:
    values: {SMB: small, Mid-Market: mid, Enterprise: large}
  meddpicc_words:
    values:
      Unknown: [Not Defined]
      Identified: [Partial]
      Validated: [Known]
      Leveraged: [Strong]
    default: Unknown
entities:
  accounts:
    from: crm_account a
    where: ["a.is_deleted = FALSE"]
    key: [account_id]
    same_names: true
    columns:
      account_id: a.acct_id
      name: a.acct_name
      segment: {sql: a.seg, map: segment_words}
  opportunities:
    from: crm_opportunity o
    where: ["o.is_deleted = FALSE"]
    key: [opportunity_id]
    same_names: true
    columns:
      opportunity_id: o.opp_id
      amount: {sql: "CAST(o.tcv AS DOUBLE PRECISION) * 12 / NULLIF(o.contract_months, 0)",
               approx: ARR annualised from TCV by contract_months}
      forecast_category: {missing: this warehouse has no forecast category}
      champion_status: {sql: o.champion_word, map: meddpicc_words}
  opportunity_stage_history:
    from: opp_stage_f h
    same_names: true
    columns:
      old_close_date: {missing: no close-date history}
      new_close_date: {missing: no close-date history}
  calls:
    from: call_f c
    where: ["c.is_deleted = FALSE"]
    same_names: true
    columns:
      transcript: {missing: this warehouse has no call transcripts}
  users: {from: crm_user u, same_names: true}
  contacts: {from: crm_contact c, same_names: true}
  leads: {from: crm_lead l, same_names: true}
  usage_daily: {from: usage_f u, same_names: true}
  billing_monthly:
    query: |
      SELECT account_id, CAST(DATE_TRUNC('month', day) AS DATE) AS month, SUM(amount) AS revenue,
             MAX(plan) AS plan
      FROM billing_day_f GROUP BY 1, 2
  targets:
    missing: no targets table in this warehouse
  company_research: {from: research_f r, same_names: true}
"""

MEDDPICC_WORDS = {"Unknown": "Not Defined", "Identified": "Partial", "Validated": "Known", "Leveraged": "Strong"}


def build(demo: Path, out: Path) -> Path:
    """Write the mapped warehouse built from a canonical demo warehouse file."""
    import duckdb

    con = duckdb.connect(str(out))
    con.execute(f"ATTACH '{demo}' AS d (READ_ONLY)")
    words = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in MEDDPICC_WORDS.items())
    con.execute("""CREATE TABLE crm_account AS
        SELECT * EXCLUDE (account_id, name, segment), account_id AS acct_id, name AS acct_name,
               CASE segment WHEN 'SMB' THEN 'small' WHEN 'Mid-Market' THEN 'mid' WHEN 'Enterprise' THEN 'large' END
                 AS seg, FALSE AS is_deleted FROM d.accounts
        UNION ALL BY NAME
        SELECT * EXCLUDE (account_id, name, segment), 'DEL-' || account_id AS acct_id, name AS acct_name,
               'small' AS seg, TRUE AS is_deleted FROM d.accounts WHERE account_id LIKE '%1'""")
    con.execute(f"""CREATE TABLE crm_opportunity AS
        SELECT * EXCLUDE (opportunity_id, amount, forecast_category, champion_status),
               opportunity_id AS opp_id, 12 * (1 + abs(hash(opportunity_id)) % 3) AS contract_months,
               amount * (1 + abs(hash(opportunity_id)) % 3) AS tcv,
               CASE champion_status {words} END AS champion_word, FALSE AS is_deleted
        FROM d.opportunities
        UNION ALL BY NAME
        SELECT * EXCLUDE (opportunity_id, amount, forecast_category, champion_status),
               'DEL-' || opportunity_id AS opp_id, 12 AS contract_months, 1e9 AS tcv, 'Strong' AS champion_word,
               TRUE AS is_deleted
        FROM d.opportunities WHERE opportunity_id LIKE '%3'""")
    con.execute("CREATE TABLE opp_stage_f AS SELECT * EXCLUDE (old_close_date, new_close_date) "
                "FROM d.opportunity_stage_history")
    con.execute("""CREATE TABLE call_f AS SELECT * EXCLUDE (transcript), FALSE AS is_deleted FROM d.calls
        UNION ALL BY NAME SELECT * EXCLUDE (call_id, transcript), 'DEL-' || call_id AS call_id, TRUE AS is_deleted
        FROM d.calls WHERE call_id LIKE '%7'""")
    for table, name in (("users", "crm_user"), ("contacts", "crm_contact"), ("leads", "crm_lead"),
                        ("usage_daily", "usage_f"), ("company_research", "research_f")):
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM d.{table}")
    # Billing per day: each month's revenue split over its first two days.
    con.execute("""CREATE TABLE billing_day_f AS
        SELECT account_id, month AS day, revenue / 2 AS amount, plan FROM d.billing_monthly
        UNION ALL SELECT account_id, month + 1 AS day, revenue / 2 AS amount, plan FROM d.billing_monthly""")
    con.execute("DETACH d")
    con.close()
    return out


def write_model(folder: Path, text: str = MODEL) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "mapped.yaml"
    path.write_text(text)
    return path
