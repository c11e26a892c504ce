"""The measure planner: named measures by named dimensions, as ONE SQL statement that runs unchanged on DuckDB
and Firebolt (docs/model.md, "Asking for measures").

A `ModelQuery` names measures (base/measures.yaml and the team's own), dimensions (with a time grain for
dates), filters, a period and an order. `plan_query` compiles it:

- each measure is aggregated at the requested grain in its own subquery over its entity, joined many-to-one
  (the model's relationships, shortest path) to the entities its dimensions and filters read. A joined entity
  is a derived table evaluated in its own scope (`SELECT key AS _k, <dimension sql> AS _d0 FROM accounts`),
  so the model's unqualified expressions never become ambiguous;
- the subqueries are then joined on the dimension values (a UNION spine, NULL-safe equality), so measures of
  different entities stand side by side (bookings and revenue by segment);
- the period applies to each measure's own `time` column; the `time` dimension means that column too, so
  "bookings and revenue by quarter" buckets each measure by its own date;
- quarter and year grains follow the fiscal calendar (`calendar.fiscal_year_start_month`): with a January
  start they are DATE_TRUNC, otherwise a literal calendar of bucket starts and ends computed in Python;
- cohort measures (net revenue retention, churned ARR) aggregate `value` per key over the period and over a
  comparison window, then aggregate those per-key rows.

Portable SQL (docs/design/semantic-model-research.md §4): ratios cast to DOUBLE PRECISION in the measure
definitions, CAST(DATE_TRUNC('unit', x) AS DATE) with lower-case units, CASE instead of FILTER, no QUALIFY, no
INTERVAL (dates are computed in Python and bound), NOT IN kept as written. Values are bound as `?` parameters.

A measure that reads data the model declares missing is *unavailable*: its column is a typed NULL (never a 0)
and `MeasurePlan.unavailable` says why. A dimension reached through a join key the model declares missing is
NULL for every row of that measure: `MeasurePlan.unjoined` says so (and the key is in `missing`); a filter
through such a key is a usage error, like a filter on missing data.
"""

from __future__ import annotations

import calendar as _calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Iterable

from revops_cli.errors import UsageError
from revops_cli.model.spec import Dimension, Measure, Relationship, SemanticModel
from revops_cli.yaml_files import did_you_mean

GRAINS = ("day", "week", "month", "quarter", "year")
OPERATORS = ("=", "!=", "in", "not in", "<", "<=", ">", ">=", "between", "contains")
TIME = "time"                       # the dimension that means each measure's own `time` column
# A fiscal quarter/year grain on a date other than the period's own column buckets over this range.
CALENDAR_RANGE = (date(2000, 1, 1), date(2039, 12, 31))
SPLIT_ITEMS = 10                    # a multi-valued dimension (`split:`) reads at most this many items per row
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRING = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")
_ADDITIVE = re.compile(r"^\s*(SUM|COUNT)\s*\(", re.I)
_MARK = re.compile("\x00(\\d+)\x00")   # a bound value while fragments are assembled; `?` at the end


# --- the question --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DimensionRef:
    """A dimension by name, with a grain for dates: `segment`, `close_date:quarter`, `time:month`."""

    name: str
    grain: str | None = None

    @property
    def column(self) -> str:
        """The output column: the name, or `name_grain` (close_date_quarter, time_month)."""
        return f"{self.name}_{self.grain}" if self.grain else self.name

    @classmethod
    def parse(cls, value: Any) -> "DimensionRef":
        if isinstance(value, DimensionRef):
            return value
        if isinstance(value, dict):
            return cls(str(value.get("name", "")).strip(), value.get("grain") or None)
        text = str(value).strip()
        name, _, grain = text.partition(":")
        return cls(name.strip(), grain.strip().lower() or None)

    def __str__(self) -> str:
        return f"{self.name}:{self.grain}" if self.grain else self.name


@dataclass(frozen=True)
class Filter:
    """`field op value`: field is a dimension name or `entity.column`; value a list for in / not in, a pair for
    between, one competitor name for contains (the comma-separated competitors column)."""

    field: str
    op: str
    value: Any = None

    @classmethod
    def parse(cls, value: Any) -> "Filter":
        if isinstance(value, Filter):
            return value
        if isinstance(value, dict):
            return cls(str(value.get("field", "")).strip(), str(value.get("op", "=")).strip().lower(),
                       value.get("value"))
        if isinstance(value, (list, tuple)) and len(value) == 3:
            return cls(str(value[0]).strip(), str(value[1]).strip().lower(), value[2])
        raise UsageError(f"filter {value!r} is not field, op, value",
                         "write {\"field\": \"segment\", \"op\": \"=\", \"value\": \"Enterprise\"}")

    def __str__(self) -> str:
        return f"{self.field} {self.op} {self.value!r}"


@dataclass
class ModelQuery:
    """Measures by dimensions, filtered, over a period (docs/model.md, "Asking for measures").

    measures:   names from the model (`revops model show`), e.g. ["bookings", "revenue"]
    dimensions: names, with `:grain` for dates (day, week, month, quarter, year), e.g. ["segment", "time:quarter"]
    filters:    Filter(field, op, value); op one of OPERATORS
    period:     (start, end), inclusive, applied to each measure's `time` column
    order:      output columns, `-name` (or `name desc`) for descending; default: the dimensions ascending
    limit:      at most this many rows
    """

    measures: list[str]
    dimensions: list[DimensionRef] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    period: tuple[date, date] | None = None
    order: list[str] = field(default_factory=list)
    limit: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.measures, str):
            self.measures = [self.measures]
        self.measures = [str(m).strip() for m in self.measures]
        self.dimensions = [DimensionRef.parse(d) for d in self.dimensions or []]
        self.filters = [Filter.parse(f) for f in self.filters or []]
        if self.period is not None:
            start, end = (self.period.start, self.period.end) if hasattr(self.period, "start") else self.period
            self.period = (as_date(start, "period start"), as_date(end, "period end"))
        self.order = [str(o).strip() for o in self.order or []]

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, as_of: date | None = None,
                  fiscal_year_start_month: int = 1) -> "ModelQuery":
        """From JSON (model tools, `--format json` callers): the field names above; period as
        {"start": "2026-10-01", "end": "2026-12-31"}, a two-item list, or words ("Q3", "last 90 days") when
        `as_of` is given (agents/periods.py, on the fiscal calendar)."""
        if not isinstance(data, dict):
            raise UsageError("a model query is an object with measures, dimensions, filters, period",
                             "e.g. {\"measures\": [\"bookings\"], \"dimensions\": [\"segment\"]}")
        unknown = set(data) - {"measures", "dimensions", "filters", "period", "order", "limit"}
        if unknown:
            raise UsageError(f"unknown key {sorted(unknown)[0]!r} in a model query",
                             "keys: measures, dimensions, filters, period, order, limit")
        period = data.get("period")
        if isinstance(period, dict):
            period = (period.get("start"), period.get("end"))
        elif isinstance(period, str):
            if as_of is None:
                raise UsageError(f"period {period!r} is not a start and end", "give {\"start\": ..., \"end\": ...}")
            from revops_cli.agents.periods import parse_period

            found = parse_period(period, as_of, fiscal_year_start_month)
            if found is None:
                raise UsageError(f"no period in {period!r}",
                                 "e.g. 'Q3 2026', 'this quarter', 'last 90 days', or {\"start\": ..., \"end\": ...}")
            period = (found.start, found.end)
        elif period is not None and not (isinstance(period, (list, tuple)) and len(period) == 2):
            raise UsageError(f"period {period!r} is not a start and end", "give {\"start\": ..., \"end\": ...}")
        limit = data.get("limit")
        if isinstance(limit, str) and limit.strip().isdigit():
            limit = int(limit)
        return cls(measures=data.get("measures") or [], dimensions=data.get("dimensions") or [],
                   filters=data.get("filters") or [], period=period, order=data.get("order") or [],
                   limit=limit)

    def to_dict(self) -> dict[str, Any]:
        return {"measures": list(self.measures), "dimensions": [str(d) for d in self.dimensions],
                "filters": [{"field": f.field, "op": f.op, "value": _jsonable(f.value)} for f in self.filters],
                "period": ({"start": self.period[0].isoformat(), "end": self.period[1].isoformat()}
                           if self.period else None),
                "order": list(self.order), "limit": self.limit}


def _jsonable(v: Any) -> Any:
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


def as_date(value: Any, what: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise UsageError(f"{what} {value!r} is not a date", "use YYYY-MM-DD") from None


# --- the compiled statement ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Unjoined:
    """A dimension a measure cannot reach on this warehouse: the join key on the way is declared missing, so
    every row of that measure has no value for it (it lands in one empty bucket)."""

    measure: str
    dimension: str              # the output column
    key: str                    # "leads.converted_account_id"
    why: str                    # the model's reason for the missing key

    def sentence(self) -> str:
        """'no region for leads: the mapping has no leads.converted_account_id (dwh_prod's leads …)'."""
        return (f"no {self.dimension.replace('_', ' ')} for {self.measure.replace('_', ' ')}: the mapping has no "
                f"{self.key} ({self.why})")

    def to_dict(self) -> dict[str, str]:
        return {"measure": self.measure, "dimension": self.dimension, "key": self.key, "why": self.why}


@dataclass
class MeasurePlan:
    """The SQL of a ModelQuery and what its answer must say (the receipt)."""

    sql: str
    params: list[Any]
    columns: list[str]                                            # output: dimension columns, then measures
    measures: dict[str, str] = field(default_factory=dict)        # measure -> its one-line definition
    dimensions: dict[str, str] = field(default_factory=dict)      # output column -> what it is
    entities: list[str] = field(default_factory=list)             # canonical entities read
    missing: dict[str, str] = field(default_factory=dict)         # "accounts.segment" -> why there is none
    approximations: dict[str, str] = field(default_factory=dict)  # "opportunities.amount" -> how
    unavailable: dict[str, str] = field(default_factory=dict)     # measure -> why its column is NULL here
    windows: dict[str, tuple[date, date]] = field(default_factory=dict)  # cohort measure -> comparison window
    unjoined: list[Unjoined] = field(default_factory=list)       # dimensions a measure reaches through no key
    query: ModelQuery | None = None

    def meta(self) -> dict[str, Any]:
        """What travels into the trace and the answer receipt."""
        out: dict[str, Any] = {"measures": dict(self.measures), "entities": list(self.entities)}
        if self.query is not None:
            out["query"] = self.query.to_dict()
        for key in ("missing", "approximations", "unavailable"):
            if getattr(self, key):
                out[key] = dict(getattr(self, key))
        if self.unjoined:
            out["unjoined"] = [u.to_dict() for u in self.unjoined]
        if self.windows:
            out["windows"] = {m: [s.isoformat(), e.isoformat()] for m, (s, e) in self.windows.items()}
        return out


# --- fiscal calendar -----------------------------------------------------------------------------------------

def bucket_ranges(start: date, end: date, grain: str, fiscal_year_start_month: int = 1) -> list[tuple[date, date]]:
    """(first day, last day) of every whole day/ISO week/month/fiscal quarter/fiscal year touching start..end
    (agents/periods.py: the one fiscal calendar)."""
    from revops_cli.agents.periods import buckets

    return [(b.start, b.end) for b in buckets(start, end, grain, fiscal_year_start_month)]


def months_between(start: date, end: date) -> int | None:
    """The number of whole months start..end spans, or None when it does not start and end on month edges."""
    if start.day != 1 or end.day != _calendar.monthrange(end.year, end.month)[1]:
        return None
    return (end.year - start.year) * 12 + end.month - start.month + 1


def shift_months(d: date, n: int, *, month_end: bool = False) -> date:
    i = d.year * 12 + d.month - 1 + n
    y, m = i // 12, i % 12 + 1
    last = _calendar.monthrange(y, m)[1]
    return date(y, m, last if month_end else min(d.day, last))


# The start of "ever" for `ever_before` comparisons (before any CRM record).
EVER_START = date(1900, 1, 1)


def comparison_window(start: date, end: date, compare: str) -> tuple[date, date]:
    """The window a cohort measure compares the period with: the same dates 12 months earlier
    (`year_before`), the window of the same length just before (`period_before`; whole months when the
    period is whole months), or every date before the period (`ever_before`: "first won deal in the period")."""
    if compare == "ever_before":
        return EVER_START, start - timedelta(days=1)
    months = months_between(start, end)
    if compare == "year_before":
        return shift_months(start, -12), shift_months(end, -12, month_end=months is not None)
    if months is not None:
        return shift_months(start, -months), start - timedelta(days=1)
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)


# --- planning ------------------------------------------------------------------------------------------------

def identifiers(sql: str) -> set[str]:
    """Every bare word of an expression outside string literals and quoted names, lower-cased."""
    return {w.lower() for w in _IDENT.findall(_STRING.sub(" ", sql))}


def join_path(model: SemanticModel, start: str, target: str) -> list[Relationship] | None:
    """The shortest chain of many-to-one relationships from `start` to `target` (first declared wins a tie)."""
    if start == target:
        return []
    frontier: list[tuple[str, list[Relationship]]] = [(start, [])]
    seen = {start}
    while frontier:
        nxt: list[tuple[str, list[Relationship]]] = []
        for ent, path in frontier:
            for rel in model.relationships:
                if rel.child != ent or rel.parent in seen:
                    continue
                if rel.parent == target:
                    return path + [rel]
                seen.add(rel.parent)
                nxt.append((rel.parent, path + [rel]))
        frontier = nxt
    return None


def entity_relation(model: SemanticModel, entity: str, columns: Iterable[str] | None) -> str:
    """The SQL of an entity on this warehouse: its table, or a parenthesised SELECT (model/compile.py)."""
    ent = model.entity(entity)
    if ent.identity:
        return ent.table or ent.name
    from revops_cli.model.compile import relation

    return relation(model, entity, columns)


@dataclass
class _Field:
    """Something a subquery reads: a dimension value or a filtered column, on one entity."""

    entity: str
    sql: str                    # over the entity's canonical columns
    type: str | None = None     # the canonical type when `sql` is one column


class _Planner:
    def __init__(self, model: SemanticModel, query: ModelQuery, fiscal_year_start_month: int):
        self.model = model
        self.q = query
        self.fsm = fiscal_year_start_month
        self.used: dict[str, set[str]] = {}           # entity -> canonical columns read (receipt)

    # -- checks --
    def check(self) -> None:
        q, model = self.q, self.model
        if not q.measures:
            raise UsageError("a model query needs at least one measure",
                             "e.g. measures: [bookings]; `revops model show` lists them")
        for m in q.measures:
            if m not in model.measures:
                raise UsageError(f"no measure {m!r} in the model",
                                 did_you_mean(m, model.measures, "`revops model show` lists the measures"))
        if len(set(q.measures)) != len(q.measures):
            raise UsageError("a measure is named twice in the query", "name each measure once")
        for d in q.dimensions:
            if d.name != TIME and d.name not in model.dimensions:
                raise UsageError(f"no dimension {d.name!r} in the model",
                                 did_you_mean(d.name, [*model.dimensions, TIME],
                                              "`revops model show` lists the dimensions"))
            is_time = d.name == TIME or model.dimensions[d.name].time
            if d.grain is not None and d.grain not in GRAINS:
                raise UsageError(f"unknown time grain {d.grain!r} for {d.name}", f"use one of: {', '.join(GRAINS)}")
            if d.grain is not None and not is_time:
                raise UsageError(f"dimension {d.name!r} is not a date, so it takes no grain", f"write {d.name}")
        cols = [d.column for d in q.dimensions]
        if len(set(cols)) != len(cols):
            raise UsageError("a dimension is named twice in the query", "name each dimension once")
        if set(cols) & set(q.measures):
            raise UsageError("a dimension and a measure share a name", "rename one in the model")
        for f in q.filters:
            if f.op not in OPERATORS:
                raise UsageError(f"unknown filter operator {f.op!r} in {f}", f"use one of: {', '.join(OPERATORS)}")
            if f.op in ("in", "not in") and not isinstance(f.value, (list, tuple)):
                raise UsageError(f"filter {f} needs a list of values", f"write {f.field} {f.op} [a, b]")
            if f.op == "between" and not (isinstance(f.value, (list, tuple)) and len(f.value) == 2):
                raise UsageError(f"filter {f} needs two values", f"write {f.field} between [low, high]")
            if f.op not in ("in", "not in", "between") and isinstance(f.value, (list, tuple, dict)):
                raise UsageError(f"filter {f} takes one value", "use `in` for a list of values")
        if q.period and q.period[1] < q.period[0]:
            raise UsageError(f"the period ends ({q.period[1]}) before it starts ({q.period[0]})",
                             "give the earlier date first")
        if q.limit is not None and (isinstance(q.limit, bool) or not isinstance(q.limit, int) or q.limit < 1):
            raise UsageError(f"limit {q.limit!r} is not a positive whole number", "e.g. limit: 10")
        outputs = cols + list(q.measures)
        for o in q.order:
            name, _ = order_term(o)
            if name not in outputs:
                raise UsageError(f"cannot order by {name!r}: it is not a column of the answer",
                                 did_you_mean(name, outputs, "order by a dimension or a measure of the query"))
        for m in q.measures:
            measure = model.measures[m]
            if measure.cohort and not q.period:
                raise UsageError(f"measure {m!r} compares two periods, so it needs a period",
                                 "give period: {start, end}")
            if measure.cohort:
                for d in q.dimensions:
                    if d.name != TIME and model.dimensions[d.name].time:
                        raise UsageError(f"cohort measure {m!r} is bucketed by its own date only",
                                         f"use the `time` dimension instead of {d.name}")

    def resolve_filter(self, f: Filter, measure: Measure) -> _Field:
        model = self.model
        if f.field in model.dimensions:
            entity, sql = self.dimension_on(model.dimensions[f.field], measure)
            return _Field(entity, sql, self.column_type(entity, sql))
        entity, _, column = f.field.rpartition(".")
        entity = entity or measure.entity
        if entity in model.entities and column in model.entities[entity].columns:
            return _Field(entity, column, model.entities[entity].columns[column].type)
        raise UsageError(f"filter field {f.field!r} is neither a dimension nor a canonical column",
                         did_you_mean(f.field, [*model.dimensions,
                                                *(f"{measure.entity}.{c}" for c in model.entities[measure.entity].columns)],
                                      "use a dimension name or entity.column"))

    @staticmethod
    def dimension_on(d: Dimension, measure: Measure) -> tuple[str, str]:
        """(entity, sql) of a dimension for this measure: the measure's entity's own column when the dimension
        says so (`own:`: a lead's own region), else the dimension's entity."""
        if measure.entity in d.own:
            return measure.entity, d.own[measure.entity]
        return d.entity, d.sql

    def column_type(self, entity: str, sql: str) -> str | None:
        col = self.model.entities[entity].columns.get(sql.strip())
        return col.type if col else None

    def note_use(self, entity: str, sql: str) -> None:
        cols = self.model.entities[entity].columns
        self.used.setdefault(entity, set()).update(c for c in identifiers(sql) if c in cols)

    # -- receipts --
    def missing_in(self, entity: str, sql: str) -> dict[str, str]:
        ent = self.model.entities[entity]
        if ent.missing:
            return {entity: ent.missing}
        return {f"{entity}.{c}": ent.columns[c].missing for c in identifiers(sql)
                if c in ent.columns and ent.columns[c].missing}

    def path_missing(self, entity: str, target: str) -> dict[str, str]:
        """The join keys declared missing on the way from `entity` to `target` (an unreachable target is the
        caller's usage error): through such a key the target's values are NULL for every row."""
        gone: dict[str, str] = {}
        for rel in join_path(self.model, entity, target) or []:
            for ent_name, col in ((rel.child, rel.child_column), (rel.parent, rel.parent_column)):
                ent = self.model.entities[ent_name]
                if ent.missing:
                    gone[ent_name] = ent.missing
                elif col in ent.columns and ent.columns[col].missing:
                    gone[f"{ent_name}.{col}"] = ent.columns[col].missing
        return gone

    def measure_missing(self, m: Measure) -> dict[str, str]:
        """The missing data a measure's own definition reads (its aggregate, filters, date, cohort key)."""
        missing: dict[str, str] = {}
        for t in (m.sql, *m.filters, m.time or "", m.per or "", m.value or ""):
            missing.update(self.missing_in(m.entity, t))
        return missing

    # -- SQL --
    def plan(self) -> MeasurePlan:
        self.check()
        q, model = self.q, self.model
        frags: list[tuple[str, str]] = []          # (measure, subquery SQL)
        unavailable: dict[str, str] = {}
        missing: dict[str, str] = {}
        windows: dict[str, tuple[date, date]] = {}
        params: list[Any] = []
        for name in q.measures:
            m = model.measures[name]
            gone = self.measure_missing(m)
            if gone:
                unavailable[name] = "; ".join(dict.fromkeys(gone.values()))
                missing.update(gone)
                continue
            if m.cohort:
                windows[name] = comparison_window(*q.period, m.compare)    # type: ignore[misc]
            frags.append((name, self.measure_sql(m, params, windows.get(name))))
        unjoined: list[Unjoined] = []
        for d in q.dimensions:
            if d.name != TIME:
                dim = model.dimensions[d.name]
                for name in q.measures:
                    entity, sql = self.dimension_on(dim, model.measures[name])
                    missing.update(self.missing_in(entity, sql))
                    if name in unavailable:
                        continue
                    keys = self.path_missing(model.measures[name].entity, entity)
                    missing.update(keys)
                    unjoined += [Unjoined(name, d.column, k, why) for k, why in keys.items()]
                if dim.rollup:
                    raise UsageError(f"dimension {d.name!r} counts rows per {dim.entity} record, so it filters "
                                     "and does not group", f"filter on it: {{field: {d.name}, op: '>', value: 2}}")
        for f in q.filters:
            for name in q.measures:
                if name in unavailable:
                    continue
                fld = self.resolve_filter(f, model.measures[name])
                gone = self.missing_in(fld.entity, fld.sql)
                dim = model.dimensions.get(f.field)
                if dim is not None and dim.rollup:
                    gone.update(self.missing_in(dim.rollup, " ".join([dim.sql, *dim.rollup_filters])))
                if gone:
                    raise UsageError(f"cannot filter on {f.field}: {'; '.join(dict.fromkeys(gone.values()))}",
                                     "drop that filter; `revops model show` lists what this warehouse has")
                keys = self.path_missing(model.measures[name].entity, fld.entity)
                if keys:       # every row would fail the filter: a silent 0
                    raise UsageError(f"cannot filter {name.replace('_', ' ')} on {f.field}: the mapping has no "
                                     + "; no ".join(f"{k} ({why})" for k, why in keys.items()),
                                     "drop that filter; `revops model show` lists what this warehouse has")
        sql = self.combine(frags, unavailable)
        sql, params = _positional(sql, params)
        approx: dict[str, str] = {}
        for ent, cols in self.used.items():
            for c in sorted(cols):
                col = model.entities[ent].columns[c]
                if col.approx:
                    approx[f"{ent}.{c}"] = col.approx
        return MeasurePlan(
            sql=sql, params=params, columns=[d.column for d in q.dimensions] + list(q.measures),
            measures={n: model.measures[n].description for n in q.measures},
            dimensions={d.column: self.describe(d) for d in q.dimensions},
            entities=sorted(self.used), missing=missing, approximations=approx, unavailable=unavailable,
            windows=windows, unjoined=unjoined, query=q)

    def describe(self, d: DimensionRef) -> str:
        if d.name == TIME:
            what = "each measure's own date"
        else:
            what = self.model.dimensions[d.name].description or d.name
        if d.grain in ("quarter", "year") and self.fsm != 1:
            return f"{what}, by fiscal {d.grain} (first day; the fiscal year starts in month {self.fsm})"
        return f"{what}, by {d.grain} (first day)" if d.grain else what

    def measure_sql(self, m: Measure, params: list[Any], window: tuple[date, date] | None) -> str:
        """One measure aggregated at the requested grain: `SELECT <dims>, <aggregate> FROM ... GROUP BY`."""
        q, model = self.q, self.model
        ent = model.entities[m.entity]
        own: set[str] = set()            # columns of the measure's entity the outer scope reads
        nodes: dict[tuple[int, ...], dict[str, Any]] = {}   # join path (relationship ids) -> derived table
        rel_ids = {id(r): i for i, r in enumerate(model.relationships)}
        counter = {"d": 0, "h": 0}

        def node_for(target: str, what: str) -> dict[str, Any] | None:
            path = join_path(model, m.entity, target)
            if path is None:
                raise UsageError(f"{what} does not apply to measure {m.name!r}: no relationship leads from "
                                 f"{m.entity} to {target}", "drop it, or add a relationship to the model")
            if not path:
                return None
            parent_alias = "t0"
            node = None
            for i, rel in enumerate(path):
                keyp = tuple(rel_ids[id(r)] for r in path[:i + 1])
                if keyp not in nodes:
                    counter["h"] += 1
                    nodes[keyp] = {"alias": f"h{counter['h']}", "entity": rel.parent, "key": rel.parent_column,
                                   "items": [], "parent": parent_alias, "parent_col": None, "rel": rel}
                    if parent_alias == "t0":
                        own.add(rel.child_column)
                        nodes[keyp]["parent_col"] = rel.child_column
                    else:
                        prev = node
                        jname = f"_j{counter['d']}"
                        counter["d"] += 1
                        prev["items"].append((rel.child_column, jname))
                        nodes[keyp]["parent_col"] = jname
                node = nodes[keyp]
                parent_alias = node["alias"]
            return node

        def value_of(entity: str, sql: str) -> str:
            """An expression in the outer scope for `sql` over `entity`."""
            self.note_use(entity, sql)
            node = node_for(entity, f"{sql} on {entity}")
            if node is None:
                own.update(c for c in identifiers(sql) if c in ent.columns)
                return sql
            name = f"_d{counter['d']}"
            counter["d"] += 1
            node["items"].append((sql, name))
            return f"{node['alias']}.{name}"

        def rollup_of(dim: Dimension) -> str:
            """A per-row aggregate of a child entity (close-date pushes per deal), LEFT JOINed on its key."""
            if dim.entity != m.entity:
                raise UsageError(f"filter {dim.name!r} applies to {dim.entity}, not to measure {m.name!r}",
                                 f"use it with a measure of {dim.entity}")
            rel = next(r for r in model.relationships if r.child == dim.rollup and r.parent == dim.entity)
            text = " ".join([dim.sql, *dim.rollup_filters])
            self.note_use(dim.rollup, text)
            cols = [rel.child_column] + [c for c in identifiers(text) if c in model.entities[dim.rollup].columns]
            self.used.setdefault(dim.rollup, set()).add(rel.child_column)
            own.add(rel.parent_column)
            self.used.setdefault(m.entity, set()).add(rel.parent_column)
            alias = f"r{len(calendars)}"
            where = f" WHERE {' AND '.join(f'({w})' for w in dim.rollup_filters)}" if dim.rollup_filters else ""
            calendars.append(f"LEFT JOIN (SELECT {rel.child_column} AS _k, {dim.sql} AS _v "
                             f"FROM {entity_relation(model, dim.rollup, dict.fromkeys(cols))} AS src{where} "
                             f"GROUP BY {rel.child_column}) AS {alias} ON {alias}._k = t0.{rel.parent_column}")
            return f"COALESCE({alias}._v, 0)"

        # measure columns
        for text in (m.sql, *m.filters, m.time or "", m.per or "", m.value or ""):
            self.note_use(m.entity, text)
            own.update(c for c in identifiers(text) if c in ent.columns)
        time_col = m.time
        calendars: list[str] = []        # LEFT JOIN clauses of literal calendars
        dim_exprs: list[str] = []
        cohort_cal: str | None = None
        split_filters: list[str] = []
        if m.cohort:
            cohort_cal = self.cohort_calendar(m, window)
        for d in q.dimensions:
            if d.name == TIME:
                if not time_col:
                    raise UsageError(f"measure {m.name!r} has no date, so it has no `time` dimension",
                                     "drop the time dimension or give the measure `time:` in the model")
                raw, typ, is_period_col = time_col, ent.columns[time_col].type, True
            else:
                dim = model.dimensions[d.name]
                d_entity, d_sql = self.dimension_on(dim, m)
                raw = value_of(d_entity, d_sql)
                typ = self.column_type(d_entity, d_sql)
                is_period_col = d_entity == m.entity and d_sql.strip() == (time_col or "")
                if dim.split:
                    # one row per item of a comma-separated column: a deal with two competitors counts for each
                    alias = f"sp{len(calendars)}"
                    spine = " UNION ALL ".join(f"SELECT {i} AS _n" for i in range(1, SPLIT_ITEMS + 1))
                    calendars.append(f"CROSS JOIN ({spine}) AS {alias}")
                    raw = f"TRIM(SPLIT_PART({raw}, {_sql_text(dim.split)}, {alias}._n))"
                    split_filters.append(f"({raw} <> '')")
            if m.cohort and d.name == TIME:
                dim_exprs.append("cal._b")
                continue
            dim_exprs.append(self.grain_sql(raw, typ, d, is_period_col, calendars))
        filters = [f"({f})" for f in m.filters] + split_filters
        for f in q.filters:
            dim = model.dimensions.get(f.field)
            if dim is not None and dim.rollup:
                filters.append(self.filter_sql(rollup_of(dim), "BIGINT", f, params))
                continue
            fld = self.resolve_filter(f, m)
            filters.append(self.filter_sql(value_of(fld.entity, fld.sql), fld.type, f, params))
        joins = []
        for node in nodes.values():
            cols = [node["key"]] + [c for c in identifiers(" ".join(s for s, _ in node["items"]))
                                    if c in model.entities[node["entity"]].columns]
            rel = entity_relation(model, node["entity"], dict.fromkeys(cols))
            items = ", ".join([f"{node['key']} AS _k"] + [f"{s} AS {n}" for s, n in node["items"]])
            joins.append(f"LEFT JOIN (SELECT {items} FROM {rel} AS src) AS {node['alias']} "
                         f"ON {node['alias']}._k = {node['parent']}.{node['parent_col']}")
            self.used.setdefault(node["entity"], set()).add(node["key"])
        base = entity_relation(model, m.entity, [c for c in ent.columns if c in own])
        from_sql = " ".join([f"{base} AS t0", *joins, *calendars])
        selects = [f"{e} AS {_quote(d.column)}" for e, d in zip(dim_exprs, q.dimensions)]
        group = f" GROUP BY {', '.join(str(i + 1) for i in range(len(selects)))}" if selects else ""
        if not m.cohort:
            if q.period and time_col:
                filters.insert(0, self.period_sql(time_col, ent.columns[time_col].type, q.period, params))
            where = f" WHERE {' AND '.join(filters)}" if filters else ""
            return f"SELECT {', '.join([*selects, f'{m.sql} AS {_quote(m.name)}'])} FROM {from_sql}{where}{group}"
        # cohort: value per key over the period window and the comparison window, then the measure over keys
        t = _date_expr(time_col, ent.columns[time_col].type)
        where = f" WHERE {' AND '.join(filters)}" if filters else ""
        n = len(selects)
        key_group = f" GROUP BY {', '.join(str(i + 1) for i in range(n + 1))}"
        parts = []
        value = f"CAST({m.value} AS DOUBLE PRECISION)"     # one type in both UNION branches (Firebolt: SUM is NUMERIC)
        for lo, hi, period_v, base_v in (("cal._s", "cal._e", value, "CAST(NULL AS DOUBLE PRECISION)"),
                                         ("cal._bs", "cal._be", "CAST(NULL AS DOUBLE PRECISION)", value)):
            parts.append(f"SELECT {', '.join([*selects, f'{m.per} AS _key', f'{period_v} AS period_value', f'{base_v} AS base_value'])} "
                         f"FROM {from_sql} JOIN {cohort_cal} AS cal ON {t} BETWEEN {lo} AND {hi}{where}{key_group}")
        dims = [_quote(d.column) for d in q.dimensions]
        per_key = (f"SELECT {', '.join([*dims, '_key', 'MAX(period_value) AS period_value', 'MAX(base_value) AS base_value'])} "
                   f"FROM ({' UNION ALL '.join(parts)}) AS u GROUP BY {', '.join([*dims, '_key'])}")
        outer_group = f" GROUP BY {', '.join(dims)}" if dims else ""
        return f"SELECT {', '.join([*dims, f'{m.sql} AS {_quote(m.name)}'])} FROM ({per_key}) AS k{outer_group}"

    def cohort_calendar(self, m: Measure, window: tuple[date, date] | None) -> str:
        """Literal rows (_b bucket start, _s.._e the window in the period, _bs.._be its comparison window)."""
        start, end = self.q.period       # type: ignore[misc]
        grain = next((d.grain for d in self.q.dimensions if d.name == TIME), None)
        ranges = bucket_ranges(start, end, grain, self.fsm) if grain else [(start, end)]
        rows = []
        for b_start, b_end in ranges:
            s, e = max(b_start, start), min(b_end, end)
            bs, be = comparison_window(s, e, m.compare)      # type: ignore[arg-type]
            rows.append(f"SELECT {_lit(b_start)} AS _b, {_lit(s)} AS _s, {_lit(e)} AS _e, "
                        f"{_lit(bs)} AS _bs, {_lit(be)} AS _be")
        return "(" + " UNION ALL ".join(rows) + ")"

    def grain_sql(self, raw: str, typ: str | None, d: DimensionRef, is_period_col: bool, calendars: list[str]) -> str:
        if d.grain is None:
            return raw
        v = _date_expr(raw, typ)
        if d.grain == "day":
            return v
        if d.grain in ("week", "month") or self.fsm == 1:
            return f"CAST(DATE_TRUNC('{d.grain}', {v}) AS DATE)"
        start, end = self.q.period if (self.q.period and is_period_col) else CALENDAR_RANGE
        alias = f"c{len(calendars)}"
        rows = " UNION ALL ".join(f"SELECT {_lit(s)} AS _s, {_lit(e)} AS _e"
                                  for s, e in bucket_ranges(start, end, d.grain, self.fsm))
        calendars.append(f"LEFT JOIN ({rows}) AS {alias} ON {v} BETWEEN {alias}._s AND {alias}._e")
        return f"{alias}._s"

    def period_sql(self, column: str, typ: str, period: tuple[date, date], params: list[Any]) -> str:
        return (f"{_date_expr(column, typ)} BETWEEN CAST({_bind(params, period[0])} AS DATE) "
                f"AND CAST({_bind(params, period[1])} AS DATE)")

    def filter_sql(self, expr: str, typ: str | None, f: Filter, params: list[Any]) -> str:
        is_date = typ in ("DATE", "TIMESTAMP")

        def bind(v: Any) -> str:
            if is_date or isinstance(v, (date, datetime)):
                return f"CAST({_bind(params, as_date(v, f'value of filter {f.field}'))} AS DATE)"
            return _bind(params, v)

        target = _date_expr(expr, typ) if typ == "TIMESTAMP" else expr
        if f.op == "contains":
            word = _bind(params, f"%,{str(f.value).strip().lower()},%")
            return f"LOWER(CONCAT(',', REPLACE({expr}, ', ', ','), ',')) LIKE {word}"
        if f.op == "between":
            lo, hi = f.value
            return f"{target} BETWEEN {bind(lo)} AND {bind(hi)}"
        if f.op in ("in", "not in"):
            if not f.value:
                return "1 = 0" if f.op == "in" else "1 = 1"
            items = ", ".join(bind(v) for v in f.value)
            return f"{target} {'IN' if f.op == 'in' else 'NOT IN'} ({items})"
        op = "<>" if f.op == "!=" else f.op
        return f"{target} {op} {bind(f.value)}"

    def combine(self, frags: list[tuple[str, str]], unavailable: dict[str, str]) -> str:
        q = self.q
        dims = [_quote(d.column) for d in q.dimensions]
        null = "CAST(NULL AS DOUBLE PRECISION)"
        order = self.order_sql("m0" if len(frags) == 1 else "s")
        limit = f" LIMIT {int(q.limit)}" if q.limit else ""
        if not frags:       # nothing this warehouse can compute
            cols = [f"CAST(NULL AS TEXT) AS {c}" for c in dims] + [f"{null} AS {_quote(m)}" for m in q.measures]
            return f"SELECT {', '.join(cols)}" + (" WHERE 1 = 0" if dims else "")
        if len(frags) == 1:
            name, sub = frags[0]
            cols = [f"m0.{c}" for c in dims] + [f"m0.{_quote(m)}" if m == name else f"{null} AS {_quote(m)}"
                                                for m in q.measures]
            return f"SELECT {', '.join(cols)} FROM ({sub}) AS m0{order}{limit}"
        aliases = {name: f"m{i}" for i, (name, _) in enumerate(frags)}
        ctes = [f"{aliases[name]} AS ({sub})" for name, sub in frags]
        out = []
        for m in q.measures:
            if m in unavailable:
                out.append(f"{null} AS {_quote(m)}")
                continue
            col = f"{aliases[m]}.{_quote(m)}"
            additive = _ADDITIVE.match(self.model.measures[m].sql) and _one_call(self.model.measures[m].sql)
            out.append(f"COALESCE({col}, 0) AS {_quote(m)}" if additive and dims else f"{col} AS {_quote(m)}")
        if not dims:
            froms = " CROSS JOIN ".join(f"{a}" for a in aliases.values())
            return f"WITH {', '.join(ctes)} SELECT {', '.join(out)} FROM {froms}{order}{limit}"
        spine = " UNION ".join(f"SELECT {', '.join(dims)} FROM {a}" for a in aliases.values())
        joins = " ".join(
            f"LEFT JOIN {a} ON " + " AND ".join(f"(s.{c} = {a}.{c} OR (s.{c} IS NULL AND {a}.{c} IS NULL))"
                                                for c in dims)
            for a in aliases.values())
        cols = [f"s.{c}" for c in dims] + out
        return f"WITH {', '.join(ctes)}, s AS ({spine}) SELECT {', '.join(cols)} FROM s {joins}{order}{limit}"

    def order_sql(self, source: str) -> str:
        """ORDER BY the terms (`source`: the alias holding the dimension columns); a dimension whose values have a declared order (a value map's `order:`, e.g. the
        stages of the funnel) sorts by that order first, its other values after them by name."""
        terms = [order_term(o) for o in self.q.order] or [(d.column, False) for d in self.q.dimensions]
        if not terms:
            return ""
        out = []
        for n, desc in terms:
            way = f"{'DESC' if desc else 'ASC'} NULLS LAST"
            ranked = self.value_order(n)
            if ranked:
                whens = " ".join(f"WHEN {_sql_text(v)} THEN {i}" for i, v in enumerate(ranked))
                out.append(f"CASE {source}.{_quote(n)} {whens} ELSE {len(ranked)} END {way}")
            out.append(f"{_quote(n)} {way}")
        return " ORDER BY " + ", ".join(out)

    def value_order(self, column: str) -> list[str]:
        """The declared order of an output dimension's values: its dimension is one mapped column with an
        ordered value map."""
        d = next((d for d in self.q.dimensions if d.column == column and d.name != TIME and d.grain is None), None)
        if d is None:
            return []
        dim = self.model.dimensions[d.name]
        return self.model.value_order(dim.entity, dim.sql.strip())


def order_term(text: str) -> tuple[str, bool]:
    """`-bookings` / `bookings desc` -> ("bookings", True); `segment` / `segment asc` -> ("segment", False)."""
    t = text.strip()
    if t.startswith("-"):
        return t[1:].strip(), True
    parts = t.split()
    if len(parts) == 2 and parts[1].lower() in ("asc", "desc"):
        return parts[0], parts[1].lower() == "desc"
    return t, False


def additive(m: Measure) -> bool:
    """The measure's values of several rows add up to the value of their union: one whole SUM(...) or
    COUNT(...) without DISTINCT, and not a cohort measure."""
    return bool(not m.cohort and _ADDITIVE.match(m.sql) and _one_call(m.sql)
                and not re.search(r"\bDISTINCT\b", m.sql, re.I))


def _one_call(sql: str) -> bool:
    """The whole expression is one function call: `SUM(x)`, not `SUM(x) / COUNT(*)`."""
    text = _STRING.sub("''", sql.strip())
    depth = 0
    opened = False
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
            opened = True
        elif ch == ")":
            depth -= 1
            if depth == 0 and opened:
                return text[i + 1:].strip() == ""
    return False


def _date_expr(expr: str, typ: str | None) -> str:
    return expr if typ == "DATE" else f"CAST({expr} AS DATE)"


def _lit(d: date) -> str:
    """A date computed here (never user text) as a portable literal."""
    return f"CAST('{d.isoformat()}' AS DATE)"


def _sql_text(value: str) -> str:
    """A word from the model file (a separator, a value map's canonical value) as a SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _bind(params: list[Any], value: Any) -> str:
    """A marker for a bound value (its index), turned into `?` by _positional."""
    params.append(value)
    return f"\x00{len(params) - 1}\x00"


def _positional(sql: str, values: list[Any]) -> tuple[str, list[Any]]:
    """`?` placeholders and their values in the order they appear in the text (a fragment used twice binds
    its values twice)."""
    out: list[Any] = []

    def sub(m: re.Match) -> str:
        out.append(values[int(m.group(1))])
        return "?"

    return _MARK.sub(sub, sql), out


# --- entry points --------------------------------------------------------------------------------------------

def plan_query(model: SemanticModel, query: ModelQuery, *, fiscal_year_start_month: int = 1) -> MeasurePlan:
    """ONE SQL statement for `query` on this model (see the module docstring)."""
    return _Planner(model, query, fiscal_year_start_month).plan()


def run_model_query(settings, warehouse, query: ModelQuery):
    """Plan on the settings' model and fiscal calendar, run it: (MeasurePlan, QueryResult with the receipt in
    its meta)."""
    from revops_cli.model.loader import load_model

    plan = plan_query(load_model(settings), query, fiscal_year_start_month=settings.fiscal_year_start_month)
    result = warehouse.query(plan.sql, plan.params)
    result.meta.update(plan.meta())
    return plan, result
