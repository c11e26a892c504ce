"""Honest about missing data: an analysis that needs data the semantic model declares missing says so, and
adapts where it can, instead of printing 0 or "none". On the demo warehouse nothing of this shows."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from revops_cli.errors import ConfigError
from revops_cli.sql_patterns.catalog import Catalog, load_pattern
from tests.cli import run
from tests.model import mapped


@pytest.fixture(scope="session")
def mapped_db(demo_db, tmp_path_factory) -> Path:
    return mapped.build(demo_db, tmp_path_factory.mktemp("mapped") / "mapped.duckdb")


@pytest.fixture
def on_mapped(mapped_db, settings_for, tmp_path):
    mapped.write_model(tmp_path / "model")
    return settings_for(mapped_db)


def ask(capsys, *args):
    res = run(capsys, *args, "-f", "json")
    assert res.code == 0, res.err
    return res.json()


def test_patterns_declare_what_they_cannot_answer_without(tmp_path):
    patterns = Catalog.load()
    assert patterns.get("competitor_mentions").requires == ["calls.transcript"]
    assert "targets" in patterns.get("forecast_vs_target").requires
    assert patterns.get("slipped_deals").to_dict()["requires"] == [
        "opportunity_stage_history.old_close_date", "opportunity_stage_history.new_close_date"]
    bad = tmp_path / "x.sql"
    bad.write_text("/*\nname: x\ndescription: d\nrequires: [calls.transcrpt]\n*/\nSELECT 1")
    with pytest.raises(ConfigError, match="calls.transcrpt"):
        load_pattern(bad)


def test_a_pattern_declares_how_it_answers_without_what_it_requires(tmp_path):
    """`fallback:` names the parameters that answer without a `requires:` item; the analyses and
    `revops model check` read the same declaration."""
    pat = Catalog.load().get("competitor_mentions")
    params, uses = pat.fallback({"calls.transcript": "no transcripts here"})
    assert params == {"search_in": "notes"} and "call notes" in uses["calls.transcript"]
    assert pat.fallback({}) == ({}, {})
    assert pat.to_dict()["fallback"]["calls.transcript"]["params"] == {"search_in": "notes"}
    head = "/*\nname: x\ndescription: d\nparams:\n  mode: {type: str, default: a, choices: [a, b]}\n"
    for fallback, words in (("{targets: {params: {mode: b}, uses: x}}", "not in requires"),
                            ("{calls.transcript: {params: {moed: b}, uses: x}}", "moed"),
                            ("{calls.transcript: {params: {mode: c}, uses: x}}", "mode"),
                            ("{calls.transcript: {params: {mode: b}}}", "uses")):
        bad = tmp_path / "x.sql"
        bad.write_text(head + f"requires: [calls.transcript]\nfallback: {fallback}\n*/\nSELECT 1")
        with pytest.raises(ConfigError, match=words):
            load_pattern(bad)


def test_competitor_mentions_come_from_call_notes_without_transcripts(on_mapped, demo_db, capsys):
    out = ask(capsys, "ask", "which competitors came up in our calls this quarter?")
    data = out["data"]
    assert data["analysis"] == "competitor_mentions"
    assert "no call transcripts: competitor mentions come from call summaries" in out["answer"]
    assert set(data["unavailable"]) == {"calls.transcript"}
    start, end = (date.fromisoformat(data["period"][k]) for k in ("start", "end"))
    # Independently: calls in the period whose brief, key points, next steps or deal's competitors name it.
    with duckdb.connect(str(demo_db), read_only=True) as con:
        calls = con.execute("SELECT c.started_at, c.brief, c.key_points, c.next_steps, o.competitors FROM calls c "
                            "LEFT JOIN opportunities o ON o.opportunity_id = c.opportunity_id").fetchall()
    expected = {}
    for comp in data["summary"]["competitors_checked"]:
        expected[comp] = sum(1 for started, *texts in calls if start <= started.date() <= end
                             and comp.lower() in " ".join(t or "" for t in texts).lower())
    assert data["summary"]["mentions"] == expected
    assert any(expected.values())       # the fallback finds something to report


def test_the_last_call_is_read_from_its_summary(on_mapped, capsys):
    out = ask(capsys, "ask", "which competitors were mentioned in our last call with IXIS?")
    assert "the competitors come from the call's summary" in out["answer"]


def test_slipped_deals_are_unavailable_not_zero(on_mapped, capsys):
    out = ask(capsys, "ask", "which deals keep slipping this quarter?")
    assert out["data"]["analysis"] == "slipped_deals"
    assert out["data"]["summary"]["slipped_count"] is None
    assert "slipped-deal counts are unavailable" in out["answer"]
    assert not re.search(r"\*\*0\*\* open", out["answer"])
    assert not any(s.get("sql_pattern") == "slipped_deals" for s in out["trace"])     # not even run


def test_targets_and_commit_are_unavailable_not_zero(on_mapped, capsys):
    out = ask(capsys, "ask", "are we going to hit the number this quarter?")
    assert out["data"]["summary"]["bookings_target"] is None
    assert "No targets in this warehouse" in out["answer"] and "$0" not in out["answer"]
    out = ask(capsys, "ask", "what deals are closing this quarter?")
    assert out["data"]["summary"]["commit_amount"] is None
    assert "Commit and best case are unavailable" in out["answer"] and "Commit: $0" not in out["answer"]
    # The amounts read are approximated from TCV, and the answer says so under its text.
    assert out["data"]["model"]["approximations"]["opportunities.amount"].startswith("ARR annualised")
    assert "approximated: `opportunities.amount`" in out["answer"]


def test_risk_factors_do_not_count_pushes_they_cannot_see(on_mapped, capsys):
    out = ask(capsys, "ask", "what are the main risk factors for deals closing this quarter?")
    pushed = out["data"]["summary"]["factors"]["pushed"]
    assert pushed["deal_count"] is None and pushed["unavailable"]
    assert "Close-date pushes are not counted" in out["answer"]


def test_a_deal_answer_lists_the_missing_data_it_read(on_mapped, capsys):
    out = ask(capsys, "deal", "IXIS")
    assert out["data"]["unavailable"] == {"calls.transcript": "this warehouse has no call transcripts"}
    assert "MEDDPICC, the risks and the probability adjustment rest on the CRM fields" in out["answer"]
    missing = out["data"]["model"]["missing"]     # the rest it read, listed under the answer, said once
    assert "calls.transcript" not in missing
    assert missing["opportunities.forecast_category"] == "this warehouse has no forecast category"
    assert "not in this warehouse: `opportunities.forecast_category`" in out["answer"]
    steps = [s for s in out["trace"] if s.get("model")]
    assert steps and all("entities" in s["model"] for s in steps)


def test_the_demo_warehouse_says_nothing_of_the_kind(demo_db, settings_for, capsys):
    settings_for(demo_db)
    for args in (("ask", "which deals keep slipping this quarter?"), ("deal", "IXIS"),
                 ("ask", "which competitors came up in our calls this quarter?")):
        out = ask(capsys, *args)
        assert "model" not in out["data"] and "unavailable" not in out["data"]
        assert "this warehouse" not in out["answer"]
        assert all(s.get("model") is None for s in out["trace"])


def test_targets_by_segment_without_segments_are_unavailable_not_zero(mapped_db, settings_for, tmp_path, capsys):
    text = mapped.MODEL.replace(
        "  targets:\n    missing: no targets table in this warehouse\n",
        "  targets:\n    query: |\n      SELECT '2026-Q4' AS quarter, DATE '2026-10-01' AS quarter_start,\n"
        "             DATE '2026-12-31' AS quarter_end, 'SMB' AS segment, 15700000.0 AS bookings_target,\n"
        "             20000000.0 AS revenue_target\n").replace(
        "      segment: {sql: a.seg, map: segment_words}", "      segment: {missing: our segment is a customer type}")
    mapped.write_model(tmp_path / "model", text)
    settings_for(mapped_db)
    for question in ("are we going to hit the number this quarter?", "what is our pipeline coverage this quarter?"):
        out = ask(capsys, "ask", question)
        assert out["data"]["unavailable"] == {"accounts.segment": "our segment is a customer type"}
        assert "this warehouse has no account segments" in out["answer"] and "$0" not in out["answer"]
