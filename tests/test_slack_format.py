"""Markdown -> Slack mrkdwn / Block Kit, within Slack's limits (connectors/slack_format.py)."""

from __future__ import annotations

import re

from revops_cli.connectors import slack_format as f

DEAL = """**The Dry Numbers**
- **Deal:** IXIS - Snowflake Cost Replacement (OPP-0000001)
- **Stage:** Negotiate (75% probability)
- **Size:** $2.1M ARR

**Bottom Line**
MEDDPICC is Strong (90/100), but 4 risks are open & *one* is ~~new~~ <urgent>.

**Risks and Opportunities**
- **Risk (business, high):** Budget approval slipping — “Dana, our CFO, still has to sign off.”
- **Opportunity:** Additional use cases worth $500K ARR

**MEDDPICC: 90/100, Strong**

| Element | Score | Status | Evidence |
| --- | --- | --- | --- |
| M Metrics | 3/3 | Leveraged (CRM Validated, +1 from calls) | “Raj Mehta: A clear three-year view of Snowflake savings.” |
| E Economic Buyer | 2/3 | Validated | |
"""


def all_text(messages):
    return "\n".join(f.block_text(b) for m in messages for b in m["blocks"])


def test_inline_markup():
    assert f.inline("**bold** and __bold__") == "*bold* and *bold*"
    assert f.inline("an *italic* word") == "an _italic_ word"
    assert f.inline("~~gone~~") == "~gone~"
    # A markdown link keeps its address visible: answers carry data, and data must not hide a link behind words.
    assert f.inline("see [the docs](https://example.com/a?b=1&c=2)") == "see the docs (<https://example.com/a?b=1&c=2>)"
    assert f.inline("R&D <b> 3 > 2") == "R&amp;D &lt;b&gt; 3 &gt; 2"
    assert f.inline("keep `**code**` as is") == "keep `**code**` as is"
    assert f.inline("**Risk (business, high):** text") == "*Risk (business, high):* text"
    assert f.inline("2 * 3 * 4") == "2 * 3 * 4"                     # not italics


def test_headings_bullets_quotes_rules():
    text = f.to_mrkdwn("# Title\n### Sub **x**\n- a\n  - nested\n* b\n> quoted\n---\n1. one")
    assert text.splitlines() == ["*Title*", "*Sub x*", "• a", "    ◦ nested", "• b", ">quoted", "", "1. one"]


def test_deal_answer_has_three_readable_sections():
    messages = f.render_messages(DEAL)
    assert len(messages) == 1
    blocks = messages[0]["blocks"]
    sections = [f.block_text(b) for b in blocks if b["type"] == "section"]
    assert [s.splitlines()[0] for s in sections] == ["*The Dry Numbers*", "*Bottom Line*",
                                                     "*Risks and Opportunities*", "*MEDDPICC: 90/100, Strong*"]
    assert [b["type"] for b in blocks].count("divider") == 3
    assert "• *Deal:* IXIS - Snowflake Cost Replacement (OPP-0000001)" in sections[0]
    assert "&amp;" in sections[1] and "&lt;urgent&gt;" in sections[1] and "_one_" in sections[1]
    assert "~new~" in sections[1]
    # The wide MEDDPICC table: one entry per row, first cell bold, long values on their own line.
    assert "• *M Metrics* — Score: 3/3" in sections[3]
    assert "      Status: Leveraged (CRM Validated, +1 from calls)" in sections[3]
    assert "• *E Economic Buyer* — Score: 2/3 · Status: Validated" in sections[3]
    assert "|" not in sections[3] and "**" not in messages[0]["text"]
    assert messages[0]["text"].startswith("*The Dry Numbers*")


def test_narrow_table_is_an_aligned_code_block():
    md = "| Stage | Deals | Amount |\n| --- | ---: | ---: |\n| Discovery | 50 | $7.3M |\n| Negotiate | 6 | $12M |"
    text = f.to_mrkdwn(md)
    assert text.startswith("```") and text.endswith("```")
    lines = text.strip("`").splitlines()
    assert lines[0] == "Stage      Deals  Amount"
    assert lines[2] == "Discovery     50   $7.3M"
    assert lines[3] == "Negotiate      6    $12M"
    assert f.to_mrkdwn(md, max_code_width=10).startswith("• *Discovery* — Deals: 50 · Amount: $7.3M")


def test_long_answers_split_within_slack_limits():
    rows = "\n".join(f"| Deal {i} | Stage {i % 5} | ${i}K | Owner {i} with a long-ish name | 2026-12-{i % 28 + 1:02d} |"
                     for i in range(150))
    md = "### Big\n\n" + ("A paragraph of analysis. " * 400) + "\n\n" + \
        "| Deal | Stage | Amount | Owner | Close |\n| --- | --- | --- | --- | --- |\n" + rows + "\n\n" + \
        "\n".join(f"- bullet {i} " + "x" * 200 for i in range(300)) + "\n\n```sql\n" + \
        "\n".join(f"SELECT {i} FROM t;" for i in range(400)) + "\n```"
    messages = f.render_messages(md, footer=[f.context_block("deal analysis · 0.4 s")])
    assert len(messages) > 1
    for m in messages:
        assert 0 < len(m["blocks"]) <= f.BLOCK_LIMIT
        assert len(m["text"]) <= f.MESSAGE_LIMIT
        assert sum(len(f.block_text(b)) for b in m["blocks"]) <= f.MESSAGE_LIMIT
        assert m["blocks"][0]["type"] != "divider" and m["blocks"][-1]["type"] != "divider"
        for b in m["blocks"]:
            if b["type"] == "section":
                t = b["text"]["text"]
                assert len(t) <= f.SECTION_LIMIT
                assert t.count("```") % 2 == 0          # a split code block is closed and re-opened
    text = all_text(messages)
    assert "bullet 299" in text and "SELECT 399 FROM t;" in text and "Deal 149" in text
    assert messages[-1]["blocks"][-1]["type"] == "context"  # the footer closes the last message
    assert re.sub(r"\s+", " ", text).count("A paragraph of analysis.") == 400   # a long line is cut, nothing lost


def test_huge_table_is_capped_with_a_count():
    md = "| a | b |\n| - | - |\n" + "\n".join(f"| {i} | {i} |" for i in range(f.MAX_TABLE_ROWS + 5))
    assert "… and 5 more rows" in f.to_mrkdwn(md)


def test_empty_answer_still_renders():
    assert f.render_messages("")[0]["blocks"]


def test_slack_to_plain():
    text = ("<@UBOT0001> tell <@U0SARAH|sarah> in <#C0123|deal-desk> about &lt;IXIS&gt; &amp; "
            "<mailto:raj@ixis.com|raj@ixis.com> <https://ixis.com|ixis.com> <!here>")
    assert f.slack_to_plain(text, "UBOT0001") == \
        "tell @sarah in #deal-desk about <IXIS> & raj@ixis.com https://ixis.com @here"
    assert f.slack_to_plain("<@UBOT0001>: what is the status of the IXIS deal?", "UBOT0001") == \
        "what is the status of the IXIS deal?"
    assert f.slack_to_plain("<@UBOT0001>", "UBOT0001") == ""


def test_mrkdwn_never_leaks_markdown_bold():
    messages = f.render_messages(DEAL)
    assert not re.search(r"\*\*", all_text(messages))
