"""Markdown answers -> Slack mrkdwn and Block Kit, within Slack's limits; Slack's text markup -> plain text.

Answers are markdown (`Answer.text`). Slack speaks its own dialect ("mrkdwn"): `*bold*`, `_italic_`,
`~strike~`, `<url|text>` links, no headings and no tables, and `&`, `<`, `>` escaped. This module converts:

- `**bold**` / `__bold__` -> `*bold*`; `*italic*` -> `_italic_`; `~~x~~` -> `~x~`; `[text](url)` -> `text (<url>)`
  (the address stays visible: answers carry data, and data must not hide a link behind words);
- everything else through `escape` (below): `<!channel>`, `<@U…>`, `<url|text>` and `@here` in data are inert;
- headings (`# x`) and lines that are bold as a whole (`**The Dry Numbers**`) -> a bold line that starts a new
  section block (with a divider before it), so the deal answer's three sections read as three cards on a phone;
- bullets -> `•` (nested `◦`);
- markdown tables -> a monospace code block when the aligned table is narrow enough for a phone
  (`max_code_width`, 56 characters), otherwise one entry per row: the first cell in bold, then
  `Header: value` pairs (long values on their own line);
- fenced code stays fenced (re-opened when a block has to be split).

Limits (https://api.slack.com/reference/block-kit/blocks): a section's text is at most 3,000 characters,
a message at most 50 blocks, a message's `text` at most 40,000 characters. `render_messages()` packs the
blocks into as many messages as needed, each with a `text` fallback (the same content as mrkdwn) for
notifications and clients without Block Kit.
"""

from __future__ import annotations

import re
from typing import Any

SECTION_LIMIT = 3000          # Slack: section text
BLOCK_LIMIT = 50              # Slack: blocks per message
MESSAGE_LIMIT = 40000         # Slack: message text
SECTION_BUDGET = 2900         # what we put in one section (room for re-opened code fences)
MESSAGE_BUDGET = 38000
MAX_TABLE_ROWS = 200          # rows shown per table; the rest are counted

_FENCE = re.compile(r"^\s*```")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)(?=\S)([^*_]|\*(?!\*)|_(?!_))+?(?<=\S)\1\s*$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_QUOTE = re.compile(r"^(\s*)>\s?(.*)$")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)<>|]+|mailto:[^\s)<>|]+)\)")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")

_PH = "\x00{}\x00"


_SPECIAL_WORD = re.compile(r"(?<![\w@])@(channel|here|everyone)\b", re.I)
WORD_JOINER = "\u2060"


def escape(text: str) -> str:
    """Text that comes from data (warehouse rows, deal names, answers, questions) -> inert Slack text.

    Every outbound Slack text built from data goes through this one function (answers via `inline`, the
    Execution agent's Slack notes, report summaries, reposted questions). Slack's three control
    characters are escaped, so `<!channel>`, `<!here>`, `<@U123>`, `<!subteam^…>` and `<http://x|click>`
    show as typed and do nothing; the words `@channel`, `@here`, `@everyone` get an invisible word joiner
    after the `@` so no client or `link_names` setting turns them into a notification. Our own markup
    (bold, our buttons, `<@asker>` in our notes) is added around escaped text, never inside it."""
    text = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL_WORD.sub(lambda m: "@" + WORD_JOINER + m.group(1), text)


def inline(text: str) -> str:
    """One line of markdown -> mrkdwn (code spans and links kept intact, the rest escaped)."""
    kept: list[str] = []

    def keep(value: str) -> str:
        kept.append(value)
        return _PH.format(len(kept) - 1)

    text = _CODE_SPAN.sub(lambda m: keep("`" + escape(m.group(2).replace("`", "'")) + "`"), text)
    # A markdown link shows where it goes: "text (<url>)", never a `<url|text>` whose words hide the address
    # (answers carry deal names and research titles, and a deal named "[click](http://evil)" is data).
    text = _LINK.sub(lambda m: escape(m.group(1)) + " (" + keep(f"<{m.group(2)}>") + ")", text)
    text = escape(text)
    text = _BOLD.sub(lambda m: "\x01" + m.group(2) + "\x01", text)
    text = _ITALIC.sub(lambda m: "_" + m.group(1) + "_", text)
    text = _STRIKE.sub(lambda m: "~" + m.group(1) + "~", text)
    text = text.replace("\x01", "*")
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)


def _plain_heading(text: str) -> str:
    return re.sub(r"\*\*|__", "", text).strip()


def _cells(line: str) -> list[str]:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|") and not s.endswith("\\|"):
        s = s[:-1]
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", s)]


def _strip_md(text: str) -> str:
    """Cell text for a code block: no markdown markers (they would show literally)."""
    text = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", text)
    text = re.sub(r"\*\*|__|~~|`", "", text)
    return text


def table_lines(header: list[str], rows: list[list[str]], *, max_code_width: int = 56) -> list[tuple[str, str]]:
    """A markdown table as (kind, mrkdwn) lines: kind "code" (an aligned monospace table) or "text"."""
    width = len(header)
    rows = [(r + [""] * width)[:width] for r in rows]
    extra = max(0, len(rows) - MAX_TABLE_ROWS)
    rows = rows[:MAX_TABLE_ROWS]
    plain = [[_strip_md(c) for c in r] for r in [header] + rows]
    widths = [max(len(r[i]) for r in plain) for i in range(width)]
    total = sum(widths) + 2 * (width - 1)
    out: list[tuple[str, str]] = []
    if total <= max_code_width:
        numeric = [all(re.fullmatch(r"[-+$€£(]*[\d.,]+[%KMBkx)]*", r[i] or "0") for r in plain[1:])
                   for i in range(width)]

        def fmt(r: list[str]) -> str:
            return "  ".join(c.rjust(widths[i]) if numeric[i] else c.ljust(widths[i])
                             for i, c in enumerate(r)).rstrip()

        out.append(("code", escape(fmt(plain[0]))))
        out.append(("code", escape("  ".join("-" * w for w in widths))))
        out.extend(("code", escape(fmt(r))) for r in plain[1:])
    else:
        for r in rows:
            first = inline(r[0]) if r[0] else ""
            short, long_ = [], []
            for h, c in zip(header[1:], r[1:]):
                if not c:
                    continue
                (short if len(c) <= 28 else long_).append(f"{inline(h)}: {inline(c)}" if h else inline(c))
            head = f"• *{_plain_heading(first)}*" if first else "•"
            out.append(("text", head + (" — " + " · ".join(short) if short else "")))
            out.extend(("text", f"      {x}") for x in long_)
    if extra:
        out.append(("text", f"_… and {extra} more row{'s' if extra != 1 else ''}, not shown here._"))
    return out


def markdown_to_lines(markdown: str, *, max_code_width: int = 56) -> list[tuple[str, str]]:
    """Markdown -> a flat list of (kind, mrkdwn line): kind is text | code | heading | rule | blank."""
    lines = (markdown or "").replace("\r\n", "\n").split("\n")
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):
            i += 1
            while i < len(lines) and not _FENCE.match(lines[i]):
                out.append(("code", escape(lines[i])))
                i += 1
            i += 1
            continue
        if "|" in line and i + 1 < len(lines) and "|" in lines[i + 1] and _TABLE_SEP.match(lines[i + 1]):
            header = _cells(line)
            rows = []
            i += 2
            while i < len(lines) and "|" in lines[i] and lines[i].strip():
                rows.append(_cells(lines[i]))
                i += 1
            out.extend(table_lines(header, rows, max_code_width=max_code_width))
            continue
        i += 1
        if not line.strip():
            out.append(("blank", ""))
        elif (m := _HEADING.match(line)):
            out.append(("heading", f"*{inline(_plain_heading(m.group(2)))}*"))
        elif _BOLD_LINE.match(line):
            out.append(("heading", f"*{inline(_plain_heading(line))}*"))
        elif _RULE.match(line):
            out.append(("rule", ""))
        elif (m := _BULLET.match(line)):
            depth = len(m.group(1).expandtabs(4)) // 2
            out.append(("text", ("    " * depth) + ("◦ " if depth else "• ") + inline(m.group(2))))
        elif (m := _QUOTE.match(line)):
            out.append(("text", m.group(1) + ">" + inline(m.group(2))))
        else:
            out.append(("text", inline(line.rstrip())))
    return out


def _render_lines(items: list[tuple[str, str]]) -> str:
    """(kind, mrkdwn) lines -> text; consecutive code lines share one ``` fence."""
    parts: list[str] = []
    in_code = False
    for kind, text in items:
        if kind == "code" and not in_code:
            parts.append("```" + text)
            in_code = True
            continue
        if kind != "code" and in_code:
            parts[-1] += "```"
            in_code = False
        parts.append("" if kind in ("blank", "rule") else text)
    if in_code:
        parts[-1] += "```"
    return re.sub(r"\n{3,}", "\n\n", "\n".join(parts)).strip("\n")


def to_mrkdwn(markdown: str, *, max_code_width: int = 56) -> str:
    """The whole answer as one mrkdwn string (for `text`, ephemeral replies and response_url)."""
    return _render_lines(markdown_to_lines(markdown, max_code_width=max_code_width))


def _split_long(text: str, limit: int) -> list[str]:
    """A single line longer than `limit`: cut at spaces where possible."""
    pieces = []
    while len(text) > limit:
        cut = text.rfind(" ", 0, limit)
        cut = cut if cut > limit // 2 else limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip(" ")
    pieces.append(text)
    return pieces


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def markdown_to_blocks(markdown: str, *, max_code_width: int = 56,
                       section_budget: int = SECTION_BUDGET) -> list[dict[str, Any]]:
    """Markdown -> section and divider blocks, every section's text within Slack's 3,000 characters."""
    blocks: list[dict[str, Any]] = []
    buf: list[tuple[str, str]] = []

    render = _render_lines

    def size(items: list[tuple[str, str]]) -> int:
        return len(render(items)) if items else 0

    def flush() -> None:
        while buf and buf[-1][0] == "blank":
            buf.pop()
        text = render(buf)
        if text.strip():
            blocks.append(section(text))
        buf.clear()

    for kind, text in markdown_to_lines(markdown, max_code_width=max_code_width):
        if kind in ("heading", "rule"):
            flush()
            if blocks and blocks[-1]["type"] != "divider":
                blocks.append({"type": "divider"})
            if kind == "rule":
                continue
        if kind == "blank" and not buf:
            continue
        if kind == "blank" and buf and buf[-1][0] == "blank":
            continue
        for piece in _split_long(text, section_budget - 8) if len(text) > section_budget - 8 else [text]:
            if buf and size(buf + [(kind, piece)]) > section_budget:
                flush()
            buf.append((kind, piece))
    flush()
    while blocks and blocks[-1]["type"] == "divider":
        blocks.pop()
    return blocks


def block_text(block: dict[str, Any]) -> str:
    """The visible text of a block (section text and fields, context elements), for fallbacks and tests."""
    parts: list[str] = []
    if isinstance(block.get("text"), dict):
        parts.append(block["text"].get("text", ""))
    for f in block.get("fields") or []:
        parts.append(f.get("text", ""))
    for e in block.get("elements") or []:
        if isinstance(e, dict) and "text" in e:
            t = e["text"]
            parts.append(t.get("text", "") if isinstance(t, dict) else str(t))
    return "\n".join(p for p in parts if p)


def pack_messages(blocks: list[dict[str, Any]], *, max_blocks: int = BLOCK_LIMIT,
                  max_chars: int = MESSAGE_BUDGET) -> list[dict[str, Any]]:
    """Blocks -> messages ({"text", "blocks"}), each within `max_blocks` blocks and `max_chars` characters.
    A message never starts or ends with a divider. `text` is the message's content as mrkdwn (the fallback)."""
    messages: list[list[dict[str, Any]]] = [[]]
    chars = 0
    for b in blocks:
        n = len(block_text(b))
        cur = messages[-1]
        if cur and (len(cur) + 1 > max_blocks or chars + n > max_chars):
            messages.append([])
            cur, chars = messages[-1], 0
        if b["type"] == "divider" and not cur:
            continue
        cur.append(b)
        chars += n
    out = []
    for m in messages:
        while m and m[-1]["type"] == "divider":
            m.pop()
        if m:
            text = "\n\n".join(t for t in (block_text(b) for b in m) if t)
            out.append({"text": text[:MESSAGE_LIMIT], "blocks": m})
    return out


def render_messages(markdown: str, *, header: list[dict[str, Any]] | None = None,
                    footer: list[dict[str, Any]] | None = None, max_blocks: int = BLOCK_LIMIT,
                    max_chars: int = MESSAGE_BUDGET, max_code_width: int = 56) -> list[dict[str, Any]]:
    """An answer as Slack messages: `header` blocks open the first message, `footer` blocks (e.g. a context
    line or confirmation buttons) close the last one; everything within Slack's limits."""
    header, footer = list(header or []), list(footer or [])
    body = markdown_to_blocks(markdown, max_code_width=max_code_width)
    if not body and not header and not footer:
        body = [section("_(no answer text)_")]
    messages = pack_messages(header + body, max_blocks=max_blocks, max_chars=max_chars) if header or body else []
    if footer:
        foot_chars = sum(len(block_text(b)) for b in footer)
        last = messages[-1] if messages else None
        if last is None or len(last["blocks"]) + len(footer) > max_blocks or \
                sum(len(block_text(b)) for b in last["blocks"]) + foot_chars > max_chars:
            messages.append({"text": "", "blocks": []})
            last = messages[-1]
        last["blocks"].extend(footer)
        last["text"] = "\n\n".join(t for t in (block_text(b) for b in last["blocks"]) if t)[:MESSAGE_LIMIT]
    return messages


def context_block(*texts: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": t[:SECTION_LIMIT]} for t in texts[:10] if t]}


# ------------------------------------------------------------------------------------------- Slack -> plain
_USER_REF = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL_REF = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
_SUBTEAM_REF = re.compile(r"<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
_LINK_REF = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")


def slack_to_plain(text: str, bot_user_id: str | None = None) -> str:
    """A message as Slack sends it -> the question as typed: the bot's own mention removed, `<#C1|deal-desk>`
    -> `#deal-desk`, `<mailto:a@b|a@b>` -> `a@b`, `<https://x|x>` -> `https://x`, `&amp;` -> `&`."""
    text = text or ""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>\s*[:,]?", " ", text)
    text = _USER_REF.sub(lambda m: "@" + (m.group(2) or m.group(1)), text)
    text = _CHANNEL_REF.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _SUBTEAM_REF.sub(lambda m: "@" + (m.group(1) or "group").lstrip("@"), text)
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    text = _LINK_REF.sub(lambda m: m.group(1)[7:] if m.group(1).startswith("mailto:") else m.group(1), text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return re.sub(r"[ \t]+", " ", text).strip()
