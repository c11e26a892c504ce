"""The deal analysis agent against the demo warehouse (both seeds).

Expected figures come from this file's own plain SQL (duckdb, read-only) and its own scan of the
transcripts with the rubric's patterns — never from the agent's SQL patterns or its scoring code.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from revops_cli.agents.base import AgentContext, Task
from revops_cli.agents.deal import DealAnalysisAgent
from revops_cli.errors import ConfigError, NotFoundError
from revops_cli.models import Request, Trace
from revops_cli.formatting import money

AS_OF = date(2026, 11, 24)
RUBRIC = Path(__file__).resolve().parents[1] / "revops_cli" / "agents" / "rubrics" / "meddpicc.yaml"
LEVELS = {"Unknown": 0, "Identified": 1, "Validated": 2, "Leveraged": 3}
ELEMENTS = ("metrics", "economic_buyer", "decision_criteria", "decision_making_process", "paper_process",
            "identify_pain", "champion", "competition")


# ------------------------------------------------------------------------------------------------ helpers
def _asker(demo_db, settings_for, revops_home, *, cache: bool):
    from revops_cli.warehouse.connect import open_warehouse

    if not cache:
        (revops_home / "revops.yaml").write_text("cache:\n  enabled: false\n")
    settings = settings_for(demo_db)
    opened = []

    def run(opp_id: str, intent: str = "deal_status"):
        wh = open_warehouse(settings)
        opened.append(wh)
        ctx = AgentContext(settings=settings, warehouse=wh, trace=Trace(), request=Request(text="deal"))
        task = Task(intent=intent, text="what is the status of the deal?",
                    entities={"opportunity": {"opportunity_id": opp_id}})
        return DealAnalysisAgent().handle(ctx, task)

    return run, opened


@pytest.fixture
def ask(demo_db, settings_for, revops_home):
    """Ask the agent about one deal, result cache off (speed)."""
    run, opened = _asker(demo_db, settings_for, revops_home, cache=False)
    yield run
    for wh in opened:
        wh.close()


@pytest.fixture
def ask_cached(demo_db, settings_for, revops_home):
    """Ask the agent about one deal through the result cache, as the product does by default."""
    run, opened = _asker(demo_db, settings_for, revops_home, cache=True)
    yield run
    for wh in opened:
        wh.close()


def ixis_id(sql_rows) -> str:
    rows = sql_rows("SELECT o.opportunity_id FROM opportunities o JOIN accounts a ON a.account_id = o.account_id "
               "WHERE a.name = 'IXIS Technologies' AND o.stage = 'Negotiate' ORDER BY o.amount DESC")
    assert rows, "the demo data always has the IXIS deal at Negotiate"
    return rows[0]["opportunity_id"]


def risk(answer, key):
    return next((r for r in answer.data["risks"] if r["key"] == key), None)


def load_rubric(path: Path = RUBRIC) -> dict:
    return yaml.safe_load(path.read_text())


def scan_expected(sql_rows, opp: dict, rubric: dict) -> dict[str, int]:
    """Expected element scores: CRM status, plus one level when a transcript line is evidence; a line about
    what has not happened yet (evidence.pending) raises to Identified at most, and the newest call speaking to
    an element decides (older calls' lines count only for an element no newer call spoke to); within one sentence the element
    with the longest matching phrase wins; a competitor raised as a threat caps competition at 2."""
    owner = sql_rows("SELECT name FROM users WHERE user_id = ?", opp["owner_id"])
    owner_name = owner[0]["name"].lower() if owner else ""
    markers = [m.lower() for m in rubric["evidence"]["internal_markers"]]
    calls = sql_rows("SELECT participants, transcript FROM calls WHERE opportunity_id = ? "
                "AND CAST(started_at AS DATE) <= ? ORDER BY started_at DESC LIMIT ?",
                opp["opportunity_id"], AS_OF, rubric["evidence"]["max_calls"])
    competitors = set(rubric["competitors"]) | {c.strip() for c in (opp["competitors"] or "").split(",") if c.strip()}
    hit = {k: False for k in ELEMENTS}
    pending_hit = {k: False for k in ELEMENTS}
    decided: set[str] = set()       # the newest call speaking to an element decides whether it is done
    threat = False
    ev = rubric["evidence"]
    for call in calls:
        internal = {owner_name}
        seen_here: set[str] = set()
        for part in re.split(r",(?![^()]*\))", call["participants"] or ""):
            name, _, label = part.partition("(")
            if any(re.search(rf"\b{re.escape(m)}\b", label.lower()) for m in markers):
                internal.add(name.strip().lower())
        for line in (call["transcript"] or "").splitlines():
            speaker, sep, words = line.strip().partition(":")
            if not sep:
                speaker, words = "", line.strip()
            words = words.strip()
            if any(re.search(rf"\b{re.escape(c)}\b", words, re.I) for c in competitors):
                hit["competition"] = True
                threat = threat or any(re.search(t, words, re.I) for t in ev.get("competitor_threats") or [])
            if speaker.strip().lower() in internal or words.endswith("?"):
                continue
            if any(re.search(n, words, re.I) for n in ev.get("negations") or []):
                continue
            sentences = re.split(r"(?<=[.;!?])\s+", words)
            later = [any(re.search(n, s, re.I) for n in ev.get("pending") or []) for s in sentences]
            longest = []
            for sentence in sentences:
                lengths = {key: max(len(m.group(0)) for p in rubric["elements"][key].get("patterns") or []
                                    for m in re.finditer(p, sentence, re.I))
                           for key in ELEMENTS if key != "competition" and any(
                               re.search(p, sentence, re.I) for p in rubric["elements"][key].get("patterns") or [])}
                longest.append({k: n for k, n in lengths.items() if n == max(lengths.values())})
            for i, keys in enumerate(longest):
                near = [j for j in (i - 1, i + 1) if 0 <= j < len(sentences)]
                pending = later[i] or any(later[j] and not longest[j] for j in near)
                for key in keys:
                    if key not in decided:          # no newer call spoke to it
                        (pending_hit if pending else hit)[key] = True
                    seen_here.add(key)
        decided |= seen_here

    def expected(k: str) -> int:
        crm = LEVELS.get(opp[f"{k}_status"] or "Unknown", 0)
        value = min(3, crm + 1) if hit[k] else max(crm, 1) if pending_hit[k] else crm
        return min(value, 2) if k == "competition" and threat else value
    return {k: expected(k) for k in ELEMENTS}


# ------------------------------------------------------------------------------------------------ dry numbers
def test_dry_numbers_match_the_warehouse(sql_rows, ask):
    open_ids = [r["opportunity_id"] for r in sql_rows(
        "SELECT opportunity_id FROM opportunities WHERE NOT is_closed ORDER BY amount DESC, opportunity_id LIMIT 40")]
    closed = sql_rows("SELECT opportunity_id FROM opportunities WHERE is_closed ORDER BY opportunity_id LIMIT 1")
    for opp_id in [ixis_id(sql_rows), open_ids[7], open_ids[-1], closed[0]["opportunity_id"]]:
        o = sql_rows("SELECT * FROM opportunities WHERE opportunity_id = ?", opp_id)[0]
        u = sql_rows("SELECT * FROM users WHERE user_id = ?", o["owner_id"])[0]
        a = sql_rows("SELECT * FROM accounts WHERE account_id = ?", o["account_id"])[0]
        ans = ask(opp_id)
        got = ans.data["opportunity"]
        assert ans.agent == "deal_analysis" and ans.ok
        assert got["opportunity_id"] == opp_id
        assert got["name"] == o["name"]
        assert got["stage"] == o["stage"]
        assert got["amount"] == pytest.approx(o["amount"])
        assert got["probability"] == o["probability"]
        assert got["close_date"] == o["close_date"].isoformat()
        assert got["owner_id"] == o["owner_id"] and got["owner_name"] == u["name"] and got["owner_email"] == u["email"]
        assert got["account_id"] == a["account_id"] and got["account_name"] == a["name"]
        assert got["segment"] == a["segment"]
        text = ans.text
        assert f"{o['stage']} ({o['probability']}% probability)" in text
        assert f"{money(o['amount'])} ARR" in text
        assert u["name"] in text and o["name"] in text and a["name"] in text
        assert o["close_date"].isoformat() in text
        q = f"Q{(o['close_date'].month - 1) // 3 + 1} {o['close_date'].year}"
        assert q in text and got["close_quarter"] == q
        if not o["is_closed"]:
            assert got["days_to_close"] == (o["close_date"] - AS_OF).days


def test_sections_keys_and_trace(sql_rows, ask_cached):
    ans = ask_cached(ixis_id(sql_rows))
    again = ask_cached(ixis_id(sql_rows))                       # through the result cache: the same answer
    assert again.text == ans.text and again.data == ans.data
    assert all(s.cached for s in again.trace.steps if s.sql_pattern)
    for heading in ("**The Dry Numbers**", "**Bottom Line**", "**Risks and Opportunities**", "**MEDDPICC"):
        assert heading in ans.text
    assert ans.text.index("**The Dry Numbers**") < ans.text.index("**Bottom Line**") < \
        ans.text.index("**Risks and Opportunities**")
    d = ans.data
    for key in ("opportunity", "meddpicc", "risks", "opportunities", "probability", "stage_history", "calls"):
        assert key in d
    for key in ("opportunity_id", "name", "account_id", "account_name", "owner_id", "owner_name", "owner_email",
                "stage", "amount", "probability", "close_date", "segment"):
        assert key in d["opportunity"]
    assert set(d["meddpicc"]) >= {"score", "band", "elements", "failed_gates"}
    assert [e["element"] for e in d["meddpicc"]["elements"]] == list(ELEMENTS)
    assert set(d["probability"]) >= {"crm", "adjusted", "adjustments"}
    for r in d["risks"]:
        assert r["type"] in {"technical", "engagement", "competitive", "process", "business"}
        assert r["severity"] in {"high", "medium"} and r["title"] and isinstance(r["evidence"], list)
    assert d["calls"] and all("transcript" not in c and c["call_id"] and c["date"] for c in d["calls"])
    assert [c["date"] for c in d["calls"]] == sorted((c["date"] for c in d["calls"]), reverse=True)
    assert {s["type"] for s in ans.sources} == {"crm", "call"}
    assert {c["call_id"] for c in d["calls"]} == {s["id"] for s in ans.sources if s["type"] == "call"}
    tools = [s for s in ans.trace.steps if s.kind == "tool"]
    assert [s.sql_pattern for s in tools if s.sql_pattern] == ["deal_detail", "stage_history", "deal_calls"]
    assert all(s.ok for s in tools) and {"meddpicc_score", "assess_risks"} <= {s.name for s in tools}
    # Probability arithmetic, as documented.
    p = d["probability"]
    raw = p["crm"] + sum(a["delta"] for a in p["adjustments"])
    assert p["adjusted"] == max(1, min(99, raw))
    import json

    json.dumps(d)                                   # machine-readable as is


def test_follow_up_risks_only(sql_rows, ask):
    opp_id = ixis_id(sql_rows)
    full, risks_only = ask(opp_id), ask(opp_id, intent="deal_risks")
    assert "**Risks and Opportunities" in risks_only.text
    assert "**The Dry Numbers**" not in risks_only.text and "| Element |" not in risks_only.text
    assert risks_only.data["risks"] == full.data["risks"]
    for r in full.data["risks"]:
        assert r["title"] in risks_only.text


def test_unknown_deal_is_not_found(ask):
    with pytest.raises(NotFoundError):
        ask("OPP-NOPE-0000")


# ------------------------------------------------------------------------------------------------ MEDDPICC
def test_meddpicc_scores_from_crm_and_transcripts(sql_rows, ask):
    rubric = load_rubric()
    weights = {k: rubric["elements"][k]["weight"] for k in ELEMENTS}
    assert sum(weights.values()) == 100
    busiest = sql_rows("SELECT opportunity_id FROM calls WHERE opportunity_id IS NOT NULL "
                  "GROUP BY opportunity_id ORDER BY COUNT(*) DESC, opportunity_id LIMIT 1")[0]["opportunity_id"]
    no_calls = sql_rows("SELECT o.opportunity_id FROM opportunities o WHERE NOT EXISTS "
                   "(SELECT 1 FROM calls c WHERE c.opportunity_id = o.opportunity_id) "
                   "ORDER BY o.opportunity_id LIMIT 1")[0]["opportunity_id"]
    for opp_id in (ixis_id(sql_rows), busiest, no_calls):
        o = sql_rows("SELECT * FROM opportunities WHERE opportunity_id = ?", opp_id)[0]
        expected = scan_expected(sql_rows, o, rubric)
        m = ask(opp_id).data["meddpicc"]
        got = {e["element"]: e["score"] for e in m["elements"]}
        assert got == expected, opp_id
        for e in m["elements"]:
            crm = LEVELS.get(o[f"{e['element']}_status"] or "Unknown", 0)
            assert e["crm_status"] == (o[f"{e['element']}_status"] or "Unknown")
            assert e["score"] - crm in (-1, 0, 1) and 0 <= e["score"] <= 3
            calls_ev = [x for x in e["evidence"] if x["source"] == "call"]
            assert bool(calls_ev) >= (e["score"] > crm)          # a raise always has call evidence
            if not calls_ev:
                assert e["score"] == crm
            for x in calls_ev:
                assert x["call_id"] and x["call_date"] and x["sentence"] and x["element"] == e["element"]
        assert m["score"] == pytest.approx(sum(weights[k] * got[k] / 3 for k in ELEMENTS), abs=0.051)
        band = next(b["label"] for b in sorted(rubric["bands"], key=lambda b: -b["min"]) if m["score"] >= b["min"])
        assert m["band"] == band
        if opp_id == no_calls:
            assert got == {k: LEVELS.get(o[f"{k}_status"] or "Unknown", 0) for k in ELEMENTS}


def test_evidence_sentences_are_transcript_lines(sql_rows, ask):
    opp_id = ixis_id(sql_rows)
    transcripts = {r["call_id"]: r["transcript"] for r in sql_rows(
        "SELECT call_id, transcript FROM calls WHERE opportunity_id = ?", opp_id)}
    ans = ask(opp_id)
    evidence = [x for e in ans.data["meddpicc"]["elements"] for x in e["evidence"] if x["source"] == "call"]
    evidence += [x for r in ans.data["risks"] for x in r["evidence"] if x.get("source") == "call" and x.get("sentence")]
    assert evidence
    for x in evidence:
        lines = [ln.strip() for ln in transcripts[x["call_id"]].splitlines()]
        sentence = x["sentence"].rstrip("…")
        assert any(ln.startswith(sentence) for ln in lines)


def test_stage_gates_at_negotiate(sql_rows, ask):
    rubric = load_rubric()
    gates = [g for g in rubric["gates"] if g["stage"] == "Negotiate"]
    rows = sql_rows("SELECT * FROM opportunities WHERE stage = 'Negotiate' AND NOT is_closed "
               "ORDER BY opportunity_id LIMIT 60")
    assert rows
    seen = {"failed": False, "passed": False}
    for o in rows:
        expected = scan_expected(sql_rows, o, rubric)
        should_fail = sorted(g["element"] for g in gates if expected[g["element"]] < g["min_score"])
        kind = "failed" if should_fail else "passed"
        if seen[kind]:
            continue
        seen[kind] = True
        ans = ask(o["opportunity_id"])
        assert sorted(g["element"] for g in ans.data["meddpicc"]["failed_gates"]) == should_fail
        for element in should_fail:
            r = risk(ans, f"gate:{element}")
            assert r and r["severity"] == "high"
        has_gate_adjustment = any("failed stage gate" in a["reason"] for a in ans.data["probability"]["adjustments"])
        assert has_gate_adjustment == bool(should_fail)
        if all(seen.values()):
            break
    assert seen["failed"] or seen["passed"]


def test_rubric_override_changes_weights_and_score(sql_rows, ask, tmp_path):
    opp_id = ixis_id(sql_rows)
    before = ask(opp_id).data["meddpicc"]
    scores = {e["element"]: e["score"] for e in before["elements"]}
    low = min(ELEMENTS, key=lambda k: (scores[k], k))
    new_weights = {k: 0 for k in ELEMENTS}
    new_weights[low] = 100
    folder = tmp_path / "rubrics"                 # tests run in tmp_path: this is ./rubrics/
    folder.mkdir()
    (folder / "meddpicc.yaml").write_text(yaml.safe_dump(
        {"elements": {k: {"weight": w} for k, w in new_weights.items()}, "bands": [{"min": 0, "label": "Any"}]}))
    after = ask(opp_id).data["meddpicc"]
    assert after["weights"] == {k: float(w) for k, w in new_weights.items()}
    assert after["score"] == pytest.approx(100 * scores[low] / 3, abs=0.051)
    assert after["band"] == "Any"
    if len(set(scores.values())) > 1:
        assert after["score"] != before["score"]
    (folder / "meddpicc.yaml").write_text("elements:\n  metrics: {weight: 99}\n")
    with pytest.raises(ConfigError):
        ask(opp_id)


# ------------------------------------------------------------------------------------------------ risks
def test_close_date_pushes_are_counted(sql_rows, ask):
    rows = sql_rows("SELECT h.opportunity_id, COUNT(*) AS n FROM opportunity_stage_history h "
               "JOIN opportunities o ON o.opportunity_id = h.opportunity_id "
               "WHERE h.new_close_date > h.old_close_date AND CAST(h.changed_at AS DATE) <= ? AND NOT o.is_closed "
               "GROUP BY h.opportunity_id HAVING COUNT(*) >= 2 ORDER BY n DESC, h.opportunity_id LIMIT 3", AS_OF)
    assert rows, "the demo data has deals pushed twice or more"
    for row in rows:
        r = risk(ask(row["opportunity_id"]), "close_date_pushed")
        assert r is not None and r["count"] == row["n"] and r["severity"] == "high" and r["type"] == "process"
    once = sql_rows("SELECT h.opportunity_id FROM opportunity_stage_history h "
               "JOIN opportunities o ON o.opportunity_id = h.opportunity_id "
               "WHERE h.new_close_date > h.old_close_date AND CAST(h.changed_at AS DATE) <= ? AND NOT o.is_closed "
               "GROUP BY h.opportunity_id HAVING COUNT(*) = 1 ORDER BY h.opportunity_id LIMIT 1", AS_OF)
    if once:
        r = risk(ask(once[0]["opportunity_id"]), "close_date_pushed")
        assert r["count"] == 1 and r["severity"] == "medium"


def test_inactive_deal_gets_engagement_risk(sql_rows, ask):
    cutoff = AS_OF - timedelta(days=21)
    rows = sql_rows("SELECT o.opportunity_id, o.last_activity_date FROM opportunities o "
               "WHERE NOT o.is_closed AND o.last_activity_date < ? AND NOT EXISTS "
               "(SELECT 1 FROM calls c WHERE c.opportunity_id = o.opportunity_id "
               " AND CAST(c.started_at AS DATE) > o.last_activity_date) "
               "ORDER BY o.last_activity_date, o.opportunity_id LIMIT 2", cutoff)
    assert rows, "the demo data has open deals idle for more than 21 days"
    for row in rows:
        r = risk(ask(row["opportunity_id"]), "no_recent_activity")
        assert r is not None and r["type"] == "engagement"
        assert r["days"] == (AS_OF - row["last_activity_date"]).days
    active = sql_rows("SELECT opportunity_id FROM opportunities WHERE NOT is_closed AND last_activity_date >= ? "
                 "ORDER BY opportunity_id LIMIT 1", AS_OF - timedelta(days=5))
    if active:
        assert risk(ask(active[0]["opportunity_id"]), "no_recent_activity") is None


def test_ixis_competitor_in_last_call(sql_rows, ask):
    opp_id = ixis_id(sql_rows)
    last = sql_rows("SELECT call_id, transcript FROM calls WHERE opportunity_id = ? AND CAST(started_at AS DATE) <= ? "
               "ORDER BY started_at DESC, call_id LIMIT 1", opp_id, AS_OF)
    ans = ask(opp_id)
    r = risk(ans, "competitor_in_last_call")
    mentions_snowflake = bool(last) and re.search(r"\bsnowflake\b", last[0]["transcript"] or "", re.I)
    if mentions_snowflake:
        assert r is not None and r["type"] == "competitive" and "Snowflake" in r["competitors"]
        assert "Snowflake" in r["title"] and r["evidence"][0]["call_id"] == last[0]["call_id"]
        assert "Snowflake" in ans.text
    else:
        assert r is None or "Snowflake" not in r["competitors"]


def test_closed_deal_has_no_risks_and_keeps_probability(sql_rows, ask):
    o = sql_rows("SELECT * FROM opportunities WHERE is_closed AND is_won ORDER BY opportunity_id LIMIT 1")[0]
    ans = ask(o["opportunity_id"])
    assert ans.data["risks"] == [] and ans.data["probability"]["adjusted"] == o["probability"]


# ------------------------------------------------------------------------------------------------ helpers' units
def test_participants_and_amounts():
    from revops_cli.agents.meddpicc import parse_amount, split_participants

    assert split_participants("Sarah Johnson (Firebolt AE),Dana Lee (IXIS, CFO)") == [
        ("Sarah Johnson", "Firebolt AE"), ("Dana Lee", "IXIS, CFO")]
    assert parse_amount("another $500K ARR, maybe $1.2M later") == 1_200_000
    assert parse_amount("worth about $500K") == 500_000
    assert parse_amount("no money here") is None


def test_a_rubric_mistake_names_file_and_line(revops_home, demo_db, settings_for):
    """User rubric files are read by the shared YAML mechanism: an unknown key or element is a ConfigError
    at file:line with the nearest known name."""
    from revops_cli.agents import meddpicc
    from revops_cli.errors import ConfigError

    settings = settings_for(demo_db)
    folder = settings.home / "rubrics"
    folder.mkdir()
    rubric = folder / meddpicc.RUBRIC_NAME
    rubric.write_text("risks:\n  inactive_days: 30\nelements:\n  metrics:\n    weigth: 20\n")
    with pytest.raises(ConfigError) as err:
        meddpicc.load_rubric(settings)
    assert f"{rubric}:5: unknown key 'weigth' in elements.metrics" in err.value.message
    assert "'weight'" in err.value.hint
    rubric.write_text("elemnts: {}\n")
    with pytest.raises(ConfigError) as err:
        meddpicc.load_rubric(settings)
    assert f"{rubric}:1: unknown key 'elemnts'" in err.value.message and "'elements'" in err.value.hint
    rubric.write_text("elements:\n  champions: {weight: 5}\n")
    with pytest.raises(ConfigError, match=r":2: unknown key 'champions'"):
        meddpicc.load_rubric(settings)
