"""Finding 1 of issue 14: Slack Confirm ran a different action than the one shown.

User A asked for a note to the IXIS owner about the IXIS risks (a dry run with buttons); user B then asked
about another deal in the same thread; A's Confirm sent that other deal's risks to that other owner, because
Confirm planned the request again from the thread's latest state. A dry run now stores its actions and
Confirm runs exactly those, once, for the asker (or an approver) only, before they expire; the same rule for
the CLI (`revops execute --confirm act_…`) and the webhook API (`confirm_action_id`).

Who owns which deal is read from the warehouse here, independently of the agents."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from cli import run
from fakes.slack_api import SlackAPIFake
from fakes.webhook_receiver import WebhookReceiver
from revops_cli.actions.pending import PendingStore, payload_hash

pytest.importorskip("slack_bolt")
pytest.importorskip("fastapi")

from slack_events import WAIT, SlackThread, eventually  # noqa: E402

ALICE = "U0ALICE001"      # asks for the IXIS note
BOB = "U0BOB00002"        # asks about another deal in the same thread, and clicks Alice's button


def deals(db: Path) -> dict[str, dict[str, Any]]:
    """The IXIS deal (the one the answers name) and another open deal with another owner, with their owners."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        cols = "o.opportunity_id, o.name, o.owner_id, u.name AS owner, u.slack_user_id"
        join = "FROM opportunities o JOIN users u ON u.user_id = o.owner_id"
        ixis = con.execute(f"SELECT {cols} {join} WHERE o.name LIKE 'IXIS%' ORDER BY o.amount DESC LIMIT 1").fetchone()
        other = con.execute(
            f"SELECT {cols} {join} WHERE NOT o.is_closed AND o.name NOT LIKE 'IXIS%' AND o.owner_id <> ? "
            "AND u.slack_user_id IS NOT NULL AND (SELECT count(*) FROM opportunities x WHERE x.name = o.name) = 1 "
            "ORDER BY o.amount DESC LIMIT 1", [ixis[2]]).fetchone()
    finally:
        con.close()
    keys = ("opportunity_id", "name", "owner_id", "owner", "slack_user_id")
    return {"ixis": dict(zip(keys, ixis)), "other": dict(zip(keys, other))}


def stored(settings: Any, pid: str):
    with PendingStore.from_settings(settings) as store:
        return store.get(pid)


@pytest.fixture
def slack(settings_for, demo_db):
    stack: list[SlackThread] = []

    def make(**env: str) -> SlackThread:
        t = SlackThread.start(settings_for, demo_db, **env)
        stack.append(t)
        return t

    yield make
    for t in stack:
        t.close()


def ixis_dry_run(t: SlackThread) -> tuple[str, dict[str, Any], str]:
    """Alice asks about IXIS, then for a note to its owner: the thread, the message with buttons, its id."""
    thread = t.ask("what is the status of the IXIS deal?", user=ALICE)
    assert eventually(lambda: t.answers_in(thread) == 1)
    t.ask("send the deal owner a note about the risks", user=ALICE, thread_ts=thread)
    assert eventually(lambda: t.answers_in(thread) == 2)
    message, pid = t.buttons(thread)
    assert pid.startswith("act_")
    return thread, message, pid


# --------------------------------------------------------------------------------------------- Slack
def test_confirm_sends_exactly_the_ixis_note_shown_after_another_user_changed_the_thread(slack, demo_db):
    d = deals(demo_db)
    t = slack()
    thread, message, pid = ixis_dry_run(t)
    shown = stored(t.settings, pid)
    assert [a["kind"] for a in shown.actions] == ["slack"]
    assert shown.actions[0]["payload"]["channel"] == d["ixis"]["slack_user_id"]
    assert d["ixis"]["owner"] in shown.actions[0]["target"]
    assert t.posts_outside() == []                                   # a dry run sends nothing

    # Bob asks about another deal in the same thread: the thread's "current deal" is now his.
    t.ask(f"what is the status of the {d['other']['name']} deal?", user=BOB, thread_ts=thread)
    assert eventually(lambda: t.answers_in(thread) == 3)
    assert d["other"]["name"] in t.text_of(t.thread(thread)[-1])

    # Alice confirms her dry run: the IXIS note goes to the IXIS owner, byte for byte as shown.
    t.click("revops_confirm", pid, user=ALICE, message=message)
    assert eventually(lambda: len(t.posts_outside()) >= 1 and stored(t.settings, pid).status == "done")
    t.bot.close()
    sent = t.posts_outside()
    assert len(sent) == 1
    assert sent[0]["channel"] == d["ixis"]["slack_user_id"] != d["other"]["slack_user_id"]
    assert payload_hash({"channel": sent[0]["channel"], "text": sent[0]["text"]}) == shown.actions[0]["payload_hash"]
    assert d["ixis"]["name"] in sent[0]["text"] and d["other"]["name"] not in sent[0]["text"]

    # The thread shows what ran: the target and the text, and the dry run's id.
    confirmation = "\n".join(t.text_of(m) for m in t.thread(thread) if "action done" in t.text_of(m))
    assert pid in confirmation and d["ixis"]["owner"] in confirmation and d["other"]["name"] not in confirmation


def test_another_user_clicking_confirm_gets_an_ephemeral_refusal_and_nothing_is_sent(slack):
    t = slack()
    thread, message, pid = ixis_dry_run(t)
    t.click("revops_confirm", pid, user=BOB, message=message)
    assert t.fake.wait_for_calls("chat.postEphemeral", 1, WAIT)
    t.ask("confirm", user=BOB, thread_ts=thread)                     # nor by a reply in the thread
    assert t.fake.wait_for_calls("chat.postEphemeral", 2, WAIT)
    t.bot.close()
    refusals = t.fake.calls_to("chat.postEphemeral")
    assert {c.args["user"] for c in refusals} == {BOB}
    assert all(f"<@{ALICE}>" in c.args["text"] and "Nothing was run" in c.args["text"] for c in refusals)
    assert t.posts_outside() == []
    assert stored(t.settings, pid).status == "pending"


def test_an_approver_may_confirm_someone_elses_dry_run(slack, demo_db):
    t = slack(REVOPS_ACTIONS__APPROVERS=BOB)
    thread, message, pid = ixis_dry_run(t)
    t.click("revops_confirm", pid, user=BOB, message=message)
    assert eventually(lambda: stored(t.settings, pid).status == "done")
    t.bot.close()
    assert [p["channel"] for p in t.posts_outside()] == [deals(demo_db)["ixis"]["slack_user_id"]]
    assert stored(t.settings, pid).settled_by == f"slack:{BOB}"


def test_a_double_click_sends_once(slack):
    t = slack()
    thread, message, pid = ixis_dry_run(t)
    t.click("revops_confirm", pid, user=ALICE, message=message)
    t.click("revops_confirm", pid, user=ALICE, message=message)
    assert eventually(lambda: stored(t.settings, pid).status == "done")
    assert t.fake.wait_for_calls("chat.postEphemeral", 1, WAIT)
    t.bot.close()
    assert len(t.posts_outside()) == 1
    assert "already confirmed" in t.fake.calls_to("chat.postEphemeral")[0].args["text"]


def test_an_expired_dry_run_refuses_and_sends_nothing(slack):
    t = slack(REVOPS_ACTIONS__PENDING_TTL_SECONDS="0.000001")        # expired as soon as it is stored
    thread, message, pid = ixis_dry_run(t)
    t.click("revops_confirm", pid, user=ALICE, message=message)
    assert t.fake.wait_for_calls("chat.postEphemeral", 1, WAIT)
    t.bot.close()
    assert "expired" in t.fake.calls_to("chat.postEphemeral")[0].args["text"]
    assert t.posts_outside() == []
    assert stored(t.settings, pid).status == "pending"


# --------------------------------------------------------------------------------------------- service
def test_two_confirmations_at_once_run_the_action_once(settings_for, demo_db):
    from revops_cli import service
    from revops_cli.models import Request

    with SlackAPIFake("xoxb-test-token") as api:
        s = settings_for(demo_db, REVOPS_SLACK_BOT_TOKEN="xoxb-test-token", REVOPS_SLACK__API_URL=api.base_url)
        service.ask(Request(text="status of the IXIS deal", session_id="s1", user="alice"), s)
        dry = service.ask(Request(text="send the AE a note about the risks", agent="execution", session_id="s1",
                                  user="alice"), s)
        pid = dry.data["pending_action_id"]
        barrier = threading.Barrier(4)
        answers: list[Any] = []

        def confirm() -> None:
            barrier.wait()
            answers.append(service.ask(Request(text="confirm", confirm_action_id=pid, user="alice"), s))

        threads = [threading.Thread(target=confirm) for _ in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert len(api.calls_to("chat.postMessage")) == 1
    assert sorted(a.ok for a in answers) == [False, False, False, True]
    assert all("already ran" in a.error for a in answers if not a.ok)


# --------------------------------------------------------------------------------------------- CLI
def test_cli_confirms_by_id_exactly_what_the_dry_run_showed(capsys, settings_for, demo_db, monkeypatch):
    d = deals(demo_db)
    with SlackAPIFake("xoxb-test-token") as api:
        settings_for(demo_db, REVOPS_SLACK_BOT_TOKEN="xoxb-test-token", REVOPS_SLACK__API_URL=api.base_url,
                     USER="alice", LOGNAME="alice")
        assert run(capsys, "deal", "IXIS", "--session", "s1").code == 0
        r = run(capsys, "execute", "send the AE a note about the risks", "--session", "s1", "-f", "json")
        assert r.code == 0, r.err
        dry = r.json()
        pid, shown = dry["data"]["pending_action_id"], dry["pending_actions"][0]
        assert shown["payload_hash"] == payload_hash(shown["payload"]) and dry["data"]["pending_action_expires_at"]
        r = run(capsys, "execute", "send the AE a note about the risks", "--session", "s1")
        assert "revops execute --confirm act_" in r.out                 # the text output names the command
        # The session moves on to another deal before the confirmation.
        assert run(capsys, "deal", d["other"]["name"], "--session", "s1").code == 0

        # Someone else on this machine cannot confirm it.
        monkeypatch.setenv("USER", "mallory")
        monkeypatch.setenv("LOGNAME", "mallory")
        r = run(capsys, "execute", "--confirm", pid)
        assert r.code == 2 and "someone else" in r.err and api.calls_to("chat.postMessage") == []
        monkeypatch.setenv("USER", "alice")
        monkeypatch.setenv("LOGNAME", "alice")

        r = run(capsys, "execute", "--confirm", pid, "-f", "json")
        assert r.code == 0, r.err
        done = r.json()
        sent = [c.args for c in api.calls_to("chat.postMessage")]
        assert len(sent) == 1 and sent[0]["channel"] == d["ixis"]["slack_user_id"]
        assert {"channel": sent[0]["channel"], "text": sent[0]["text"]} == shown["payload"]
        assert done["data"]["confirmed_action_id"] == pid
        assert [(a["target"], a["payload"], a["payload_hash"], a["status"]) for a in done["data"]["actions"]] == \
            [(shown["target"], shown["payload"], shown["payload_hash"], "done")]
        ran = [s for s in done["trace"] if s["name"] == "confirmed_action"]
        assert ran and ran[0]["params"]["payload_hash"] == shown["payload_hash"]

        again = run(capsys, "execute", pid, "--yes")                    # the other spelling: the same rule
        assert again.code == 2 and "already ran" in again.err
        again = run(capsys, "execute", "--confirm", pid)
        assert again.code == 2 and "already ran" in again.err and len(api.calls_to("chat.postMessage")) == 1
        unknown = run(capsys, "execute", "--confirm", "act_0000000000000000")
        assert unknown.code == 2 and len(unknown.err.splitlines()) <= 2 and "Traceback" not in unknown.err


def test_cli_refuses_an_expired_dry_run(capsys, settings_for, demo_db):
    settings = settings_for(demo_db)
    with PendingStore.from_settings(settings) as store:
        import getpass
        import time

        rec = store.add([{"kind": "crm_update", "target": "x", "payload": {"field": "stage"}}], channel="cli",
                        user=getpass.getuser(), session_id="s", request_id="r", text="t", ttl_s=60,
                        now=time.time() - 3600)
    r = run(capsys, "execute", "--confirm", rec.id)
    assert r.code == 2 and "expired" in r.err
    assert not (settings.home / "outbox.duckdb").exists()


def test_the_pending_action_store_is_private(settings_for, demo_db):
    settings = settings_for(demo_db)
    from revops_cli import service
    from revops_cli.models import Request

    service.ask(Request(text="update the IXIS deal stage to Closed Won", user="alice"), settings)
    path = settings.home / "actions.db"
    assert path.exists() and path.stat().st_mode & 0o777 == 0o600


# --------------------------------------------------------------------------------------------- webhook API
def test_webhook_confirm_by_id_reaches_the_receiver_exactly_once(settings_for, demo_db, tmp_path):
    from fastapi.testclient import TestClient

    from revops_cli.channels.webhook_server.api import create_app
    from revops_cli.channels.webhook_server.worker import run_worker

    with WebhookReceiver() as action_rx, WebhookReceiver() as answers_rx:
        (tmp_path / "revops.yaml").write_text(
            "webhooks:\n  allow_hosts: ['127.0.0.1']\n  endpoints:\n"
            f"    crm_alerts: {{url: '{action_rx.url}'}}\n")
        s = settings_for(demo_db, REVOPS_WEBHOOK_URL=answers_rx.url)
        app = create_app(s, start_workers=False)
        base = {"source_system": "crm_dashboard", "source_process": "deal_desk", "timestamp": "2026-11-24T10:00:00Z"}
        with TestClient(app) as client:
            def ask(**body: Any) -> dict[str, Any]:
                r = client.post("/webhook", json={**base, **body})
                assert r.status_code == 202, r.text
                run_worker(s, once=True, queue=app.state.queue)
                return client.get(f"/requests/{r.json()['tracking_id']}").json()["answer"]

            dry = ask(query="trigger the crm_alerts webhook for the IXIS deal", agent="execution")
            pid = dry["pending_action_id"]
            assert pid.startswith("act_") and action_rx.requests == []
            assert answers_rx.requests and answers_rx.requests[-1].json["ai_response"]["pending_action_id"] == pid
            shown = stored(s, pid).actions[0]

            # Another caller cannot confirm it.
            refused = ask(confirm_action_id=pid, source_system="someone_else")
            assert refused["ok"] is False and "someone else" in refused["error"] and action_rx.requests == []

            done = ask(confirm_action_id=pid)
            assert done["ok"] is True and len(action_rx.requests) == 1
            assert payload_hash(action_rx.requests[0].json) == shown["payload_hash"]

            again = ask(confirm_action_id=pid)
            assert again["ok"] is False and "already ran" in again["error"]
            assert len(action_rx.requests) == 1


def test_an_approver_entry_does_not_reach_across_channels(settings_for, demo_db):
    """A plain approver entry ("U0BOB00002") approves on the asker's channel only: a webhook caller who calls
    itself U0BOB00002 cannot confirm a Slack user's dry run."""
    from revops_cli import service
    from revops_cli.models import Request

    s = settings_for(demo_db, REVOPS_ACTIONS__APPROVERS=BOB)
    dry = service.ask(Request(text="update the IXIS deal stage to Closed Won", channel="slack", user=ALICE,
                              session_id="slack:C1:1.1"), s)
    pid = dry.data["pending_action_id"]
    for channel in ("webhook", "cli", "mcp"):
        refused = service.ask(Request(text="confirm", confirm_action_id=pid, channel=channel, user=BOB), s)
        assert not refused.ok and "someone else" in refused.error
        assert refused.data["error"]["exit_code"] == 2
    assert not (s.home / "outbox.duckdb").exists()
    done = service.ask(Request(text="confirm", confirm_action_id=pid, channel="slack", user=BOB), s)
    assert done.ok and (s.home / "outbox.duckdb").exists()


def test_with_api_keys_only_the_key_that_asked_may_confirm(settings_for, demo_db, tmp_path):
    """The webhook caller is its API key: a second key cannot confirm the first key's dry run, even when it
    sends the same source_system."""
    from fastapi.testclient import TestClient

    from revops_cli.channels.webhook_server.api import create_app
    from revops_cli.channels.webhook_server.auth import KeyStore
    from revops_cli.channels.webhook_server.worker import run_worker

    with WebhookReceiver() as action_rx, WebhookReceiver() as answers_rx:
        (tmp_path / "revops.yaml").write_text(
            "webhooks:\n  allow_hosts: ['127.0.0.1']\n  endpoints:\n"
            f"    crm_alerts: {{url: '{action_rx.url}'}}\n")
        s = settings_for(demo_db, REVOPS_WEBHOOK_URL=answers_rx.url)
        keys = KeyStore.from_settings(s)
        key_a, key_b = keys.add("crm-a"), keys.add("crm-b")
        app = create_app(s, start_workers=False)
        base = {"source_system": "crm_dashboard", "source_process": "deal_desk", "timestamp": "2026-11-24T10:00:00Z"}
        with TestClient(app) as client:
            def ask(key: str, **body: Any) -> dict[str, Any]:
                r = client.post("/webhook", json={**base, **body}, headers={"X-API-Key": key})
                assert r.status_code == 202, r.text
                run_worker(s, once=True, queue=app.state.queue)
                return client.get(f"/requests/{r.json()['tracking_id']}", headers={"X-API-Key": key}).json()["answer"]

            pid = ask(key_a, query="trigger the crm_alerts webhook for the IXIS deal", agent="execution")[
                "pending_action_id"]
            refused = ask(key_b, confirm_action_id=pid)
            assert refused["ok"] is False and "someone else" in refused["error"] and action_rx.requests == []
            assert ask(key_a, confirm_action_id=pid)["ok"] is True and len(action_rx.requests) == 1
