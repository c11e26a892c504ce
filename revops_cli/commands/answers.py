"""The question commands: `ask`, `deal`, `lead`, `search`, `execute` (and `data ask`).

Each builds a Request and calls `service.ask` — the same entry the Slack bot, the webhook workers and
the reports use — then renders the Answer. Empty or blank input is a usage error (exit 2), never a question.
A dry run prints the exact command that confirms it (`revops execute --confirm act_…`).
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from revops_cli.commands import context
from revops_cli.commands.context import AnswerFormatOpt, OfflineOpt, RefreshOpt
from revops_cli.output import AnswerFormat, MarkdownStream, stdout_is_tty

SessionOpt = Annotated[Optional[str], typer.Option("--session", "-s", help="Keep context across questions under this name.")]
ContinueOpt = Annotated[bool, typer.Option("--continue", "-c", help="Continue the last CLI session.")]
BackendOpt = Annotated[Optional[str], typer.Option("--backend", "-b",
                                                   help="local (default), bedrock-agents, bedrock, or openai.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Plan and run the actions in one go; without it they are "
                                                           "a dry run to confirm with --confirm.")]
ConfirmOpt = Annotated[Optional[str], typer.Option("--confirm", metavar="ACT_ID",
                                                   help="Run the actions of an earlier dry run (act_…) exactly as "
                                                        "shown; nothing is planned again.")]

USAGES = {
    "ask": 'revops ask "QUESTION", e.g. revops ask "what are the risks on the IXIS deal?"',
    "deal": "revops deal NAME, e.g. revops deal IXIS",
    "lead": 'revops lead "NAME" [--company C], e.g. revops lead "John Smith" --company DataCorp',
    "search": "revops search COMPANY, e.g. revops search CloudTech",
    "execute": 'revops execute "ACTION" (a dry run), or revops execute --confirm act_…',
    "data ask": 'revops data ask "QUESTION", e.g. revops data ask "Q4 revenue by segment"',
}


def required_text(words: list[str] | None, command: str) -> str:
    """The words of a question command as one text; blank input is a UsageError (exit 2) with the usage."""
    text = " ".join(words or []).strip()
    if not text:
        from revops_cli.errors import UsageError

        raise UsageError(f"revops {command} needs some text; it was empty", "usage: " + USAGES[command])
    return text


def run_request(ctx: typer.Context, text: str, *, agent: str | None = None, params: dict | None = None,
                fmt: AnswerFormat = AnswerFormat.text, offline: bool = False, refresh: bool = False,
                session: str | None = None, cont: bool = False, backend: str | None = None,
                confirm: bool = False, confirm_action_id: str | None = None) -> None:
    import getpass

    from revops_cli import service
    from revops_cli.models import Request, new_id

    cli = context.get(ctx)
    settings = cli.settings
    log = service.open_log(settings)
    session_id = session
    if cont and not session_id:
        session_id = log.last_session("cli") if log is not None else None
    if confirm_action_id is None:
        session_id = session_id or new_id("cli-")     # a confirmation joins the dry run's session
    try:
        user = getpass.getuser()
    except Exception:
        user = None
    request = Request(text=text, agent=agent, params=params or {}, session_id=session_id, channel="cli",
                      user=user, confirm=confirm, backend=backend, confirm_action_id=confirm_action_id)
    # In a terminal, a streaming backend (bedrock-agents, openai with openai.stream) shows the answer as it arrives.
    stream = MarkdownStream() if fmt == AnswerFormat.text and stdout_is_tty() else None
    try:
        answer = service.ask(request, settings, mode=cli.mode(offline, refresh), log=log, on_text=stream)
    except BaseException:
        if stream is not None:
            stream.finish(None)
        raise
    streamed = stream is not None and stream.shown
    if streamed:
        stream.finish(answer.text if answer.ok else None)
    if not (streamed and answer.ok):
        render_answer(answer, fmt)
    if not answer.ok:
        raise typer.Exit(int((answer.data.get("error") or {}).get("exit_code") or 1))


def render_answer(answer, fmt: AnswerFormat) -> None:
    import sys

    from revops_cli.output import echo_json, render_markdown

    if fmt == AnswerFormat.json:
        echo_json(answer.to_dict())
        return
    if not answer.ok:
        err = answer.data.get("error") or {}
        print(f"Error: {err.get('message') or answer.error}", file=sys.stderr)
        if err.get("hint"):
            print(f"  hint: {err['hint']}", file=sys.stderr)
        return
    if fmt == AnswerFormat.markdown:
        sys.stdout.write(answer.text.rstrip("\n") + "\n")
    else:
        render_markdown(answer.text)


def ask(
    ctx: typer.Context,
    question: Annotated[list[str], typer.Argument(help="The question, in plain words.")],
    fmt: AnswerFormatOpt = AnswerFormat.text,
    session: SessionOpt = None,
    cont: ContinueOpt = False,
    backend: BackendOpt = None,
    yes: YesOpt = False,
    offline: OfflineOpt = False,
    refresh: RefreshOpt = False,
) -> None:
    """Ask anything: the manager routes it to the right agent."""
    run_request(ctx, required_text(question, "ask"), fmt=fmt, offline=offline, refresh=refresh, session=session,
                cont=cont, backend=backend, confirm=yes)


def deal(
    ctx: typer.Context,
    name: Annotated[list[str], typer.Argument(help="Deal or account name; typos are tolerated.")],
    fmt: AnswerFormatOpt = AnswerFormat.text,
    session: SessionOpt = None,
    cont: ContinueOpt = False,
    backend: BackendOpt = None,
    offline: OfflineOpt = False,
    refresh: RefreshOpt = False,
) -> None:
    """MEDDPICC assessment, risks and adjusted probability of one deal."""
    text = required_text(name, "deal")
    run_request(ctx, f"What is the status of the {text} deal?", agent="deal_analysis", params={"name": text},
                fmt=fmt, offline=offline, refresh=refresh, session=session, cont=cont, backend=backend)


def lead(
    ctx: typer.Context,
    name: Annotated[list[str], typer.Argument(help="The person's name.")],
    company: Annotated[Optional[str], typer.Option("--company", help="Their company.")] = None,
    fmt: AnswerFormatOpt = AnswerFormat.text,
    session: SessionOpt = None,
    cont: ContinueOpt = False,
    backend: BackendOpt = None,
    offline: OfflineOpt = False,
    refresh: RefreshOpt = False,
) -> None:
    """ICP fit, priority and an outreach angle for a lead or contact."""
    person = required_text(name, "lead")
    text = f"Assess {person}" + (f" from {company}" if company else "") + " as a lead"
    run_request(ctx, text, agent="lead_analysis", params={"name": person, "company": company}, fmt=fmt,
                offline=offline, refresh=refresh, session=session, cont=cont, backend=backend)


def search(
    ctx: typer.Context,
    company: Annotated[list[str], typer.Argument(help="Company name.")],
    fmt: AnswerFormatOpt = AnswerFormat.text,
    session: SessionOpt = None,
    cont: ContinueOpt = False,
    backend: BackendOpt = None,
    offline: OfflineOpt = False,
    refresh: RefreshOpt = False,
) -> None:
    """Company research: firmographics, tech stack, news."""
    name = required_text(company, "search")
    run_request(ctx, f"Research {name}", agent="web_search", params={"company": name}, fmt=fmt, offline=offline,
                refresh=refresh, session=session, cont=cont, backend=backend)


def execute(
    ctx: typer.Context,
    action: Annotated[Optional[list[str]], typer.Argument(
        help="The action, e.g. 'send the AE a note about the risks'.", show_default=False)] = None,
    yes: YesOpt = False,
    confirm: ConfirmOpt = None,
    fmt: AnswerFormatOpt = AnswerFormat.text,
    session: SessionOpt = None,
    cont: ContinueOpt = False,
    backend: BackendOpt = None,
) -> None:
    """Webhooks, CRM updates and Slack notes: a dry run (confirm it with --confirm act_…), or --yes to plan and
    run in one go."""
    import re

    words = [w for w in (action or []) if w.strip()]
    if confirm is None and len(words) == 1 and re.fullmatch(r"act_[0-9a-f]{16}", words[0].strip()):
        from revops_cli.errors import UsageError

        if not yes:               # an id alone is not an action to plan: say how to confirm it
            raise UsageError(f"{words[0].strip()} is a dry run's id, not an action",
                             f"to run it as shown: revops execute --confirm {words[0].strip()}")
        confirm, action, yes = words[0].strip(), None, False      # `revops execute act_… --yes` confirms it
    if confirm is not None:
        from revops_cli.errors import UsageError

        if not confirm.strip():
            raise UsageError("--confirm needs the dry run's id (act_…)", "usage: " + USAGES["execute"])
        if action or yes or cont or session:
            raise UsageError("--confirm runs a stored dry run as it is: give no text, --yes, --session or --continue",
                             "usage: revops execute --confirm act_…")
        run_request(ctx, f"confirm {confirm.strip()}", agent="execution", fmt=fmt, backend=backend,
                    confirm_action_id=confirm.strip())
        return
    run_request(ctx, required_text(action, "execute"), agent="execution", fmt=fmt, session=session, cont=cont,
                confirm=yes, backend=backend)


def data_ask(
    ctx: typer.Context,
    question: Annotated[list[str], typer.Argument(help="A question about the numbers.")],
    fmt: AnswerFormatOpt = AnswerFormat.text,
    session: SessionOpt = None,
    cont: ContinueOpt = False,
    backend: BackendOpt = None,
    offline: OfflineOpt = False,
    refresh: RefreshOpt = False,
) -> None:
    """Ask the Data agent: revenue, pipeline, churn, expansion, competitors, leads, forecast."""
    run_request(ctx, required_text(question, "data ask"), agent="data", fmt=fmt, offline=offline, refresh=refresh, session=session,
                cont=cont, backend=backend)
