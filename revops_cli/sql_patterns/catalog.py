"""The SQL pattern catalog: named, parameterised, read-only queries over the canonical schema.

A pattern is a `NAME.sql` file: a YAML header in a leading `/* … */` comment, then a Jinja SQL body.

    /*
    name: deals_closing_in_period
    description: Open deals whose close date falls in a period, biggest first.
    params:
      start_date: {type: date, required: true, example: 2026-10-01}
      segment: {type: str, default: null, choices: [SMB, Mid-Market, Enterprise]}
      limit: {type: int, default: 50}
    examples:
      - What deals are closing this quarter?
    */
    SELECT … FROM {{ table('opportunities') }} o
    WHERE o.close_date >= {{ p('start_date') }} {% if segment %}AND … = {{ p('segment') }}{% endif %}
    LIMIT {{ limit }}

Rendering returns `(sql, params)` with positional `?` placeholders. Inside the body:

- `p(name)`       binds a parameter: emits `?` (`CAST(? AS DATE)` for dates) and appends its typed value.
- `p_list(name)`  binds a list[str] parameter, one `?` per item (`NULL` when empty): `IN ({{ p_list('x') }})`.
- `like(name)`    binds `%value%` lower-cased, for `LOWER(col) LIKE {{ like('term') }}`.
- `bind(value)`   binds any computed value, e.g. `{{ bind(as_of - days(window_days)) }}` or a loop item.
- `table(name)`   emits the relation of a canonical entity: its table name (refused unless a plain
                  identifier) or, on a mapped warehouse, the SELECT the semantic model compiles for it.
- `days(n)`, `add_months(d, n)`, `month_start(d)`, `add_years(d, n)`: date arithmetic done in Python,
  so no dialect's interval syntax is needed.

An optional `requires: [calls.transcript, targets]` names the canonical data (entity or entity.column) the
pattern cannot answer without; on a warehouse whose semantic model declares it missing, the analyses switch to a
fallback or say the figure is unavailable (`model.compile.unavailable`), instead of printing 0.
An optional `fallback:` says how the pattern still answers without one of them:
`fallback: {calls.transcript: {params: {search_in: notes}, uses: the calls' notes}}` — the analyses run it with
those parameters where the model lacks that item, and `revops model check` calls it degraded ("uses the calls'
notes"), not unavailable.

Only bound `?`s, table names, ints/floats (typed parameters, e.g. LIMIT) and `choices:`-checked strings
may be written into the SQL text; inlining any other value is refused at render time.

Shared text: where patterns apply the same logic (the deal filters, a period's targets per segment, usage in two
windows), it is written once in `sql_patterns/partials/NAME.sql` and included with Jinja's own
`{% include "NAME.sql" %}`: the included text sees the pattern's parameters, helpers and `{% set %}` values, so
it must only use parameters every including pattern declares. Jinja drops a partial's last newline, so what
follows the include stands on the include's own line (`WITH {% include "usage_windows.sql" %},`).
`{% filter indent(4) %}…{% endfilter %}` around an include moves its lines further in (inside a CTE). A partial
is no pattern (the catalog reads only this folder's `*.sql`).

Every package pattern runs unchanged on DuckDB and Firebolt (a plain PostgreSQL subset). The user's
folders (`<home>/sql_patterns/`, `./sql_patterns/`) add patterns or replace one by name.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterator

from revops_cli.errors import ConfigError, NotFoundError, UsageError

PACKAGE_DIR = Path(__file__).resolve().parent
PARTIALS_DIR = PACKAGE_DIR / "partials"      # shared text patterns include: `{% include "deal_filters.sql" %}`
TYPES = ("str", "int", "float", "date", "bool", "list[str]")
_TYPE_ALIASES = {"string": "str", "text": "str", "integer": "int", "number": "float", "double": "float",
                 "boolean": "bool", "list": "list[str]", "list[string]": "list[str]"}
_TYPE_WORDS = {"str": "a string", "int": "an integer", "float": "a number", "date": "a date (YYYY-MM-DD)",
               "bool": "true or false", "list[str]": "a list of strings (comma-separated)"}
_SPEC_KEYS = frozenset({"type", "required", "default", "description", "example", "choices"})
_HEADER_KEYS = frozenset({"name", "description", "params", "examples", "requires", "fallback"})
HELPERS = frozenset({"p", "p_list", "like", "bind", "table", "days", "add_months", "month_start", "add_years"})
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_TRUE = frozenset({"true", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "off"})


class _Sql(str):
    """Text the renderer produced itself (placeholders, table names, checked choices): safe to inline."""


class _InlineRefused(Exception):
    def __init__(self, value: Any):
        super().__init__(value)
        self.value = value


@dataclass
class Param:
    name: str
    type: str
    required: bool = False
    default: Any = None
    description: str = ""
    example: Any = None                     # a value to show and to test with
    choices: list[str] | None = None        # allowed values of a str param (such a value may be inlined)

    @property
    def label(self) -> str:
        """`start_date (date, required)`, `limit (int, default 50)`: for hints and listings."""
        if self.required:
            extra = "required"
        elif self.default is None:
            extra = "optional"
        else:
            extra = f"default {_show(self.default)}"
        choices = f", one of {'/'.join(self.choices)}" if self.choices else ""
        return f"{self.name} ({self.type}, {extra}{choices})"

    def coerce(self, value: Any, pattern: str) -> Any:
        """The typed value, or UsageError naming the parameter, the expected type and the bad value."""
        t = self.type
        try:
            if t == "str":
                out = _to_str(value)
                if self.choices:
                    out = _to_choice(out, self.choices)
                return out
            if t == "int":
                return _to_int(value)
            if t == "float":
                return _to_float(value)
            if t == "date":
                return _to_date(value)
            if t == "bool":
                return _to_bool(value)
            if t == "list[str]":
                return _to_list(value)
        except (TypeError, ValueError) as exc:
            wanted = (f"one of {', '.join(self.choices)}" if self.choices and t == "str"
                      else _TYPE_WORDS[t])
            raise UsageError(f"parameter '{self.name}' of pattern {pattern} must be {wanted}, got {value!r}",
                             str(exc) if str(exc) else f"pass {self.name} as {_TYPE_WORDS[t]}") from None
        raise AssertionError(t)  # types are checked when the header loads


def _show(v: Any) -> str:
    if isinstance(v, (list, tuple)):
        return ",".join(str(x) for x in v)
    return str(v).lower() if isinstance(v, bool) else str(v)


def _to_str(v: Any) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return str(v)
    raise TypeError("")


def _to_choice(v: str, choices: list[str]) -> str:
    if v in choices:
        return v
    for c in choices:
        if c.lower() == v.strip().lower():
            return c
    raise ValueError(f"choose one of: {', '.join(choices)}")


def _to_int(v: Any) -> int:
    if isinstance(v, bool):
        raise TypeError("")
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str) and re.fullmatch(r"\s*[+-]?\d+\s*", v):
        return int(v)
    raise ValueError("")


def _to_float(v: Any) -> float:
    if isinstance(v, bool):
        raise TypeError("")
    if isinstance(v, (int, float)):
        out = float(v)
    elif isinstance(v, str):
        out = float(v.strip())
    else:
        raise TypeError("")
    if not math.isfinite(out):
        raise ValueError("")
    return out


def _to_date(v: Any) -> date:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, str) and _ISO_DATE.match(v.strip()):
        try:
            return date.fromisoformat(v.strip())
        except ValueError:
            raise ValueError("that day does not exist; dates are YYYY-MM-DD") from None
    raise ValueError("dates are YYYY-MM-DD, e.g. 2026-10-01")


def _to_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, int) and v in (0, 1):
        return bool(v)
    if isinstance(v, str) and v.strip().lower() in _TRUE | _FALSE:
        return v.strip().lower() in _TRUE
    raise ValueError("use true or false")


def _to_list(v: Any) -> list[str]:
    if isinstance(v, str):
        return [s.strip() for s in v.split(",") if s.strip()]
    if isinstance(v, (list, tuple)):
        out = []
        for item in v:
            out.append(_to_str(item).strip())
        return [s for s in out if s]
    raise TypeError("")


# --- Jinja: one sandboxed environment, created on first render ---------------------------------------

_ENV = None


def _finalize(value: Any) -> Any:
    if isinstance(value, _Sql):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise _InlineRefused(value)
        return f"({value})" if value < 0 else value   # `- -1` must not become a `--` comment
    raise _InlineRefused(value)


def _env():
    global _ENV
    if _ENV is None:
        from jinja2 import StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment

        from jinja2 import FileSystemLoader

        _ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, trim_blocks=True,
                                    lstrip_blocks=True, finalize=_finalize, loader=FileSystemLoader(PARTIALS_DIR))
    return _ENV


def _add_months(d: date, n: int) -> date:
    m = d.month - 1 + int(n)
    y, m = d.year + m // 12, m % 12 + 1
    last = [31, 29 if y % 4 == 0 and (y % 100 != 0 or y % 400 == 0) else 28, 31, 30, 31, 30,
            31, 31, 30, 31, 30, 31][m - 1]
    return date(y, m, min(d.day, last))


def _add_years(d: date, n: int) -> date:
    return _add_months(d, 12 * int(n))


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _days(n: int | float) -> timedelta:
    return timedelta(days=n)


# --- patterns ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Fallback:
    """How a pattern answers without one of its `requires:` items: these parameter values, using `uses`."""
    params: dict[str, Any]
    uses: str                               # "the calls' brief, key points and next steps"


@dataclass
class Pattern:
    name: str
    description: str
    params: dict[str, Param]
    examples: list[str]
    body: str
    path: Path
    body_line: int = 1                      # the file line the body starts on (for error messages)
    requires: list[str] = field(default_factory=list)   # canonical data it cannot answer without: entity[.column]
    fallbacks: dict[str, Fallback] = field(default_factory=dict)    # requires item -> how it answers without it
    _template: Any = field(default=None, init=False, repr=False, compare=False)

    @property
    def builtin(self) -> bool:
        return self.path.parent == PACKAGE_DIR

    def to_dict(self) -> dict[str, Any]:
        """The pattern as `revops data patterns -f json` and the MCP list_patterns tool show it."""
        from revops_cli.models import jsonable

        return {"name": self.name, "description": self.description, "examples": list(self.examples),
                "params": {n: {"type": p.type, "required": p.required, "default": jsonable(p.default),
                               "description": p.description, "choices": p.choices,
                               "example": jsonable(p.example)} for n, p in self.params.items()},
                "requires": list(self.requires),
                "fallback": {k: {"params": jsonable(f.params), "uses": f.uses} for k, f in self.fallbacks.items()},
                "path": str(self.path)}

    def fallback(self, lacking: Any) -> tuple[dict[str, Any], dict[str, str]]:
        """For the `requires:` items this warehouse lacks: the parameters that answer without them (merged from
        their `fallback:` entries) and, per item a fallback covers, what it uses instead. Items without a
        fallback are not in the second dict: without them the pattern's figure is unavailable."""
        params: dict[str, Any] = {}
        uses: dict[str, str] = {}
        for item in lacking:
            fb = self.fallbacks.get(item)
            if fb is not None:
                params.update(fb.params)
                uses[item] = fb.uses
        return params, uses

    def params_hint(self) -> str:
        if not self.params:
            return f"pattern {self.name} takes no parameters"
        return "parameters: " + ", ".join(p.label for p in self.params.values())

    def example_values(self) -> dict[str, Any]:
        """Each parameter's `example:` (typed), for listings, `--help` text and tests."""
        return {n: p.coerce(p.example, self.name) for n, p in self.params.items() if p.example is not None}

    def coerce(self, values: dict[str, Any] | None) -> dict[str, Any]:
        """Typed values for every parameter, defaults filled in; UsageError for missing, mistyped, unknown."""
        values = dict(values or {})
        for key in values:
            if key not in self.params:
                raise UsageError(f"pattern {self.name} has no parameter {key!r}", self._closest_hint(str(key)))
        out: dict[str, Any] = {}
        for name, prm in self.params.items():
            v = values.get(name)
            if isinstance(v, str) and not v.strip():
                v = None
            if v is None:
                if prm.required:
                    raise UsageError(f"pattern {self.name} needs parameter '{name}' ({prm.type})",
                                     self.params_hint())
                out[name] = list(prm.default) if isinstance(prm.default, list) else prm.default
            else:
                out[name] = prm.coerce(v, self.name)
        return out

    def _closest_hint(self, key: str) -> str:
        names = list(self.params)
        if names:
            from rapidfuzz import process

            best = process.extractOne(key, names)
            if best and best[1] >= 60:
                return f"did you mean '{best[0]}'? {self.params_hint()}"
        return self.params_hint()

    def template(self):
        """The compiled Jinja template (compiled once, on first use)."""
        if self._template is None:
            from jinja2 import TemplateSyntaxError

            try:
                # Leading newlines make Jinja's line numbers the file's line numbers.
                from revops_cli.templates.bytecode import compile_string

                self._template = compile_string(_env(), "\n" * (self.body_line - 1) + self.body)
            except TemplateSyntaxError as exc:
                raise ConfigError(f"{self.path}:{exc.lineno}: {exc.message}",
                                  "fix the Jinja syntax of the SQL pattern") from None
        return self._template

    def render(self, values: dict[str, Any] | None = None,
               table: Callable[[str], str] = lambda t: t) -> tuple[str, list]:
        """The SQL text with positional `?` placeholders, and the parameter values in order."""
        typed = self.coerce(values)
        bound: list[Any] = []
        where = str(self.path)

        def declared(name: str) -> Param:
            prm = self.params.get(name)
            if prm is None:
                raise ConfigError(f"{where}: the body uses parameter {name!r}, which the header does not declare",
                                  "add it under params: in the header")
            return prm

        def p(name: str) -> _Sql:
            prm = declared(name)
            if prm.type == "list[str]":
                raise ConfigError(f"{where}: p({name!r}) on a list parameter", f"use p_list({name!r})")
            bound.append(typed[name])
            return _Sql("CAST(? AS DATE)" if prm.type == "date" else "?")

        def p_list(name: str) -> _Sql:
            prm = declared(name)
            items = typed[name] or []
            if prm.type != "list[str]":
                raise ConfigError(f"{where}: p_list({name!r}) on a {prm.type} parameter", f"use p({name!r})")
            if not items:
                return _Sql("NULL")
            bound.extend(items)
            return _Sql(", ".join("?" for _ in items))

        def like(name: str) -> _Sql:
            declared(name)
            v = typed[name]
            bound.append(None if v is None else f"%{str(v).strip().lower()}%")
            return _Sql("?")

        def bind(value: Any) -> _Sql:
            bound.append(value)
            is_day = isinstance(value, date) and not isinstance(value, datetime)
            return _Sql("CAST(? AS DATE)" if is_day else "?")

        def table_name(canonical: str) -> _Sql:
            if not isinstance(canonical, str) or not _IDENT.match(canonical):
                raise ConfigError(f"{where}: table({canonical!r}) is not a table name", "use a canonical table name")
            real = table(canonical)
            from revops_cli.model.compile import Relation

            if isinstance(real, Relation):       # the entity's SQL, written by the model compiler
                return _Sql(real)
            if not isinstance(real, str) or not _IDENT.match(real):
                raise ConfigError(f"table name {real!r} for '{canonical}' is not a plain identifier",
                                  "`tables:` in revops.yaml takes names like schema.table "
                                  "(letters, digits, _ and .)")
            return _Sql(real)

        context: dict[str, Any] = {}
        for name, prm in self.params.items():
            v = typed[name]
            # A value checked against `choices:` is one of the author's own words: it may be inlined.
            context[name] = _Sql(v) if prm.choices and isinstance(v, str) else v
        context.update(p=p, p_list=p_list, like=like, bind=bind, table=table_name, days=_days,
                       add_months=_add_months, add_years=_add_years, month_start=_month_start)
        template = self.template()
        try:
            sql = template.render(context)
        except _InlineRefused as exc:
            raise ConfigError(f"{where}: pattern {self.name} writes the value {exc.value!r} into the SQL text",
                              "bind values with p('name') / bind(value); only ints, floats and choices: "
                              "values may be inlined") from None
        except (ConfigError, UsageError):
            raise
        except Exception as exc:  # noqa: BLE001 - a broken template is a config problem of that file
            raise ConfigError(f"{where}: cannot render pattern {self.name}: {type(exc).__name__}: {exc}",
                              "fix the SQL pattern's body") from None
        return sql.strip(), bound


def _parse_header(text: str, path: Path) -> tuple[dict, str, int]:
    stripped = text.lstrip("\ufeff \t\r\n")
    lead = text[: len(text) - len(stripped)].count("\n")
    if not stripped.startswith("/*"):
        raise ConfigError(f"{path}:1: a SQL pattern starts with a /* YAML header */",
                          "see the package patterns (`revops data patterns`) for the format")
    end = stripped.find("*/")
    if end < 0:
        raise ConfigError(f"{path}:1: the /* header */ comment is never closed", "close it with */")
    header_text = stripped[2:end]
    body = stripped[end + 2:]
    body_line = lead + stripped[: end + 2].count("\n") + 1
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        header = yaml.load(header_text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = lead + 1 + (mark.line if mark else 0)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}:{line}: bad pattern header: {problem}",
                          "the header is YAML: name, description, params, examples") from None
    if not isinstance(header, dict):
        raise ConfigError(f"{path}:{lead + 1}: the pattern header must be a YAML mapping",
                          "give name, description, params and examples")
    return header, body, body_line


def _parse_param(name: Any, spec: Any, path: Path, pattern: str) -> Param:
    bad = f"{path}: parameter {name!r}"
    if not isinstance(name, str) or not _PARAM_NAME.match(name):
        raise ConfigError(f"{bad} is not a valid name", "use letters, digits and _")
    if name in HELPERS:
        raise ConfigError(f"{bad} clashes with the template helper of that name",
                          f"rename it (reserved: {', '.join(sorted(HELPERS))})")
    if isinstance(spec, str):
        spec = {"type": spec}
    if not isinstance(spec, dict):
        raise ConfigError(f"{bad} must be a mapping like {{type: date, required: true}}", "fix the header")
    unknown = set(spec) - _SPEC_KEYS
    if unknown:
        raise ConfigError(f"{bad} has unknown keys: {', '.join(sorted(map(str, unknown)))}",
                          f"known keys: {', '.join(sorted(_SPEC_KEYS))}")
    ptype = str(spec.get("type", "str")).strip().lower()
    ptype = _TYPE_ALIASES.get(ptype, ptype)
    if ptype not in TYPES:
        raise ConfigError(f"{bad} has unknown type {spec.get('type')!r}", f"types: {', '.join(TYPES)}")
    required = spec.get("required", False)
    if not isinstance(required, bool):
        raise ConfigError(f"{bad}: required must be true or false", "fix the header")
    choices = spec.get("choices")
    if choices is not None:
        if ptype != "str" or not isinstance(choices, list) or not choices or \
                not all(isinstance(c, str) and _IDENT.match(c.replace("-", "_").replace(" ", "_")) for c in choices):
            raise ConfigError(f"{bad}: choices must be a list of plain words on a str parameter", "fix the header")
    prm = Param(name=name, type=ptype, required=required, default=None,
                description=str(spec.get("description") or ""), choices=choices)
    try:
        if spec.get("default") is not None:
            if required:
                raise ConfigError(f"{bad} is required and has a default", "drop one of them")
            prm.default = prm.coerce(spec["default"], pattern)
        if spec.get("example") is not None:
            prm.example = prm.coerce(spec["example"], pattern)
    except UsageError as exc:
        raise ConfigError(f"{path}: {exc.message}", "fix the default/example in the header") from None
    return prm


def load_pattern(path: Path) -> Pattern:
    """Parse one pattern file (the body compiles later, on first render)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read SQL pattern {path}: {exc}", "check the file") from None
    header, body, body_line = _parse_header(text, path)
    unknown = set(header) - _HEADER_KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown header keys: {', '.join(sorted(map(str, unknown)))}",
                          f"known keys: {', '.join(sorted(_HEADER_KEYS))}")
    name = header.get("name", path.stem)
    if name != path.stem:
        raise ConfigError(f"{path}: header name {name!r} differs from the file name",
                          f"name the file {name}.sql or set name: {path.stem}")
    description = header.get("description")
    if not isinstance(description, str) or not description.strip():
        raise ConfigError(f"{path}: the header needs a description", "add description: <one line>")
    raw_params = header.get("params") or {}
    if not isinstance(raw_params, dict):
        raise ConfigError(f"{path}: params must be a mapping of parameter names", "fix the header")
    params = {str(k): _parse_param(k, v, path, name) for k, v in raw_params.items()}
    examples = header.get("examples") or []
    if isinstance(examples, str):
        examples = [examples]
    if not isinstance(examples, list) or not all(isinstance(e, str) for e in examples):
        raise ConfigError(f"{path}: examples must be a list of questions", "fix the header")
    if not body.strip():
        raise ConfigError(f"{path}: the pattern has no SQL after its header", "write the query")
    requires = _parse_requires(header.get("requires"), path)
    return Pattern(name=name, description=" ".join(description.split()), params=params, examples=examples,
                   body=body, path=path, body_line=body_line, requires=requires,
                   fallbacks=_parse_fallbacks(header.get("fallback"), requires, params, path, name))


def _parse_requires(value: Any, path: Path) -> list[str]:
    """`requires: [calls.transcript, targets]`: canonical entities or entity.columns the pattern needs."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ConfigError(f"{path}: requires must be a list like [calls.transcript, targets]", "fix the header")
    from revops_cli.model.loader import canonical_schema

    schema = canonical_schema()
    for item in items:
        entity, _, column = item.partition(".")
        if entity not in schema or (column and column not in schema[entity]):
            raise ConfigError(f"{path}: requires {item!r}, which is not a canonical entity or entity.column",
                              "see warehouse/schema.sql for the names")
    return list(items)


def _parse_fallbacks(value: Any, requires: list[str], params: dict[str, Param], path: Path,
                     name: str) -> dict[str, Fallback]:
    """`fallback: {calls.transcript: {params: {search_in: notes}, uses: the calls' notes}}`: per `requires:` item,
    the declared parameter values that answer without it and a few words on what they use instead."""
    if value is None:
        return {}
    shape = "fallback must map a requires item to {params: {...}, uses: <what it uses instead>}"
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: {shape}", "fix the header")
    out: dict[str, Fallback] = {}
    for item, spec in value.items():
        if item not in requires:
            raise ConfigError(f"{path}: fallback for {item!r}, which is not in requires: [{', '.join(requires)}]",
                              "add it to requires or drop the fallback")
        if not isinstance(spec, dict) or set(spec) - {"params", "uses"} or not isinstance(spec.get("params"), dict) \
                or not isinstance(spec.get("uses"), str) or not spec["uses"].strip():
            raise ConfigError(f"{path}: {shape}", "fix the header")
        typed: dict[str, Any] = {}
        for key, val in spec["params"].items():
            if key not in params:
                raise ConfigError(f"{path}: fallback for {item} sets {key!r}, which is not a parameter",
                                  f"parameters: {', '.join(params) or 'none'}")
            try:
                typed[key] = params[key].coerce(val, name)
            except UsageError as exc:
                raise ConfigError(f"{path}: fallback for {item}: {exc.message}", "fix the header") from None
        out[str(item)] = Fallback(params=typed, uses=" ".join(spec["uses"].split()))
    return out


# Parsed files, reused while unchanged (keyed on mtime and size), compiled templates included.
_FILE_CACHE: dict[Path, tuple[tuple[int, int], Pattern]] = {}


def _load_cached(path: Path) -> Pattern:
    st = path.stat()
    key = (st.st_mtime_ns, st.st_size)
    hit = _FILE_CACHE.get(path)
    if hit is not None and hit[0] == key:
        return hit[1]
    pattern = load_pattern(path)
    _FILE_CACHE[path] = (key, pattern)
    return pattern


class Catalog:
    """Every pattern by name: the package's, then each extra folder's (a later one wins a name)."""

    def __init__(self, patterns: dict[str, Pattern]):
        self._patterns = dict(sorted(patterns.items()))

    @classmethod
    def load(cls, extra_dirs: list[Path] | tuple[Path, ...] = ()) -> "Catalog":
        patterns: dict[str, Pattern] = {}
        for folder in (PACKAGE_DIR, *(Path(d).expanduser() for d in extra_dirs)):
            if not folder.is_dir():
                continue
            for f in sorted(folder.glob("*.sql")):
                pat = _load_cached(f)
                patterns[pat.name] = pat
        return cls(patterns)

    def get(self, name: str) -> Pattern:
        pat = self._patterns.get(name)
        if pat is not None:
            return pat
        from rapidfuzz import process

        close = [m[0] for m in process.extract(str(name), list(self._patterns), limit=3) if m[1] >= 50]
        hint = (f"did you mean: {', '.join(close)}? " if close else "") + "`revops data patterns` lists them"
        raise NotFoundError(f"unknown SQL pattern {name!r}", hint)

    def names(self) -> list[str]:
        return list(self._patterns)

    def __iter__(self) -> Iterator[Pattern]:
        return iter(self._patterns.values())

    def __contains__(self, name: object) -> bool:
        return name in self._patterns

    def __len__(self) -> int:
        return len(self._patterns)
