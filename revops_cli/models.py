"""The request and answer every channel exchanges with `service.ask()`.

Plain dataclasses, JSON-able through `to_dict()`: the CLI renders them, the conversation log stores them,
the servers send them. `Answer.to_dict()` is the stable JSON shape documented in the README.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from revops_cli.formatting import jsonable  # noqa: F401  (models' callers use it from here too)

AGENTS = ("manager", "deal_analysis", "lead_analysis", "data", "web_search", "execution")


def new_id(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:16]}"


@dataclass
class Request:
    text: str
    agent: str | None = None          # force an agent, e.g. "deal_analysis" for `revops deal`
    session_id: str | None = None
    channel: str = "cli"              # cli | slack | webhook | report
    user: str | None = None
    source_system: str | None = None
    source_process: str | None = None
    params: dict[str, Any] = field(default_factory=dict)   # explicit inputs: {"name": "IXIS"}, {"company": ...}
    confirm: bool = False             # plan and run in one go (`--yes`); without it actions are a dry run
    confirm_action_id: str | None = None   # run the actions stored by the dry run `act_…` exactly as stored
                                           # (no planning, no session); see actions/pending.py
    backend: str | None = None        # local | bedrock-agents | bedrock | openai; None = config
    request_id: str = field(default_factory=lambda: new_id("req_"))


@dataclass
class Step:
    """One entry of the trace: a routing decision, a hand-off, a tool call, or a note."""

    kind: str                          # route | handoff | tool | note | error
    agent: str
    name: str                          # tool or pattern name, target agent, ...
    detail: str = ""                   # reason / summary, human-readable
    params: dict[str, Any] = field(default_factory=dict)
    started_at: float = field(default_factory=time.time)
    duration_ms: float = 0.0
    rows: int | None = None
    ok: bool = True
    error: str | None = None
    sql_pattern: str | None = None
    cached: bool | None = None
    model: dict[str, Any] | None = None  # a mapped warehouse: entities read, missing data, approximations used

    def record(self, result: Any) -> None:
        """A query's rows, cache hit, limit note and semantic-model receipt (QueryResult.meta['model'])."""
        self.rows = len(result.rows)
        self.cached = result.cached
        if result.truncated:
            self.detail = result.limit_note
        if result.meta.get("model"):
            self.model = result.meta["model"]


@dataclass
class Trace:
    steps: list[Step] = field(default_factory=list)

    def add(self, step: Step) -> Step:
        self.steps.append(step)
        return step

    def route(self, agent: str, target: str, reason: str, **params: Any) -> Step:
        return self.add(Step(kind="route", agent=agent, name=target, detail=reason, params=params))

    def handoff(self, from_agent: str, to_agent: str, what: str) -> Step:
        return self.add(Step(kind="handoff", agent=from_agent, name=to_agent, detail=what))

    def note(self, agent: str, text: str) -> Step:
        return self.add(Step(kind="note", agent=agent, name="note", detail=text))

    def agents(self) -> list[str]:
        seen: list[str] = []
        for s in self.steps:
            for a in (s.agent, s.name if s.kind in ("route", "handoff") else None):
                if a and a in AGENTS and a not in seen:
                    seen.append(a)
        return seen


@dataclass
class Answer:
    agent: str
    text: str                          # markdown
    data: dict[str, Any] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)
    trace: Trace = field(default_factory=Trace)
    session_id: str | None = None
    ok: bool = True
    error: str | None = None
    started_at: float = field(default_factory=time.time)
    duration_ms: float = 0.0
    request_id: str | None = None
    pending_actions: list[dict[str, Any]] = field(default_factory=list)  # actions shown but not run

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "answer": self.text,
            "data": self.data,
            "sources": self.sources,
            "trace": [asdict(s) for s in self.trace.steps],
            "session_id": self.session_id,
            "ok": self.ok,
            "error": self.error,
            "duration_ms": round(self.duration_ms, 2),
            "request_id": self.request_id,
            "pending_actions": self.pending_actions,
        }
