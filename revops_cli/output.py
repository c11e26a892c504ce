"""Rendering for the terminal and for pipes: one place that knows about formats, colour and TTYs.

Formats: table (rich in a terminal, plain box text in a pipe), json (stable, documented in the README),
csv, markdown, text. Colour and markup only when stdout is a terminal and NO_COLOR is unset.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from datetime import date, datetime
from enum import Enum
from typing import Any, Iterable

from revops_cli.formatting import to_json
from revops_cli.warehouse.base import QueryResult


class TableFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


class SummaryFormat(str, Enum):
    """Commands that print one record or a summary: a line of text, or JSON."""
    text = "text"
    json = "json"


class AnswerFormat(str, Enum):
    text = "text"
    markdown = "markdown"
    json = "json"


def stdout_is_tty() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def console(stderr: bool = False):
    from rich.console import Console

    tty = (sys.stderr if stderr else sys.stdout).isatty() and not os.environ.get("NO_COLOR")
    return Console(stderr=stderr, force_terminal=tty or None, no_color=not tty, highlight=False,
                   width=None if tty else 200, soft_wrap=not tty)


def dumps(obj: Any) -> str:
    return to_json(obj, indent=2)


def echo_json(obj: Any) -> None:
    sys.stdout.write(dumps(obj) + "\n")


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) >= 1000 else f"{v:.4g}" if v != int(v) else f"{v:.0f}"
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    return str(v)


def result_to_json(result: QueryResult, **extra: Any) -> dict[str, Any]:
    """The stable JSON shape of a query result (README: "JSON output")."""
    return {**extra,
            "columns": [{"name": c, "type": t} for c, t in zip(result.columns, result.types)],
            "rows": result.records(),
            "row_count": len(result.rows),
            "truncated": result.truncated,
            **({"truncated_by": result.truncated_by or "query.row_limit"} if result.truncated else {}),
            **({"model": result.meta["model"]} if result.meta.get("model") else {})}


def render_result(result: QueryResult, fmt: TableFormat, *, title: str | None = None, settings: Any = None,
                  **extra: Any) -> None:
    if fmt == TableFormat.json:
        echo_json(result_to_json(result, **extra))
    elif fmt == TableFormat.csv:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(result.columns)
        for row in result.rows:
            w.writerow(["" if v is None else (v.isoformat() if isinstance(v, (date, datetime)) else v) for v in row])
        sys.stdout.write(buf.getvalue())
    elif fmt == TableFormat.markdown:
        sys.stdout.write(markdown_table(result.columns, result.rows) + "\n")
    else:
        render_rich_table(result.columns, result.rows, title=title, types=result.types)
    if result.truncated and fmt != TableFormat.json:
        print(f"revops: {result.limit_note}", file=sys.stderr)
    if result.meta.get("model") and fmt != TableFormat.json and settings is not None:
        from revops_cli.model.compile import notes

        for line in notes(settings, result.meta["model"]):
            print(f"revops: {line}", file=sys.stderr)


def markdown_table(columns: list[str], rows: Iterable[Iterable[Any]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(_cell(v).replace("|", "\\|").replace("\n", " ") for v in row) + " |")
    return "\n".join(lines)


def render_rich_table(columns: list[str], rows: Iterable[Iterable[Any]], *, title: str | None = None,
                      types: list[str] | None = None) -> None:
    from rich import box
    from rich.table import Table

    numeric = {"INTEGER", "BIGINT", "DOUBLE", "DECIMAL"}
    table = Table(title=title, box=box.SIMPLE_HEAVY if stdout_is_tty() else box.ASCII2, show_lines=False)
    for i, c in enumerate(columns):
        table.add_column(c, justify="right" if types and types[i] in numeric else "left", overflow="fold")
    for row in rows:
        table.add_row(*[_cell(v) for v in row])
    console().print(table)


class MarkdownStream:
    """Shows an answer while a backend streams it (bedrock-agents): rich Live markdown in a terminal.

    Call it with each piece of text; `None` discards what was shown (a retried call starts over). Only for a
    terminal: in a pipe or cron nothing streams and the finished answer prints once, as always."""

    def __init__(self) -> None:
        self.text = ""
        self._live: Any = None

    def __call__(self, piece: str | None) -> None:
        from rich.markdown import Markdown

        self.text = "" if piece is None else self.text + piece
        if self._live is None:
            if not self.text:
                return
            from rich.live import Live

            self._live = Live(Markdown(self.text), console=console(), refresh_per_second=8, transient=False)
            self._live.start()
        else:
            self._live.update(Markdown(self.text))

    @property
    def shown(self) -> bool:
        return self._live is not None and bool(self.text)

    def finish(self, final_text: str | None) -> None:
        """Show the final answer (the streamed text, tidied by the backend) and stop; a no-op if nothing streamed."""
        if self._live is None:
            return
        from rich.markdown import Markdown

        if final_text is not None:
            self._live.update(Markdown(final_text))
        self._live.stop()


def progress_wanted(quiet: bool = False) -> bool:
    """Progress bars go to stderr, only when it is a terminal: never in pipes, cron or --quiet runs."""
    return not quiet and sys.stderr.isatty() and os.environ.get("TERM") != "dumb"


class ProgressBar:
    """One progress bar on stderr for work that takes more than a second (demo init, exports, reports).

    `with ProgressBar("building", total=9, enabled=progress_wanted()) as bar: bar.advance("users")` — a
    disabled bar is a no-op, so callers never branch. The bar is transient: it leaves nothing behind."""

    def __init__(self, label: str, total: int | None, *, enabled: bool = True) -> None:
        self.label, self.total, self.enabled = label, total, enabled
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> "ProgressBar":
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(TextColumn(self.label), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.description}"), TimeElapsedColumn(),
                                 console=console(stderr=True), transient=True)
            self._bar.start()
            self._task = self._bar.add_task("", total=self.total)
        return self

    def advance(self, description: str = "", steps: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=steps, description=description)

    def update(self, completed: int, description: str | None = None) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=completed,
                             **({"description": description} if description is not None else {}))

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.stop()


def render_markdown(text: str) -> None:
    """Markdown answers: rich rendering in a terminal, the markdown itself in a pipe."""
    if stdout_is_tty():
        from rich.markdown import Markdown

        console().print(Markdown(text))
    else:
        sys.stdout.write(text.rstrip("\n") + "\n")
