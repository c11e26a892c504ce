"""Serving the bot: over HTTP (`create_http_app`, `serve_http`: FastAPI + uvicorn, POST /slack/events and
GET /healthz) or over Socket Mode (`run_socket_mode`). `create_bolt_app` gives the bare Bolt app.
fastapi, uvicorn and slack_bolt's adapters are imported inside these functions only.
"""

from __future__ import annotations

import logging
from typing import Any

from revops_cli.channels.slack.bot import SlackBot

log = logging.getLogger("revops.slack")

EVENTS_PATH = "/slack/events"


def create_bolt_app(settings: Any, *, client: Any = None, socket_mode: bool = False):
    """The Bolt `App`, with the `SlackBot` that owns it at `app.revops_bot` (call `.close()` when done)."""
    return SlackBot(settings, client=client, socket_mode=socket_mode).app


def create_http_app(settings: Any, *, client: Any = None):
    """FastAPI app: POST /slack/events (events, slash commands, interactivity), GET /healthz."""
    from contextlib import asynccontextmanager

    from fastapi import FastAPI
    from slack_bolt.adapter.fastapi import SlackRequestHandler

    bot = SlackBot(settings, client=client)
    handler = SlackRequestHandler(bot.app)

    @asynccontextmanager
    async def lifespan(_: Any):
        try:
            yield
        finally:
            bot.close()

    api = FastAPI(title="revops Slack bot", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    api.state.bot = bot

    async def slack_events(req: Any) -> Any:
        # Bolt's dispatch is synchronous and short here (verify, dedupe, ack, start the lazy listener), so
        # it runs on the event loop: no thread hop on the ack path. A plain Starlette route: no validation.
        return await handler.handle(req)

    api.add_route(EVENTS_PATH, slack_events, methods=["POST"], include_in_schema=False)

    @api.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"ok": True, "team": bot.team, "bot_user_id": bot.bot_user_id,
                "answers_in_flight": bot.answers_in_flight}

    return api


def serve_http(settings: Any, host: str = "127.0.0.1", port: int = 3000, *, log_level: str = "info") -> None:
    import uvicorn

    app = create_http_app(settings)
    log.info("slack: serving %s on http://%s:%s%s", app.state.bot.team or "Slack", host, port, EVENTS_PATH)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False, log_config=None)


def run_socket_mode(settings: Any) -> None:
    """Connect to Slack over Socket Mode (an app token, xapp-…) and serve until interrupted."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    bot = SlackBot(settings, socket_mode=True)
    handler = SocketModeHandler(bot.app, bot.credentials.app_token)
    log.info("slack: connected to %s over Socket Mode as %s", bot.team or "Slack", bot.bot_user_id)
    try:
        handler.start()
    except KeyboardInterrupt:
        pass
    finally:
        try:
            handler.close()
        finally:
            bot.close()
