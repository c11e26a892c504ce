"""`revops serve-slack`: the Slack bot, over HTTP (Events API at /slack/events) or Socket Mode."""

from __future__ import annotations

from typing import Annotated

import typer

from revops_cli.commands import context


def serve_slack(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on (HTTP mode).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", help="Port to listen on (HTTP mode).")] = 3000,
    socket_mode: Annotated[bool, typer.Option("--socket-mode",
                                              help="Connect out to Slack with the app token (REVOPS_SLACK_APP_TOKEN) "
                                                   "instead of serving HTTP: no public URL needed.")] = False,
) -> None:
    """Answer @mentions, DMs and /revops in Slack threads.

    HTTP mode serves Slack's events, slash commands and interactivity at POST /slack/events (and GET /healthz);
    it needs REVOPS_SLACK_BOT_TOKEN and REVOPS_SLACK_SIGNING_SECRET (or slack.secrets_manager_id).
    """
    import logging

    from revops_cli.redaction import redacting_handler
    from revops_cli.channels.slack.serve import run_socket_mode, serve_http

    cli = context.get(ctx)
    level = logging.DEBUG if cli.verbose else logging.INFO
    root = logging.getLogger()
    if not any(getattr(h, "_revops_slack", False) for h in root.handlers):
        handler = redacting_handler(level)
        handler._revops_slack = True          # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("slack_sdk", "slack_bolt", "urllib3", "httpx"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if cli.verbose else logging.WARNING)
    settings = cli.settings
    if socket_mode:
        run_socket_mode(settings)
    else:
        serve_http(settings, host, port, log_level="debug" if cli.verbose else "info")
