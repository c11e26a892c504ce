"""Scheduled reports: `revops report NAME` for cron - built-in or user-defined, rendered to markdown, HTML
(charts embedded), JSON, CSV or text, written to a file and/or posted to Slack or a webhook.

    from revops_cli.reports import get_report, run_report, render_report

    defn = get_report("pipeline", settings)          # a built-in, or ./reports/NAME.yaml, <home>/reports/NAME.yaml
    report = run_report(defn, settings, as_of="2026-11-24")
    text = render_report(report, "markdown", settings=settings)

User-defined reports are YAML files in `<home>/reports/` or `./reports/` (the project folder wins, and a
user report may replace a built-in of the same name):

    title: Enterprise weekly
    description: What the Enterprise team looks at on Mondays.
    sections:
      - question: "Forecast vs target this quarter"          # asked through the service, channel "report"
      - question: "Which Enterprise deals are at risk?"
        heading: Enterprise deals at risk
        chart: bar                                         # optional: bar | hbar | stacked | line
      - pattern: win_rate                                  # a SQL pattern (revops data patterns)
        heading: Win rate by segment, this year
        params: {start_date: "{year_start}", end_date: "{as_of}", group_by: segment}
        columns: [segment, closed_count, won_count, win_rate_pct]
        chart: {kind: bar, x: segment, y: [win_rate_pct], format: pct, title: Win rate}
    template: enterprise.md.j2                             # optional; next to the YAML or in ./templates/
    html_template: enterprise.html.j2                      # optional

docs/reports.md documents the formats, the JSON shape, the date tokens and the exit codes.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from revops_cli.config import Settings
from revops_cli.errors import ConfigError, UsageError
from revops_cli.reports.engine import (Chart, Column, Report, ReportDef, Section, SectionDef, date_tokens,
                                       resolve_params, run_report)

__all__ = ["Chart", "Column", "Report", "ReportDef", "Section", "SectionDef", "run_report", "get_report",
           "list_reports", "render_report", "report_dirs", "load_user_report", "date_tokens", "resolve_params", "FORMATS"]

FORMATS = ("markdown", "html", "json", "csv", "text")


def render_report(report: Report, fmt: str, **kwargs: Any) -> str:
    """The report as text in `fmt` (see render.py; the submodule `render` shadows any function of that name)."""
    from revops_cli.reports.render import render

    return render(report, fmt, **kwargs)


def report_dirs(settings: Settings) -> list[Path]:
    """User report folders, weakest first: <home>/reports, then ./reports."""
    return [d for d in (settings.home / "reports", Path.cwd() / "reports") if d.is_dir()]


def _user_files(settings: Settings) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for d in report_dirs(settings):
        for p in sorted(list(d.glob("*.yaml")) + list(d.glob("*.yml"))):
            found[p.stem] = p
    return found


def list_reports(settings: Settings) -> list[dict[str, Any]]:
    """Every report `revops report NAME` can run: name, title, description, origin (builtin or the file)."""
    from revops_cli.reports.builtin import BUILTIN

    out: dict[str, dict[str, Any]] = {
        name: {"name": name, "title": d.title, "description": d.description, "origin": "builtin",
               "sections": [s.heading or s.key for s in d.sections]} for name, d in BUILTIN.items()}
    for name, path in _user_files(settings).items():
        try:
            d = load_user_report(path)
            out[name] = {"name": name, "title": d.title, "description": d.description, "origin": str(path),
                         "sections": [s.heading or s.key for s in d.sections]}
        except ConfigError as exc:
            out[name] = {"name": name, "title": "(invalid)", "description": exc.one_line(), "origin": str(path),
                         "sections": []}
    return list(out.values())


def get_report(name: str, settings: Settings) -> ReportDef:
    """The report called `name`: a user report file, else a built-in. Unknown -> UsageError (exit 2)."""
    from revops_cli.reports.builtin import BUILTIN

    files = _user_files(settings)
    if name in files:
        return load_user_report(files[name])
    path = Path(name)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return load_user_report(path)
    if name in BUILTIN:
        return BUILTIN[name]
    known = sorted(set(BUILTIN) | set(files))
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = (f"did you mean {' or '.join(close)}? " if close else "") + "known reports: " + ", ".join(known)
    raise UsageError(f"unknown report {name!r}", hint + " (revops report list)")


_SECTION_KEYS = {"question", "pattern", "heading", "params", "columns", "chart", "agent", "analysis", "key",
                 "max_rows"}
_REPORT_KEYS = {"title", "description", "sections", "template", "html_template", "name"}


def load_user_report(path: Path) -> ReportDef:
    """Read and check a report YAML file with the shared YAML mechanism (yaml_files.py): every mistake is a
    ConfigError naming `file:line` (the section's or the key's line) and what to do."""
    from revops_cli.yaml_files import YamlMap, check_keys, expect_map, load_yaml

    path = Path(path)
    raw = load_yaml(path)
    if raw is None:
        raise ConfigError(f"{path}:1: the report is empty", "start it with 'title:' and 'sections:'")
    raw = expect_map(raw, f"{path}:1", "a report")
    check_keys(raw, _REPORT_KEYS, what="a report")
    sections_raw = raw.get("sections")
    if not isinstance(sections_raw, list) or not sections_raw:
        raise ConfigError(f"{raw.where('sections') if 'sections' in raw else raw.where()}: the report has no sections",
                          "add 'sections:' with questions or patterns")
    sections = []
    keys: set[str] = set()
    for i, s in enumerate(sections_raw, 1):
        if isinstance(s, str):
            s = YamlMap(question=s)
            s.path, s.line, s.key_lines = str(path), raw.line_of("sections"), {}
        where = f"{s.where()}: section {i}" if isinstance(s, YamlMap) else f"{raw.where('sections')}: section {i}"
        s = expect_map(s, where, "a section ('- question: ...' or '- pattern: NAME')")
        check_keys(s, _SECTION_KEYS, what=f"section {i}")
        if bool(s.get("question")) == bool(s.get("pattern")):
            raise ConfigError(f"{where} needs exactly one of 'question' or 'pattern'",
                              "give the section a question, or the name of a SQL pattern")
        params = s.get("params") or {}
        if not isinstance(params, dict):
            raise ConfigError(f"{s.where('params')}: params of section {i} must be a mapping", "write `name: value` lines")
        columns = s.get("columns")
        cols = None
        if columns is not None:
            if not isinstance(columns, list):
                raise ConfigError(f"{s.where('columns')}: columns of section {i} must be a list of names",
                                  "write one `- name` (or `- {key, header, format}`) a line")
            cols = []
            for c in columns:
                if isinstance(c, dict) and c.get("key"):
                    cols.append(Column(str(c["key"]), str(c.get("header") or c["key"]), str(c.get("format") or "auto")))
                elif isinstance(c, str):
                    cols.append(Column(c, c.replace("_", " ").capitalize(), "auto"))
                else:
                    raise ConfigError(f"{s.where('columns')}: a column of section {i} is a name or {{key, header, format}}",
                                      "fix that column")
        key = str(s.get("key") or f"section-{i}")
        if key in keys:
            raise ConfigError(f"{s.where('key')}: duplicate section key {key!r}", "give each section its own key")
        keys.add(key)
        sections.append(SectionDef(key=key, heading=s.get("heading"), question=s.get("question"),
                                   pattern=s.get("pattern"), analysis=s.get("analysis"), agent=s.get("agent"),
                                   params=params, columns=cols, chart=s.get("chart"),
                                   max_rows=int(s.get("max_rows") or 50)))
    return ReportDef(name=str(raw.get("name") or path.stem), title=str(raw.get("title") or path.stem),
                     description=str(raw.get("description") or ""), sections=sections, origin=str(path),
                     template=raw.get("template"), html_template=raw.get("html_template"),
                     template_dir=str(path.parent))
