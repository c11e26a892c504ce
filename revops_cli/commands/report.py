"""`revops report`: scheduled reports for cron - `revops report NAME`, `revops report list`.

`revops report NAME` is shorthand for `revops report run NAME` (the group sends any name that is not one of
its commands to `run`; a user report called `list` or `run` is reached with `revops report run list`).

Cron-friendly: no prompts; no colour or progress unless on a terminal; `--quiet` prints nothing on success
(errors still go to stderr); `--as-of` pins the date. The report goes to stdout unless `--out` or `--post`
take it. Exit codes: 0 ok; the data error's own code (2 usage, 3 config, 5 warehouse, 6 offline miss, ...);
7 when the report was produced (and `--out` written) but a `--post` delivery failed.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import click
import typer
from typer.core import TyperGroup

from revops_cli.commands import context


class ReportGroup(TyperGroup):
    """A group whose unknown first word is a report name for `run`."""

    def resolve_command(self, ctx: click.Context, args: list[str]):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["run", *args]
        return super().resolve_command(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, "NAME [OPTIONS] | list | run NAME [OPTIONS]")


app = typer.Typer(cls=ReportGroup, no_args_is_help=True,
                  help="Scheduled reports: pipeline, pipeline-changes, forecast-rollup, at-risk, churn, expansion, "
                       "competitors, leads, or your own "
                       "(./reports/*.yaml). `revops report NAME` runs one.")


class ReportFormat(str, Enum):
    markdown = "markdown"
    html = "html"
    json = "json"
    csv = "csv"
    text = "text"


class ListFormat(str, Enum):
    table = "table"
    json = "json"


@app.command("list")
def list_cmd(ctx: typer.Context,
             fmt: Annotated[ListFormat, typer.Option("--format", "-f", case_sensitive=False,
                                                     help="table or json.")] = ListFormat.table) -> None:
    """The reports you can run: built-in and user-defined."""
    from revops_cli.output import echo_json
    from revops_cli.reports import list_reports

    reports = list_reports(context.get(ctx).settings)
    if fmt == ListFormat.json:
        echo_json(reports)
        return
    width = max(len(r["name"]) for r in reports)
    for r in reports:
        origin = "" if r["origin"] == "builtin" else f"  [{r['origin']}]"
        print(f"{r['name']:{width}}  {r['title']}{origin}")
        print(f"{'':{width}}  {r['description']}")


@app.command("run")
def run_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Report name (revops report list), or a report YAML file.")],
    fmt: Annotated[Optional[ReportFormat], typer.Option(
        "--format", "-f", case_sensitive=False,
        help="markdown, html, json, csv or text. Default: from --out's extension, else text on a terminal "
             "and markdown in a pipe.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write the report to this file "
                                                                      "(markdown also writes its chart PNGs next to it).")] = None,
    post: Annotated[Optional[list[str]], typer.Option("--post", help="Deliver: slack:#channel or webhook:NAME "
                                                                     "(repeatable).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing on success.")] = False,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Report date (YYYY-MM-DD), for reproducible "
                                                                 "past reports; default settings' as_of or today.")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="Answer only from the result cache.")] = False,
    refresh: Annotated[bool, typer.Option("--refresh", help="Skip the result cache.")] = False,
    since: Annotated[Optional[str], typer.Option("--since", help="pipeline-changes: the changes of the last N days "
                                                                 "(7d, 2w), since a weekday (monday, last-monday) or "
                                                                 "a date (YYYY-MM-DD). Default 7d.")] = None,
) -> None:
    """Run a report and print, write or post it."""
    import getpass

    from revops_cli.output import ProgressBar, progress_wanted, stdout_is_tty
    from revops_cli.reports import get_report, run_report
    from revops_cli.reports.deliver import DeliveryError, check_target, deliver, parse_target
    from revops_cli.reports.engine import with_as_of
    from revops_cli.reports.render import EXTENSIONS, render

    cli = context.get(ctx)
    settings = with_as_of(cli.settings, as_of)
    mode = cli.mode(offline, refresh)
    targets = [parse_target(p) for p in post or []]
    for t in targets:
        check_target(t, settings)
    if fmt is None:
        if out is not None and out.suffix.lower() in EXTENSIONS:
            fmt_name = EXTENSIONS[out.suffix.lower()]
        elif out is not None:
            fmt_name = "markdown"
        else:
            fmt_name = "text" if stdout_is_tty() else "markdown"
    else:
        fmt_name = fmt.value
    defn = get_report(name, settings)
    try:
        user = getpass.getuser()
    except Exception:
        user = None
    with ProgressBar(f"report {defn.name}", len(defn.sections), enabled=progress_wanted(quiet)) as bar:
        report = run_report(defn, settings, mode=mode, user=user,     # section i starts: i - 1 are done
                            progress=lambda i, n, heading: bar.update(i - 1, heading[:60]),
                            options={"since": since})
    if not report.ok:
        for err in report.errors:
            print(f"Error: {err.get('message')}", file=sys.stderr)
            if err.get("hint"):
                print(f"  hint: {err['hint']}", file=sys.stderr)
        raise typer.Exit(report.status)

    if out is not None:
        images = None
        if fmt_name == "markdown" and report.charts:
            from revops_cli.reports.render import chart_file_name

            images = {}
            for c in report.charts:
                fname = chart_file_name(report, c, out.stem)
                _write(out.parent / fname, report.chart_png(c))
                images[c.name] = fname
        text = render(report, fmt_name, settings=settings, images=images)
        _write(out, text.encode("utf-8"))
        if not quiet:
            print(f"revops: wrote {out}", file=sys.stderr)
    elif not targets and not quiet:
        text = render(report, fmt_name, settings=settings, tty=fmt_name == "text" and stdout_is_tty())
        sys.stdout.write(text)

    failed = []
    for t in targets:
        try:
            deliver(report, t, settings)
            if not quiet:
                print(f"revops: posted the report to {t}", file=sys.stderr)
        except DeliveryError as exc:
            failed.append(exc)
            print(f"Error: {exc.message}", file=sys.stderr)
            if exc.hint:
                print(f"  hint: {exc.hint}", file=sys.stderr)
    if failed:
        raise typer.Exit(DeliveryError.exit_code)


def _write(path: Path, data: bytes) -> None:
    """Write atomically: a reader (or a failed run) never sees half a file."""
    import os
    import tempfile

    from revops_cli.errors import UsageError

    path = path.expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}", "check the --out path") from None
