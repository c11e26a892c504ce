"""`revops conversations list|show` and `revops export-conversations`: the conversation log."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from revops_cli.commands import context
from revops_cli.commands.context import SummaryFormatOpt, TableFormatOpt
from revops_cli.output import SummaryFormat, TableFormat

app = typer.Typer(help="The conversation log: every answer from every channel.", no_args_is_help=True)

ChannelOpt = Annotated[Optional[str], typer.Option("--channel", help="cli, slack, webhook or report.")]
SinceOpt = Annotated[Optional[str], typer.Option("--since", help="From this date or time (UTC, inclusive).")]
UntilOpt = Annotated[Optional[str], typer.Option("--until", help="Before this date or time (UTC, exclusive).")]


def _log(ctx: typer.Context):
    from revops_cli.conversations.log import ConversationLog
    from revops_cli.errors import ConfigError

    settings = context.get(ctx).settings
    path = settings.conversations_path
    if not path.exists():
        if not settings.get("conversations.enabled", True):
            raise ConfigError("conversation logging is off", "set conversations.enabled: true in revops.yaml")
    return ConversationLog(path)


@app.command("list")
def list_(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("-n", "--limit", help="How many, newest first.")] = 20,
    channel: ChannelOpt = None,
    since: SinceOpt = None,
    search: Annotated[Optional[str], typer.Option("--search", help="Text in the question or the answer.")] = None,
    session: Annotated[Optional[str], typer.Option("--session", help="Only this session.")] = None,
    fmt: TableFormatOpt = TableFormat.table,
) -> None:
    """List logged conversations, newest first."""
    from revops_cli.output import echo_json, render_result
    from revops_cli.warehouse.base import QueryResult

    rows = _log(ctx).list(limit=limit, channel=channel, since=since, search=search, session=session)
    if fmt == TableFormat.json:
        echo_json(rows)
        return
    table = [(r["conversation_id"], r["started_at"][:19].replace("T", " "), r["channel"], r.get("agent"),
              "ok" if r.get("ok") else "error", f"{(r.get('duration_ms') or 0):.0f}",
              " ".join(str(r.get("query") or "").split())[:60]) for r in rows]
    render_result(QueryResult(columns=["id", "started (UTC)", "channel", "agent", "status", "ms", "question"],
                              types=["TEXT"] * 5 + ["INTEGER", "TEXT"], rows=table), fmt)


@app.command("show")
def show(
    ctx: typer.Context,
    conversation_id: Annotated[str, typer.Argument(help="Conversation id or a unique prefix.")],
    fmt: SummaryFormatOpt = SummaryFormat.text,
) -> None:
    """Show one conversation: the question, each step of the trace, and the answer."""
    from revops_cli.output import echo_json, render_markdown

    rec = _log(ctx).get(conversation_id)
    if fmt == SummaryFormat.json:
        echo_json(rec)
        return
    lines = [f"# {rec['conversation_id']}", "",
             f"- **When:** {rec['started_at']} ({rec.get('duration_ms') or 0:.0f} ms)",
             f"- **Channel:** {rec['channel']}  **User:** {rec.get('user') or '-'}  **Session:** {rec.get('session_id') or '-'}",
             f"- **Agent:** {rec.get('agent')}  **Backend:** {rec.get('backend')}  **Status:** {'ok' if rec.get('ok') else 'error: ' + str(rec.get('error'))}",
             f"- **Question:** {rec.get('query')}"]
    usage = usage_line(rec.get("steps") or [])
    if usage:
        lines.append(f"- **Model usage:** {usage}")
    lines += ["", "## Steps", ""]
    for i, s in enumerate(rec.get("steps") or [], 1):
        extra = []
        if s.get("sql_pattern"):
            extra.append(f"pattern `{s['sql_pattern']}`")
        if s.get("rows") is not None:
            extra.append(f"{s['rows']} rows")
        if s.get("cached"):
            extra.append("cached")
        status = "" if s.get("ok", True) else f" **failed:** {s.get('error')}"
        lines.append(f"{i}. `{s.get('kind')}` **{s.get('agent')}** → {s.get('name')} "
                     f"({(s.get('duration_ms') or 0):.1f} ms{', ' + ', '.join(extra) if extra else ''}) "
                     f"{s.get('detail') or ''}{status}")
    lines += ["", "## Answer", "", str(rec.get("response") or "")]
    render_markdown("\n".join(lines))


def usage_line(steps: list[dict]) -> str | None:
    """What a model-driven backend (bedrock, openai) spent, from the trace's `usage` step."""
    step = next((s for s in reversed(steps) if s.get("kind") == "note" and s.get("name") == "usage"), None)
    if step is None:
        return None
    p = step.get("params") or {}
    line = (f"{p.get('turns', 0)} model turns, {p.get('tool_calls', 0)} tool calls, "
            f"{p.get('input_tokens', 0)} prompt / {p.get('output_tokens', 0)} completion tokens")
    limits = [f"{p[k]} {label}" for k, label in (("max_tool_calls", "tool calls"), ("max_total_tokens", "tokens"))
              if p.get(k)]
    return line + (f" (budget: {', '.join(limits)})" if limits else "")


def export_conversations(
    ctx: typer.Context,
    to: Annotated[str, typer.Option("--to", help="A folder, or s3://bucket/prefix.")],
    since: SinceOpt = None,
    until: UntilOpt = None,
    channel: ChannelOpt = None,
    session: Annotated[Optional[str], typer.Option("--session", help="Only this session.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Rewrite files even when unchanged.")] = False,
    fmt: SummaryFormatOpt = SummaryFormat.text,
) -> None:
    """Export conversations as YYYY/MM/DD/<timestamp>/conversation.json + metadata.json."""
    from revops_cli.conversations.export import export_conversations as run_export
    from revops_cli.output import echo_json, progress_wanted

    summary = run_export(_log(ctx), to, since=since, until=until, channel=channel, session=session,
                         progress=progress_wanted(), force=force)
    if fmt == SummaryFormat.json:
        echo_json(summary.to_dict())
    else:
        d = summary.to_dict()
        print(f"exported {d['total']} conversations to {to}: {d['written']} written, {d['unchanged']} unchanged, "
              f"{d['flagged']} below the quality threshold" + (f", {len(d['failed'])} failed" if d['failed'] else ""))
    if not summary.ok:          # some conversations could not be written: an output failed (exit 7)
        from revops_cli.errors import ActionError

        raise typer.Exit(ActionError.exit_code)
