"""Keeping the Slack credentials out of the logs.

The process has one `RedactingFilter` (`redactor`). `install_log_redaction(*secrets)` registers the secrets
with it and attaches it to the root logger's handlers; `redacting_handler()` is a stderr handler that has it
already (the serve command and each answer worker process log through one). It replaces the registered
secrets, and anything shaped like a Slack token, in every record, tracebacks included. `one_line(exc)`
describes an exception in one scrubbed line, for log messages.
"""

from __future__ import annotations

import logging
import re


class RedactingFilter(logging.Filter):
    """Replaces the given secrets, and anything shaped like a Slack token, in every record it sees."""

    _TOKEN = re.compile(r"\b(?:xox[abposre]|xapp)-[A-Za-z0-9-]{6,}")

    def __init__(self) -> None:
        super().__init__("revops-redact")
        self.secrets: set[str] = set()

    def add(self, *secrets: str | None) -> None:
        self.secrets.update(s for s in secrets if s and len(s) >= 6)

    def scrub(self, text: str) -> str:
        for s in self.secrets:
            if s in text:
                text = text.replace(s, "[REDACTED]")
        return self._TOKEN.sub("[REDACTED:slack_token]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:   # a malformed record: leave it to logging's own error handling
            return True
        clean = self.scrub(message)
        if record.exc_info and record.exc_info[1] is not None:
            exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = self.scrub(exc_text)
            record.exc_info = None
        if clean != message or record.args:
            record.msg, record.args = clean, None
        return True


redactor = RedactingFilter()


def install_log_redaction(*secrets: str | None) -> RedactingFilter:
    """Redact these secrets from every record handled by the root logger's handlers (now and, through
    `redacting_handler`, those the serve command adds)."""
    redactor.add(*secrets)
    for h in logging.getLogger().handlers:
        if redactor not in h.filters:
            h.addFilter(redactor)
    return redactor


def redacting_handler(level: int = logging.INFO) -> logging.Handler:
    handler = logging.StreamHandler()
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(redactor)
    return handler


def one_line(exc: BaseException) -> str:
    """An exception as one line for a log message (a RevopsError's own line, a Slack API error code, or the
    type and first line of the message), with the secrets scrubbed."""
    from revops_cli.errors import RevopsError

    if isinstance(exc, RevopsError):
        return exc.one_line()
    try:
        from slack_sdk.errors import SlackApiError

        if isinstance(exc, SlackApiError) and exc.response is not None:
            return f"SlackApiError: {exc.response.get('error')}"
    except ImportError:  # pragma: no cover
        pass
    text = str(exc).splitlines()[0] if str(exc) else ""
    return redactor.scrub(f"{type(exc).__name__}: {text}"[:300])
