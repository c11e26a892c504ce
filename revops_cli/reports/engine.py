"""Running a report: a definition (title, sections) in, a `Report` (numbers, bullets, tables, chart specs) out.

A report is a channel like Slack or the webhook API. Each question section is a `Request(channel="report")`
answered by `service.ask` (so it is routed, traced and logged like any other answer); each pattern section
runs one named SQL pattern. All sections of one run share one warehouse connection, one conversation-log
handle and one session id (`report-<name>-<hex>`), so a run reads back as one conversation:
`revops conversations list --channel report`.

Nothing here draws or formats: charts are `Chart` specs (the data behind the picture), rendered later by
`charts.py` (PNG) or `render.py` (terminal bars). The run is pinned to one date (`as_of`): the same date on
the same warehouse gives the same report, byte for byte.

The first section that fails (warehouse down, bad pattern, offline cache miss) stops the run; the report's
`status` is then that error's exit code (5 warehouse, 2 usage, 6 offline miss, ...), 0 when all went well.
"""

from __future__ import annotations

import copy
import dataclasses
import re
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Callable

from revops_cli.config import Settings
from revops_cli.errors import ConfigError, RevopsError, UsageError
from revops_cli.models import jsonable

SCHEMA_VERSION = 1
MAX_TABLE_ROWS = 15        # rows shown in markdown / HTML / text tables (JSON and CSV keep up to 50)
MAX_DATA_ROWS = 50


# ----------------------------------------------------------------------------------------------------------
# What a run produces
# ----------------------------------------------------------------------------------------------------------

@dataclass
class Column:
    key: str
    header: str
    fmt: str = "text"        # text | money | num | pct | pct1 | signed_pct | ratio | date | month

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "header": self.header, "format": self.fmt}


@dataclass
class Chart:
    """The data behind one chart. kinds: bar, hbar (one series, or several side by side), stacked, line."""

    name: str                               # slug, unique within a report; used in file names
    kind: str
    title: str
    x: list[str]                            # categories (bar) or points (line)
    series: list[dict[str, Any]]            # [{"name": str, "values": [float | None, ...]}]
    y_format: str = "num"                   # money | num | pct | ratio: how axis ticks and values read
    y_label: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "title": self.title, "x": list(self.x),
                "series": [{"name": s["name"], "values": list(s["values"])} for s in self.series],
                "y_format": self.y_format, "y_label": self.y_label}

    @property
    def empty(self) -> bool:
        return not self.x or not any(v for s in self.series for v in s["values"] if v)


@dataclass
class Section:
    key: str
    heading: str
    summary: list[str] = field(default_factory=list)        # headline first, then bullets; **bold** allowed
    figures: dict[str, Any] = field(default_factory=dict)   # the headline numbers (the agent's `summary`)
    columns: list[Column] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    row_count: int = 0                                      # rows the source returned (rows may be cut)
    period: dict[str, Any] | None = None
    chart: Chart | None = None
    source: dict[str, Any] = field(default_factory=dict)    # {"kind": "question"|"pattern", ...}
    error: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "heading": self.heading, "period": self.period, "summary": list(self.summary),
                "figures": self.figures, "columns": [c.to_dict() for c in self.columns], "rows": self.rows,
                "row_count": self.row_count, "chart": self.chart.to_dict() if self.chart else None,
                "source": self.source, "error": self.error}


@dataclass
class Report:
    name: str
    title: str
    description: str
    as_of: date
    sections: list[Section] = field(default_factory=list)
    status: int = 0                         # 0, or the exit code of the first failure
    origin: str = "builtin"                 # builtin | the YAML file of a user report
    session_id: str | None = None           # the conversation-log session of this run (not rendered)
    duration_ms: float = 0.0                # not rendered either: output stays byte-identical
    template: str | None = None             # a user report's own markdown / HTML templates
    html_template: str | None = None
    template_dir: str | None = None
    _png: dict[str, bytes] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == 0

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [s.error for s in self.sections if s.error]

    @property
    def period(self) -> dict[str, Any] | None:
        return next((s.period for s in self.sections if s.period), None)

    @property
    def charts(self) -> list[Chart]:
        return [s.chart for s in self.sections if s.chart is not None and not s.chart.empty]

    def chart_png(self, chart: Chart) -> bytes:
        """The chart as PNG bytes, drawn once per run."""
        if chart.name not in self._png:
            from revops_cli.reports.charts import render_png

            self._png[chart.name] = render_png(chart)
        return self._png[chart.name]

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape (docs/reports.md, "JSON"). No timestamps: the same run gives the same JSON."""
        return {"schema_version": SCHEMA_VERSION, "report": self.name, "title": self.title,
                "description": self.description, "as_of": self.as_of.isoformat(), "period": self.period,
                "status": "ok" if self.ok else "error", "exit_code": self.status,
                "sections": [s.to_dict() for s in self.sections]}


# ----------------------------------------------------------------------------------------------------------
# Definitions
# ----------------------------------------------------------------------------------------------------------

@dataclass
class ChartInput:
    """What a chart builder sees: the section's rows and figures, and a way to run more patterns."""

    as_of: date
    rows: list[dict[str, Any]]
    figures: dict[str, Any]
    data: dict[str, Any]
    section_key: str
    run_pattern: Callable[..., list[dict[str, Any]]]


ChartBuilder = Callable[[ChartInput], "Chart | None"]


@dataclass
class SectionDef:
    key: str
    heading: str | None = None
    question: str | None = None             # asked through service.ask (channel "report")
    analysis: str | None = None             # force a Data-agent analysis (built-in reports do)
    agent: str | None = None                # force an agent; None lets the manager route
    params: dict[str, Any] = field(default_factory=dict)    # pattern parameters ({as_of}, {quarter_start}, ...)
    pattern: str | None = None              # or: run this SQL pattern
    columns: list[Column] | None = None     # None: from the rows' names
    chart: ChartBuilder | dict[str, Any] | str | None = None
    max_rows: int = MAX_DATA_ROWS

    def __post_init__(self) -> None:
        if bool(self.question) == bool(self.pattern):
            raise ConfigError(f"report section {self.key!r} needs exactly one of 'question' or 'pattern'")


@dataclass
class ReportDef:
    name: str
    title: str
    description: str
    sections: list[SectionDef]
    origin: str = "builtin"
    template: str | None = None
    html_template: str | None = None
    template_dir: str | None = None
    options: tuple[str, ...] = ()           # run options the report takes (`since`: pipeline-changes --since 7d)


# ----------------------------------------------------------------------------------------------------------
# Parameters: dates relative to the run's as-of date
# ----------------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"\{([a-z_]+)(?:\s*([+-])\s*(\d+)\s*d)?\}")


def date_tokens(as_of: date, fiscal_start_month: int = 1) -> dict[str, date]:
    """The dates a user report's parameters may name: `{as_of}`, `{quarter_start}`, `{as_of-30d}`, ...
    Quarters are fiscal quarters (calendar.fiscal_year_start_month); `{year_*}` the calendar year,
    `{fiscal_year_*}` the fiscal year."""
    from revops_cli import service

    cal = service.calendar(as_of, fiscal_start_month)   # the agents' periods, asked of the service
    q, prev_q, next_q = cal["quarter"], cal["prev_quarter"], cal["next_quarter"]
    m, prev_m, fy = cal["month"], cal["prev_month"], cal["fiscal_year"]
    return {"as_of": as_of, "today": as_of, "quarter_start": q.start, "quarter_end": q.end,
            "prev_quarter_start": prev_q.start, "prev_quarter_end": prev_q.end,
            "next_quarter_start": next_q.start, "next_quarter_end": next_q.end,
            "month_start": m.start, "month_end": m.end, "prev_month_start": prev_m.start,
            "prev_month_end": prev_m.end, "year_start": date(as_of.year, 1, 1), "year_end": date(as_of.year, 12, 31),
            "fiscal_year_start": fy.start, "fiscal_year_end": fy.end}


def resolve_params(params: dict[str, Any], as_of: date, fiscal_start_month: int = 1) -> dict[str, Any]:
    tokens = date_tokens(as_of, fiscal_start_month)

    def one(v: Any) -> Any:
        if not isinstance(v, str) or "{" not in v:
            return v
        m = _TOKEN.fullmatch(v.strip())
        if m:
            name, sign, n = m.groups()
            if name not in tokens:
                raise ConfigError(f"unknown date {{{name}}} in a report parameter",
                                  "use one of: " + ", ".join("{" + k + "}" for k in tokens))
            d = tokens[name]
            if sign:
                d = d + timedelta(days=int(n) * (1 if sign == "+" else -1))
            return d.isoformat()
        return _TOKEN.sub(lambda mm: one(mm.group(0)), v)

    return {k: ([one(x) for x in v] if isinstance(v, list) else one(v)) for k, v in (params or {}).items()}


def with_as_of(settings: Settings, as_of: date | str | None) -> Settings:
    """The settings with "today" pinned (a `--as-of` flag wins over settings and REVOPS_AS_OF)."""
    if as_of is None:
        return settings
    if isinstance(as_of, str):
        try:
            as_of = date.fromisoformat(as_of.strip())
        except ValueError:
            raise UsageError(f"--as-of {as_of!r} is not a date", "use YYYY-MM-DD") from None
    data = copy.deepcopy(settings.data)
    data["as_of"] = as_of.isoformat()
    return dataclasses.replace(settings, data=data, origins={**settings.origins, "as_of": "flag"})


# ----------------------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------------------

def num(v: Any) -> float:
    try:
        return 0.0 if v is None else float(v)
    except (TypeError, ValueError):
        return 0.0


_MONEY_WORDS = ("amount", "arr", "revenue", "target", "headroom", "spend", "gap", "pipeline", "bookings", "mrr")


def guess_format(key: str, sample: Any = None) -> str:
    k = key.lower()
    if isinstance(sample, bool):
        return "text"
    if k.endswith("_pct") or k.endswith("_rate") or "percent" in k:
        return "signed_pct" if ("change" in k or "growth" in k) else "pct"
    if "ratio" in k or "coverage" in k:
        return "ratio"
    if isinstance(sample, (int, float)) or sample is None:
        if any(w in k for w in _MONEY_WORDS):
            return "money"
        if isinstance(sample, (int, float)):
            return "num"
    if k.endswith(("_date", "_at")) or k in ("date", "day"):
        return "date"
    if k == "month":
        return "month"
    return "text"


def infer_columns(rows: list[dict[str, Any]], limit: int | None = None) -> list[Column]:
    if not rows:
        return []
    keys = list(rows[0].keys())
    cols = []
    for k in keys:
        sample = next((r.get(k) for r in rows if r.get(k) is not None), None)
        cols.append(Column(k, k.replace("_", " ").capitalize(), guess_format(k, sample)))
    return cols[:limit] if limit else cols


def resolve_columns(columns: list[Column], rows: list[dict[str, Any]]) -> list[Column]:
    """Columns named by a user report: formats marked "auto" are guessed from the rows."""
    out = []
    for c in columns:
        if c.fmt == "auto":
            sample = next((r.get(c.key) for r in rows if r.get(c.key) is not None), None)
            c = Column(c.key, c.header, guess_format(c.key, sample))
        out.append(c)
    return out


def summary_from_markdown(text: str) -> tuple[list[str], list[str], list[list[str]]]:
    """An agent's markdown answer -> (summary lines, table headers, table rows): the headline and bullets
    before the first table, and that table (for answers that carry no structured rows)."""
    summary: list[str] = []
    headers: list[str] = []
    rows: list[list[str]] = []
    in_table = False
    for line in (text or "").splitlines():
        s = line.strip()
        if s.startswith("|"):
            cells = [c.strip() for c in s.strip("|").split("|")]
            if not in_table and not headers:
                headers, in_table = cells, True
            elif in_table and not all(set(c) <= set("-: ") for c in cells):
                rows.append(cells)
            continue
        if in_table:
            in_table = False
            if headers:
                break
        if not s or s.startswith("#"):
            continue
        if s.startswith(("- ", "* ")):
            s = s[2:].strip()
        elif len(s) > 2 and s[0] == "_" and s[-1] == "_":
            s = s[1:-1]
        summary.append(s)
    return summary, headers, rows


# ----------------------------------------------------------------------------------------------------------
# Running
# ----------------------------------------------------------------------------------------------------------

Progress = Callable[[int, int, str], None]


def run_report(defn: ReportDef, settings: Settings, *, as_of: date | str | None = None, mode: str = "online",
               warehouse: Any = None, log: Any = "default", user: str | None = None,
               progress: Progress | None = None, options: dict[str, Any] | None = None) -> Report:
    """Run every section of a report; never raises for a data error (see `Report.status`). `options` are
    the run options the report declares (`ReportDef.options`, e.g. {"since": "7d"}), given to every question
    section as parameters; one the report does not take is a UsageError (exit 2)."""
    options = {k: v for k, v in (options or {}).items() if v is not None}
    unknown = sorted(set(options) - set(defn.options))
    if unknown:
        takes = f"it takes {', '.join('--' + o for o in defn.options)}" if defn.options else "it takes none"
        raise UsageError(f"report {defn.name!r} has no option {', '.join('--' + u for u in unknown)}", takes)
    from revops_cli import service
    from revops_cli.models import new_id

    started = time.perf_counter()
    settings = with_as_of(settings, as_of)
    day = settings.as_of
    report = Report(name=defn.name, title=defn.title, description=defn.description, as_of=day, origin=defn.origin,
                    template=defn.template, html_template=defn.html_template, template_dir=defn.template_dir,
                    session_id=new_id(f"report-{_slug(defn.name)}-"))
    own_log = log == "default"
    if own_log:
        log = service.open_log(settings)
    own_warehouse = warehouse is None
    try:
        if own_warehouse:
            from revops_cli.warehouse.connect import open_warehouse

            warehouse = open_warehouse(settings, mode=mode, quiet=True)
        runner = _Runner(settings, warehouse, log, report, mode, user, options)
        total = len(defn.sections)
        for i, sd in enumerate(defn.sections, 1):
            if progress is not None:
                progress(i, total, sd.heading or sd.key)
            section = runner.run(sd)
            report.sections.append(section)
            if section.error:
                report.status = int(section.error.get("exit_code") or 1)
                break
    except RevopsError as exc:          # opening the warehouse, say
        report.status = exc.exit_code
        report.sections.append(Section(key="error", heading="Error", error=exc.to_dict()))
    finally:
        if own_warehouse and warehouse is not None:
            warehouse.close()
        if own_log and log is not None:
            log.close()
    report.duration_ms = (time.perf_counter() - started) * 1000
    return report


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "report"


class _Runner:
    def __init__(self, settings: Settings, warehouse: Any, log: Any, report: Report, mode: str, user: str | None,
                 options: dict[str, Any] | None = None):
        self.options = dict(options or {})
        self.settings = settings
        self.warehouse = warehouse
        self.log = log
        self.report = report
        self.mode = mode
        self.user = user
        self.used_names: set[str] = set()

    # -- sections --------------------------------------------------------------------------------------
    def run(self, sd: SectionDef) -> Section:
        try:
            section = self._question(sd) if sd.question else self._pattern(sd)
            if section.error is None and sd.chart is not None:
                section.chart = self._chart(sd, section)
        except RevopsError as exc:
            return Section(key=sd.key, heading=sd.heading or sd.key, error=exc.to_dict(),
                           source={"kind": "question" if sd.question else "pattern",
                                   "question": sd.question, "pattern": sd.pattern})
        return section

    def _question(self, sd: SectionDef) -> Section:
        from revops_cli import service
        from revops_cli.models import Request

        agent = sd.agent or ("data" if sd.analysis else None)
        params = {**dict(sd.params or {}), **self.options}
        if sd.analysis:
            params["analysis"] = sd.analysis
        request = Request(text=sd.question, agent=agent, params=params, session_id=self.report.session_id,
                          channel="report", user=self.user, source_system="revops report",
                          source_process=self.report.name)
        answer = service.ask(request, self.settings, mode=self.mode, warehouse=self.warehouse, log=self.log)
        source = {"kind": "question", "question": sd.question, "agent": answer.agent,
                  "analysis": (answer.data or {}).get("analysis")}
        if not answer.ok:
            err = (answer.data or {}).get("error") or {"kind": "Error", "message": answer.error, "hint": None,
                                                       "exit_code": 1}
            return Section(key=sd.key, heading=sd.heading or sd.key, source=source, error=err)
        data = answer.data or {}
        summary, md_headers, md_rows = summary_from_markdown(answer.text)
        # the answer's interpretation line restates the section's question; the report's heading says it
        summary = [line for line in summary if line != data.get("interpretation")]
        rows = [jsonable(r) for r in (data.get("rows") or [])]
        if not rows and md_headers:     # an agent without structured rows: its markdown table, as text
            keys = [_slug(h).replace("-", "_") or f"col{i}" for i, h in enumerate(md_headers)]
            rows = [dict(zip(keys, r)) for r in md_rows]
            columns = [Column(k, h, "text") for k, h in zip(keys, md_headers)]
        else:
            columns = resolve_columns(sd.columns, rows) if sd.columns else infer_columns(rows, limit=8)
        heading = sd.heading or _heading_from_markdown(answer.text) or sd.question
        return Section(key=sd.key, heading=heading, summary=summary, figures=jsonable(data.get("summary") or {}),
                       columns=columns, rows=rows[:sd.max_rows],
                       row_count=max(int(data.get("row_count") or 0), len(rows)), period=data.get("period"),
                       source=source)

    def _pattern(self, sd: SectionDef) -> Section:
        from revops_cli.models import Answer, Request, Step, Trace
        from revops_cli.warehouse.queries import run_pattern

        values = resolve_params(sd.params, self.report.as_of, self.settings.fiscal_year_start_month)
        trace = Trace()
        step = Step(kind="tool", agent="data", name="run_sql_pattern", params={"pattern": sd.pattern, **values},
                    sql_pattern=sd.pattern)
        started, wall = time.perf_counter(), time.time()
        request = Request(text=f"report {self.report.name}: pattern {sd.pattern}", agent="data",
                          params={"pattern": sd.pattern, **values}, session_id=self.report.session_id,
                          channel="report", user=self.user, source_system="revops report",
                          source_process=self.report.name)
        try:
            pattern, typed, result = run_pattern(self.warehouse, self.settings, sd.pattern, values)
        except RevopsError as exc:
            step.ok, step.error = False, exc.one_line()
            step.duration_ms = (time.perf_counter() - started) * 1000
            trace.add(step)
            self._record(request, Answer(agent="data", text=f"**Sorry:** {exc.message}.", trace=trace, ok=False,
                                         error=exc.one_line(), data={"error": exc.to_dict()},
                                         started_at=wall, duration_ms=step.duration_ms))
            raise
        step.record(result)
        step.duration_ms = (time.perf_counter() - started) * 1000
        trace.add(step)
        rows = [jsonable(r) for r in result.records()]
        typed_plain = jsonable(typed)
        period = None
        if typed_plain.get("start_date") and typed_plain.get("end_date"):
            period = {"label": f"{typed_plain['start_date']} to {typed_plain['end_date']}",
                      "start": typed_plain["start_date"], "end": typed_plain["end_date"], "kind": "days"}
        columns = resolve_columns(sd.columns, rows) if sd.columns else infer_columns(rows)
        noun = "row" if len(rows) == 1 else "rows"
        summary = [f"**{len(rows):,}** {noun} from the `{pattern.name}` pattern"
                   + (f" ({period['label']})" if period else "") + "."]
        if result.truncated:
            summary.append(f"The result was cut: {result.limit_note}.")
        if result.meta.get("model"):          # a mapped warehouse: what this section's data lacks
            from revops_cli.model.compile import notes

            summary += [f"_{line[0].upper()}{line[1:]}._" for line in notes(self.settings, result.meta["model"])]
        section = Section(key=sd.key, heading=sd.heading or pattern.description or pattern.name, summary=summary,
                          figures={"row_count": len(rows)}, columns=columns, rows=rows[:sd.max_rows],
                          row_count=len(rows), period=period,
                          source={"kind": "pattern", "pattern": pattern.name, "params": typed_plain})
        self._record(request, Answer(agent="data", text="\n".join(summary), trace=trace,
                                     data={"pattern": pattern.name, "params": typed_plain, "row_count": len(rows),
                                           "rows": rows[:MAX_DATA_ROWS]},
                                     sources=[{"type": "sql_pattern", "pattern": pattern.name,
                                               "description": pattern.description}],
                                     started_at=wall, duration_ms=step.duration_ms))
        return section

    def _record(self, request: Any, answer: Any) -> None:
        if self.log is None:
            return
        answer.session_id = request.session_id
        answer.request_id = request.request_id
        self.log.record(request, answer)

    # -- charts ----------------------------------------------------------------------------------------
    def _chart(self, sd: SectionDef, section: Section) -> Chart | None:
        if callable(sd.chart):
            inp = ChartInput(as_of=self.report.as_of, rows=section.rows, figures=section.figures,
                             data={}, section_key=sd.key, run_pattern=self.run_pattern)
            chart = sd.chart(inp)
        else:
            chart = generic_chart(sd.chart, section)
        if chart is None:
            return None
        name = _slug(chart.name or sd.key)
        while name in self.used_names:
            name += "-2"
        self.used_names.add(name)
        chart.name = name
        return chart

    def run_pattern(self, name: str, **values: Any) -> list[dict[str, Any]]:
        """Run one more pattern for a chart (on the run's warehouse); rows as plain dicts."""
        from revops_cli.warehouse.queries import run_pattern

        _, _, result = run_pattern(self.warehouse, self.settings, name, values)
        return [jsonable(r) for r in result.records()]


def _heading_from_markdown(text: str) -> str | None:
    for line in (text or "").splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip()
    return None


CHART_KINDS = ("bar", "hbar", "stacked", "line")
_NUMERIC_FORMATS = ("money", "num", "pct", "pct1", "signed_pct", "ratio")


def generic_chart(spec: dict[str, Any] | str, section: Section) -> Chart | None:
    """A user report's `chart:` - `bar` (x: the first text column, y: the first numeric one) or
    `{kind: line, x: month, y: [revenue, prev_year_revenue], title: ..., format: money}`."""
    if isinstance(spec, str):
        spec = {"kind": spec}
    if not isinstance(spec, dict):
        raise ConfigError(f"chart of section {section.key!r} must be a kind or a mapping")
    kind = str(spec.get("kind") or "bar")
    if kind not in CHART_KINDS:
        raise ConfigError(f"unknown chart kind {kind!r} in section {section.key!r}", f"use one of {', '.join(CHART_KINDS)}")
    rows = section.rows
    if not rows:
        return None
    cols = {c.key: c for c in section.columns} or {c.key: c for c in infer_columns(rows)}
    x = spec.get("x") or next((k for k, c in cols.items() if c.fmt in ("text", "date", "month")), None)
    y = spec.get("y") or [next((k for k, c in cols.items() if c.fmt in _NUMERIC_FORMATS), None)]
    y = [y] if isinstance(y, str) else list(y)
    if not x or not y or y == [None]:
        raise ConfigError(f"cannot pick the chart's x and y in section {section.key!r}",
                          "name them: chart: {kind: bar, x: COLUMN, y: [COLUMN]}")
    missing = [k for k in [x, *y] if k not in rows[0]]
    if missing:
        raise ConfigError(f"chart of section {section.key!r} names unknown columns: {', '.join(missing)}",
                          "known: " + ", ".join(rows[0]))
    fmt = spec.get("format") or (cols[y[0]].fmt if y[0] in cols else "num")
    fmt = {"pct1": "pct", "signed_pct": "pct"}.get(fmt, fmt)
    return Chart(name=section.key, kind=kind, title=str(spec.get("title") or section.heading),
                 x=[str(r.get(x)) for r in rows],
                 series=[{"name": cols[k].header if k in cols else k, "values": [_val(r.get(k)) for r in rows]}
                         for k in y],
                 y_format=fmt if fmt in ("money", "num", "pct", "ratio") else "num",
                 y_label=str(spec.get("y_label") or ""))


def _val(v: Any) -> float | None:
    if v is None:
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None
