"""The Execution agent (Slack, webhooks, CRM updates: dry run by default), the Slack client and the outbox."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import duckdb
import pytest

from revops_cli.agents.base import AgentContext, Task
from revops_cli.agents.execution import ExecutionAgent, parse_amount, parse_date
from revops_cli.errors import ActionError, ConfigError, UsageError
from revops_cli.connectors.outbox import list_outbox, record_crm_update
from revops_cli.connectors.slack_client import SlackNotifier
from revops_cli.models import Request, Trace
from revops_cli.warehouse.connect import open_warehouse

from fakes.slack_api import SlackAPIFake
from fakes.webhook_receiver import WebhookReceiver

SCHEMA = Path(__file__).resolve().parents[1] / "revops_cli" / "warehouse" / "schema.sql"
TOKEN = "xoxb-TEST-TOKEN-1234567890"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

OPP = {"opportunity_id": "OPP-0000001", "name": "IXIS - Snowflake Cost Replacement", "account_id": "ACC-000001",
       "account_name": "IXIS Technologies", "owner_name": "Sarah Johnson", "stage": "Technical Validation"}
RISKS = [{"title": "No economic buyer", "detail": "the CFO has not joined a call"},
         {"title": "Close date slipped twice", "detail": "from 2026-10-31 to 2026-12-15"}]
LAST = {"agent": "deal_analysis", "answer": "## IXIS\nThe deal is at risk.",
        "data": {"opportunity": OPP, "risks": RISKS}}


def build_warehouse(path: Path) -> Path:
    con = duckdb.connect(str(path))
    con.execute(SCHEMA.read_text())
    con.executemany("INSERT INTO users (user_id, name, email, role, manager_id, slack_user_id) VALUES (?, ?, ?, ?, ?, ?)", [
        ("USR-0001", "Sarah Johnson", "sarah.johnson@acme.io", "AE", "USR-0003", "U0SARAH01"),
        ("USR-0002", "Mike Chen", "mike.chen@acme.io", "CSM", "USR-0003", None),
        ("USR-0003", "Dana Lee", "dana.lee@acme.io", "Sales Manager", None, "U0DANA001"),
        ("USR-0004", "Sarah Connor", "sarah.connor@acme.io", "AE", "USR-0003", "U0SARAH02"),
    ])
    con.execute("INSERT INTO accounts (account_id, name, owner_id, csm_id) VALUES "
                "('ACC-000001', 'IXIS Technologies', 'USR-0001', 'USR-0002')")
    con.executemany("INSERT INTO opportunities (opportunity_id, name, account_id, stage, amount, close_date, owner_id, "
                    "next_step, forecast_category) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        ("OPP-0000001", OPP["name"], "ACC-000001", "Technical Validation", 250000.0, "2026-12-15", "USR-0001",
         "Security review", "Best Case"),
        ("OPP-0000002", "IXIS - Expansion", "ACC-000001", "Negotiate", 90000.0, "2026-12-20", "USR-0001", None, "Commit"),
        ("OPP-0000003", "Other - New", "ACC-000001", "Discovery", 10000.0, "2027-01-20", "USR-0001", None, "Pipeline"),
    ])
    con.close()
    return path


@pytest.fixture
def slack():
    with SlackAPIFake(token=TOKEN, channels={"deal-desk": "C0DEALDESK"},
                      users=[{"id": "U0MIKE001", "email": "mike.chen@acme.io", "name": "Mike Chen"}]) as fake:
        yield fake


@pytest.fixture
def receiver():
    with WebhookReceiver(secret=SECRET) as rx:
        yield rx


@pytest.fixture
def env(tmp_path, monkeypatch, slack, receiver):
    from revops_cli.config import load_settings

    db = build_warehouse(tmp_path / "wh.duckdb")
    monkeypatch.setenv("REVOPS_DUCKDB_PATH", str(db))
    monkeypatch.setenv("REVOPS_SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("REVOPS_WEBHOOK_SECRET", SECRET)
    settings = load_settings(overrides={
        "slack.api_url": slack.base_url,
        "webhooks.allow_hosts": ["127.0.0.1"],
        "webhooks.endpoints": {"crm_alerts": {"url": receiver.url}, "ops": {"url": receiver.base_url + "/ops"}},
    })
    wh = open_warehouse(settings)
    yield settings, wh
    wh.close()


def run(env, text, *, confirm=False, opportunity=OPP, session=None, user="analyst@acme.io"):
    settings, wh = env
    sess = {"last_answer": LAST, "opportunity": OPP} if session is None else session
    ctx = AgentContext(settings=settings, warehouse=wh, trace=Trace(),
                       request=Request(text=text, confirm=confirm, user=user), session=sess)
    entities = {"opportunity": opportunity} if opportunity else {}
    answer = ExecutionAgent().handle(ctx, Task(intent="action", text=text, entities=entities))
    return answer, ctx


def tools(ctx, name):
    return [s for s in ctx.trace.steps if s.kind == "tool" and s.name == name]


# -- Slack ---------------------------------------------------------------------------------------------

def test_notify_ae_dry_run_sends_nothing(env, slack, receiver):
    answer, ctx = run(env, "send the AE a note about the risks")
    assert answer.ok
    [action] = answer.pending_actions
    assert action["kind"] == "slack" and action["status"] == "pending"
    assert "Sarah Johnson" in action["target"] and action["payload"]["channel"] == "U0SARAH01"
    assert "No economic buyer" in action["payload"]["text"] and "Close date slipped twice" in action["payload"]["text"]
    assert "Dry run: nothing was sent" in answer.text and "--yes" in answer.text
    assert slack.calls == [] and receiver.requests == []
    assert not tools(ctx, "slack_post")
    assert answer.data["dry_run"] is True


def test_notify_ae_confirmed_posts_to_slack(env, slack):
    answer, ctx = run(env, "send the AE a note about the risks", confirm=True)
    assert answer.ok, answer.error
    [call] = slack.calls_to("chat.postMessage")
    assert call.token == TOKEN and call.args["channel"] == "U0SARAH01"
    assert "No economic buyer" in call.args["text"] and "IXIS - Snowflake Cost Replacement" in call.args["text"]
    [step] = tools(ctx, "slack_post")
    assert step.ok and step.params["channel"] == "U0SARAH01"
    assert answer.pending_actions == [] and answer.data["actions"][0]["status"] == "done"
    assert answer.data["actions"][0]["result"]["ts"]
    assert "1 of 1 action done" in answer.text
    assert TOKEN not in json.dumps(answer.to_dict(), default=str)


def test_post_quoted_text_to_channel(env, slack):
    answer, _ = run(env, 'post "IXIS moved to Negotiate" to #deal-desk', confirm=True)
    assert answer.ok, answer.error
    [msg] = slack.messages
    assert msg["channel"] == "C0DEALDESK" and "IXIS moved to Negotiate" in msg["text"]


def test_csm_without_slack_id_is_looked_up_by_email(env, slack):
    answer, _ = run(env, 'ping the CSM "renewal call moved to Monday"', confirm=True)
    assert answer.ok, answer.error
    assert [c.args["email"] for c in slack.calls_to("users.lookupByEmail")] == ["mike.chen@acme.io"]
    assert slack.messages[0]["channel"] == "D0MIKE001"


def test_handle_and_manager_targets(env):
    answer, _ = run(env, "tell @dana about the risks")
    assert answer.pending_actions[0]["payload"]["channel"] == "U0DANA001"
    answer, _ = run(env, "notify the AE's manager about the risks")
    assert answer.pending_actions[0]["payload"]["channel"] == "U0DANA001"
    with pytest.raises(UsageError, match="no user matches"):
        run(env, "tell @nobody about the risks")


def test_a_shared_first_name_is_the_one_on_the_deal_or_refused_with_the_candidates(env, slack):
    answer, _ = run(env, "ping sarah about the renewal", session={})
    [action] = answer.pending_actions
    assert action["payload"]["channel"] == "U0SARAH01"               # Sarah Johnson owns the deal in context
    assert any("Sarah Connor" in n for n in answer.data["notes"])    # and the answer says whom it passed over
    with pytest.raises(UsageError) as err:
        run(env, "ping sarah about the renewal", opportunity=None, session={})
    assert "Sarah Johnson" in err.value.one_line() and "Sarah Connor" in err.value.one_line()
    with pytest.raises(UsageError, match="zed"):
        run(env, "let zed know the renewal moved")
    answer, _ = run(env, "tell sarah connor to chase the CFO", session={})
    assert answer.pending_actions[0]["payload"]["channel"] == "U0SARAH02"
    assert "Please chase the CFO." in answer.pending_actions[0]["payload"]["text"]
    assert slack.calls == []


def test_an_and_inside_a_message_stays_in_the_message(env, slack):
    answer, _ = run(env, "tell the AE to review and send the order form", session={})
    [action] = answer.pending_actions
    assert action["payload"]["channel"] == "U0SARAH01"
    assert "Please review and send the order form." in action["payload"]["text"]
    answer, _ = run(env, "move the deal to negotiate and let dana know 'moved after the POC'", session={})
    assert [a["kind"] for a in answer.pending_actions] == ["crm_update", "slack"]
    assert answer.pending_actions[1]["payload"]["channel"] == "U0DANA001"
    # with nothing else to say, the note is the CRM change planned before it, as shown
    answer, _ = run(env, "set the close date to 2027-01-15 and notify the AE", session={})
    crm, note = answer.pending_actions
    assert crm["payload"]["new_value"] == "2027-01-15" and note["payload"]["channel"] == "U0SARAH01"
    assert "close date of IXIS - Snowflake Cost Replacement → 2027-01-15 (was 2026-12-15)" in note["payload"]["text"]


def test_slack_failure_is_reported_without_token(env, slack, monkeypatch):
    settings, wh = env
    settings.data["slack"]["bot_token"] = "xoxb-WRONG-token-000000"
    answer, ctx = run(env, "send the AE a note about the risks", confirm=True)
    assert not answer.ok and "invalid_auth" in answer.error
    assert answer.data["actions"][0]["status"] == "failed"
    assert "WRONG" not in json.dumps(answer.to_dict(), default=str)
    [step] = tools(ctx, "slack_post")
    assert not step.ok and "invalid_auth" in step.error
    assert slack.messages == []


def test_slack_missing_token(env):
    settings, _ = env
    settings.data["slack"]["bot_token"] = None
    answer, _ = run(env, "send the AE a note about the risks", confirm=True)
    assert not answer.ok and "REVOPS_SLACK_BOT_TOKEN" in answer.error


def test_nothing_to_say(env, slack):
    answer, _ = run(env, "notify the AE", session={})
    assert answer.pending_actions == [] and "Nothing to send" in answer.text


# -- webhooks ------------------------------------------------------------------------------------------

def test_webhook_dry_run_then_confirmed(env, receiver):
    answer, _ = run(env, "trigger the crm_alerts webhook with the deal risks")
    [action] = answer.pending_actions
    assert action["kind"] == "webhook" and action["target"].startswith("crm_alerts (http://127.0.0.1:")
    assert action["payload"]["event"] == "revops.action.webhook"
    assert "No economic buyer" in action["payload"]["text"]
    assert receiver.requests == [] and "Dry run: nothing was sent" in answer.text

    answer, ctx = run(env, "trigger the crm_alerts webhook with the deal risks", confirm=True)
    assert answer.ok, answer.error
    [req] = receiver.requests
    assert req.verified is True and req.path == "/hook"
    body = req.json
    assert set(body) >= {"event", "request_id", "text", "data"}
    assert body["request_id"] == ctx.request.request_id and body["data"]["opportunity"]["opportunity_id"] == "OPP-0000001"
    [step] = tools(ctx, "webhook")
    assert step.ok and step.params["endpoint"] == "crm_alerts" and SECRET not in json.dumps(step.params)


def test_url_in_text_is_never_called(env, receiver):
    with WebhookReceiver() as rogue:
        answer, _ = run(env, f"trigger the crm_alerts webhook at {rogue.url} with the risks", confirm=True)
        assert answer.ok, answer.error
        assert len(receiver.requests) == 1 and rogue.requests == []
        assert "Ignored" in answer.text and rogue.url in answer.data["ignored_urls"]

        answer, _ = run(env, f"call the webhook at {rogue.url}", confirm=True)
        assert answer.data["actions"] == [] and "No webhook was planned" in answer.text
        assert "crm_alerts" in answer.text
        answer, _ = run(env, f"send the deal risks to {rogue.url}", confirm=True)
        assert answer.data["actions"] == []
        assert rogue.requests == [] and len(receiver.requests) == 1


def test_unknown_webhook_name_lists_configured(env, receiver):
    with pytest.raises(UsageError) as err:
        run(env, "fire the salesforce webhook")
    assert "crm_alerts" in err.value.one_line() and "ops" in err.value.one_line()
    assert receiver.requests == []


def test_webhook_failure_marks_action_failed(env, receiver):
    receiver.respond_with(410)
    answer, ctx = run(env, "trigger the ops webhook", confirm=True)
    assert not answer.ok and "410" in answer.error
    assert answer.data["actions"][0]["status"] == "failed"
    assert not tools(ctx, "webhook")[0].ok


# -- CRM updates ---------------------------------------------------------------------------------------

def test_crm_update_dry_run_then_recorded(env):
    settings, _ = env
    answer, _ = run(env, "update the next step to 'Pricing call with the CFO on Friday'")
    [action] = answer.pending_actions
    assert action["kind"] == "crm_update"
    assert action["payload"] == {"object_type": "opportunity", "object_id": "OPP-0000001",
                                 "object_name": OPP["name"], "field": "next_step", "old_value": "Security review",
                                 "new_value": "Pricing call with the CFO on Friday"}
    assert list_outbox(settings) == []

    answer, ctx = run(env, "update the next step to 'Pricing call with the CFO on Friday'", confirm=True)
    assert answer.ok, answer.error
    [row] = list_outbox(settings)
    assert row["object_id"] == "OPP-0000001" and row["field"] == "next_step"
    assert row["new_value"] == "Pricing call with the CFO on Friday" and row["requested_by"] == "analyst@acme.io"
    assert row["source_request_id"] == ctx.request.request_id
    assert tools(ctx, "crm_update")[0].ok


@pytest.mark.parametrize("text, field, value", [
    ("set the close date to Dec 15, 2026", "close_date", "2026-12-15"),
    ("change the close date to 2027-01-31", "close_date", "2027-01-31"),
    ("move the deal to negotiate", "stage", "Negotiate"),
    ("set the stage to tech validation", "stage", "Technical Validation"),
    ("update the amount to $300k", "amount", 300000.0),
    ("set the forecast category to commit", "forecast_category", "Commit"),
    ("log a note: champion is moving to a new team", "note", "champion is moving to a new team"),
])
def test_crm_fields(env, text, field, value):
    answer, _ = run(env, text)
    [action] = answer.pending_actions
    assert action["payload"]["field"] == field and action["payload"]["new_value"] == value


def test_crm_bad_values(env):
    with pytest.raises(UsageError, match="not a stage"):
        run(env, "set the stage to banana")
    with pytest.raises(UsageError, match="date"):
        run(env, "set the close date to someday")
    with pytest.raises(UsageError, match="which deal"):
        run(env, "update the next step to 'x'", opportunity=None, session={})


def test_two_actions_in_one_request(env, slack):
    settings, _ = env
    answer, _ = run(env, 'update the stage to Negotiate and notify the AE "moved to Negotiate"', confirm=True)
    assert answer.ok, answer.error
    assert [a["kind"] for a in answer.data["actions"]] == ["crm_update", "slack"]
    assert list_outbox(settings)[0]["new_value"] == "Negotiate"
    assert "moved to Negotiate" in slack.messages[0]["text"]


def test_unrecognised_lists_capabilities(env, slack, receiver):
    answer, _ = run(env, "do a barrel roll")
    assert not answer.ok and answer.data["error"]["exit_code"] == 9     # the menu alone is not a success
    assert answer.pending_actions == [] and answer.data["actions"] == []
    assert "No action recognised" in answer.text and "crm_alerts" in answer.text
    assert slack.calls == [] and receiver.requests == []


def test_parsers():
    assert parse_amount("$1.2M") == 1_200_000 and parse_amount("120,000") == 120000 and parse_amount("45k") == 45000
    assert parse_date("December 1st 2026").isoformat() == "2026-12-01"
    assert parse_date("12/15/2026").isoformat() == "2026-12-15"


# -- the Slack client and the fake ---------------------------------------------------------------------

def test_slack_notifier_against_fake(slack):
    n = SlackNotifier(TOKEN, slack.base_url)
    reply = n.post("#deal-desk", "hello", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}])
    assert reply["ok"] and reply["channel"] == "C0DEALDESK" and reply["ts"]
    assert slack.messages[0]["blocks"][0]["type"] == "section"
    n.post("C0DEALDESK", "in thread", thread_ts=reply["ts"])
    assert n.user_for_email("mike.chen@acme.io") == "U0MIKE001" and n.user_for_email("x@y.z") is None
    replies = n.client.conversations_replies(channel="C0DEALDESK", ts=reply["ts"])
    assert [m["text"] for m in replies["messages"]] == ["hello", "in thread"]
    assert n.auth_test()["user_id"] == "UBOT0001"
    with pytest.raises(ActionError, match="channel_not_found"):
        n.post("#nope", "x")
    with pytest.raises(ConfigError, match="REVOPS_SLACK_BOT_TOKEN"):
        SlackNotifier(None)


def test_slack_rate_limit_is_waited_out_and_retried(slack):
    """HTTP 429 + Retry-After: slack_sdk's RateLimitErrorRetryHandler posts again; the message arrives once."""
    n = SlackNotifier(TOKEN, slack.base_url)
    slack.fail_next("chat.postMessage", "ratelimited", status=429, retry_after=1)
    reply = n.post("#deal-desk", "after a rate limit")
    assert reply["ok"] and [m["text"] for m in slack.messages] == ["after a rate limit"]
    assert len(slack.calls_to("chat.postMessage")) == 2
    slack.fail_next("chat.postMessage", "ratelimited", status=429, retry_after=1, times=3)   # still limited
    with pytest.raises(ActionError, match="ratelimited"):
        n.post("#deal-desk", "never")
    assert "never" not in [m["text"] for m in slack.messages]


def test_slack_notifier_errors_have_no_token(slack):
    with pytest.raises(ActionError) as err:
        SlackNotifier("xoxb-BAD-000000000", slack.base_url).post("#deal-desk", "x")
    assert "invalid_auth" in err.value.message and "BAD" not in err.value.one_line()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(ActionError) as err:
        SlackNotifier(TOKEN, f"http://127.0.0.1:{port}/api/").post("#x", "y")
    assert "cannot reach Slack" in err.value.message and TOKEN not in err.value.one_line()
    assert "\n" not in err.value.one_line()


def test_slack_fake_file_upload_and_update(slack):
    from slack_sdk import WebClient

    client = WebClient(token=TOKEN, base_url=slack.base_url)
    done = client.files_upload_v2(channel="C0DEALDESK", content="a,b\n1,2\n", filename="report.csv",
                                  title="Weekly report", initial_comment="This week")
    assert done["file"]["title"] == "Weekly report"
    [(file_id, up)] = slack.uploads.items()
    assert up["bytes"] == b"a,b\n1,2\n" and up["completed"] and up["channel_id"] == "C0DEALDESK"
    posted = client.chat_postMessage(channel="C0DEALDESK", text="thinking…")
    client.chat_update(channel="C0DEALDESK", ts=posted["ts"], text="done")
    assert slack.messages[-1]["text"] == "done" and slack.messages[-1]["edited"]
    slack.fail_next("chat.postMessage", "ratelimited")
    from slack_sdk.errors import SlackApiError
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C0DEALDESK", text="x")
    assert slack.base_url.endswith("/api/")


# -- outbox --------------------------------------------------------------------------------------------

def test_outbox_duckdb_and_firebolt(env, tmp_path):
    settings, wh = env
    row = record_crm_update(settings, wh, {"object_type": "opportunity", "object_id": "OPP-1", "field": "stage",
                                           "new_value": "Negotiate", "requested_by": "me"})
    assert row["destination"].startswith("outbox:") and (settings.home / "outbox.duckdb").exists()
    assert list_outbox(settings)[0]["update_id"] == row["update_id"]
    with pytest.raises(UsageError):
        record_crm_update(settings, wh, {"object_type": "contract", "object_id": "X", "field": "stage"})

    class FireboltStub:
        kind = "firebolt"
        writes: list = []

        def execute_write(self, sql, params=None):
            self.writes.append((sql, params))
            return 1

    fb = FireboltStub()
    row = record_crm_update(settings, fb, {"object_id": "OPP-2", "field": "amount", "new_value": 5})
    [(sql, params)] = fb.writes
    assert sql.startswith("INSERT INTO crm_outbox (update_id, created_at, object_type, object_id, field, new_value")
    assert sql.count("?") == 9 and params[3] == "OPP-2" and params[5] == "5"
    assert row["destination"] == "firebolt:crm_outbox"
    settings.data["warehouse"]["writable_table"] = "crm; DROP TABLE x"
    with pytest.raises(ConfigError):
        record_crm_update(settings, fb, {"object_id": "OPP-2", "field": "amount", "new_value": 5})
