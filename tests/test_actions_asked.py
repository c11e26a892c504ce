"""Actions asked the way people talk, end to end on both demo seeds: the dry run shows the right recipient,
field and value; nothing is sent before the confirmation; the confirmation sends exactly what was shown.

Expected people, fields and values are read from the warehouse here (SQL), never from the demo's figures.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from cli import run
from fakes.slack_api import SlackAPIFake
from fakes.webhook_receiver import WebhookReceiver

TOKEN = "xoxb-test-token"


@pytest.fixture
def wh(demo_db, settings_for):
    settings_for(demo_db)
    return demo_db


@pytest.fixture
def slack(monkeypatch):
    with SlackAPIFake(TOKEN) as fake:
        monkeypatch.setenv("REVOPS_SLACK_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("REVOPS_SLACK__API_URL", fake.base_url)
        yield fake


def sql(db: Path, query: str, *params) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(query, list(params)).fetchall()
    finally:
        con.close()


def deal(db: Path, account: str) -> dict:
    """The open deal of an account, with its owner (name, first name, Slack id) and CRM values."""
    [row] = sql(db, "SELECT o.opportunity_id, o.name, o.stage, o.close_date, u.name, u.slack_user_id "
                    "FROM opportunities o JOIN accounts a USING (account_id) JOIN users u ON u.user_id = o.owner_id "
                    "WHERE a.name = ? AND NOT o.is_closed", account)
    return dict(zip(("id", "name", "stage", "close_date", "owner", "slack_id"), row))


def first_name_of(db: Path, full: str) -> str:
    """The first name if no other user has it, else the full name (what a person would type)."""
    first = full.split()[0]
    [(n,)] = sql(db, "SELECT count(*) FROM users WHERE split_part(name, ' ', 1) = ?", first)
    return first.lower() if n == 1 else full


def ask(capsys, text, *more):
    r = run(capsys, "ask", text, "-f", "json", *more)
    return r, (r.json() if r.out.strip().startswith("{") else None)


def confirm(capsys, doc):
    return run(capsys, "execute", "--confirm", doc["data"]["pending_action_id"], "-f", "json")


# -- Slack messages to a person -------------------------------------------------------------------------

@pytest.mark.parametrize("template, account, body", [
    ("ping {first} about the ixis deal: the CFO wants a call", "IXIS Technologies", "The CFO wants a call"),
    ("let {first} know ixis may slip to next quarter", "IXIS Technologies", "may slip to next quarter"),
    ("give {first} a heads up that ixis may slip", "IXIS Technologies", "may slip"),
    ("tell the owner of the acme deal to chase the CFO", "Acme Corp", "Please chase the CFO."),
    ("message the datacorp expansion owner to confirm the ramp schedule", "DataCorp", "Please confirm the ramp schedule."),
    ("can you remind the AE on techcorp to send the proposal", "TechCorp", "send the proposal"),
    ("dm {first} that the techcorp POC passed", "TechCorp", "The techcorp POC passed"),
])
def test_a_casual_message_is_a_dry_run_to_the_right_person_and_confirming_sends_it(
        capsys, wh, slack, template, account, body):
    d = deal(wh, account)
    if account == "DataCorp":
        [(name,)] = sql(wh, "SELECT name FROM opportunities WHERE name = 'DataCorp Expansion' AND NOT is_closed")
        d = {**d, "name": name} if d["name"] == name else d
    question = template.format(first=first_name_of(wh, d["owner"]))
    r, doc = ask(capsys, question)
    assert r.code == 0, r.err
    assert doc["agent"] == "execution" and doc["ok"]
    [action] = doc["pending_actions"]
    assert action["kind"] == "slack"
    assert action["payload"]["channel"] == d["slack_id"] and d["owner"] in action["target"]
    assert body in action["payload"]["text"]
    assert d["name"] in action["payload"]["text"]                    # the deal it is about, in the header
    assert "Dry run: nothing was sent" in doc["answer"]
    assert slack.calls_to("chat.postMessage") == []                  # nothing sent before the confirmation

    r = confirm(capsys, doc)
    assert r.code == 0, r.err
    [post] = slack.calls_to("chat.postMessage")
    assert post.args["channel"] == d["slack_id"]
    assert post.args["text"] == action["payload"]["text"]           # exactly what was shown
    assert r.json()["data"]["actions"][0]["payload_hash"] == action["payload_hash"]


def test_the_risks_of_the_deal_named_not_of_the_last_answer(capsys, wh, slack):
    ixis, acme = deal(wh, "IXIS Technologies"), deal(wh, "Acme Corp")
    ixis_risks = {r["title"] for r in run(capsys, "deal", "IXIS", "-f", "json").json()["data"]["risks"]}
    acme_risks = {r["title"] for r in run(capsys, "deal", "Acme Corp", "--session", "t", "-f", "json").json()["data"]["risks"]}
    assert ixis_risks
    # in a session whose last answer is about Acme, the IXIS risks are still the IXIS risks
    r, doc = ask(capsys, f"slack {first_name_of(wh, ixis['owner'])} the ixis risks", "--session", "t")
    assert r.code == 0, r.err
    [action] = doc["pending_actions"]
    text = action["payload"]["text"]
    assert action["payload"]["channel"] == ixis["slack_id"]
    assert all(t in text for t in ixis_risks)
    assert not any(t in text for t in acme_risks - ixis_risks)
    assert slack.calls == []


def test_a_message_after_a_data_answer_carries_the_question_not_that_answer(capsys, wh, slack):
    ixis = deal(wh, "IXIS Technologies")
    assert run(capsys, "ask", "what deals are closing this quarter?", "--session", "d").code == 0
    r, doc = ask(capsys, f"ping {first_name_of(wh, ixis['owner'])} about the ixis deal", "--session", "d")
    assert r.code == 0, r.err
    text = doc["pending_actions"][0]["payload"]["text"]
    assert "ixis deal" in text.lower() and "Open deals" not in text and "deals" not in text.replace("deal", "")


def test_an_unknown_or_ambiguous_name_is_refused_not_guessed(capsys, wh, slack):
    r, doc = ask(capsys, "ping zebediah about the ixis deal")
    assert r.code == 2 and not doc["ok"] and "zebediah" in doc["error"] and "Traceback" not in r.out + r.err
    assert doc["pending_actions"] == []
    # a first name several users share, none of them on the Acme deal: the candidates are listed
    acme = deal(wh, "Acme Corp")
    shared = sql(wh, "SELECT split_part(u.name, ' ', 1) AS f, list(u.name ORDER BY u.name) FROM users u GROUP BY f "
                     "HAVING count(*) > 1 AND NOT bool_or(coalesce(u.user_id IN (SELECT o.owner_id FROM opportunities o "
                     "WHERE o.name = ? UNION SELECT a.csm_id FROM accounts a JOIN opportunities o "
                     "ON o.account_id = a.account_id WHERE o.name = ? AND a.csm_id IS NOT NULL), false)) ORDER BY f LIMIT 1", acme["name"], acme["name"])
    assert shared, "this seed has no first name two users share"
    first, names = shared[0]
    r, doc = ask(capsys, f"ping {first.lower()} about the acme deal")
    assert r.code == 2 and all(n in doc["error"] for n in names) and doc["pending_actions"] == []
    assert slack.calls == []
    assert run(capsys, "ask", "tell me about the acme deal", "-f", "json").json()["agent"] != "execution"


# -- CRM updates -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("question, account, field, value", [
    ("push the IXIS close date to 2027-03-31 in the CRM", "IXIS Technologies", "close_date", "2027-03-31"),
    ("bump ixis to 2027-02-15", "IXIS Technologies", "close_date", "2027-02-15"),
    ("move techcorp to business justification in the crm", "TechCorp", "stage", "Business Justification"),
    ("please advance the techcorp deal to negotiate", "TechCorp", "stage", "Negotiate"),
])
def test_a_crm_change_shows_field_and_value_and_records_exactly_that(capsys, wh, question, account, field, value):
    from revops_cli.config import load_settings
    from revops_cli.connectors.outbox import list_outbox

    d = deal(wh, account)
    r, doc = ask(capsys, question)
    assert r.code == 0, r.err
    [action] = doc["pending_actions"]
    p = action["payload"]
    assert (action["kind"], p["object_id"], p["field"], p["new_value"]) == ("crm_update", d["id"], field, value)
    old = d["close_date"].isoformat() if field == "close_date" else d["stage"]
    assert p["old_value"] == old and value in doc["answer"]
    settings = load_settings()
    assert list_outbox(settings) == []                               # nothing recorded before the confirmation
    r = confirm(capsys, doc)
    assert r.code == 0, r.err
    [row] = list_outbox(settings)
    assert (row["object_id"], row["field"], str(row["new_value"])) == (d["id"], field, value)


# -- a webhook carrying a numbers question -----------------------------------------------------------------

def test_a_summary_posted_to_the_webhook_is_that_summary_and_confirming_delivers_it(capsys, wh, monkeypatch):
    with WebhookReceiver() as receiver:
        monkeypatch.setenv("REVOPS_WEBHOOK_URL", receiver.url)
        monkeypatch.setenv("REVOPS_WEBHOOK_ALLOW_HOSTS", "127.0.0.1")
        [(n, amount)] = sql(wh, "SELECT count(*), sum(amount) FROM opportunities WHERE NOT is_closed "
                                "AND close_date BETWEEN DATE '2026-10-01' AND DATE '2026-12-31'")
        r, doc = ask(capsys, "post this quarter's pipeline summary to the webhook")
        assert r.code == 0, r.err
        [action] = doc["pending_actions"]
        p = action["payload"]
        assert action["kind"] == "webhook" and p["data"]["analysis"] == "pipeline"
        assert p["data"]["period"]["label"] == "Q4 2026" and p["data"]["summary"]["deal_count"] == n
        assert abs(p["data"]["summary"]["open_amount"] - amount) < 1
        assert f"{n} deals" in p["text"]
        assert receiver.requests == []                                   # nothing delivered before the confirmation
        r = confirm(capsys, doc)
        assert r.code == 0, r.err
        [req] = receiver.requests
        assert req.json == p                                             # exactly the payload shown

        # a question it cannot answer with every filter is not delivered at all
        r, doc = ask(capsys, "post the pipeline in Narnia to the webhook")
        assert r.code == 9 and doc["pending_actions"] == [] and "Narnia" in doc["error"]
        # with no webhook configured: refused, nothing planned
        monkeypatch.delenv("REVOPS_WEBHOOK_URL")
        r, doc = ask(capsys, "post this quarter's pipeline summary to the webhook")
        assert r.code == 3 and doc["pending_actions"] == []
        assert len(receiver.requests) == 1
