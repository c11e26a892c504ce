"""Pipeline hygiene (issue 18, part 3): the rules in YAML (package < home < ./, file:line errors), evaluated per
open deal with its owner, `revops report hygiene` (numbers recomputed here in plain SQL on both seeds,
reproducible with --as-of), and the questions ("deals with no next step", "hygiene issues for Marcus Reed",
"which of my deals break hygiene?")."""

from __future__ import annotations

import json
import os
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cli import run  # noqa: E402
from conftest import AS_OF  # noqa: E402

STAGES = ["Discovery", "Qualification", "Technical Validation", "Business Justification", "Negotiate", "Closed Won"]
LATE = {"Business Justification", "Negotiate"}


def _sql(db: Path, query: str, *params):
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(query, list(params)).fetchall()
    finally:
        con.close()


def expected_by_rule(db: Path, as_of: date = AS_OF, *, idle_days: int = 21, owner_id: str | None = None
                     ) -> dict[str, set[str]]:
    """The open deals breaking each shipped rule, computed here from the raw tables."""
    owner = "AND o.owner_id = ?" if owner_id else ""
    args = [owner_id] if owner_id else []
    open_deals = f"FROM opportunities o WHERE NOT o.is_closed {owner}"
    ids = lambda q, *p: {r[0] for r in _sql(db, q, *p)}  # noqa: E731
    out = {
        "close_date_past": ids(f"SELECT o.opportunity_id {open_deals} AND o.close_date < ?", *args, as_of),
        "no_next_step": ids(f"SELECT o.opportunity_id {open_deals} AND (o.next_step IS NULL OR "
                            "lower(trim(o.next_step)) IN ('', '-', 'tbd', 'n/a', 'na', 'none', '?'))", *args),
        "no_activity": ids(f"SELECT o.opportunity_id {open_deals} AND (o.last_activity_date IS NULL OR "
                           "o.last_activity_date < ?)", *args, as_of - timedelta(days=idle_days)),
        "late_stage_no_economic_buyer": ids(
            f"SELECT o.opportunity_id {open_deals} AND o.stage IN ('Business Justification', 'Negotiate') AND "
            "coalesce(o.economic_buyer_status, 'Unknown') NOT IN ('Validated', 'Leveraged')", *args),
        "pushed_repeatedly": ids(
            f"SELECT o.opportunity_id {open_deals} AND (SELECT count(*) FROM opportunity_stage_history h "
            "WHERE h.opportunity_id = o.opportunity_id AND h.new_close_date > h.old_close_date "
            "AND CAST(h.changed_at AS DATE) <= ?) >= 3", *args, as_of),
    }
    # stage skips and late amount changes, from the history rows in Python
    history: dict[str, list[tuple]] = {}
    for oid, at, frm, to, amount in _sql(db, f"""
            SELECT h.opportunity_id, h.changed_at, h.from_stage, h.to_stage, h.amount
            FROM opportunity_stage_history h JOIN opportunities o ON o.opportunity_id = h.opportunity_id
            WHERE NOT o.is_closed {owner} AND CAST(h.changed_at AS DATE) <= ? ORDER BY h.changed_at""", *args, as_of):
        history.setdefault(oid, []).append((at, frm, to, amount))
    skipped, amount_late = set(), set()
    for oid, rows in history.items():
        for at, frm, to, _ in rows:
            if frm in STAGES and to in STAGES and STAGES.index(to) - STAGES.index(frm) > 1:
                skipped.add(oid)
        changes = [(rows[i][0], rows[i][2], rows[i - 1][3], rows[i][3]) for i in range(1, len(rows))
                   if rows[i][3] is not None and rows[i - 1][3] is not None and rows[i][3] != rows[i - 1][3]]
        if changes:
            at, stage, before, after = changes[-1]
            if stage in LATE and (as_of - at.date()).days <= 30 and before and abs(after - before) / before >= 0.10:
                amount_late.add(oid)
    out["stage_skipped"], out["amount_changed_late"] = skipped, amount_late
    return out


def _settings(home: Path, db: Path):
    from revops_cli.config import load_settings

    with pytest.MonkeyPatch.context() as mp:
        for var in list(os.environ):
            if var.startswith("REVOPS_"):
                mp.delenv(var)
        mp.setenv("REVOPS_HOME", str(home))
        mp.setenv("REVOPS_DUCKDB_PATH", str(db))
        mp.setenv("REVOPS_AS_OF", AS_OF.isoformat())
        return load_settings()


@pytest.fixture(scope="module")
def report(demo_db, tmp_path_factory):
    from revops_cli.reports import run_report
    from revops_cli.reports.builtin import BUILTIN

    settings = _settings(tmp_path_factory.mktemp("hyg-home"), demo_db)
    rep = run_report(BUILTIN["hygiene"], settings, log=None)
    assert rep.ok, rep.errors
    return rep


def _section(report, key):
    return next(s for s in report.sections if s.key == key)


# ----------------------------------------------------------------------------------------------------------
# The report's numbers, recomputed
# ----------------------------------------------------------------------------------------------------------

def test_report_counts_per_rule_recomputed(report, demo_db):
    expected = expected_by_rule(demo_db)
    rows = {r["rule"]: r for r in _section(report, "by-rule").rows}
    assert set(rows) == set(expected)
    for rule, ids in expected.items():
        assert rows[rule]["deal_count"] == len(ids), rule
    amounts = dict(_sql(demo_db, "SELECT opportunity_id, amount FROM opportunities WHERE NOT is_closed"))
    for rule, ids in expected.items():
        assert rows[rule]["amount"] == pytest.approx(sum(amounts[i] or 0 for i in ids)), rule
    # the demo has realistic hygiene problems: most rules catch at least one deal
    assert sum(1 for ids in expected.values() if ids) >= 4


def test_report_deals_and_owners_recomputed(report, demo_db):
    expected = expected_by_rule(demo_db)
    flagged = set().union(*expected.values())
    deals = _section(report, "deals")
    assert deals.figures["deal_count"] == len(flagged) == deals.row_count
    assert deals.figures["issue_count"] == sum(len(v) for v in expected.values())
    assert deals.figures["open_deal_count"] == _sql(demo_db, "SELECT count(*) FROM opportunities WHERE NOT is_closed")[0][0]
    shown = {r["opportunity_id"] for r in deals.rows}
    assert shown <= flagged and len(shown) == min(len(flagged), 50)
    for r in deals.rows:
        assert set(r["rules"]) == {k for k, ids in expected.items() if r["opportunity_id"] in ids}
    # per owner: issues recomputed
    owner_of = dict(_sql(demo_db, "SELECT o.opportunity_id, u.name FROM opportunities o "
                                  "LEFT JOIN users u ON u.user_id = o.owner_id WHERE NOT o.is_closed"))
    issues: dict[str, int] = {}
    for ids in expected.values():
        for i in ids:
            issues[owner_of[i]] = issues.get(owner_of[i], 0) + 1
    rows = {r["owner_name"]: r for r in _section(report, "by-owner").rows}
    assert {k: v["issue_count"] for k, v in rows.items()} == issues


def test_report_charts(report):
    assert [c.name for c in report.charts] == ["hygiene-by-rule", "hygiene-by-owner"]


def test_report_as_of_is_byte_for_byte_reproducible(capsys, demo_db, monkeypatch):
    monkeypatch.setenv("REVOPS_DUCKDB_PATH", str(demo_db))
    for fmt in ("json", "html"):
        a = run(capsys, "report", "hygiene", "-f", fmt, "--as-of", "2026-11-10")
        b = run(capsys, "report", "hygiene", "-f", fmt, "--as-of", "2026-11-10")
        assert a.code == b.code == 0 and a.out == b.out, fmt
    data = json.loads(a.out if fmt == "json" else run(capsys, "report", "hygiene", "-f", "json",
                                                      "--as-of", "2026-11-10").out)
    assert data["as_of"] == "2026-11-10"
    rows = {r["rule"]: r for r in data["sections"][0]["rows"]}
    expected = expected_by_rule(demo_db, date(2026, 11, 10))
    assert rows["close_date_past"]["deal_count"] == len(expected["close_date_past"])
    assert rows["pushed_repeatedly"]["deal_count"] == len(expected["pushed_repeatedly"])


# ----------------------------------------------------------------------------------------------------------
# The rule file
# ----------------------------------------------------------------------------------------------------------

def test_project_file_overrides_package_rules(demo_db, tmp_path, monkeypatch):
    from revops_cli.reports import run_report
    from revops_cli.reports.builtin import BUILTIN

    (tmp_path / "hygiene.yaml").write_text("rules:\n  no_activity: {days: 14}\n  stage_skipped: {enabled: false}\n"
                                           "  big_idle:\n    check: no_activity\n    title: Negotiate over $100K idle\n"
                                           "    days: 7\n    stages: [Negotiate]\n    min_amount: 100000\n")
    monkeypatch.chdir(tmp_path)
    settings = _settings(tmp_path / "home", demo_db)
    rep = run_report(BUILTIN["hygiene"], settings, log=None)
    rows = {r["rule"]: r for r in _section(rep, "by-rule").rows}
    assert "stage_skipped" not in rows
    assert rows["no_activity"]["title"] == "No activity in 14 days"
    assert rows["no_activity"]["deal_count"] == len(expected_by_rule(demo_db, idle_days=14)["no_activity"])
    big = _sql(demo_db, "SELECT count(*) FROM opportunities WHERE NOT is_closed AND stage = 'Negotiate' AND "
                        "amount >= 100000 AND (last_activity_date IS NULL OR last_activity_date < ?)",
               AS_OF - timedelta(days=7))[0][0]
    assert rows["big_idle"]["deal_count"] == big


@pytest.mark.parametrize("text,message", [
    ("rules:\n  no_activity:\n    dayz: 14\n", "hygiene.yaml:3: unknown key 'dayz' in rule no_activity"),
    ("rules:\n  mine:\n    check: no_actvity\n", "hygiene.yaml:3: unknown check 'no_actvity' in rule mine"),
    ("rules:\n  mine:\n    check: pushes\n    times: many\n", "hygiene.yaml:2: times must be a number"),
    ("rules:\n  no_next_step: {severity: urgent}\n", "hygiene.yaml:2: severity of rule no_next_step"),
    ("rules: [\n", "hygiene.yaml:2: not valid YAML"),
])
def test_rule_file_mistakes_name_file_and_line(capsys, demo_db, tmp_path, monkeypatch, text, message):
    monkeypatch.setenv("REVOPS_DUCKDB_PATH", str(demo_db))
    (tmp_path / "hygiene.yaml").write_text(text)
    monkeypatch.chdir(tmp_path)
    r = run(capsys, "report", "hygiene", "-f", "json")
    assert r.code == 3, r.err
    assert message in r.err
    assert "Traceback" not in r.err


# ----------------------------------------------------------------------------------------------------------
# Questions
# ----------------------------------------------------------------------------------------------------------

@pytest.fixture
def ask(demo_db, monkeypatch):
    monkeypatch.setenv("REVOPS_DUCKDB_PATH", str(demo_db))

    def go(text: str, user: str = "tester", **env: str):
        from revops_cli import service
        from revops_cli.config import load_settings
        from revops_cli.models import Request

        for k, v in env.items():
            monkeypatch.setenv(k, v)
        return service.ask(Request(text=text, user=user), load_settings())
    return go


@pytest.mark.parametrize("q,rule,days", [
    ("which deals have no next step?", "no_next_step", None),
    ("open deals missing a next step", "no_next_step", None),
    ("hygiene: deals with no activity in 30 days", "no_activity", 30),
    ("which opportunities break the hygiene rules by being idle for 45 days?", "no_activity", 45),
    ("hygiene: which deals are past their close date", "close_date_past", None),
    ("late stage deals without an economic buyer", "late_stage_no_economic_buyer", None),
])
def test_a_rule_question_answers_that_rule(ask, demo_db, q, rule, days):
    a = ask(q)
    assert a.ok, a.text
    assert a.data["analysis"] == "hygiene"
    expected = expected_by_rule(demo_db, idle_days=days or 21)[rule]
    assert a.data["summary"]["deal_count"] == len(expected)
    shown = {r["opportunity_id"] for r in a.data["rows"]}
    assert shown <= expected and len(shown) == min(len(expected), 50)
    assert a.data["summary"]["rules"] == [rule]
    assert a.data["interpretation"].endswith(f"{len(expected)} deal" + ("" if len(expected) == 1 else "s"))


def test_a_rule_that_is_also_a_deal_filter_goes_to_the_model_unless_hygiene_is_said(ask, demo_db):
    """'no activity in N days', 'overdue', 'pushed N times' are plain deal filters: asked plainly, the semantic
    model applies them with the question's own period and filters (tests/test_adhoc.py checks its numbers)."""
    for q in ("deals with no activity in the last 14 days", "which deals are past their close date",
              "deals pushed more than twice"):
        assert ask(q).data["analysis"] == "adhoc", q
    assert ask("which deals have no next step?").data["analysis"] == "hygiene"


def test_negotiate_deals_idle_with_a_filter(ask, demo_db):
    a = ask("hygiene check: deals stuck in negotiate with no activity in 30 days")
    assert a.ok and a.data["analysis"] == "hygiene"
    n = _sql(demo_db, "SELECT count(*) FROM opportunities WHERE NOT is_closed AND stage = 'Negotiate' "
                      "AND last_activity_date < ?", AS_OF - timedelta(days=30))[0][0]
    assert a.data["summary"]["deal_count"] == n
    assert "stage Negotiate" in a.data["interpretation"]


def test_pushed_more_than_twice(ask, demo_db):
    a = ask("hygiene: deals pushed more than twice")
    assert a.ok and a.data["analysis"] == "hygiene"
    assert a.data["summary"]["deal_count"] == len(expected_by_rule(demo_db)["pushed_repeatedly"])


def test_hygiene_issues_for_a_rep(ask, demo_db):
    uid = _sql(demo_db, "SELECT user_id FROM users WHERE name = 'Marcus Reed'")[0][0]
    a = ask("hygiene issues for Marcus Reed")
    assert a.ok and a.data["analysis"] == "hygiene", a.text
    expected = expected_by_rule(demo_db, owner_id=uid)
    flagged = set().union(*expected.values())
    assert a.data["summary"]["deal_count"] == len(flagged)
    assert {r["owner_name"] for r in a.data["rows"]} <= {"Marcus Reed"}


def test_my_deals_are_the_asking_reps(ask, demo_db):
    uid, email = _sql(demo_db, "SELECT user_id, email FROM users WHERE name = 'Marcus Reed'")[0]
    flagged = set().union(*expected_by_rule(demo_db, owner_id=uid).values())
    a = ask("which of my deals break hygiene?", user=email.split("@")[0])
    assert a.ok, a.text
    assert a.data["summary"]["deal_count"] == len(flagged) and a.data["summary"]["owner"] == "Marcus Reed"
    b = ask("which of my deals break hygiene?", user="someone", REVOPS_USER__REP=uid)
    assert b.ok and b.data["summary"]["deal_count"] == len(flagged)


def test_my_deals_from_an_unknown_user_get_no_number(ask):
    a = ask("which of my deals break hygiene?", user="nobody-here")
    assert not a.ok
    assert a.data["error"]["exit_code"] == 9
    assert "nobody-here" in a.data["error"]["message"] and "user.rep" in a.data["error"]["hint"]


def test_churn_words_are_not_hygiene(ask):
    a = ask("which customers are inactive?")
    assert a.data.get("analysis") != "hygiene"
