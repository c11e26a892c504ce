"""Posting to Slack (chat.postMessage) through slack_sdk, with one-line errors that never carry the token.

`slack.api_url` points the client at another Web API root (ending in `/api/`), e.g. a local fake in tests.

Rate limits: every client made here (`web_client`, also the Slack bot's) carries slack_sdk's own
`RateLimitErrorRetryHandler`, so an HTTP 429 is retried after the `Retry-After` Slack sends (at most
`RATE_LIMIT_RETRIES` times) instead of failing the post; only a post still rate-limited after that fails.
"""

from __future__ import annotations

from typing import Any
from revops_cli.errors import ActionError, ConfigError, MissingExtraError
from revops_cli.redaction import url_host

DEFAULT_API_URL = "https://slack.com/api/"
RATE_LIMIT_RETRIES = 2


def web_client(token: str | None, base_url: str, timeout: int) -> Any:
    """A slack_sdk WebClient that waits out Slack's rate limits (HTTP 429 + Retry-After) and tries again."""
    from slack_sdk import WebClient
    from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

    return WebClient(token=token, base_url=base_url, timeout=timeout,
                     retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)])

HINTS = {
    "invalid_auth": "check REVOPS_SLACK_BOT_TOKEN (a bot token, xoxb-…)",
    "not_authed": "set REVOPS_SLACK_BOT_TOKEN",
    "token_revoked": "the bot token was revoked; install the Slack app again",
    "account_inactive": "the bot token was revoked; install the Slack app again",
    "channel_not_found": "check the channel name, and invite the bot to private channels",
    "not_in_channel": "invite the bot to the channel (/invite @revops)",
    "is_archived": "the channel is archived",
    "missing_scope": "add the scope to the Slack app (chat:write, users:read.email) and reinstall it",
    "users_not_found": "no Slack user has that email",
    "ratelimited": "Slack rate-limited the bot; try again in a minute",
    "msg_too_long": "the message is too long for Slack",
}


class SlackNotifier:
    def __init__(self, token: str | None, api_url: str | None = None, timeout_s: int = 10):
        if not token:
            raise ConfigError("no Slack bot token: REVOPS_SLACK_BOT_TOKEN is not set",
                              "set it (or slack.bot_token) to the Slack app's bot token, xoxb-…")
        try:
            import slack_sdk  # noqa: F401
        except ImportError:  # pragma: no cover - slack_sdk ships with the serve extra
            raise MissingExtraError("serve", "slack_sdk") from None
        base = (api_url or DEFAULT_API_URL).rstrip("/") + "/"
        if api_url:
            from revops_cli.connectors.addresses import check_outbound_url

            check_outbound_url(base, "slack.api_url")        # never a metadata or link-local address
        self.api_url = base
        self._host = url_host(base)
        self.client = web_client(token, base, timeout_s)

    @classmethod
    def from_settings(cls, settings: Any) -> "SlackNotifier":
        return cls(settings.get("slack.bot_token"), settings.get("slack.api_url"))

    def call(self, method: str, fn: Any, **kwargs: Any) -> dict[str, Any]:
        """One Web API call (`fn` a method of `self.client`): Slack's answer, or an ActionError in one line."""
        from slack_sdk.errors import SlackApiError, SlackClientError

        try:
            response = fn(**kwargs)
        except SlackApiError as exc:
            error = (exc.response.get("error") if exc.response is not None else None) or "unknown_error"
            needed = exc.response.get("needed") if exc.response is not None else None
            hint = HINTS.get(error, "see https://api.slack.com/methods/" + method)
            if needed:
                hint = f"add the scope {needed} to the Slack app and reinstall it"
            raise ActionError(f"Slack {method} failed: {error}", hint) from None
        except SlackClientError as exc:
            raise ActionError(f"Slack {method} failed: {type(exc).__name__}", "check slack.api_url") from None
        except OSError as exc:        # urllib: connection refused, DNS, timeout
            reason = getattr(exc, "reason", None) or exc
            text = getattr(reason, "strerror", None) or type(reason).__name__
            raise ActionError(f"cannot reach Slack at {self._host}: {text}",
                              "check the network and slack.api_url") from None
        return dict(response.data) if hasattr(response, "data") else dict(response)

    def auth_test(self) -> dict[str, Any]:
        return self.call("auth.test", self.client.auth_test)

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]] | None = None,
             thread_ts: str | None = None) -> dict[str, Any]:
        """chat.postMessage; returns Slack's answer (`channel`, `ts`, `message`)."""
        from revops_cli.redaction import redact_text, redact_value

        kwargs: dict[str, Any] = {"channel": channel, "text": redact_text(text)}
        if blocks:
            kwargs["blocks"] = redact_value(blocks)
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        return self.call("chat.postMessage", self.client.chat_postMessage, **kwargs)

    def user_for_email(self, email: str) -> str | None:
        """The Slack user id for an email (users.lookupByEmail), None if nobody has it."""
        try:
            data = self.call("users.lookupByEmail", self.client.users_lookupByEmail, email=email)
        except ActionError as exc:
            if "users_not_found" in exc.message:
                return None
            raise
        return (data.get("user") or {}).get("id")
