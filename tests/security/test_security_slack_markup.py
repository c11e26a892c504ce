"""Finding 6 of issue 14 (markup): Slack posts carried `<!channel>` and `<url|text>` links taken from warehouse
text and from markdown in deal names. Every Slack text built from data now goes through one escaping
function (connectors/slack_format.py `escape`): the answers in the thread, the Execution agent's Slack
notes and the report summaries. Our own markup (bold, buttons, our mentions of the asker) still works."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fakes.slack_api import SlackAPIFake

pytest.importorskip("slack_bolt")
pytest.importorskip("fastapi")

from slack_events import SlackThread, eventually  # noqa: E402

ALICE = "U0ALICE001"
HOSTILE = " <!channel> <!here> <@U0CEO0001> <http://evil.example|click> [win](http://evil.example/x) @everyone"
LIVE = ("<!channel>", "<!here>", "<@U0CEO0001>", "<http://evil.example|", "|click>", "|win>", "<http://evil.example/x|")


@pytest.fixture
def hostile_db(demo_db, tmp_path) -> tuple[Path, str]:
    """A copy of the demo warehouse whose IXIS deal is named with Slack markup and markdown, and whose next
    step (warehouse text) carries a broadcast mention."""
    import duckdb

    db = tmp_path / "hostile.duckdb"
    shutil.copy(demo_db, db)
    con = duckdb.connect(str(db))
    try:
        oid, name = con.execute("SELECT opportunity_id, name FROM opportunities WHERE name LIKE 'IXIS%' "
                                "ORDER BY amount DESC LIMIT 1").fetchone()
        con.execute("UPDATE opportunities SET name = ?, next_step = ? WHERE opportunity_id = ?",
                    [name + HOSTILE, "tell <!everyone> & <http://evil.example|the board>", oid])
    finally:
        con.close()
    return db, name + HOSTILE


def live_markup(text: str) -> list[str]:
    return [m for m in LIVE if m in text] + (["@everyone"] if "@everyone" in text else [])


def test_markup_in_a_deal_name_is_inert_in_answers_and_in_the_note_sent(settings_for, hostile_db):
    db, name = hostile_db
    t = SlackThread.start(settings_for, db)
    try:
        thread = t.ask("what is the status of the IXIS deal?", user=ALICE)
        assert eventually(lambda: t.answers_in(thread) == 1)
        t.ask("send the deal owner a note about the risks", user=ALICE, thread_ts=thread)
        assert eventually(lambda: t.answers_in(thread) == 2)
        message, pid = t.buttons(thread)
        t.click("revops_confirm", pid, user=ALICE, message=message)
        assert eventually(lambda: len(t.posts_outside()) == 1)
        t.bot.close()
        posted = [c.args for c in t.fake.calls_to("chat.postMessage") + t.fake.calls_to("chat.update")]
    finally:
        t.close()

    # The deal answer named the deal, escaped: visible as typed, nothing live.
    answer = "\n".join(SlackThread.text_of(m) for m in t.thread(thread))
    assert "&lt;!channel&gt;" in answer and "&lt;http://evil.example|click&gt;" in answer
    for args in posted:
        texts = [args.get("text") or ""] + [SlackThread.text_of({"blocks": args.get("blocks")})]
        for text in texts:
            assert live_markup(text) == [], text
    # The note itself: our bold header still works; the data in it is inert.
    note = t.posts_outside()[0]["text"]
    assert note.startswith("*From revops* about IXIS")
    assert "&lt;!channel&gt;" in note and "&lt;http://evil.example|click&gt;" in note and "&lt;@U0CEO0001&gt;" in note
    # Our own buttons still came through as buttons.
    assert any(b.get("type") == "actions" for b in message["blocks"])


def test_markup_in_warehouse_text_is_inert_in_a_report_posted_to_slack(capsys, settings_for, hostile_db):
    from cli import run

    db, _ = hostile_db
    with SlackAPIFake("xoxb-test-token") as api:
        settings_for(db, REVOPS_SLACK_BOT_TOKEN="xoxb-test-token", REVOPS_SLACK__API_URL=api.base_url)
        r = run(capsys, "report", "at-risk", "--post", "slack:C0REVOPS1", "--quiet", "-f", "json")
        assert r.code == 0, r.err
        sent = [c.args.get("text") or c.args.get("initial_comment") or ""
                for c in api.calls if c.method in ("chat.postMessage", "files.completeUploadExternal")]
    assert any("&lt;!channel&gt;" in s for s in sent)          # the deal is in the summary, shown as typed
    assert sent and all(live_markup(s) == [] for s in sent)


def test_escape_keeps_our_formatting_and_neutralises_data():
    from revops_cli.connectors.slack_format import WORD_JOINER, escape, to_mrkdwn

    assert escape("R&D <!here> <@U1> <http://x|y>") == "R&amp;D &lt;!here&gt; &lt;@U1&gt; &lt;http://x|y&gt;"
    assert escape("ping @here and @channel, mail a@here.com") == \
        f"ping @{WORD_JOINER}here and @{WORD_JOINER}channel, mail a@here.com"
    assert to_mrkdwn("**Bold** for [IXIS](http://evil.example) `<!channel>`") == \
        "*Bold* for IXIS (<http://evil.example>) `&lt;!channel&gt;`"
