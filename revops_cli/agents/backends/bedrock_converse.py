"""`--backend bedrock`: a Bedrock model (Converse API) drives the local tools and writes the analysis.

The loop is model_loop.py's, shared with `--backend openai`; the tools are tools.py's, rendered as Converse
`toolSpec`s (`tool_config`). This module is the Converse wire format: `ConverseAdapter` sends the
conversation with `converse` (bedrock_client.py: boto3 behind a small protocol, errors mapped to one line),
retries throttling botocore did not retry itself, reads `toolUse` blocks as tool calls and sends the results
back as `toolResult` blocks (JSON on success, text with `status: error` otherwise). The loop stops at
`end_turn` (or another final stop reason), or fails after `bedrock.max_turns` model turns. Token usage of
every turn is summed into Answer.data["usage"] (Converse's names: inputTokens, outputTokens, totalTokens).

The system prompt (our agents' roles and the rules) goes to the model only: it is never written to the
trace, the log or the exports.
"""

from __future__ import annotations

from typing import Any

from revops_cli.agents.backends import bedrock_client as bc
from revops_cli.agents.backends import model_loop
from revops_cli.agents.backends.model_loop import ModelTurn
from revops_cli.agents.backends.tool_runner import ToolCall, ToolResult
from revops_cli.agents.backends.tools import MANAGER, ToolDef, tool_definitions
from revops_cli.agents.base import AgentContext
from revops_cli.errors import RevopsError
from revops_cli.models import Answer

DEFAULT_MAX_TURNS = 8
DEFAULT_MAX_TOKENS = 2048
FINAL_STOPS = ("end_turn", "stop_sequence", "max_tokens", "guardrail_intervened", "content_filtered")
FILTERED_STOPS = ("guardrail_intervened", "content_filtered")


def tool_config(ctx: AgentContext) -> dict[str, Any]:
    """The toolConfig for Converse: our tools, the pattern names as an enum with their parameters described."""
    return render_tool_config(tool_definitions(ctx.settings))


def render_tool_config(tools: list[ToolDef]) -> dict[str, Any]:
    return {"tools": [t.bedrock_spec() for t in tools], "toolChoice": {"auto": {}}}


def tool_result_block(result: ToolResult) -> dict[str, Any]:
    """One toolResult content block for a tool call's result."""
    if result.ok:
        content: list[dict[str, Any]] = [{"json": result.payload}]
    else:
        content = [{"text": result.error or "error"}]
    return {"toolResult": {"toolUseId": result.call.id, "content": content,
                           "status": "success" if result.ok else "error"}}


class ConverseAdapter:
    """The Converse wire format for model_loop.run."""

    backend = "bedrock"
    output_limit_setting = "bedrock.max_tokens"

    def __init__(self, ctx: AgentContext, model_id: str):
        settings = ctx.settings
        self.ctx, self.model_id = ctx, model_id
        self.max_turns = model_loop.int_setting(settings, "bedrock.max_turns", DEFAULT_MAX_TURNS)
        self.inference = {"maxTokens": model_loop.int_setting(settings, "bedrock.max_tokens", DEFAULT_MAX_TOKENS),
                          "temperature": 0.0}
        self.client: Any = None
        self.attempts = bc.max_attempts(settings)
        self.messages: list[dict[str, Any]] = []
        self.system: list[dict[str, Any]] = []
        self.tools: dict[str, Any] = {}
        self._message: dict[str, Any] = {}

    def begin(self, system: str, question: str, tools: list[ToolDef]) -> None:
        self.client = bc.converse_client(self.ctx.settings)
        self.system = [{"text": system}]
        self.tools = render_tool_config(tools)
        self.messages = [{"role": "user", "content": [{"text": question}]}]

    def turn(self, number: int) -> ModelTurn:
        response = bc.call_with_retries(
            lambda: self.client.converse(model_id=self.model_id, messages=self.messages, system=self.system,
                                         tool_config=self.tools, inference_config=self.inference),
            self.attempts,
            on_retry=lambda n, exc: self.ctx.trace.note(MANAGER, f"Bedrock throttled the model call; retry {n}"))
        message = ((response.get("output") or {}).get("message")) or {"role": "assistant", "content": []}
        self._message = {"role": "assistant", "content": list(message.get("content") or [])}
        blocks = [c for c in self._message["content"] if isinstance(c, dict)]
        stop_reason = response.get("stopReason")
        uses = [c["toolUse"] for c in blocks if c.get("toolUse")]
        calls = [ToolCall(id=u.get("toolUseId"), name=str(u.get("name") or ""),
                          args=u.get("input") if isinstance(u.get("input"), dict) else {}) for u in uses]
        if stop_reason not in FINAL_STOPS and stop_reason != "tool_use":
            self.ctx.trace.note(MANAGER, f"the model stopped with {stop_reason!r}")
        ending = ("tools" if calls and stop_reason == "tool_use" else "length" if stop_reason == "max_tokens"
                  else "filtered" if stop_reason in FILTERED_STOPS else "end")
        usage = response.get("usage") or {}
        text = "\n\n".join(c["text"].strip() for c in blocks if c.get("text") and c["text"].strip())
        return ModelTurn(text=text, tool_calls=calls if ending == "tools" else [], stop_reason=stop_reason,
                         ending=ending, usage=usage, input_tokens=int(usage.get("inputTokens") or 0),
                         output_tokens=int(usage.get("outputTokens") or 0))

    def add_results(self, turn: ModelTurn, results: list[ToolResult]) -> None:
        self.messages.append(self._message)
        self.messages.append({"role": "user", "content": [tool_result_block(r) for r in results]})

    def summary(self, *, turns: int, stop_reason: str | None, tool_calls: int) -> dict[str, Any]:
        return {"model_id": self.model_id, "turns": turns, "stop_reason": stop_reason, "tool_calls": tool_calls}

    def turn_limit_error(self, turns: int) -> RevopsError:
        return bc.BedrockError(f"the model did not finish within {turns} turns (bedrock.max_turns)",
                               "ask a narrower question, or raise bedrock.max_turns")

    def no_answer_error(self, stop_reason: str | None) -> RevopsError:
        return bc.BedrockError("the model returned no answer", f"stop reason {stop_reason}; try rephrasing")


def run(ctx: AgentContext) -> Answer:
    model_id = str(ctx.settings.get("bedrock.model_id") or "")
    if not model_id:
        from revops_cli.errors import ConfigError

        raise ConfigError("bedrock.model_id not set for the bedrock backend",
                          "set REVOPS_BEDROCK_MODEL_ID or bedrock.model_id in revops.yaml")
    adapter = ConverseAdapter(ctx, model_id)
    ctx.trace.route(MANAGER, MANAGER, f"bedrock backend: model {model_id} drives the local tools",
                    query=ctx.request.text, model_id=model_id, backend="bedrock", max_turns=adapter.max_turns)
    return model_loop.run(ctx, adapter)
