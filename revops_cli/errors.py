"""The errors a user can cause or fix. Each carries a one-line message and a hint on what to do.

The CLI prints `Error: <message>` (plus the hint) and exits with `exit_code`; servers map them to 4xx.
Anything that is not a RevopsError is a bug: the CLI still prints one line, unless --verbose.
"""

from __future__ import annotations


class RevopsError(Exception):
    """A failure the user can act on."""

    exit_code = 1
    http_status = 400
    retryable = False      # a passing failure (a service unreachable or busy): asking again later may succeed

    def __init__(self, message: str, hint: str | None = None, *, retryable: bool | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if retryable is not None:
            self.retryable = retryable

    def one_line(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def to_dict(self) -> dict:
        """The one error object of revops' JSON: in an answer's `data.error`, in a report's errors, and as
        `{"ok": false, "error": ...}` from a table command with `-f json` (`data run`, `data sql`, ...)."""
        return {"kind": type(self).__name__, "message": self.message, "hint": self.hint, "exit_code": self.exit_code,
                "retryable": self.retryable}


class UsageError(RevopsError):
    """Bad arguments: unknown names, missing or mistyped parameters."""

    exit_code = 2


class NotFoundError(RevopsError):
    """A named thing (pattern, deal, lead, conversation, cache entry) does not exist."""

    exit_code = 2
    http_status = 404


class ConfigError(RevopsError):
    """A config file or setting is wrong or missing."""

    exit_code = 3


class RefusedSQLError(RevopsError):
    """The read-only guard refused a statement."""

    exit_code = 4
    http_status = 422


class WarehouseError(RevopsError):
    """The warehouse failed or could not be reached."""

    exit_code = 5
    http_status = 502


class OfflineMissError(RevopsError):
    """--offline was asked for, and the cache has no answer for this query."""

    exit_code = 6
    http_status = 404


class ActionError(RevopsError):
    """An action (webhook, CRM write, Slack post) failed or is not allowed."""

    exit_code = 7
    http_status = 502


class ModelBackendError(RevopsError):
    """The LLM backend (Bedrock, an OpenAI-compatible server) failed, could not be reached, or its model ran
    past the question's budget."""

    exit_code = 8
    http_status = 502


class UnusableFileError(RevopsError):
    """A file or folder revops needs (REVOPS_HOME, revops.yaml, the cache, the conversation log) cannot be
    read or written: a file where a folder should be, no permission, a full or read-only disk."""

    exit_code = 3
    http_status = 503


class NotUnderstoodError(RevopsError):
    """A question revops did not fully understand: a word that looks like a filter, a breakdown or an analysis
    it cannot apply. It is not answered with a number (which would answer another question); the message names
    what was not understood and the hint lists the closest questions revops can answer."""

    exit_code = 9
    http_status = 422


# The optional dependencies ("extras" in pyproject.toml) and the modules that only they bring.
EXTRA_OF_MODULE = {
    "fastapi": "serve", "uvicorn": "serve", "starlette": "serve", "slack_bolt": "serve", "slack_sdk": "serve",
    "matplotlib": "report",
    "openai": "llm",
    "mcp": "mcp",
}
EXTRA_USE = {"serve": "the webhook API and the Slack bot", "report": "charts in HTML reports",
             "llm": "the openai backend", "mcp": "the MCP server"}


class MissingExtraError(ConfigError):
    """A command needs an optional dependency that is not installed: names the extra and the pip command."""

    def __init__(self, extra: str, module: str):
        super().__init__(f"this needs the optional '{extra}' dependencies ({EXTRA_USE.get(extra, extra)}): "
                         f"{module} is not installed", install_hint(extra))
        self.extra = extra
        self.module = module


def install_hint(extra: str) -> str:
    return f"pip install 'revops-cli[{extra}]' (or pipx install 'revops-cli[{extra}]' --force)"


def missing_extra(exc: BaseException) -> MissingExtraError | None:
    """The MissingExtraError behind an ImportError of a module only an extra brings, else None."""
    if not isinstance(exc, ImportError) or not exc.name:
        return None
    module = exc.name.split(".")[0]
    extra = EXTRA_OF_MODULE.get(module)
    return MissingExtraError(extra, module) if extra else None
