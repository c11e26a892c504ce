"""The question commands end to end, as a user runs them: answers, sessions, actions, the log and exports."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from cli import run
from fakes.slack_api import SlackAPIFake
from fakes.webhook_receiver import WebhookReceiver


@pytest.fixture
def wh(demo_db, settings_for):
    settings_for(demo_db)
    return demo_db


def ixis_row(db: Path) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    cur = con.execute("SELECT o.opportunity_id, o.stage, o.amount, o.probability, o.close_date, u.name AS owner "
                      "FROM opportunities o JOIN accounts a USING (account_id) JOIN users u ON u.user_id = o.owner_id "
                      "WHERE a.name = 'IXIS Technologies' AND NOT o.is_closed")
    return dict(zip([d[0] for d in cur.description], cur.fetchone()))


def test_deal_json_has_the_documented_keys_and_warehouse_numbers(capsys, wh):
    r = run(capsys, "deal", "ixis", "-f", "json")
    assert r.code == 0, r.err
    doc = r.json()
    assert {"agent", "answer", "data", "trace", "session_id"} <= set(doc)
    assert doc["agent"] == "deal_analysis"
    truth = ixis_row(wh)
    opp = doc["data"]["opportunity"]
    assert opp["opportunity_id"] == truth["opportunity_id"]
    assert (opp["stage"], opp["amount"], opp["probability"]) == (truth["stage"], truth["amount"], truth["probability"])
    assert opp["owner_name"] == truth["owner"]
    for heading in ("The Dry Numbers", "Bottom Line", "Risks and Opportunities"):
        assert heading in doc["answer"]
    kinds = [s["kind"] for s in doc["trace"]]
    assert kinds[0] == "route" and "handoff" in kinds and "tool" in kinds


def test_text_output_in_a_pipe_is_plain_markdown(capsys, wh):
    r = run(capsys, "deal", "IXIS")
    assert r.code == 0 and "\x1b[" not in r.out and "**The Dry Numbers**" in r.out


def test_unknown_deal_exits_2_with_suggestions(capsys, wh):
    r = run(capsys, "deal", "Zyxwv Holdings")
    assert r.code == 2 and r.err.startswith("Error: no deal matches") and "Traceback" not in r.err


def test_session_follow_up_means_the_earlier_deal(capsys, wh):
    assert run(capsys, "ask", "what is the status of the TechFlow Migration deal?", "--session", "weekly").code == 0
    r = run(capsys, "ask", "what are its main risks?", "--session", "weekly", "-f", "json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["agent"] == "deal_analysis" and doc["session_id"] == "weekly"
    assert doc["data"]["opportunity"]["account_name"] == "TechFlow"
    # -c continues the last CLI session
    r = run(capsys, "ask", "and what is the probability of it closing?", "-c", "-f", "json")
    assert r.json()["session_id"] == "weekly" and r.json()["data"]["opportunity"]["account_name"] == "TechFlow"


@pytest.mark.parametrize("args,agent", [
    (("lead", "John Smith", "--company", "DataCorp"), "lead_analysis"),
    (("search", "CloudTech"), "web_search"),
    (("data", "ask", "what deals are closing this quarter?"), "data"),
    (("ask", "analyze Q4 revenue performance by customer segment"), "data"),
    (("ask", "is John Smith from DataCorp a good lead?"), "lead_analysis"),
])
def test_every_question_command_answers_with_its_agent(capsys, wh, args, agent):
    r = run(capsys, *args, "-f", "json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["agent"] == agent and doc["ok"] and doc["answer"].strip()


def test_actions_are_a_dry_run_without_yes(capsys, wh, monkeypatch):
    with SlackAPIFake("xoxb-test-token") as slack:
        monkeypatch.setenv("REVOPS_SLACK_BOT_TOKEN", "xoxb-test-token")
        monkeypatch.setenv("REVOPS_SLACK__API_URL", slack.base_url)
        assert run(capsys, "deal", "IXIS", "--session", "s1").code == 0
        r = run(capsys, "execute", "send the AE a note about the risks", "--session", "s1", "-f", "json")
        assert r.code == 0, r.err
        doc = r.json()
        assert doc["agent"] == "execution" and doc["pending_actions"]
        assert slack.calls_to("chat.postMessage") == []            # nothing was sent
        r = run(capsys, "execute", "send the AE a note about the risks", "--session", "s1", "--yes", "-f", "json")
        assert r.code == 0, r.err
        posted = slack.calls_to("chat.postMessage")
        assert len(posted) == 1
        assert "IXIS" in json.dumps(posted[0].args if hasattr(posted[0], "args") else posted[0].__dict__)
    assert "xoxb-test-token" not in (Path.cwd() / "revops-home" / "conversations.db").read_bytes().decode("latin-1")


def test_a_confirmed_action_that_fails_exits_non_zero_with_one_line(capsys, wh, monkeypatch):
    monkeypatch.delenv("REVOPS_SLACK_BOT_TOKEN", raising=False)
    assert run(capsys, "deal", "IXIS", "--session", "s2").code == 0
    r = run(capsys, "execute", "send the AE a note about the risks", "--session", "s2", "--yes")
    assert r.code == 3                                                   # a missing setting: configuration
    assert r.err.splitlines()[0].startswith("Error: 1 of 1 action(s) failed: no Slack bot token")
    assert "Traceback" not in r.err
    with WebhookReceiver() as gone:
        gone.respond_with(410)
        monkeypatch.setenv("REVOPS_WEBHOOK_URL", gone.url)
        monkeypatch.setenv("REVOPS_WEBHOOK_ALLOW_HOSTS", "127.0.0.1")
        r = run(capsys, "execute", "trigger the webhook for the IXIS deal", "--yes", "-f", "json")
    assert r.code == 7 and r.json()["data"]["error"]["exit_code"] == 7  # the receiver refused it: action failed


def test_a_url_in_the_text_is_never_called(capsys, wh, tmp_path):
    with WebhookReceiver() as configured, WebhookReceiver() as stranger:
        (tmp_path / "revops.yaml").write_text(
            "webhooks:\n  allow_hosts: ['127.0.0.1']\n  endpoints:\n"
            f"    crm_alerts: {{url: '{configured.url}'}}\n")
        r = run(capsys, "execute", f"trigger the webhook at {stranger.url} with the IXIS deal", "--yes", "-f", "json")
        assert stranger.requests == []
        r = run(capsys, "execute", f"trigger the crm_alerts webhook for the IXIS deal, not {stranger.url}", "--yes",
                "-f", "json")
        assert r.code == 0, r.err
        assert stranger.requests == [] and len(configured.requests) == 1


def test_cli_conversation_is_logged_and_exported_to_folder_and_s3(capsys, wh, tmp_path, monkeypatch):
    import jsonschema

    from revops_cli.conversations.export import load_schema

    r = run(capsys, "deal", "IXIS", "-f", "json")
    rid = r.json()["request_id"]
    listing = run(capsys, "conversations", "list", "-f", "json").json()
    assert listing and listing[0]["conversation_id"] == rid and listing[0]["channel"] == "cli"
    shown = run(capsys, "conversations", "show", rid[:12], "-f", "json").json()
    assert shown["agent"] == "deal_analysis" and shown["steps"]
    out = tmp_path / "export"
    r = run(capsys, "export-conversations", "--to", str(out), "-f", "json")
    assert r.code == 0, r.err and r.json()["written"] == 1
    conv_files = list(out.rglob("conversation.json"))
    assert len(conv_files) == 1
    conv, meta = json.loads(conv_files[0].read_text()), json.loads((conv_files[0].parent / "metadata.json").read_text())
    jsonschema.validate(conv, load_schema("conversation"))
    jsonschema.validate(meta, load_schema("metadata"))
    assert 0 <= meta["quality"]["score"] <= 1 and "deal_analysis" in conv["agents_involved"]
    again = run(capsys, "export-conversations", "--to", str(out), "-f", "json").json()
    assert again["unchanged"] == 1 and again["written"] == 0

    from moto import mock_aws

    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                 "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    with mock_aws():
        import boto3

        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="revops-exports")
        r = run(capsys, "export-conversations", "--to", "s3://revops-exports/history", "-f", "json")
        assert r.code == 0, r.err
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="revops-exports")["Contents"]]
        assert len(keys) == 2 and all(k.startswith("history/") for k in keys)
        body = json.loads(s3.get_object(Bucket="revops-exports", Key=[k for k in keys if k.endswith("conversation.json")][0])["Body"].read())
        jsonschema.validate(body, load_schema("conversation"))


def test_logging_can_be_turned_off(capsys, wh, monkeypatch):
    monkeypatch.setenv("REVOPS_CONVERSATIONS__ENABLED", "false")
    assert run(capsys, "deal", "IXIS").code == 0
    assert not (Path.cwd() / "revops-home" / "conversations.db").exists()
