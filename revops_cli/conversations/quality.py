"""A 0–1 quality score for one logged conversation: is this record complete and trustworthy enough to
learn from and audit?

    score = 0.25 * completeness
          + 0.15 * attribution
          + 0.25 * tool_success
          + 0.15 * reasoning
          + 0.20 * leak_filtering            (rounded to 3 decimals)

Components, each 0–1:

- completeness    — one third each for: a non-empty query, a non-empty final response, at least one step.
- attribution     — share of steps whose agent is a known agent (`models.AGENTS`); 0 with no steps.
- tool_success    — share of tool steps that succeeded; 1.0 when no tool ran (nothing failed).
- reasoning       — half for a routing step that gives a reason; half for the share of tool steps that
                    record their parameters (the full half when no tool ran).
- leak_filtering  — 1.0 when nothing had to be redacted from the response, the steps or the data;
                    otherwise 1 / (1 + n) for n redactions (1 → 0.5, 3 → 0.25). Secrets the *user* typed in
                    the query are redacted too but do not lower the score: the agents did not leak them.

A conversation scoring below the threshold (default 0.7) is flagged in the export's metadata.json and
counted in the ExportSummary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from revops_cli.models import AGENTS

WEIGHTS: dict[str, float] = {
    "completeness": 0.25,
    "attribution": 0.15,
    "tool_success": 0.25,
    "reasoning": 0.15,
    "leak_filtering": 0.20,
}
DEFAULT_THRESHOLD = 0.7

# Redaction groups (see ConversationLog) that count against leak_filtering.
LEAK_GROUPS = ("response", "steps", "data")


@dataclass
class QualityAssessment:
    score: float
    components: dict[str, float]
    threshold: float = DEFAULT_THRESHOLD
    weights: dict[str, float] = field(default_factory=lambda: dict(WEIGHTS))

    @property
    def flagged(self) -> bool:
        return self.score < self.threshold

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "components": dict(self.components), "weights": dict(self.weights),
                "threshold": self.threshold, "flagged": self.flagged}


def leak_count(redactions: Mapping[str, Any] | None) -> int:
    """Redactions in the response/steps/data groups of a record's `redactions` ({group: {kind: n}})."""
    n = 0
    for group in LEAK_GROUPS:
        n += sum((redactions or {}).get(group, {}).values())
    return n


def assess(conversation: Mapping[str, Any], *, redactions: Mapping[str, Any] | None = None,
           threshold: float = DEFAULT_THRESHOLD) -> QualityAssessment:
    """Score a conversation record (a `ConversationLog.get()` dict: query, response, steps, redactions).

    `redactions` overrides the record's own `redactions` ({group: {kind: count}}).
    """
    steps = conversation.get("steps") or []
    query = (conversation.get("query") or "").strip()
    response = (conversation.get("response") or "").strip()

    completeness = (bool(query) + bool(response) + bool(steps)) / 3
    attribution = sum(1 for s in steps if s.get("agent") in AGENTS) / len(steps) if steps else 0.0
    tools = [s for s in steps if s.get("kind") == "tool"]
    tool_success = sum(1 for s in tools if s.get("ok", True)) / len(tools) if tools else 1.0
    routed = any(s.get("kind") == "route" and (s.get("detail") or "").strip() for s in steps)
    with_params = sum(1 for s in tools if s.get("params")) / len(tools) if tools else 1.0
    reasoning = 0.5 * routed + 0.5 * with_params
    leaks = leak_count(redactions if redactions is not None else conversation.get("redactions"))
    leak_filtering = 1.0 / (1 + leaks)

    components = {
        "completeness": round(completeness, 3),
        "attribution": round(attribution, 3),
        "tool_success": round(tool_success, 3),
        "reasoning": round(reasoning, 3),
        "leak_filtering": round(leak_filtering, 3),
    }
    raw = {"completeness": completeness, "attribution": attribution, "tool_success": tool_success,
           "reasoning": reasoning, "leak_filtering": leak_filtering}
    score = round(sum(WEIGHTS[k] * raw[k] for k in WEIGHTS), 3)
    return QualityAssessment(score=score, components=components, threshold=threshold)
