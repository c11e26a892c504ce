"""Pipeline changes between two dates (issue 18, part 1): every deal's kinds of change, the period's pipeline
and commit at both dates, the bridge and the roll-ups - recomputed here by replaying the raw stage and
close-date history row by row in Python, on both seeds."""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import AS_OF  # noqa: E402

PERIOD = (date(2026, 10, 1), date(2026, 12, 31))
WINDOWS = [(AS_OF - timedelta(days=6), AS_OF), (AS_OF - timedelta(days=20), AS_OF - timedelta(days=7))]


def replay(db: Path, start: date, end: date) -> dict:
    """The expected changes, from the raw tables: state = the last history row on or before a day."""
    con = duckdb.connect(str(db), read_only=True)
    opps = {r[0]: r for r in con.execute(
        "SELECT o.opportunity_id, o.stage, o.forecast_category, o.created_date, o.owner_id, o.is_closed, "
        "o.amount, o.close_date FROM opportunities o").fetchall()}
    hist = defaultdict(list)
    for oid, at, fs, ts, old, new, amount in con.execute(
            "SELECT opportunity_id, changed_at, from_stage, to_stage, old_close_date, new_close_date, amount "
            "FROM opportunity_stage_history ORDER BY opportunity_id, changed_at").fetchall():
        hist[oid].append((at, fs, ts, old, new, amount))
    probs = dict(con.execute("SELECT stage, avg(probability) FROM opportunities GROUP BY 1").fetchall())
    modal = {}
    for stage, fc, n in con.execute("SELECT stage, forecast_category, count(*) FROM opportunities "
                                    "WHERE NOT is_closed AND forecast_category IS NOT NULL GROUP BY 1, 2 "
                                    "ORDER BY 3 DESC, 2").fetchall():
        modal.setdefault(stage, fc)
    con.close()
    closed = {"Closed Won", "Closed Lost"}
    kinds: set[tuple[str, str]] = set()
    totals = Counter()
    for oid, (_, stage_now, fc_now, created, owner, _, amount_now, close_now) in opps.items():
        if created > end:
            continue
        rows = hist[oid]

        def at(day):
            last = [r for r in rows if r[0].date() <= day]
            if not last:
                return stage_now, close_now, amount_now
            return last[-1][2], last[-1][4], last[-1][5]

        s0, c0, a0 = at(start - timedelta(days=1))
        s1, c1, a1 = at(end)
        existed = created < start or any(r[0].date() < start for r in rows)
        fc0 = fc_now if s0 == stage_now else modal.get(s0, fc_now)
        fc1 = fc_now if s1 == stage_now else modal.get(s1, fc_now)
        p0 = a0 if existed and s0 not in closed and PERIOD[0] <= c0 <= PERIOD[1] else 0.0
        p1 = a1 if s1 not in closed and PERIOD[0] <= c1 <= PERIOD[1] else 0.0
        totals["pipeline_before"] += p0
        totals["pipeline_after"] += p1
        totals["commit_before"] += p0 if fc0 == "Commit" else 0.0
        totals["commit_after"] += p1 if fc1 == "Commit" else 0.0
        if not existed:
            kinds.add((oid, "new"))
        if s1 in closed and (s0 not in closed or not existed):
            kinds.add((oid, "won" if s1 == "Closed Won" else "lost"))
        if existed and s1 not in closed:
            if s0 not in closed and PERIOD[0] <= c0 <= PERIOD[1] and c1 > PERIOD[1]:
                kinds.add((oid, "slipped"))
            if c1 > c0:
                kinds.add((oid, "pushed"))
            if c1 < c0:
                kinds.add((oid, "pulled_in"))
            if a1 > a0:
                kinds.add((oid, "amount_up"))
            if a1 < a0:
                kinds.add((oid, "amount_down"))
            if s0 != s1 and s0 not in closed:
                kinds.add((oid, "stage_back" if probs[s1] < probs[s0] else "stage_forward"))
    return {"kinds": kinds, "totals": totals}


def compute(settings, start, end):
    from revops_cli.pipeline_changes import compute_pipeline_changes
    from revops_cli.warehouse.connect import open_warehouse

    w = open_warehouse(settings, quiet=True)
    try:
        return compute_pipeline_changes(w, settings, start=start, end=end, period_start=PERIOD[0],
                                        period_end=PERIOD[1])
    finally:
        w.close()


@pytest.mark.parametrize("window", WINDOWS, ids=["last-7-days", "the-two-weeks-before"])
def test_changes_match_a_replay_of_the_history(demo_db, settings_for, window):
    start, end = window
    ch = compute(settings_for(demo_db), start, end)
    want = replay(demo_db, start, end)
    got = {(d.opportunity_id, k) for d in ch.deals for k in d.kinds}
    assert got == want["kinds"]
    t = want["totals"]
    assert ch.pipeline_before == pytest.approx(t["pipeline_before"])
    assert ch.pipeline_after == pytest.approx(t["pipeline_after"])
    assert ch.commit_before == pytest.approx(t["commit_before"])
    assert ch.commit_after == pytest.approx(t["commit_after"])
    # the bridge explains the net change exactly, and each roll-up adds up to the whole
    assert sum(v for _, v in ch.bridge()) == pytest.approx(ch.pipeline_change)
    for by in ("owner", "team", "segment", "forecast_category"):
        groups = ch.rollup(by)
        assert sum(g.pipeline_change for g in groups) == pytest.approx(ch.pipeline_change)
        assert sum(g.commit_change for g in groups) == pytest.approx(ch.commit_change)
        assert sum(g.deals for g in groups) == len(ch.deals)


def test_the_demo_week_has_every_kind_of_movement(demo_db, settings_for):
    """The demo data moves like a real pipeline over two weeks: something of every kind happens."""
    ch = compute(settings_for(demo_db), AS_OF - timedelta(days=14), AS_OF)
    counts = ch.counts()
    for kind in ("new", "slipped", "pushed", "pulled_in", "amount_up", "amount_down", "stage_forward",
                 "stage_back"):
        assert counts[kind] >= 1, (kind, counts)
    pushed = ch.of_kind("pushed")[0]
    assert pushed.days_moved == (pushed.close_date_after - pushed.close_date_before).days > 0
    pulled = ch.of_kind("pulled_in")[0]
    assert pulled.days_moved < 0


def test_a_window_without_changes_keeps_the_levels(demo_db, settings_for):
    far = date(2020, 1, 6)
    ch = compute(settings_for(demo_db), far, far)
    assert ch.deals == []
    assert ch.pipeline_change == 0 and ch.commit_change == 0
