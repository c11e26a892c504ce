"""The forecast call (issue 18, parts 1 and 2) as a user meets it: the three kinds of question route to the
right analysis and answer with numbers recomputed here from the raw tables (the history replayed in Python,
the Deal agent's own answer per deal for the adjusted probabilities), and `revops report pipeline-changes
--since 7d` / `revops report forecast-rollup` run, reproducibly, as JSON and HTML with charts. Both seeds."""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cli import run  # noqa: E402
from conftest import AS_OF  # noqa: E402
from test_pipeline_changes import replay  # noqa: E402

Q4 = (date(2026, 10, 1), date(2026, 12, 31))


@pytest.fixture
def use_db(demo_db, monkeypatch):
    monkeypatch.setenv("REVOPS_DUCKDB_PATH", str(demo_db))
    return demo_db


def ask(capsys, text: str) -> dict:
    r = run(capsys, "ask", text, "-f", "json")
    assert r.code == 0, r.err
    return r.json()


def rows(db: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


# ----------------------------------------------------------------------------------------------------------
# The window of changes
# ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, since, start, end", [
    ("what changed in the pipeline since last Monday?", None, "2026-11-16", "2026-11-24"),
    ("what changed since Monday?", None, "2026-11-23", "2026-11-24"),
    ("what slipped out of Q4 this week?", None, "2026-11-23", "2026-11-24"),
    ("pipeline changes last week", None, "2026-11-16", "2026-11-22"),
    ("what moved in the last 14 days", None, "2026-11-11", "2026-11-24"),
    ("what changed in the pipeline?", None, "2026-11-18", "2026-11-24"),
    ("", "7d", "2026-11-18", "2026-11-24"),
    ("", "2w", "2026-11-11", "2026-11-24"),
    ("", "2026-11-02", "2026-11-02", "2026-11-24"),
    ("", "last-monday", "2026-11-16", "2026-11-24"),
])
def test_change_window(text, since, start, end):
    from revops_cli.agents.analyses.forecast_call import change_window

    w = change_window(text, AS_OF, since)
    assert (w.start.isoformat(), w.end.isoformat()) == (start, end)


@pytest.mark.parametrize("since", ["7x", "2026-12-01", "soon"])
def test_bad_since_is_a_usage_error(since):
    from revops_cli.agents.analyses.forecast_call import change_window
    from revops_cli.errors import UsageError

    with pytest.raises(UsageError):
        change_window("", AS_OF, since)


# ----------------------------------------------------------------------------------------------------------
# Questions
# ----------------------------------------------------------------------------------------------------------

def test_what_changed_since_last_monday(capsys, use_db):
    a = ask(capsys, "what changed in the pipeline since last Monday?")
    d = a["data"]
    assert a["agent"] == "data" and d["analysis"] == "pipeline_changes"
    assert (d["period"]["start"], d["period"]["end"]) == ("2026-11-16", "2026-11-24")
    want = replay(use_db, date(2026, 11, 16), AS_OF)
    s = d["summary"]
    assert s["changed_deals"] == len({oid for oid, _ in want["kinds"]})
    for kind in ("new", "won", "lost", "slipped", "pushed", "pulled_in", "amount_up", "amount_down",
                 "stage_forward", "stage_back"):
        assert s[f"{kind}_count"] == sum(1 for _, k in want["kinds"] if k == kind), kind
    assert s["pipeline_before"] == pytest.approx(want["totals"]["pipeline_before"])
    assert s["commit_after"] == pytest.approx(want["totals"]["commit_after"])
    assert s["commit_change"] == pytest.approx(want["totals"]["commit_after"] - want["totals"]["commit_before"])
    assert "pipeline" in a["answer"].lower() and "commit" in a["answer"].lower()


@pytest.mark.parametrize("text, start", [("what slipped out of Q4 this week?", date(2026, 11, 23)),
                                         ("which deals slipped out of Q4 in the last 14 days?", date(2026, 11, 11))])
def test_what_slipped_out_of_q4(capsys, use_db, text, start):
    a = ask(capsys, text)
    d = a["data"]
    assert d["analysis"] == "pipeline_changes" and d["summary"]["focus"] == "slipped"
    want = sorted(oid for oid, k in replay(use_db, start, AS_OF)["kinds"] if k == "slipped")
    assert sorted(r["opportunity_id"] for r in d["rows"]) == want
    assert all(r["close_date_after"] > "2026-12-31" >= r["close_date_before"] for r in d["rows"])
    assert re.search(rf"\*\*{len(want)} deals?\*\*", a["answer"])


def _adjusted(db: Path, opportunity_id: str) -> int:
    """The Deal agent's own answer for one deal (its `revops deal` answer): the evidence-adjusted probability."""
    from revops_cli.agents.base import AgentContext, Task
    from revops_cli.agents.deal import DealAnalysisAgent
    from revops_cli.config import load_settings
    from revops_cli.models import Request, Trace
    from revops_cli.warehouse.connect import open_warehouse

    settings = load_settings()
    wh = open_warehouse(settings, quiet=True)
    try:
        ctx = AgentContext(settings=settings, warehouse=wh, trace=Trace(), request=Request(text="deal"))
        answer = DealAnalysisAgent().handle(ctx, Task(intent="deal_status", text="what is the status of the deal?",
                                                      entities={"opportunity": {"opportunity_id": opportunity_id}}))
    finally:
        wh.close()
    assert answer.data["opportunity"]["opportunity_id"] == opportunity_id
    return answer.data["probability"]["adjusted"]


def test_which_reps_commit_looks_soft(capsys, use_db):
    a = ask(capsys, "which reps' commit looks soft?")
    d = a["data"]
    assert d["analysis"] == "forecast_rollup"
    commit = rows(use_db, """
        SELECT o.opportunity_id, u.name, o.amount, o.probability FROM opportunities o
        JOIN users u ON u.user_id = o.owner_id
        WHERE NOT o.is_closed AND o.forecast_category = 'Commit' AND o.close_date BETWEEN ? AND ?""", list(Q4))
    soft: dict[str, float] = defaultdict(float)
    for oid, rep, amount, crm in commit:
        adj = _adjusted(use_db, oid)
        if adj < 50 or adj <= crm - 5:
            soft[rep] += amount
    assert set(d["summary"]["soft_reps"]) == set(soft)
    assert d["summary"]["soft_commit"] == pytest.approx(sum(soft.values()))
    assert d["summary"]["commit"] == pytest.approx(sum(r[2] for r in commit))
    if soft:
        top = max(soft, key=lambda k: (soft[k], k))
        assert f"**{top}**" in a["answer"]


def test_forecast_rollup_per_rep_recomputed(capsys, use_db):
    a = ask(capsys, "forecast roll-up by rep this quarter")
    d = a["data"]
    assert d["analysis"] == "forecast_rollup"
    want: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for rep, fc, amount, prob, closed, won in rows(use_db, """
            SELECT u.name, o.forecast_category, o.amount, o.probability, o.is_closed, o.is_won
            FROM opportunities o JOIN users u ON u.user_id = o.owner_id
            WHERE o.close_date BETWEEN ? AND ? AND (NOT o.is_closed OR o.is_won)""", list(Q4)):
        w = want[rep]
        if won:
            w["closed_won"] += amount
            w["crm_weighted"] += amount
        else:
            w[{"Commit": "commit", "Best Case": "best_case", "Pipeline": "pipeline"}[fc]] += amount
            w["crm_weighted"] += amount * prob / 100
    got = {r["key"]: r for r in d["rows"]}
    assert set(got) == set(want) or d["row_count"] > len(d["rows"])
    for rep, r in got.items():
        for k in ("closed_won", "commit", "best_case", "pipeline", "crm_weighted"):
            assert r[k] == pytest.approx(want[rep][k]), (rep, k)
    target = rows(use_db, "SELECT sum(bookings_target) FROM targets WHERE quarter_start >= ? AND quarter_end <= ?",
                  list(Q4))[0][0]
    assert d["summary"]["target"] == pytest.approx(target)
    # the evidence-adjusted number of the biggest gap deal is the Deal agent's
    gap = d["summary"]["gap_deals"][0]
    assert gap["adjusted_probability"] == _adjusted(use_db, gap["opportunity_id"])
    assert gap["why"]


@pytest.mark.parametrize("text, analysis, focus", [
    ("what fell out of Q4?", "pipeline_changes", "slipped"),
    ("which deals were pulled into this quarter since Monday?", "pipeline_changes", "pulled_in"),
    ("what did we lose this week?", "pipeline_changes", "lost"),
    ("how did the forecast change this week?", "pipeline_changes", None),
    ("is Sarah Johnson's commit real?", "forecast_rollup", None),
])
def test_other_phrasings_route_the_same_way(capsys, use_db, text, analysis, focus):
    d = ask(capsys, text)["data"]
    assert d["analysis"] == analysis
    if analysis == "pipeline_changes":
        assert d["summary"]["focus"] == focus
    else:
        assert [f["value"] for f in d["question"]["filters"] if f["dimension"] == "owner"] == ["Sarah Johnson"]
        assert [r["key"] for r in d["rows"]] == ["Sarah Johnson"]


def test_other_questions_keep_their_analyses(capsys, use_db):
    """The new rules are specific: the slipped-deals, forecast and pipeline questions still go where they went."""
    for text, analysis in (("Which deals slipped this quarter?", "slipped_deals"),
                           ("Forecast vs target this quarter", "forecast_vs_target"),
                           ("Show pipeline by quarter and stage", "pipeline")):
        assert ask(capsys, text)["data"]["analysis"] == analysis, text


# ----------------------------------------------------------------------------------------------------------
# Reports
# ----------------------------------------------------------------------------------------------------------

def test_pipeline_changes_report_json_is_reproducible(capsys, use_db):
    a = run(capsys, "report", "pipeline-changes", "--since", "7d", "-f", "json", "--as-of", "2026-11-24")
    b = run(capsys, "report", "pipeline-changes", "--since", "7d", "-f", "json", "--as-of", "2026-11-24")
    assert a.code == b.code == 0 and a.out == b.out
    data = a.json()
    assert data["report"] == "pipeline-changes" and data["period"]["start"] == "2026-11-18"
    sec = {s["key"]: s for s in data["sections"]}
    assert set(sec) == {"changes", "by-rep", "by-team", "by-segment", "by-category"}
    want = replay(use_db, date(2026, 11, 18), AS_OF)
    fig = sec["changes"]["figures"]
    assert fig["pipeline_after"] - fig["pipeline_before"] == pytest.approx(
        want["totals"]["pipeline_after"] - want["totals"]["pipeline_before"])
    assert sum(fig["bridge"].values()) == pytest.approx(fig["pipeline_change"])
    assert sec["changes"]["chart"]["name"] == "pipeline-bridge"
    assert sum(r["pipeline_change"] for r in sec["by-rep"]["rows"]) == pytest.approx(fig["pipeline_change"])
    assert sum(r["deals"] for r in sec["by-team"]["rows"]) == fig["changed_deals"]


def test_pipeline_changes_since_moves_the_window(capsys, use_db):
    r = run(capsys, "report", "pipeline-changes", "--since", "2w", "-f", "json")
    assert r.code == 0
    assert r.json()["period"]["start"] == "2026-11-11"
    bad = run(capsys, "report", "pipeline-changes", "--since", "soon")
    assert bad.code == 2 and "--since" in bad.err and bad.out == ""
    other = run(capsys, "report", "churn", "--since", "7d")
    assert other.code == 2 and "no option --since" in other.err


def test_forecast_rollup_report_html_and_json(capsys, use_db, tmp_path):
    out = tmp_path / "rollup.html"
    r = run(capsys, "report", "forecast-rollup", "--out", str(out), "--quiet")
    assert (r.code, r.out, r.err) == (0, "", "")
    html = out.read_text()
    assert html.count('<img src="data:image/png;base64,') >= 3
    j = run(capsys, "report", "forecast-rollup", "-f", "json")
    sec = {s["key"]: s for s in j.json()["sections"]}
    teams = {r["key"]: r for r in sec["teams"]["rows"]}
    targets = dict(rows(use_db, "SELECT segment, sum(bookings_target) FROM targets WHERE quarter_start >= ? "
                                "AND quarter_end <= ? GROUP BY 1", list(Q4)))
    for team, t in teams.items():
        if team in targets:
            assert t["target"] == pytest.approx(targets[team])
    assert teams["Total"]["target"] == pytest.approx(sum(targets.values()))
    assert all(r["gap"] != 0 for r in sec["gap"]["rows"])
    assert [r["gap"] for r in sec["gap"]["rows"]] == sorted(r["gap"] for r in sec["gap"]["rows"])
