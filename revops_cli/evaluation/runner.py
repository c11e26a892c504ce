"""Run eval cases through the one service entry, `service.ask`, like every channel.

One warehouse connection serves the whole run (the configured one: the demo DuckDB, a mapped warehouse,
Firebolt); the backend is the configured one or `backend`. Each case is its own session (channel `eval`),
so a follow-up (`then:`) refines the case's earlier turns and nothing else. The run writes its
conversations and dry runs into a temporary folder, never into the user's log or pending-action store.
Expected values given as SQL are read with the same guarded path as `revops data sql`.
"""

from __future__ import annotations

import copy
import dataclasses
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable

from revops_cli.config import Settings
from revops_cli.errors import RevopsError
from revops_cli.evaluation.cases import Case, ValueExpect, substitute
from revops_cli.evaluation.checks import Check, check_answer, exit_code_of

CHANNEL = "eval"
DEFAULT_MIN_PASS = 0.95


@dataclass
class TurnResult:
    question: str
    agent: str | None
    ok: bool | None
    exit_code: int | None
    checks: list[Check]
    answer: str = ""
    duration_ms: float = 0.0

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "passed": self.passed, "agent": self.agent, "ok": self.ok,
                "exit_code": self.exit_code, "duration_ms": round(self.duration_ms, 1),
                "checks": [c.to_dict() for c in self.checks], "answer": self.answer}


@dataclass
class CaseResult:
    case: Case
    turns: list[TurnResult] = field(default_factory=list)
    error: str | None = None          # the case could not be run as written (a `given:` found nothing, bad SQL)

    @property
    def passed(self) -> bool:
        return self.error is None and bool(self.turns) and all(t.passed for t in self.turns)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.case.id, "category": self.case.category, "file": self.case.file,
                "holdout": self.case.holdout, "question": self.case.question, "passed": self.passed,
                "error": self.error, "turns": [t.to_dict() for t in self.turns]}


@dataclass
class CategoryScore:
    cases: int = 0
    passed: int = 0

    @property
    def rate(self) -> float:
        return self.passed / self.cases if self.cases else 0.0


@dataclass
class RunResult:
    results: list[CaseResult]
    min_pass: float
    backend: str
    as_of: str
    duration_s: float = 0.0

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def pass_rate(self) -> float:
        return self.passed / self.total if self.total else 0.0

    @property
    def meets_min(self) -> bool:
        return self.total > 0 and self.pass_rate + 1e-12 >= self.min_pass

    def by_category(self) -> dict[str, CategoryScore]:
        out: dict[str, CategoryScore] = {}
        for r in self.results:
            s = out.setdefault(r.case.category, CategoryScore())
            s.cases += 1
            s.passed += r.passed
        return dict(sorted(out.items()))

    def misses(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]


def quarter_start(d: date) -> date:
    return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)


def add_months(d: date, n: int) -> date:
    m = d.month - 1 + n
    return date(d.year + m // 12, m % 12 + 1, 1)


def builtin_values(as_of: date) -> dict[str, str]:
    """The placeholders every case may use (docs/eval.md): dates around the analysis date, ISO text."""
    qs = quarter_start(as_of)
    ms = date(as_of.year, as_of.month, 1)
    day = timedelta(days=1)
    q = (as_of.month - 1) // 3 + 1
    lq = add_months(qs, -3)
    return {
        "as_of": as_of.isoformat(), "today": as_of.isoformat(), "year": str(as_of.year),
        "year_start": date(as_of.year, 1, 1).isoformat(), "year_end": date(as_of.year, 12, 31).isoformat(),
        "last_year_start": date(as_of.year - 1, 1, 1).isoformat(),
        "last_year_end": date(as_of.year - 1, 12, 31).isoformat(),
        "quarter": f"Q{q}", "quarter_label": f"Q{q} {as_of.year}",
        "quarter_start": qs.isoformat(), "quarter_end": (add_months(qs, 3) - day).isoformat(),
        "next_quarter_start": add_months(qs, 3).isoformat(), "next_quarter_end": (add_months(qs, 6) - day).isoformat(),
        "last_quarter": f"Q{(lq.month - 1) // 3 + 1}", "last_quarter_label": f"Q{(lq.month - 1) // 3 + 1} {lq.year}",
        "last_quarter_start": lq.isoformat(), "last_quarter_end": (qs - day).isoformat(),
        "month_start": ms.isoformat(), "month_end": (add_months(ms, 1) - day).isoformat(),
        "last_month_start": add_months(ms, -1).isoformat(), "last_month_end": (ms - day).isoformat(),
        "month_name": as_of.strftime("%B"), "last_month_name": add_months(ms, -1).strftime("%B"),
    }


def expected_cells(warehouse: Any, settings: Settings, sql: str) -> list[Any]:
    """Every non-null cell of a guarded query's result, row by row (the path of `revops data sql`: canonical
    names, compiled onto a mapped warehouse by the semantic model)."""
    from revops_cli.warehouse.queries import run_sql

    result = run_sql(warehouse, settings, sql)
    return [v for row in result.rows for v in (row.values() if isinstance(row, dict) else row) if v is not None]


def eval_settings(settings: Settings, scratch: Path) -> Settings:
    """The settings of a run: the user's, with the conversation log and the pending-action store in `scratch`
    (the run's sessions need a log; the user's own log and dry runs stay untouched), and no result cache:
    every answer is computed from the warehouse as it is now, and the run is faster without opening the
    cache file for each query."""
    data = copy.deepcopy(settings.data)
    data.setdefault("cache", {}).update({"enabled": False})
    data.setdefault("conversations", {}).update({"enabled": True, "path": str(scratch / "conversations.db")})
    data.setdefault("actions", {}).update({"path": str(scratch / "actions.db")})
    return dataclasses.replace(settings, data=data)


def case_settings(settings: Settings, overrides: dict[str, Any]) -> Settings:
    """The run's settings with a case's `settings:` (dotted names) set over them, for that case only."""
    if not overrides:
        return settings
    data = copy.deepcopy(settings.data)
    for dotted, value in overrides.items():
        *parents, last = dotted.split(".")
        node = data
        for part in parents:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[last] = value
    return dataclasses.replace(settings, data=data)


class CaseError(Exception):
    """A case that cannot be run as written."""


def _values(warehouse: Any, settings: Settings, items: list[ValueExpect], variables: dict[str, str]) -> list[tuple[str, list[Any]]]:
    out = []
    for v in items:
        if v.sql is not None:
            sql = substitute(v.sql, variables)
            try:
                cells = expected_cells(warehouse, settings, sql)
            except RevopsError as exc:
                raise CaseError(f"expected-value SQL failed: {exc.one_line()} [{sql}]") from None
            out.append((v.label or "SQL", cells))
        else:
            value = substitute(v.value, variables) if isinstance(v.value, str) else v.value
            out.append((v.label or "literal", [value]))
    return out


def _aliases(warehouse: Any, settings: Settings, entities: dict[str, str], known: dict[tuple[str, str], list[str]]) -> dict[str, list[str]]:
    """Other names an expected deal or account goes by in answers: its id (answers may carry only the id).
    `known`: the run's aliases so far (each name is looked up once per run)."""
    out: dict[str, list[str]] = {}
    for kind, table, key in (("deal", "opportunities", "opportunity_id"), ("account", "accounts", "account_id")):
        name = entities.get(kind)
        if name and (kind, name) in known:
            out[name] = known[(kind, name)]
        elif name:
            literal = "'" + name.replace("'", "''") + "'"
            try:
                out[name] = [str(c) for c in expected_cells(
                    warehouse, settings, f"SELECT {key} FROM {table} WHERE lower(name) = lower({literal})")]
            except RevopsError:
                out[name] = []
            known[(kind, name)] = out[name]
    return out


def _given(warehouse: Any, settings: Settings, case: Case, variables: dict[str, str]) -> dict[str, str]:
    values = dict(variables)
    for name, sql in case.given.items():
        sql = substitute(sql, values)
        try:
            cells = expected_cells(warehouse, settings, sql)
        except RevopsError as exc:
            raise CaseError(f"given {name}: {exc.one_line()} [{sql}]") from None
        if not cells:
            raise CaseError(f"given {name}: the query found nothing on this warehouse [{sql}]")
        values[name] = str(cells[0])
    return values


def run_case(case: Case, settings: Settings, warehouse: Any, log: Any, variables: dict[str, str],
             backend: str | None = None, known: dict[tuple[str, str], list[str]] | None = None) -> CaseResult:
    """Run one case: its `given:` values, then each turn in one new session, each answer checked."""
    from revops_cli import service
    from revops_cli.evaluation.cases import substitute as sub
    from revops_cli.models import Request, new_id

    result = CaseResult(case=case)
    known = {} if known is None else known
    settings = case_settings(settings, case.settings)
    try:
        values = _given(warehouse, settings, case, variables)
        session_id = new_id(f"eval-{case.id}-")
        for turn in case.turns:
            question = sub(turn.ask, values)
            expect = turn.expect
            expect = dataclasses.replace(
                expect,
                entities={k: sub(v, values) for k, v in expect.entities.items()},
                contains=[[sub(o, values) for o in c] if isinstance(c, list) else sub(c, values) for c in expect.contains],
                not_contains=[sub(c, values) for c in expect.not_contains],
                interpretation=[[sub(o, values) for o in c] if isinstance(c, list) else sub(c, values)
                                for c in expect.interpretation])
            started = time.perf_counter()
            request = Request(text=question, session_id=session_id, channel=CHANNEL, user="revops-eval",
                              backend=backend)
            try:
                answer = service.ask(request, settings, warehouse=warehouse, log=log)
            except Exception as exc:    # a crash is a miss with its reason, never the end of the run
                result.turns.append(TurnResult(question=question, agent=None, ok=None, exit_code=None, checks=[
                    Check("answer", False, "an answer", f"crashed: {type(exc).__name__}: {exc}")],
                    duration_ms=(time.perf_counter() - started) * 1000))
                break
            took = (time.perf_counter() - started) * 1000
            checks = check_answer(answer, expect, _values(warehouse, settings, expect.values, values),
                                  _values(warehouse, settings, expect.absent, values),
                                  _aliases(warehouse, settings, expect.entities, known))
            result.turns.append(TurnResult(question=question, agent=answer.agent, ok=answer.ok,
                                           exit_code=exit_code_of(answer), checks=checks, answer=answer.text or "",
                                           duration_ms=took))
    except CaseError as exc:
        result.error = str(exc)
    return result


def run(cases: list[Case], settings: Settings, *, backend: str | None = None, min_pass: float = DEFAULT_MIN_PASS,
        progress: Callable[[int, int, Case], None] | None = None) -> RunResult:
    """Run every case; `progress(i, n, case)` is called before each."""
    from revops_cli.conversations.log import ConversationLog
    from revops_cli.warehouse.connect import open_warehouse

    started = time.perf_counter()
    results: list[CaseResult] = []
    as_of = settings.as_of
    variables = builtin_values(as_of)
    with tempfile.TemporaryDirectory(prefix="revops-eval-") as tmp:
        scratch = Path(tmp)
        run_settings = eval_settings(settings, scratch)
        warehouse = open_warehouse(run_settings, mode="online")
        log = ConversationLog(scratch / "conversations.db")
        known: dict[tuple[str, str], list[str]] = {}
        try:
            for i, case in enumerate(cases):
                if progress is not None:
                    progress(i, len(cases), case)
                results.append(run_case(case, run_settings, warehouse, log, variables, backend, known))
        finally:
            warehouse.close()
            close = getattr(log, "close", None)
            if close is not None:
                close()
    return RunResult(results=results, min_pass=min_pass, backend=backend or settings.get("backend", "local"),
                     as_of=as_of.isoformat(), duration_s=time.perf_counter() - started)
