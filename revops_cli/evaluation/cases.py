"""The case format of `revops eval` (docs/eval.md): YAML files of cases, loaded into dataclasses.

A file holds a `category`, optional `defaults` (expectations every turn of the file starts from) and
`cases`. A case is one question (`ask`) with its expectations, an optional follow-up chain (`then:`, asked
in the same session) and optional `given:` values read from the warehouse by SQL, usable as `{{name}}` in
the question, the expectations and the SQL. A case under a folder named `holdout` is a held-out case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from revops_cli.errors import UsageError

SUITE_DIR = Path(__file__).parent / "suite"
HOLDOUT_DIR_NAME = "holdout"

ENTITY_KINDS = ("deal", "account", "person", "company", "competitor")
EXPECT_KEYS = ("agent", "ok", "exit_code", "entities", "values", "absent", "contains", "not_contains",
               "interpretation", "pending_actions")
TURN_KEYS = ("ask",) + EXPECT_KEYS
CASE_KEYS = ("id", "category", "given", "settings", "then", "note") + TURN_KEYS
FILE_KEYS = ("category", "defaults", "cases")

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


@dataclass
class ValueExpect:
    """A value the answer must show (or, under `absent`, must not): from `sql` (every non-null cell of the
    result) or a literal `value`. Numbers match in any usual writing ($5.1M, 5,100,000, 5.1 million is not
    parsed); text matches case-insensitively."""

    sql: str | None = None
    value: Any = None
    label: str = ""

    def describe(self) -> str:
        return self.label or (f"SQL: {self.sql}" if self.sql else repr(self.value))


@dataclass
class Expect:
    agent: list[str] | None = None         # any of these
    ok: bool | None = None
    exit_code: int | None = None
    entities: dict[str, str] = field(default_factory=dict)   # kind -> name
    values: list[ValueExpect] = field(default_factory=list)
    absent: list[ValueExpect] = field(default_factory=list)
    contains: list[str | list[str]] = field(default_factory=list)   # a nested list: any one of its items
    not_contains: list[str] = field(default_factory=list)
    interpretation: list[str | list[str]] = field(default_factory=list)   # in the answer's first line
    pending_actions: bool | None = None    # True: a dry run with actions to confirm; False: none


@dataclass
class Turn:
    ask: str
    expect: Expect


@dataclass
class Case:
    id: str
    category: str
    file: str
    turns: list[Turn]
    given: dict[str, str] = field(default_factory=dict)
    holdout: bool = False
    note: str = ""
    settings: dict[str, Any] = field(default_factory=dict)   # dotted key -> value, over the run's settings

    @property
    def question(self) -> str:
        return self.turns[0].ask


def _where(file: Path, case_id: str | None = None) -> str:
    return f"{file}" + (f": case {case_id}" if case_id else "")


def _strings(v: Any, what: str, where: str) -> list[Any]:
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    if isinstance(v, list) and all(isinstance(x, (str, list)) for x in v):
        return [[str(y) for y in x] if isinstance(x, list) else x for x in v]
    raise UsageError(f"{where}: {what} must be a text or a list of texts", "see docs/eval.md")


def _values(v: Any, where: str, key: str) -> list[ValueExpect]:
    if v is None:
        return []
    items = v if isinstance(v, list) else [v]
    out = []
    for item in items:
        if isinstance(item, dict):
            unknown = set(item) - {"sql", "value", "label"}
            if unknown or ("sql" in item) == ("value" in item):
                raise UsageError(f"{where}: each of {key} needs exactly one of sql or value (and an optional label)",
                                 "see docs/eval.md")
            out.append(ValueExpect(sql=item.get("sql"), value=item.get("value"), label=str(item.get("label") or "")))
        elif isinstance(item, (int, float, str)) and not isinstance(item, bool):
            out.append(ValueExpect(value=item))
        else:
            raise UsageError(f"{where}: {key} items are {{sql: ...}}, {{value: ...}} or a literal", "see docs/eval.md")
    return out


def parse_expect(raw: dict[str, Any], where: str, base: Expect | None = None) -> Expect:
    """The expectations in `raw` over `base` (a file's defaults): set keys replace, `not_contains` adds."""
    base = base or Expect()
    agent = raw.get("agent", base.agent)
    if isinstance(agent, str):
        agent = [agent]
    ok = raw.get("ok", base.ok)
    if ok is not None and not isinstance(ok, bool):
        raise UsageError(f"{where}: ok must be true or false", "see docs/eval.md")
    exit_code = raw.get("exit_code", base.exit_code)
    if exit_code is not None and (not isinstance(exit_code, int) or isinstance(exit_code, bool)):
        raise UsageError(f"{where}: exit_code must be a number", "see docs/eval.md")
    entities = raw.get("entities", base.entities) or {}
    if not isinstance(entities, dict) or set(entities) - set(ENTITY_KINDS):
        raise UsageError(f"{where}: entities is a mapping of {', '.join(ENTITY_KINDS)} to a name", "see docs/eval.md")
    pending = raw.get("pending_actions", base.pending_actions)
    if pending is not None and not isinstance(pending, bool):
        raise UsageError(f"{where}: pending_actions must be true or false", "see docs/eval.md")
    return Expect(
        agent=list(agent) if agent else None, ok=ok, exit_code=exit_code,
        entities={k: str(v) for k, v in entities.items()},
        values=_values(raw["values"], where, "values") if "values" in raw else list(base.values),
        absent=_values(raw["absent"], where, "absent") if "absent" in raw else list(base.absent),
        contains=_strings(raw["contains"], "contains", where) if "contains" in raw else list(base.contains),
        not_contains=list(base.not_contains) + _strings(raw.get("not_contains"), "not_contains", where),
        interpretation=(_strings(raw["interpretation"], "interpretation", where) if "interpretation" in raw
                        else list(base.interpretation)),
        pending_actions=pending,
    )


def _turn(raw: Any, where: str, defaults: Expect, keys: tuple[str, ...]) -> Turn:
    if not isinstance(raw, dict):
        raise UsageError(f"{where}: a case or follow-up is a mapping with at least `ask`", "see docs/eval.md")
    unknown = sorted(set(raw) - set(keys))
    if unknown:
        raise UsageError(f"{where}: unknown key {unknown[0]!r}", "known keys: " + ", ".join(keys))
    ask = raw.get("ask")
    if not isinstance(ask, str) or not ask.strip():
        raise UsageError(f"{where}: `ask` must be a non-empty question", "see docs/eval.md")
    return Turn(ask=ask, expect=parse_expect(raw, where, defaults))


def load_file(path: Path, *, holdout: bool | None = None) -> list[Case]:
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}", "give a YAML file or folder of cases") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f":{mark.line + 1}" if mark is not None else ""
        raise UsageError(f"{path}{at}: not valid YAML ({getattr(exc, 'problem', None) or exc})",
                         "see docs/eval.md") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("cases"), list):
        raise UsageError(f"{path}: a case file is a mapping with a `cases:` list", "see docs/eval.md")
    unknown = sorted(set(doc) - set(FILE_KEYS))
    if unknown:
        raise UsageError(f"{path}: unknown key {unknown[0]!r}", "known keys: " + ", ".join(FILE_KEYS))
    category = str(doc.get("category") or path.stem)
    defaults = parse_expect(doc.get("defaults") or {}, _where(path) + " defaults")
    if holdout is None:
        holdout = HOLDOUT_DIR_NAME in path.parts
    cases = []
    for i, raw in enumerate(doc["cases"], start=1):
        case_id = str(raw.get("id") or f"{path.stem}-{i}") if isinstance(raw, dict) else f"{path.stem}-{i}"
        where = _where(path, case_id)
        first = _turn(raw, where, defaults, CASE_KEYS)
        turns = [first]
        for j, follow in enumerate(raw.get("then") or [], start=1):
            turns.append(_turn(follow, f"{where} follow-up {j}", defaults, TURN_KEYS))
        given = raw.get("given") or {}
        if not isinstance(given, dict) or not all(isinstance(v, str) for v in given.values()):
            raise UsageError(f"{where}: given is a mapping of names to SQL", "see docs/eval.md")
        overrides = raw.get("settings") or {}
        if not isinstance(overrides, dict) or not all(isinstance(k, str) and k.strip(".") for k in overrides):
            raise UsageError(f"{where}: settings is a mapping of dotted setting names to values "
                             "(e.g. webhooks.url: https://hooks.example.com/x)", "see docs/eval.md")
        cases.append(Case(id=case_id, category=str(raw.get("category") or category), file=str(path), turns=turns,
                          given={str(k): v for k, v in given.items()}, holdout=holdout, note=str(raw.get("note") or ""),
                          settings=dict(overrides)))
    return cases


def case_files(paths: list[Path]) -> list[Path]:
    """The YAML files under each path (a file, or a folder searched recursively), in a stable order."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(q for q in p.rglob("*") if q.suffix in (".yaml", ".yml") and q.is_file()))
        elif p.is_file():
            files.append(p)
        else:
            raise UsageError(f"no such file or folder: {p}", "give YAML case files or folders (docs/eval.md)")
    return files


def load_cases(paths: list[Path] | None = None) -> list[Case]:
    """Every case under `paths` (default: the shipped suite). Case ids must be unique."""
    files = case_files(paths or [SUITE_DIR])
    if not files:
        raise UsageError("no case files found (*.yaml)", "give YAML case files or folders (docs/eval.md)")
    cases: list[Case] = []
    seen: dict[str, str] = {}
    for f in files:
        for case in load_file(f):
            if case.id in seen:
                raise UsageError(f"case id {case.id!r} appears twice ({seen[case.id]} and {f})",
                                 "give every case its own id")
            seen[case.id] = str(f)
            cases.append(case)
    return cases


def substitute(text: str, variables: dict[str, str]) -> str:
    """`{{name}}` replaced by its value; an unknown name is a UsageError naming it."""
    def one(m: re.Match) -> str:
        name = m.group(1)
        if name not in variables:
            raise UsageError(f"unknown placeholder {{{{{name}}}}}", "define it under given: or use a built-in "
                             "(docs/eval.md)")
        return str(variables[name])
    return PLACEHOLDER.sub(one, text)
