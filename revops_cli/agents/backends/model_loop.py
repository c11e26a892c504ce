"""The loop in which a model drives our tools, shared by `--backend bedrock` and `--backend openai`.

    run(ctx, adapter) -> Answer

The loop: send the question with the tool list; while the model asks for tools, run each call locally
(tool_runner.py: every call lands in the trace under the agent that owns it) and send the results back;
stop when the model answers. The wire format is the adapter's business (`ModelAdapter`: Converse for
Bedrock, Chat Completions for OpenAI-compatible servers); the loop sees neutral `ModelTurn`s.

Limits, checked before any tool of a turn runs:
- the per-question budget (`llm.max_tool_calls`, `llm.max_total_tokens`): a model that keeps calling tools
  is stopped with `ModelBudgetError` (exit 8) that names the setting;
- the adapter's turn limit, if it has one (`bedrock.max_turns`): the adapter's own exit-8 error.

Each model turn is a `note` step `model_turn` (stop reason, tool calls, input/output tokens); the loop ends
with a `note` step `usage` (turns, tool calls, tokens), also when a limit stopped it, which
`revops conversations show` prints. Answer.data holds `backend`, the adapter's summary under the backend's
name, `usage` (the wire's own token counters, summed) and the deal / person / company discussed.
Answer.agent is the agent whose tools the model called most ("manager" if none).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from revops_cli.agents.backends.tool_runner import ToolCall, ToolResult, ToolRunner
from revops_cli.agents.backends.tools import MANAGER, ToolDef, system_prompt, tool_definitions
from revops_cli.errors import ConfigError, ModelBackendError, RevopsError
from revops_cli.models import Answer, Step
from revops_cli.formatting import json_default

if TYPE_CHECKING:  # pragma: no cover
    from revops_cli.agents.base import AgentContext

DEFAULT_MAX_TOOL_CALLS = 16
DEFAULT_MAX_TOTAL_TOKENS = 200_000


class ModelBudgetError(ModelBackendError):
    """The model kept calling tools past the question's budget (llm.max_tool_calls / llm.max_total_tokens)."""


@dataclass
class ModelTurn:
    """One model response, in no wire format."""

    text: str                                   # the assistant's text of this turn
    tool_calls: list[ToolCall]
    stop_reason: str | None                     # the wire's own: end_turn / tool_use / stop / tool_calls / length ...
    ending: str                                 # tools | end | length | filtered
    usage: dict[str, Any] = field(default_factory=dict)    # the wire's own counters, summed into data.usage
    input_tokens: int = 0
    output_tokens: int = 0


class ModelAdapter(Protocol):
    backend: str                 # "bedrock" | "openai": Answer.data["backend"] and the key of the summary
    output_limit_setting: str    # the per-turn output limit, named when an answer is cut
    max_turns: int | None        # model turns before the adapter's own error; None: the budget bounds it

    def begin(self, system: str, question: str, tools: list[ToolDef]) -> None: ...

    def turn(self, number: int) -> ModelTurn:
        """Call the model with the conversation so far; raises a RevopsError on failure."""
        ...

    def add_results(self, turn: ModelTurn, results: list[ToolResult]) -> None:
        """Append the model's turn and the tool results to the conversation."""
        ...

    def summary(self, *, turns: int, stop_reason: str | None, tool_calls: int) -> dict[str, Any]: ...

    def turn_limit_error(self, turns: int) -> RevopsError: ...

    def no_answer_error(self, stop_reason: str | None) -> RevopsError: ...


@dataclass
class Budget:
    """What one question may spend before the loop stops the model. 0 = no limit."""

    max_tool_calls: int = DEFAULT_MAX_TOOL_CALLS
    max_total_tokens: int = DEFAULT_MAX_TOTAL_TOKENS

    @classmethod
    def from_settings(cls, settings: Any) -> "Budget":
        return cls(max_tool_calls=int_setting(settings, "llm.max_tool_calls", DEFAULT_MAX_TOOL_CALLS, minimum=0),
                   max_total_tokens=int_setting(settings, "llm.max_total_tokens", DEFAULT_MAX_TOTAL_TOKENS,
                                                minimum=0))


def int_setting(settings: Any, key: str, default: int, minimum: int = 1) -> int:
    v = settings.get(key)
    try:
        return max(minimum, int(v)) if v not in (None, "") else default
    except (TypeError, ValueError):
        raise ConfigError(f"{key} should be an integer, got {v!r}", "fix it in revops.yaml or the environment") from None


def usage_add(total: dict[str, int], usage: dict[str, Any] | None) -> None:
    for k, v in (usage or {}).items():
        if isinstance(v, int) and not isinstance(v, bool):
            total[k] = total.get(k, 0) + v


def question_text(ctx: "AgentContext") -> str:
    """The user's question, plus the specialist and inputs when a command forced them (`revops deal X`)."""
    request = ctx.request
    question = request.text
    if request.agent:
        question += f"\n\n(The user asked the {request.agent.replace('_', ' ')} specialist"
        question += f"; inputs: {json.dumps(request.params, default=json_default)})" if request.params else ")"
    return question


@dataclass
class Spend:
    turns: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


def _usage_step(ctx: "AgentContext", spend: Spend, tool_calls: int, budget: Budget) -> None:
    ctx.trace.add(Step(kind="note", agent=MANAGER, name="usage",
                       detail=f"{spend.turns} model turn(s), {tool_calls} tool call(s), "
                              f"{spend.input_tokens} in / {spend.output_tokens} out tokens",
                       params={"turns": spend.turns, "tool_calls": tool_calls, "input_tokens": spend.input_tokens,
                               "output_tokens": spend.output_tokens, "max_tool_calls": budget.max_tool_calls,
                               "max_total_tokens": budget.max_total_tokens}))


def _over_budget(budget: Budget, spend: Spend, done: int, asked: int) -> ModelBudgetError | None:
    if budget.max_tool_calls and done + asked > budget.max_tool_calls:
        return ModelBudgetError(
            f"the model hit the question's budget of {budget.max_tool_calls} tool calls (llm.max_tool_calls) "
            f"without answering; it asked for {asked} more after {done}",
            "ask a narrower question, or raise llm.max_tool_calls")
    if budget.max_total_tokens and spend.tokens > budget.max_total_tokens:
        return ModelBudgetError(
            f"the model hit the question's budget of {budget.max_total_tokens} tokens (llm.max_total_tokens) "
            f"without answering; {spend.tokens} used",
            "ask a narrower question, or raise llm.max_total_tokens")
    return None


def run(ctx: "AgentContext", adapter: ModelAdapter) -> Answer:
    budget = Budget.from_settings(ctx.settings)
    runner = ToolRunner(ctx)
    adapter.begin(system_prompt(ctx), question_text(ctx), tool_definitions(ctx.settings))
    usage: dict[str, int] = {}
    spend = Spend()
    last: ModelTurn | None = None
    try:
        while True:
            if adapter.max_turns is not None and spend.turns >= adapter.max_turns:
                ctx.trace.note(MANAGER, f"stopped after {spend.turns} model turns")
                raise adapter.turn_limit_error(spend.turns)
            spend.turns += 1
            last = adapter.turn(spend.turns)
            usage_add(usage, last.usage)
            spend.input_tokens += last.input_tokens
            spend.output_tokens += last.output_tokens
            ctx.trace.add(Step(kind="note", agent=MANAGER, name="model_turn",
                               detail=f"turn {spend.turns}: {last.stop_reason}, {len(last.tool_calls)} tool call(s), "
                                      f"{last.input_tokens} in / {last.output_tokens} out tokens",
                               params={"turn": spend.turns, "stop_reason": last.stop_reason,
                                       "tool_calls": len(last.tool_calls), "input_tokens": last.input_tokens,
                                       "output_tokens": last.output_tokens}))
            if last.ending != "tools":
                break
            over = _over_budget(budget, spend, runner.total_calls, len(last.tool_calls))
            if over is not None:
                ctx.trace.note(MANAGER, f"budget: {over.message}")
                raise over
            adapter.add_results(last, [runner.run(call) for call in last.tool_calls])
    finally:
        _usage_step(ctx, spend, runner.total_calls, budget)

    stop_reason, final_text = last.stop_reason, last.text.strip()
    if last.ending == "length":
        final_text += f"\n\n_(cut at the model's output limit: {adapter.output_limit_setting})_"
    if last.ending == "filtered":
        ctx.trace.note(MANAGER, f"the model's answer was filtered ({stop_reason})")
    if not last.text.strip():
        raise adapter.no_answer_error(stop_reason)

    data: dict[str, Any] = {
        "backend": adapter.backend,
        adapter.backend: adapter.summary(turns=spend.turns, stop_reason=stop_reason, tool_calls=runner.total_calls),
        "usage": usage,
    }
    data.update(runner.session_data())
    return Answer(agent=runner.main_agent(), text=final_text.strip() + "\n", data=data, sources=runner.sources,
                  trace=ctx.trace, pending_actions=runner.pending_actions)
