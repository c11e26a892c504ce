"""Issue 12's "Done when", on the shaped warehouses: with a preset, every command of the tour runs on the
reference system's dwh_prod schema and on Fivetran's Salesforce tables, and every number that maps exactly
equals the number the same command gives on the canonical warehouse built from the same seed (both are
computed here, on two seeds). Where the preset declares data missing, the answer says so.
"""

from __future__ import annotations

import pytest

pytest.importorskip("revops_cli.model.compile", reason="the compiler (issue 12 part 2) is not on this branch yet")

from cli import run

PRESETS = ("reference-v5", "fivetran-salesforce")
COMMANDS = {
    "deal": ("deal", "IXIS"),
    "lead": ("lead", "John Smith", "--company", "DataCorp"),
    "closing": ("ask", "what deals are closing this quarter?"),
    "revenue": ("ask", "analyze Q4 revenue performance by customer segment"),
    "competitors": ("ask", "which competitors were mentioned in our last call with Acme Corp?"),
    "report": ("report", "pipeline"),
    "sql": ("data", "sql", "SELECT count(*) FROM opportunities"),
}


@pytest.fixture
def on(capsys, monkeypatch, tmp_path, demo_db, reference_db, fivetran_db):
    """on(None, *args): the command on the canonical warehouse; on(preset, *args): on that preset's warehouse."""
    shaped = {"reference-v5": reference_db, "fivetran-salesforce": fivetran_db}

    def go(preset, *args, fmt="json"):
        folder = tmp_path / (preset or "canonical")
        folder.mkdir(exist_ok=True)
        if preset:
            (folder / "revops.yaml").write_text(f"model:\n  preset: {preset}\n", encoding="utf-8")
        monkeypatch.chdir(folder)
        monkeypatch.setenv("REVOPS_DUCKDB_PATH", str(shaped[preset] if preset else demo_db))
        r = run(capsys, *args, *(("-f", fmt) if fmt else ()))
        assert r.code == 0, f"{preset or 'canonical'}: revops {' '.join(args)} -> exit {r.code}: {r.err}"
        return r.json() if fmt == "json" else r.out
    return go


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_done_when_commands_exit_0_on_the_mapped_warehouse(on, preset, command):
    on(preset, *COMMANDS[command])
    on(preset, *COMMANDS[command], fmt=None)         # and as text, the way a user reads it


@pytest.mark.parametrize("preset", PRESETS)
def test_data_sql_counts_the_same_opportunities(on, preset):
    canonical = on(None, *COMMANDS["sql"])["rows"][0]
    mapped = on(preset, *COMMANDS["sql"])["rows"][0]
    assert list(mapped.values()) == list(canonical.values()) and list(canonical.values())[0] > 0


@pytest.mark.parametrize("preset", PRESETS)
def test_deal_answer_has_the_canonical_numbers(on, preset):
    c = on(None, *COMMANDS["deal"])["data"]
    m = on(preset, *COMMANDS["deal"])["data"]
    exact = ("opportunity_id", "name", "account_name", "stage", "amount", "probability", "close_date", "owner_name",
             "competitors", "is_closed", "type", "weighted_amount", "days_to_close")
    assert {k: m["opportunity"][k] for k in exact} == {k: c["opportunity"][k] for k in exact}
    crm = lambda d: {e["element"]: e["crm_status"] for e in d["meddpicc"]["elements"]}  # noqa: E731
    assert crm(m) == crm(c)                                       # the status words mapped back
    if preset == "fivetran-salesforce":
        assert m["opportunity"]["forecast_category"] == c["opportunity"]["forecast_category"]


@pytest.mark.parametrize("preset", PRESETS)
def test_deals_closing_this_quarter_have_the_canonical_totals(on, preset):
    c = on(None, *COMMANDS["closing"])["data"]["summary"]
    m = on(preset, *COMMANDS["closing"])["data"]["summary"]
    for key in ("deal_count", "total_amount", "weighted_amount", "top5_amount"):
        assert m[key] == pytest.approx(c[key], rel=1e-9), key
    assert m["by_stage"] == c["by_stage"]
    if preset == "fivetran-salesforce":                          # forecast category and segment map here
        assert m["commit_amount"] == pytest.approx(c["commit_amount"], rel=1e-9)
        assert m["by_segment"] == c["by_segment"]


def test_revenue_on_the_reference_schema_matches_and_says_segment_is_a_customer_type(on):
    c = on(None, *COMMANDS["revenue"])
    m = on("reference-v5", *COMMANDS["revenue"])
    for key in ("revenue", "prev_year_revenue", "paying_accounts"):
        assert m["data"]["summary"][key] == pytest.approx(c["data"]["summary"][key], rel=1e-9), key
    assert set(m["data"]["summary"]["by_segment"]) <= {"Commit Customer", "PLG Customer", "Former Customer",
                                                         "Prospect"}
    assert "customer type" in m["answer"]


def test_revenue_on_salesforce_says_there_is_no_billing(on):
    m = on("fivetran-salesforce", *COMMANDS["revenue"])
    assert "no billing" in m["answer"]


def test_revenue_on_salesforce_prints_no_zero_for_missing_billing(on):
    m = on("fivetran-salesforce", *COMMANDS["revenue"])
    assert "$0" not in m["answer"]


@pytest.mark.parametrize("preset", PRESETS)
def test_competitor_question_says_there_are_no_transcripts(on, preset):
    m = on(preset, *COMMANDS["competitors"])
    assert "transcripts" in m["answer"]


@pytest.mark.parametrize("preset", PRESETS)
def test_pipeline_report_matches_and_says_there_is_no_target(on, preset):
    def section(doc, key):
        return next(s for s in doc["sections"] if s["key"] == key)
    canonical = on(None, *COMMANDS["report"])
    mapped = on(preset, *COMMANDS["report"])
    c, m = section(canonical, "pipeline")["figures"], section(mapped, "pipeline")["figures"]
    for key in ("deal_count", "open_amount", "weighted_amount", "late_stage_amount"):
        assert m[key] == pytest.approx(c[key], rel=1e-9), key
    assert m["by_stage"] == c["by_stage"]
    assert section(canonical, "forecast")["figures"]["bookings_target"] > 0
    forecast = section(mapped, "forecast")
    assert not forecast["figures"].get("bookings_target")
    assert "no bookings target" in " ".join(forecast["summary"]).lower() or "no targets" in str(forecast).lower()


@pytest.mark.parametrize("preset", PRESETS)
def test_lead_answer_has_the_canonical_person(on, preset):
    c = on(None, *COMMANDS["lead"])["data"]["person"]
    m = on(preset, *COMMANDS["lead"])["data"]["person"]
    for key in ("id", "name", "title", "email", "company", "status", "source", "created_date"):
        assert m[key] == c[key], key
