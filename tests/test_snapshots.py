"""`revops snapshot` and pipeline changes on a warehouse without stage history (issue 18, part 1): the model
says the history is missing, two daily snapshots are compared instead, and the changes a user made to the
warehouse between them come back - with the commit and pipeline levels recomputed here from the tables."""

from __future__ import annotations

import shutil
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cli import run  # noqa: E402

Q4 = ("2026-10-01", "2026-12-31")


def _levels(db: Path) -> tuple[float, float]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("""
            SELECT sum(amount), sum(CASE WHEN forecast_category = 'Commit' THEN amount ELSE 0 END)
            FROM opportunities WHERE NOT is_closed AND close_date BETWEEN ? AND ?""", list(Q4)).fetchone()
    finally:
        con.close()


@pytest.fixture
def no_history(demo_db, tmp_path, monkeypatch):
    """A copy of the demo warehouse whose model declares the stage history missing."""
    db = tmp_path / "nohist.duckdb"
    shutil.copy(demo_db, db)
    model = tmp_path / "model"
    model.mkdir()
    (model / "history.yaml").write_text(
        "entities:\n  opportunity_stage_history:\n    missing: \"this CRM export keeps no history\"\n")
    monkeypatch.setenv("REVOPS_DUCKDB_PATH", str(db))
    return db


def test_snapshot_is_quiet_in_cron_and_listed(capsys, no_history):
    r = run(capsys, "snapshot", "--as-of", "2026-11-17")
    assert (r.code, r.out, r.err) == (0, "", "")
    assert run(capsys, "snapshot").code == 0
    listed = run(capsys, "snapshot", "--list")
    assert listed.out.split() == ["2026-11-17", "2026-11-24"]


def test_changes_without_history_come_from_snapshots(capsys, no_history):
    assert run(capsys, "snapshot", "--as-of", "2026-11-17").code == 0
    pipeline_before, commit_before = _levels(no_history)
    con = duckdb.connect(str(no_history))
    try:
        deals = con.execute("""
            SELECT opportunity_id FROM opportunities
            WHERE NOT is_closed AND close_date BETWEEN ? AND ? AND forecast_category = 'Commit'
            ORDER BY opportunity_id LIMIT 3""", list(Q4)).fetchall()
        slip, grow, win = (d[0] for d in deals)
        con.execute("UPDATE opportunities SET close_date = DATE '2027-02-15' WHERE opportunity_id = ?", [slip])
        con.execute("UPDATE opportunities SET amount = amount + 50000 WHERE opportunity_id = ?", [grow])
        con.execute("UPDATE opportunities SET is_closed = TRUE, is_won = TRUE, stage = 'Closed Won', "
                    "forecast_category = 'Closed', probability = 100 WHERE opportunity_id = ?", [win])
        con.execute("""INSERT INTO opportunities (opportunity_id, name, account_id, type, stage, amount, probability,
                         forecast_category, close_date, created_date, owner_id, is_closed, is_won)
                       SELECT 'OPP-9999999', 'Brand New Deal', account_id, 'New Business', 'Discovery', 42000, 10,
                              'Pipeline', DATE '2026-12-20', DATE '2026-11-20', owner_id, FALSE, FALSE
                       FROM opportunities WHERE opportunity_id = ?""", [slip])
    finally:
        con.close()
    pipeline_after, commit_after = _levels(no_history)

    r = run(capsys, "ask", "what changed in the pipeline since 2026-11-18?", "-f", "json")
    assert r.code == 0, r.err
    d = r.json()["data"]
    s = d["summary"]
    assert d["analysis"] == "pipeline_changes" and s["source"] == "snapshots"
    kinds = {row["opportunity_id"]: set(row["kinds"]) for row in d["rows"]}
    assert kinds == {slip: {"slipped", "pushed"}, grow: {"amount_up"}, win: {"won"}, "OPP-9999999": {"new"}}
    assert s["pipeline_before"] == pytest.approx(pipeline_before)
    assert s["pipeline_after"] == pytest.approx(pipeline_after)
    assert s["commit_before"] == pytest.approx(commit_before)
    assert s["commit_after"] == pytest.approx(commit_after)
    assert sum(s["bridge"].values()) == pytest.approx(pipeline_after - pipeline_before)
    assert "snapshots of 2026-11-17 and 2026-11-24" in r.json()["answer"]


def test_without_history_or_snapshot_it_says_what_to_do(capsys, no_history):
    r = run(capsys, "ask", "what changed in the pipeline since last Monday?", "-f", "json")
    assert r.code == 0
    a = r.json()
    assert a["data"]["summary"]["changed_deals"] is None
    assert "revops snapshot" in a["answer"] and "$0" not in a["answer"]
    assert date.fromisoformat(a["data"]["period"]["start"]) == date(2026, 11, 16)
