"""Delivering a rendered report: `--post slack:#channel` or `--post webhook:NAME`.

Slack: one `files_upload_v2` call sharing every chart (PNG) to the channel with the summary as the
message (`initial_comment`); a report without charts is posted as a plain message. `#name` is turned into
a channel id with conversations.list when the bot may read it (channels:read / groups:read); otherwise the
name is passed as given. Scopes: files:write, chat:write (and channels:read to use #names).

Webhook: a signed JSON POST (Standard Webhooks, through `connectors.webhooks.deliver`) to a configured
endpoint - `webhooks.endpoints.NAME` in revops.yaml, under the SSRF guard and `webhooks.allow_hosts`:

    {"type": "revops.report", "report": {...the JSON format...}, "summary": "...",
     "charts": [{"name", "title", "filename", "content_type": "image/png", "base64"}]}

Targets are checked before the report runs (`check_target`: syntax, token, endpoint name), so a typo fails
at once with exit 2 or 3; a failure while delivering raises `DeliveryError` (exit 7).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

from revops_cli.errors import ActionError, ConfigError, MissingExtraError, RevopsError, UsageError
from revops_cli.reports.engine import Report

SLACK_TEXT_LIMIT = 3500


class DeliveryError(ActionError):
    """The report was produced (and any --out file written) but could not be delivered (exit 7, like any
    failed action; exit 5 and the others mean no report was produced)."""


@dataclass
class Target:
    kind: str          # slack | webhook
    name: str          # "#channel" / channel id, or the endpoint name

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


def parse_target(value: str) -> Target:
    kind, sep, name = str(value).partition(":")
    kind, name = kind.strip().lower(), name.strip()
    if not sep or kind not in ("slack", "webhook") or not name:
        raise UsageError(f"--post {value!r} is not a destination",
                         "use slack:#channel (or slack:C0123ABC) or webhook:NAME")
    return Target(kind, name)


def check_target(target: Target, settings: Any) -> None:
    """Fail before running the report when the destination cannot work (exit 2 or 3)."""
    if target.kind == "slack":
        if not settings.get("slack.bot_token"):
            raise ConfigError("no Slack bot token: REVOPS_SLACK_BOT_TOKEN is not set",
                              "set it (or slack.bot_token) to the Slack app's bot token, xoxb-…")
        try:
            import slack_sdk  # noqa: F401
        except ImportError:  # pragma: no cover
            raise MissingExtraError("serve", "slack_sdk") from None
    else:
        from revops_cli.connectors.webhooks import endpoint

        endpoint(settings, target.name)


def summary_text(report: Report, *, slack: bool = False, bullets: int = 3) -> str:
    """A short plain-text (or Slack mrkdwn) summary: title, date, and the first lines of each section."""
    from revops_cli.reports.render import period_label

    def esc(s: Any) -> str:
        if not slack:
            return str(s)
        from revops_cli.connectors.slack_format import escape

        return escape(s)        # report lines carry warehouse text: inert in Slack

    def inline(s: str) -> str:
        s = re.sub(r"\*\*(.+?)\*\*", r"*\1*" if slack else r"\1", esc(s))
        return s if slack else s.replace("`", "")

    period = period_label(report.period)
    head = f"*{esc(report.title)}*" if slack else report.title
    lines = [f"{head} - as of {report.as_of.isoformat()}" + (f", {esc(period)}" if period else "")]
    for s in report.sections:
        lines.append("")
        lines.append(f"*{esc(s.heading)}*" if slack else s.heading)
        if s.error:
            lines.append(f"Error: {esc(s.error.get('message'))}")
            continue
        for i, line in enumerate(s.summary[:1 + bullets]):
            lines.append(("" if i == 0 else "• ") + inline(line))
    text = "\n".join(lines)
    if len(text) > SLACK_TEXT_LIMIT:
        text = text[:SLACK_TEXT_LIMIT - 1].rstrip() + "…"
    return text


def deliver(report: Report, target: Target, settings: Any) -> dict[str, Any]:
    """Post the report; returns what the destination answered. Raises DeliveryError (exit 7)."""
    try:
        if target.kind == "slack":
            return post_slack(report, target.name, settings)
        return post_webhook(report, target.name, settings)
    except DeliveryError:
        raise
    except RevopsError as exc:
        raise DeliveryError(f"could not deliver the report to {target}: {exc.message}", exc.hint) from None


def _channel_id(notifier: Any, channel: str) -> str:
    """`#name` -> its id via conversations.list, when the token may list channels; else the name as given."""
    if not channel.startswith("#"):
        return channel
    wanted = channel[1:].lower()
    cursor = None
    try:
        for _ in range(20):
            kwargs: dict[str, Any] = {"types": "public_channel,private_channel", "exclude_archived": True,
                                      "limit": 1000}
            if cursor:
                kwargs["cursor"] = cursor
            data = notifier.call("conversations.list", notifier.client.conversations_list, **kwargs)
            for ch in data.get("channels") or []:
                if str(ch.get("name", "")).lower() == wanted:
                    return str(ch["id"])
            cursor = (data.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
    except ActionError:
        pass
    return channel


def post_slack(report: Report, channel: str, settings: Any) -> dict[str, Any]:
    from revops_cli.connectors.slack_client import SlackNotifier

    notifier = SlackNotifier.from_settings(settings)
    text = summary_text(report, slack=True)
    charts = report.charts
    if not charts:
        data = notifier.post(channel, text)
        return {"kind": "slack", "channel": data.get("channel"), "ts": data.get("ts"), "files": []}
    uploads = [{"content": report.chart_png(c), "filename": f"{report.name}-{c.name}.png", "title": c.title}
               for c in charts]
    data = notifier.call("files.uploadV2", notifier.client.files_upload_v2,
                          channel=_channel_id(notifier, channel), initial_comment=text, file_uploads=uploads)
    files = data.get("files") or ([data["file"]] if data.get("file") else [])
    return {"kind": "slack", "channel": channel, "files": [f.get("id") for f in files if isinstance(f, dict)]}


def webhook_payload(report: Report) -> dict[str, Any]:
    return {"type": "revops.report", "report": report.to_dict(), "summary": summary_text(report),
            "charts": [{"name": c.name, "title": c.title, "filename": f"{report.name}-{c.name}.png",
                        "content_type": "image/png",
                        "base64": base64.b64encode(report.chart_png(c)).decode("ascii")} for c in report.charts]}


def post_webhook(report: Report, name: str, settings: Any) -> dict[str, Any]:
    from revops_cli.connectors.webhooks import deliver as send, endpoint

    url, secret = endpoint(settings, name)
    result = send(url, webhook_payload(report), secret=secret,
                  allow_hosts=settings.get("webhooks.allow_hosts") or [])
    if not result.ok:
        raise DeliveryError(f"could not deliver the report to webhook:{name}: {result.error or result.status}",
                            "check the receiver and webhooks.endpoints in revops.yaml")
    return {"kind": "webhook", "endpoint": name, "status": result.status, "attempts": result.attempts,
            "msg_id": result.msg_id}
