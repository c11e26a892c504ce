"""`revops alerts run` (issue 18, part 4): alert rules in YAML over hygiene and measures, each firing delivered
once per change - run twice, one delivery - to a signed webhook (verified with the reference `standardwebhooks`
library on a local HTTP server) or Slack (the Slack Web API fake at the wire); the state in SQLite; the JSON
log; --dry-run; --quiet; a failed delivery retried by the next run; file mistakes named by file:line."""

from __future__ import annotations

import base64
import json
import sqlite3
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cli import run  # noqa: E402
from conftest import AS_OF  # noqa: E402
from fakes.slack_api import SlackAPIFake  # noqa: E402
from fakes.webhook_receiver import WebhookReceiver  # noqa: E402

standardwebhooks = pytest.importorskip("standardwebhooks")

SECRET = "whsec_" + base64.b64encode(b"alert-test-secret-bytes!").decode()
TOKEN = "xoxb-alerts-000000000000-abcdefabcdef"
QUIET_PACKAGE = "  commit_drop: {enabled: false}\n  big_negotiate_idle: {enabled: false}\n"


def _sql(db: Path, query: str, *params):
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(query, list(params)).fetchall()
    finally:
        con.close()


def idle_deals(db: Path, days: int, as_of: date = AS_OF, stage: str | None = None, min_amount: float = 0) -> set[str]:
    extra = " AND stage = ?" if stage else ""
    return {r[0] for r in _sql(db, "SELECT opportunity_id FROM opportunities WHERE NOT is_closed AND amount >= ? "
                                   "AND (last_activity_date IS NULL OR last_activity_date < ?)" + extra,
                               min_amount, as_of - timedelta(days=days), *([stage] if stage else []))}


def configure(url: str | None = None, *, alerts: str, slack_url: str | None = None) -> None:
    conf: dict = {"webhooks": {"allow_hosts": ["127.0.0.1"], "attempts": 1, "backoff_s": [0],
                               "endpoints": {"hook": {"url": url or "http://127.0.0.1:9/none", "secret": SECRET}}}}
    if slack_url:
        conf["slack"] = {"bot_token": TOKEN, "api_url": slack_url}
    Path("revops.yaml").write_text(json.dumps(conf))
    Path("alerts.yaml").write_text("alerts:\n" + QUIET_PACKAGE + alerts)


@pytest.fixture
def db(demo_db, monkeypatch):
    monkeypatch.setenv("REVOPS_DUCKDB_PATH", str(demo_db))
    return demo_db


def verified(hit) -> dict:
    """The body of one delivery, verified by the reference Standard Webhooks library."""
    return standardwebhooks.Webhook(SECRET).verify(hit.body, hit.headers)


def test_run_twice_one_signed_delivery_per_firing(capsys, db):
    expected = idle_deals(db, 30)
    assert expected, "the demo has idle deals"
    with WebhookReceiver() as rx:
        configure(rx.url, alerts="  idle:\n    check: no_activity\n    days: 30\n    to: [webhook:hook]\n")
        first = run(capsys, "alerts", "run", "--quiet")
        assert (first.code, first.out, first.err) == (0, "", "")
        second = run(capsys, "alerts", "run", "--quiet")
        assert (second.code, second.out, second.err) == (0, "", "")
        assert len(rx.requests) == len(expected)
        bodies = [verified(h) for h in rx.requests]
    assert {b["data"]["deal"]["opportunity_id"] for b in bodies} == expected
    assert all(b["type"] == "revops.alert" and b["alert"] == "idle" and b["as_of"] == AS_OF.isoformat()
               for b in bodies)
    ids = [h.headers["webhook-id"] for h in rx.requests]
    assert len(set(ids)) == len(ids) and ids == [b["firing_id"] for b in bodies]


def test_slack_delivery_once_at_the_wire(capsys, db):
    expected = idle_deals(db, 14, stage="Negotiate")
    with SlackAPIFake(token=TOKEN) as slack:
        configure(alerts="  negotiate_idle:\n    title: Negotiate deal idle {days} days\n    check: no_activity\n"
                         "    days: 14\n    stages: [Negotiate]\n    to: ['slack:C0ALERTS']\n", slack_url=slack.base_url)
        assert run(capsys, "alerts", "run", "-q").code == 0
        assert run(capsys, "alerts", "run", "-q").code == 0
        posts = slack.calls_to("chat.postMessage")
    assert len(posts) == len(expected)
    names = {r[0] for r in _sql(db, "SELECT name FROM opportunities WHERE opportunity_id IN (SELECT unnest(?))",
                                list(expected))} if expected else set()
    for p in posts:
        assert p.args["channel"] == "C0ALERTS"
        assert p.args["text"].startswith("Negotiate deal idle 14 days: ")
    assert {next(n for n in names if n.replace("&", "&amp;") in p.args["text"]) for p in posts} == names


def test_a_cleared_firing_that_holds_again_is_delivered_again(capsys, db):
    at30, at60 = idle_deals(db, 30), idle_deals(db, 60)
    with WebhookReceiver() as rx:
        configure(rx.url, alerts="  idle:\n    check: no_activity\n    days: 30\n    to: [webhook:hook]\n")
        assert run(capsys, "alerts", "run", "-q").code == 0
        configure(rx.url, alerts="  idle:\n    check: no_activity\n    days: 60\n    to: [webhook:hook]\n")
        r = run(capsys, "alerts", "run", "-f", "json")
        assert r.code == 0
        assert {c["subject"] for c in r.json()["cleared"]} == {f"deal:{i}" for i in at30 - at60}
        configure(rx.url, alerts="  idle:\n    check: no_activity\n    days: 30\n    to: [webhook:hook]\n")
        assert run(capsys, "alerts", "run", "-q").code == 0
        assert len(rx.requests) == len(at30) + len(at30 - at60)


def test_a_failed_delivery_exits_7_and_the_next_run_delivers_it(capsys, db):
    expected = idle_deals(db, 30)
    with WebhookReceiver() as rx:
        configure(rx.url, alerts="  idle:\n    check: no_activity\n    days: 30\n    to: [webhook:hook]\n")
        rx.respond_with(503)
        r = run(capsys, "alerts", "run", "--quiet")
        assert r.code == 7
        assert "webhook:hook" in r.err and SECRET not in r.err and rx.url not in r.err
        rx.respond_with(200)
        assert run(capsys, "alerts", "run", "--quiet").code == 0
        assert run(capsys, "alerts", "run", "--quiet").code == 0
        ok = [h for h in rx.requests if h.status == 200]
    assert len(ok) == len(expected)
    assert len({h.headers["webhook-id"] for h in rx.requests}) == len(expected), "a retry keeps its webhook-id"


def test_dry_run_sends_and_remembers_nothing(capsys, db, revops_home):
    expected = idle_deals(db, 30)
    with WebhookReceiver() as rx:
        configure(rx.url, alerts="  idle:\n    check: no_activity\n    days: 30\n    to: [webhook:hook]\n")
        r = run(capsys, "alerts", "run", "--dry-run", "-f", "json")
        assert r.code == 0 and not rx.requests
    data = r.json()
    assert data["dry_run"] is True and len(data["fired"]) == len(expected)
    assert not (revops_home / "alerts.db").exists() and not (revops_home / "alerts.jsonl").exists()
    text = run(capsys, "alerts", "run", "--dry-run")
    assert text.out.startswith(f"dry run: would fire {len(expected)} new")


def test_json_log_of_each_run_without_secrets(capsys, db, revops_home):
    expected = idle_deals(db, 30)
    with WebhookReceiver() as rx:
        configure(rx.url, alerts="  idle:\n    check: no_activity\n    days: 30\n    to: [webhook:hook]\n")
        run(capsys, "alerts", "run", "-q")
        run(capsys, "alerts", "run", "-q")
        url = rx.url
    log = revops_home / "alerts.jsonl"
    assert oct(log.stat().st_mode & 0o777) == "0o600"
    text = log.read_text()
    assert SECRET not in text and url not in text and "127.0.0.1" not in text
    runs = [json.loads(line) for line in text.splitlines()]
    assert [len(r["fired"]) for r in runs] == [len(expected), 0]
    assert runs[1]["still_firing"] == len(expected)
    assert {d["target"] for d in runs[0]["deliveries"]} == {"webhook:hook"}
    state = sqlite3.connect(revops_home / "alerts.db")
    assert state.execute("PRAGMA user_version").fetchone()[0] >= 1
    assert state.execute("SELECT count(*) FROM deliveries WHERE status = 'delivered'").fetchone()[0] == len(expected)
    assert SECRET not in " ".join(str(r) for r in state.execute("SELECT * FROM firings").fetchall())


def test_alerts_without_destination_are_logged_only(capsys, db):
    configure(alerts="  idle:\n    check: no_activity\n    days: 30\n")
    r = run(capsys, "alerts", "run", "-f", "json")
    assert r.code == 0 and r.json()["deliveries"] == [] and len(r.json()["fired"]) == len(idle_deals(db, 30))


def test_a_hygiene_rule_by_name(capsys, db):
    Path("hygiene.yaml").write_text("rules:\n  no_activity: {days: 40}\n")
    configure(alerts="  stale:\n    rule: no_activity\n")
    r = run(capsys, "alerts", "run", "--dry-run", "-f", "json")
    assert r.code == 0 and len(r.json()["fired"]) == len(idle_deals(db, 40))


@pytest.mark.parametrize("text,message", [
    ("  idle:\n    check: no_activty\n", "alerts.yaml:5: unknown check 'no_activty' in alert idle"),
    ("  idle:\n    chek: no_activity\n", "alerts.yaml:5: unknown key 'chek' in alert idle"),
    ("  drop:\n    measure: commits\n", "alerts.yaml:5: measure of alert drop must be one of"),
    ("  drop:\n    measure: commit\n    change: down\n", "alert drop says change: down but not by how much"),
    ("  idle:\n    rule: no_such_rule\n", "names hygiene rule 'no_such_rule'"),
    ("  idle:\n    check: no_activity\n    to: [email:me]\n", "'email:me' in alert idle is not a destination"),
])
def test_alert_file_mistakes_are_config_errors(capsys, db, text, message):
    configure(alerts=text)
    r = run(capsys, "alerts", "run")
    assert r.code == 3, (r.code, r.err)
    assert message in r.err and "Traceback" not in r.err


def test_unknown_endpoint_fails_before_evaluating(capsys, db):
    configure(alerts="  idle:\n    check: no_activity\n    to: [webhook:nope]\n")
    r = run(capsys, "alerts", "run")
    assert r.code == 2 and "unknown webhook endpoint 'nope'" in r.err


def test_list_shows_the_alerts_in_force(capsys, db):
    configure(alerts="  idle:\n    check: no_activity\n    days: 30\n    to: [webhook:hook]\n")
    data = run(capsys, "alerts", "list", "-f", "json").json()
    assert [a["name"] for a in data["alerts"]] == ["idle"]
    assert data["alerts"][0]["to"] == ["webhook:hook"]


# ----------------------------------------------------------------------------------------------------------
# Measure alerts: the quarter's commit / pipeline against N days ago (the pipeline changes of part 1)
# ----------------------------------------------------------------------------------------------------------

def _changes(db: Path, since: int = 7):
    from revops_cli import service
    from revops_cli.pipeline_changes import compute_pipeline_changes
    from revops_cli.config import load_settings
    from revops_cli.warehouse.connect import open_warehouse

    settings = load_settings()
    q = service.calendar(AS_OF, 1)["quarter"]
    w = open_warehouse(settings, quiet=True)
    try:
        return compute_pipeline_changes(w, settings, start=AS_OF - timedelta(days=since - 1), end=AS_OF,
                                        period_start=q.start, period_end=q.end)
    finally:
        w.close()


def test_measure_alert_fires_once_with_the_numbers_of_the_changes(capsys, db):
    ch = _changes(db)
    assert ch.pipeline_before != ch.pipeline_after, "the demo pipeline moved this week"
    with WebhookReceiver() as rx:
        configure(rx.url, alerts="  pipeline_moved:\n    title: Pipeline moved more than {by_pct}%\n"
                                 "    measure: pipeline\n    change: any\n    by_pct: 0\n    to: [webhook:hook]\n")
        assert run(capsys, "alerts", "run", "-q").code == 0
        assert run(capsys, "alerts", "run", "-q").code == 0
        assert len(rx.requests) == 1
        body = verified(rx.requests[0])
    assert body["subject"] == "all" and body["title"] == "Pipeline moved more than 0%"
    assert body["data"]["before"] == pytest.approx(ch.pipeline_before)
    assert body["data"]["after"] == pytest.approx(ch.pipeline_after)
    assert body["data"]["since"] == (AS_OF - timedelta(days=7)).isoformat()


@pytest.mark.parametrize("pct", [1, 10, 50])
def test_commit_drop_fires_exactly_when_commit_fell_by_more_than_the_percent(capsys, db, pct):
    ch = _changes(db)
    configure(alerts=f"  drop:\n    measure: commit\n    change: down\n    by_pct: {pct}\n")
    r = run(capsys, "alerts", "run", "--dry-run", "-f", "json")
    assert r.code == 0
    fell = ch.commit_before > 0 and 100 * (ch.commit_before - ch.commit_after) / ch.commit_before > pct
    assert len(r.json()["fired"]) == (1 if fell else 0)


def test_per_owner_commit_alert_matches_each_reps_numbers(capsys, db):
    ch = _changes(db)
    configure(alerts="  rep_commit:\n    measure: commit\n    per: owner\n    change: any\n    by_pct: 0\n")
    r = run(capsys, "alerts", "run", "--dry-run", "-f", "json")
    fired = {f["subject"]: f["data"] for f in r.json()["fired"]}
    expected = {f"owner:{o}": lv for o, lv in ch.owner_levels.items()
                if lv["commit_before"] and lv["commit_after"] != lv["commit_before"]}
    assert set(fired) == set(expected)
    for subject, lv in expected.items():
        assert fired[subject]["before"] == pytest.approx(lv["commit_before"])
        assert fired[subject]["after"] == pytest.approx(lv["commit_after"])


def test_pipeline_floor(capsys, db):
    ch = _changes(db)
    configure(alerts=f"  floor:\n    measure: pipeline\n    below: {int(ch.pipeline_after) + 1}\n")
    assert len(run(capsys, "alerts", "run", "--dry-run", "-f", "json").json()["fired"]) == 1
    configure(alerts=f"  floor:\n    measure: pipeline\n    below: {int(ch.pipeline_after) - 1}\n")
    assert run(capsys, "alerts", "run", "--dry-run", "-f", "json").json()["fired"] == []
