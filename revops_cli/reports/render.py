"""A `Report` as markdown, self-contained HTML, JSON, CSV or terminal text.

- markdown: `templates/report.md.j2` (overridable like every template: ./templates/, <home>/templates/, or a
  user report's own `template:`). Charts appear as images only when their files exist (`--out FILE` writes
  them next to the markdown as FILE-STEM-CHART.png); otherwise the report is text and tables.
- html: `templates/report.html.j2`, inline CSS, charts as `data:image/png;base64,…` - one file, no network.
- json: `Report.to_dict()`, the stable shape documented in docs/reports.md (no timestamps).
- csv: one file; the first column names the section, then the union of the sections' columns.
- text: for a terminal: headings, bullets, aligned tables, and charts drawn with Unicode blocks.

Numbers are formatted with the same filters as every other answer (money, pct, num).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from functools import lru_cache
from typing import Any

from revops_cli.errors import UsageError
from revops_cli.reports.engine import MAX_TABLE_ROWS, Chart, Report, Section
from revops_cli.formatting import format_value, json_default, money, num, pct, signed_pct

FORMATS = ("markdown", "html", "json", "csv", "text")
EXTENSIONS = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html", ".json": "json",
              ".csv": "csv", ".txt": "text"}


def period_label(p: dict[str, Any] | None) -> str | None:
    if not p:
        return None
    if p.get("start") and p.get("end") and p.get("start") != p.get("end"):
        if p.get("label") == f"{p['start']} to {p['end']}":
            return p["label"]
        return f"{p.get('label')} ({p['start']} to {p['end']})"
    return str(p.get("label") or p.get("start") or "")


def table(section: Section, limit: int | None = MAX_TABLE_ROWS) -> dict[str, Any]:
    rows = section.rows if limit is None else section.rows[:limit]
    return {"headers": [c.header for c in section.columns],
            "align": ["left" if c.fmt in ("text", "date", "month") else "right" for c in section.columns],
            "rows": [[format_value(r.get(c.key), c.fmt) for c in section.columns] for r in rows],
            "more": max(section.row_count - len(rows), 0),           # every row not shown here
            "kept": len(section.rows)}                               # rows the JSON and CSV formats hold


def chart_file_name(report: Report, chart: Chart, stem: str | None = None) -> str:
    return f"{stem or report.name}-{chart.name}.png"


def _context(report: Report, images: dict[str, str] | None) -> dict[str, Any]:
    sections = []
    for s in report.sections:
        chart = None
        if s.chart is not None and not s.chart.empty:
            chart = {"name": s.chart.name, "title": s.chart.title, "src": (images or {}).get(s.chart.name)}
        sections.append({"key": s.key, "heading": s.heading, "period_label": period_label(s.period),
                         "headline": s.summary[0] if s.summary else "", "bullets": s.summary[1:],
                         "table": table(s), "chart": chart, "error": s.error, "source": s.source})
    return {"report": report.to_dict(), "title": report.title, "name": report.name,
            "description": report.description, "as_of": report.as_of.isoformat(),
            "period_label": period_label(report.period), "sections": sections, "ok": report.ok}


# ----------------------------------------------------------------------------------------------------------
# Templates
# ----------------------------------------------------------------------------------------------------------

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")


def inline_html(text: Any):
    """The little markdown the summaries use (**bold**, `code`) as safe HTML."""
    from markupsafe import Markup, escape

    s = str(escape(str(text)))
    s = _BOLD.sub(r"<strong>\1</strong>", s)
    s = _CODE.sub(r"<code>\1</code>", s)
    return Markup(s)


@lru_cache(maxsize=8)
def _environment(dirs: tuple[str, ...]):
    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined

    loaders = [FileSystemLoader(d) for d in dirs] + [PackageLoader("revops_cli", "templates")]
    env = Environment(loader=ChoiceLoader(loaders), undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=False,
                      autoescape=lambda name: bool(name) and name.endswith((".html", ".html.j2", ".htm")))
    env.filters.update(money=money, pct=pct, signed_pct=signed_pct, num=num, inline=inline_html)
    return env


def _template(report: Report, settings: Any, name: str):
    from revops_cli.templates import template_dirs

    dirs: tuple[str, ...] = ()
    if report.template_dir:
        dirs += (report.template_dir,)
    if settings is not None:
        dirs += template_dirs(settings)
    return _environment(dirs).get_template(name)


# ----------------------------------------------------------------------------------------------------------
# Formats
# ----------------------------------------------------------------------------------------------------------

def render(report: Report, fmt: str, *, settings: Any = None, images: dict[str, str] | None = None,
           tty: bool = False, width: int = 100) -> str:
    """The report as text in `fmt`. `images` (markdown): chart name -> the image path to link."""
    fmt = str(getattr(fmt, "value", fmt)).lower()
    if fmt == "markdown":
        return render_markdown(report, settings=settings, images=images)
    if fmt == "html":
        return render_html(report, settings=settings)
    if fmt == "json":
        return render_json(report)
    if fmt == "csv":
        return render_csv(report)
    if fmt == "text":
        return render_text(report, tty=tty, width=width)
    raise UsageError(f"unknown report format {fmt!r}", "use " + ", ".join(FORMATS))


def render_markdown(report: Report, *, settings: Any = None, images: dict[str, str] | None = None) -> str:
    text = _template(report, settings, report.template or "report.md.j2").render(**_context(report, images))
    return text.strip() + "\n"


def render_html(report: Report, *, settings: Any = None) -> str:
    images = {c.name: "data:image/png;base64," + base64.b64encode(report.chart_png(c)).decode("ascii")
              for c in report.charts}
    text = _template(report, settings, report.html_template or "report.html.j2").render(**_context(report, images))
    return text.strip() + "\n"


def render_json(report: Report) -> str:
    from revops_cli.formatting import json_default

    return json.dumps(report.to_dict(), default=json_default, indent=2, ensure_ascii=False) + "\n"


def render_csv(report: Report) -> str:
    """One CSV: `section` (the section key), then every column any section shows, raw values."""
    keys: list[str] = []
    for s in report.sections:
        for c in s.columns:
            if c.key not in keys:
                keys.append(c.key)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["section", *keys])
    for s in report.sections:
        shown = {c.key for c in s.columns}
        for r in s.rows:
            w.writerow([s.key, *[_csv_value(r.get(k)) if k in shown else "" for k in keys]])
    return buf.getvalue()


def _csv_value(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False, default=json_default)
    return v


# -- text -------------------------------------------------------------------------------------------------

_BLOCKS = " ▏▎▍▌▋▊▉█"
_SPARKS = "▁▂▃▄▅▆▇█"


def _plain_inline(text: str) -> str:
    return _CODE.sub(r"\1", _BOLD.sub(r"\1", str(text)))


def _bar(value: float, top: float, width: int) -> str:
    if top <= 0 or value <= 0:
        return ""
    eighths = int(round(value / top * width * 8))
    return "█" * (eighths // 8) + (_BLOCKS[eighths % 8] if eighths % 8 else "")


def text_chart(chart: Chart, width: int = 100) -> list[str]:
    """A chart in Unicode: horizontal bars (bar, hbar, stacked: the total) or sparklines (line)."""
    from revops_cli.reports.charts import tick_label

    lines = [chart.title]
    if chart.kind == "line":
        name_w = min(max((len(s["name"]) for s in chart.series), default=4), 28)
        lines.append(f"  {'':{name_w}}  {chart.x[0]} … {chart.x[-1]}" if chart.x else "")
        for s in chart.series:
            vals = [v for v in s["values"] if v is not None]
            if not vals:
                continue
            lo, hi = min(vals), max(vals)
            spark = "".join(" " if v is None else _SPARKS[0 if hi == lo else int((v - lo) / (hi - lo) * 7)]
                            for v in s["values"])
            first = next(v for v in s["values"] if v is not None)
            lines.append(f"  {s['name'][:name_w]:{name_w}}  {spark}  {tick_label(first, chart.y_format)} → "
                         f"{tick_label(vals[-1], chart.y_format)}")
        return lines
    label_w = min(max((len(x) for x in chart.x), default=4), 32)
    multi = len(chart.series) > 1 and chart.kind != "stacked"
    series_w = min(max((len(s["name"]) for s in chart.series), default=0), 22) if multi else 0
    bar_w = max(width - label_w - series_w - 16, 10)
    if chart.kind == "stacked":
        totals = [sum(s["values"][i] or 0 for s in chart.series) for i in range(len(chart.x))]
        series = [{"name": "Total", "values": totals}]
    else:
        series = chart.series
    top = max((v or 0 for s in series for v in s["values"]), default=0)
    for i, x in enumerate(chart.x):
        for j, s in enumerate(series):
            v = s["values"][i]
            label = x[:label_w] if j == 0 else ""
            name = f"{s['name'][:series_w]:{series_w}} " if multi else ""
            shown = "n/a" if v is None else tick_label(v, chart.y_format)
            lines.append(f"  {label:{label_w}}  {name}{_bar(v or 0, top, bar_w)} {shown}")
    return lines


def _text_table(section: Section, width: int) -> list[str]:
    t = table(section)
    if not t["headers"]:
        return []
    cells = [t["headers"], *t["rows"]]
    widths = [min(max(len(r[i]) for r in cells), 40) for i in range(len(t["headers"]))]

    def line(row: list[str]) -> str:
        out = []
        for cell, w, a in zip(row, widths, t["align"]):
            cell = cell if len(cell) <= w else cell[:w - 1] + "…"
            out.append(cell.ljust(w) if a == "left" else cell.rjust(w))
        return "  " + "  ".join(out).rstrip()

    lines = [line(t["headers"]), "  " + "  ".join("-" * w for w in widths)]
    lines += [line(r) for r in t["rows"]]
    if t["more"]:
        lines.append(f"  … {t['more']:,} more rows (--format json or csv has the first {t['kept']:,})")
    return lines


def render_text(report: Report, *, tty: bool = False, width: int = 100) -> str:
    bold = (lambda s: f"\x1b[1m{s}\x1b[0m") if tty else (lambda s: s)
    out = [bold(report.title.upper()), f"as of {report.as_of.isoformat()}"
           + (f" · {period_label(report.period)}" if report.period else ""), ""]
    for s in report.sections:
        p = period_label(s.period)
        out.append(bold(f"== {s.heading}" + (f" - {p}" if p else "")))
        if s.error:
            out.append(f"  Error: {s.error.get('message')}" + (f" ({s.error['hint']})" if s.error.get("hint") else ""))
            out.append("")
            continue
        for i, line in enumerate(s.summary):
            out.append(("  " if i == 0 else "  • ") + _plain_inline(line))
        out.append("")
        tbl = _text_table(s, width)
        if tbl:
            out += tbl + [""]
        if s.chart is not None and not s.chart.empty:
            out += text_chart(s.chart, width) + [""]
    return "\n".join(out).rstrip() + "\n"
