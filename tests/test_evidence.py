"""Truthful evidence: MEDDPICC quotes read for negation and tense, one quote per element unless it speaks to
both, competitor threats never leveraged; research never passes another company off as the one asked for;
lead advice knows current and churned customers; counts of omitted rows are exact."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from cli import run
from revops_cli.agents import meddpicc


@pytest.fixture
def rubric(revops_home):
    from revops_cli.config import load_settings

    return meddpicc.load_rubric(load_settings())


def scored(rubric, lines: list[str], **status: str) -> dict[str, dict]:
    call = {"call_id": "CALL-T1", "started_at": date(2026, 11, 20), "title": "Weekly sync",
            "participants": "Sarah Johnson (Firebolt AE), Dana Lee (IXIS, Head of Data)",
            "transcript": "\n".join(lines)}
    opp = {f"{k}_status": status.get(k, "Unknown") for k in meddpicc.ELEMENTS}
    opp.update(stage="Negotiate", is_closed=False)
    calls = meddpicc.prepare_calls([call], rubric, "Sarah Johnson")
    out = meddpicc.score(opp, calls, rubric, ["Databricks"])
    return {e["element"]: e for e in out["elements"]}


def call_quotes(element: dict) -> list[str]:
    return [e["sentence"] for e in element["evidence"] if e["source"] == "call"]


@pytest.mark.parametrize("said", [
    "Dana Lee: We haven't met the CFO yet.",
    "Dana Lee: It goes to the CFO for approval. The meeting has not happened.",
    "Dana Lee: It goes to the CFO for approval. I haven't set up that meeting yet.",
    "Dana Lee: Not yet. The CFO approves the budget; I'm presenting to her next month.",
    # a sign-off, approval or decision still to come
    "Dana Lee: Dana, our CFO, still has to sign off.",
    "Dana Lee: The CFO's approval is pending.",
    "Dana Lee: We're waiting on the CFO to approve the budget.",
    "Dana Lee: The CFO will sign off next week.",
    "Dana Lee: The CFO needs to approve the budget.",
    "Dana Lee: I'll build the business case for the CFO.",
])
def test_a_meeting_that_has_not_happened_does_not_validate_the_economic_buyer(rubric, said):
    eb = scored(rubric, [said], economic_buyer="Identified")["economic_buyer"]
    assert eb["score"] == 1 and eb["status"] == "Identified" and not eb["raised_by_calls"]
    # from Unknown it may identify the buyer, never more
    eb = scored(rubric, [said])["economic_buyer"]
    assert eb["score"] == 1 and all(e.get("pending") for e in eb["evidence"] if e["source"] == "call")


def test_what_has_not_happened_taints_only_its_own_sentence(rubric):
    els = scored(rubric, ["Dana Lee: We haven't met the CFO yet. Legal already reviewed the MSA."],
                 economic_buyer="Identified", paper_process="Identified")
    assert els["economic_buyer"]["score"] == 1 and els["paper_process"]["score"] == 2


def test_a_meeting_that_happened_validates_the_economic_buyer(rubric):
    eb = scored(rubric, ["Dana Lee: We met the CFO on Tuesday and she approved the budget."],
                economic_buyer="Identified")["economic_buyer"]
    assert eb["score"] == 2 and eb["raised_by_calls"]


def test_the_newest_call_decides_whether_the_buyer_is_validated(rubric):
    """An older 'the CFO is the economic buyer' does not validate the buyer when the newest call speaking of
    the CFO says the sign-off is still to come; the other way round, it does."""
    def two_calls(newest: str, older: str) -> dict:
        calls = [{"call_id": cid, "started_at": day, "title": "sync",
                  "participants": "Sarah Johnson (Firebolt AE), Dana Lee (IXIS, Head of Data)",
                  "transcript": words} for cid, day, words in
                 (("CALL-2", date(2026, 11, 20), newest), ("CALL-1", date(2026, 9, 10), older))]
        opp = {f"{k}_status": "Unknown" for k in meddpicc.ELEMENTS} | {"economic_buyer_status": "Identified"}
        out = meddpicc.score(opp, meddpicc.prepare_calls(calls, rubric, "Sarah Johnson"), rubric, [])
        return next(e for e in out["elements"] if e["element"] == "economic_buyer")

    assert two_calls("Dana Lee: The CFO still has to sign off.",
                     "Dana Lee: The CFO is the economic buyer.")["score"] == 1
    assert two_calls("Dana Lee: We met the CFO and she approved the budget.",
                     "Dana Lee: We haven't met the CFO yet.")["score"] == 2


def test_one_quote_is_cited_only_for_the_element_it_speaks_to(rubric):
    els = scored(rubric, ["Dana Lee: You can count on me to champion this with the CFO.",
                          "Dana Lee: The data team makes a recommendation and the CFO approves it."])
    assert call_quotes(els["champion"]) == ["Dana Lee: You can count on me to champion this with the CFO."]
    assert call_quotes(els["decision_making_process"]) == [
        "Dana Lee: The data team makes a recommendation and the CFO approves it."]
    assert call_quotes(els["economic_buyer"]) == [] and els["economic_buyer"]["score"] == 0


def test_a_quote_that_speaks_to_two_elements_supports_both(rubric):
    said = "Dana Lee: The CFO is the economic buyer and has the final say. Then legal reviews the MSA."
    els = scored(rubric, [said])
    assert call_quotes(els["economic_buyer"]) == [said] and call_quotes(els["paper_process"]) == [said]
    # and no other element cites it
    assert [k for k, e in els.items() if said in call_quotes(e)] == ["economic_buyer", "paper_process"]


@pytest.mark.parametrize("crm", ["Validated", "Leveraged"])
@pytest.mark.parametrize("said", [
    "Dana Lee: We are evaluating Databricks too, and they're being very aggressive on price.",
    "Dana Lee: Part of the team prefers Databricks because they already know it.",
    "Dana Lee: The Databricks team came back with a big discount to keep us.",
])
def test_a_competitor_raised_as_a_threat_is_never_leveraged(rubric, crm, said):
    comp = scored(rubric, [said], competition=crm)["competition"]
    assert comp["score"] == 2 and comp["status"] == "Validated"
    assert any(e.get("threat") for e in comp["evidence"] if e["source"] == "call")
    if crm == "Leveraged":
        assert "threat" in comp["note"]


def test_a_competitor_named_without_a_threat_still_counts(rubric):
    comp = scored(rubric, ["Dana Lee: We moved off Databricks last year because of the cost."],
                  competition="Validated")["competition"]
    assert comp["score"] == 3


# ------------------------------------------------------------------------------------------------ research
@pytest.fixture
def wh(demo_db, settings_for):
    settings_for(demo_db)
    return demo_db


@pytest.mark.parametrize("company", ["Acme Robotics", "Zyxwv Holdings", "Stark Industries", "Nimbus Analytics"])
def test_research_for_an_unknown_company_is_not_found_never_another_profile(capsys, wh, company):
    names = [r[0] for r in duckdb.connect(str(wh), read_only=True).execute(
        "SELECT company_name FROM company_research").fetchall()]
    assert company not in names
    r = run(capsys, "search", company, "-f", "json")
    doc = r.json()
    assert doc["data"]["found"] is False, doc["data"].get("company")
    assert "company_name" not in doc["data"] and "industry" not in doc["data"]
    assert "not found" in doc["answer"].lower() or "no research" in doc["answer"].lower()


def test_research_finds_a_company_by_its_exact_name_a_typo_and_its_first_word(capsys, wh):
    for asked, expected in (("IXIS Technologies", "IXIS Technologies"), ("IXIS Technolgies", "IXIS Technologies"),
                            ("IXIS", "IXIS Technologies"), ("cloudtech", "CloudTech")):
        doc = run(capsys, "search", asked, "-f", "json").json()
        assert doc["data"]["found"] is True and doc["data"]["company"] == expected, asked


def test_research_suggests_close_matches_when_not_found(capsys, wh):
    doc = run(capsys, "search", "CloudTech Systems", "-f", "json").json()
    assert doc["data"]["found"] is False and "CloudTech" in doc["data"]["suggestions"]
    assert "CloudTech" in doc["answer"]


# ------------------------------------------------------------------------------------------------ omitted rows
def test_the_count_of_rows_not_shown_is_exact(capsys, wh):
    con = duckdb.connect(str(wh), read_only=True)
    total = con.execute("SELECT count(*) FROM opportunities WHERE NOT is_closed "
                        "AND close_date BETWEEN DATE '2026-10-01' AND DATE '2026-12-31'").fetchone()[0]
    con.close()
    assert total > 50                                   # more than the rows an answer keeps
    r = run(capsys, "ask", "which deals are closing this quarter?", "-f", "json")
    doc = r.json()
    assert doc["data"]["analysis"] == "deals_closing" and doc["data"]["row_count"] == total
    shown = doc["answer"].count("\n| ") - 2              # table rows, less the header and its rule
    assert f"{total - shown} more rows" in doc["answer"], doc["answer"][-300:]
    assert len(doc["data"]["rows"]) == 50 and f"holds the first 50" in doc["answer"]


# ------------------------------------------------------------------------------------------------ lead advice
def lead_at(db, account_type: str) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    cur = con.execute("SELECT l.name, l.company, a.customer_since, a.churned_date FROM leads l "
                      "JOIN accounts a ON lower(a.name) = lower(l.company) "
                      "WHERE a.account_type = ? ORDER BY l.lead_id LIMIT 1", [account_type])
    row = dict(zip([d[0] for d in cur.description], cur.fetchone()))
    con.close()
    return row


def test_lead_advice_notices_a_churned_customer(capsys, wh):
    lead = lead_at(wh, "churned")
    r = run(capsys, "lead", lead["name"], "--company", lead["company"], "-f", "json")
    assert r.code == 0, r.err
    doc = r.json()
    rel = doc["data"]["strategy"]["relationship"]
    assert rel["status"] == "churned" and rel["churned_date"] == lead["churned_date"].isoformat()
    assert "former customer" in doc["answer"] and lead["churned_date"].isoformat() in doc["answer"]
    assert "win-back" in doc["data"]["strategy"]["approach"].lower()


def test_lead_advice_notices_a_current_customer(capsys, wh):
    lead = lead_at(wh, "customer")
    doc = run(capsys, "lead", lead["name"], "--company", lead["company"], "-f", "json").json()
    rel = doc["data"]["strategy"]["relationship"]
    assert rel["status"] == "customer" and "already a customer" in doc["answer"]
    assert "expansion" in doc["data"]["strategy"]["approach"].lower()


def test_lead_advice_for_a_prospect_claims_no_relationship(capsys, wh):
    lead = lead_at(wh, "prospect")
    doc = run(capsys, "lead", lead["name"], "--company", lead["company"], "-f", "json").json()
    assert doc["data"]["strategy"]["relationship"] is None
    assert "former customer" not in doc["answer"] and "already a customer" not in doc["answer"]


def test_lead_scores_mark_leads_at_customers_and_churned_customers(capsys, wh):
    con = duckdb.connect(str(wh), read_only=True)
    kinds = dict(con.execute("SELECT l.lead_id, a.account_type FROM leads l JOIN accounts a "
                             "ON lower(a.name) = lower(l.company) OR a.account_id = l.converted_account_id "
                             "OR lower(a.domain) = lower(l.company_domain)").fetchall())
    con.close()
    doc = run(capsys, "ask", "score all our leads against the ICP", "-f", "json").json()
    leads = doc["data"]["leads"]
    assert leads and any(lead["account_type"] == "churned" for lead in leads)
    for lead in leads:
        assert lead["account_type"] == kinds.get(lead["lead_id"]), lead["lead_id"]
