"""What every command shares: global options, the resolved settings, and the shared option types."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, Iterator, Optional

import typer

from revops_cli.errors import RevopsError
from revops_cli.output import AnswerFormat, SummaryFormat, TableFormat  # noqa: F401 (re-exported)


@dataclass
class CliContext:
    profile: str | None = None
    verbose: bool = False
    offline: bool = False
    refresh: bool = False
    as_of: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    _settings: Any = None

    @property
    def settings(self):
        if self._settings is None:
            from revops_cli.config import load_settings

            overrides = dict(self.overrides)
            if self.as_of:
                overrides["as_of"] = self.as_of
            self._settings = load_settings(self.profile, overrides)
            from revops_cli.redaction import add_known_secrets, secret_values

            add_known_secrets(*secret_values(self._settings.data))    # configured secrets never leave
        return self._settings

    def mode(self, offline: bool = False, refresh: bool = False) -> str:
        if (offline or self.offline) and (refresh or self.refresh):
            from revops_cli.errors import UsageError

            raise UsageError("--offline and --refresh contradict each other", "pick one")
        if offline or self.offline:
            return "offline"
        if refresh or self.refresh:
            return "refresh"
        return "online"

    def warehouse(self, offline: bool = False, refresh: bool = False):
        from revops_cli.warehouse.connect import open_warehouse

        return open_warehouse(self.settings, mode=self.mode(offline, refresh))


def get(ctx: typer.Context) -> CliContext:
    obj = ctx.find_root().obj
    if obj is None:
        obj = ctx.find_root().obj = CliContext()
    return obj


@contextmanager
def json_errors(fmt: Any) -> Iterator[None]:
    """With `-f json`, a failure also prints the one error object on stdout, `{"ok": false, "error": {kind,
    message, hint, exit_code, retryable}}`, so a script reading stdout sees JSON either way; the one line on
    stderr and the exit code stay as they are."""
    try:
        yield
    except RevopsError as exc:
        if getattr(fmt, "value", fmt) == "json":
            from revops_cli.output import echo_json

            echo_json({"ok": False, "error": exc.to_dict()})
        raise


# Shared options, declared once (the sqlite-utils habit).
TableFormatOpt = Annotated[TableFormat, typer.Option("--format", "-f", help="Output format.",
                                                     case_sensitive=False)]
AnswerFormatOpt = Annotated[AnswerFormat, typer.Option("--format", "-f", help="Output format.",
                                                       case_sensitive=False)]
SummaryFormatOpt = Annotated[SummaryFormat, typer.Option("--format", "-f", help="text or json.",
                                                         case_sensitive=False)]
OfflineOpt = Annotated[bool, typer.Option("--offline", help="Answer only from the result cache.")]
RefreshOpt = Annotated[bool, typer.Option("--refresh", help="Skip the result cache and ask the warehouse.")]
ParamOpt = Annotated[Optional[list[str]], typer.Option("--param", "-p", help="Pattern parameter, key=value (repeatable).")]
