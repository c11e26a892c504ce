"""`--backend openai`: a model behind any OpenAI-compatible Chat Completions endpoint drives the local tools.

OpenAI itself, Ollama, vLLM, llama.cpp's server, LM Studio: anything that serves `POST {base_url}/chat/completions`
with function tools. The loop is model_loop.py's, shared with `--backend bedrock`; the tools are tools.py's,
rendered as function tools. This module is the Chat Completions wire format (`ChatAdapter`): the system prompt
and the question as the first two messages; each reply's `tool_calls` (arguments are JSON text: text that is not
a JSON object goes back to the model as an error result) become tool calls; the results go back as
`role: tool` messages (the tool's JSON, or `error: <one line>`). A reply with tool calls continues the loop
whatever its finish_reason (some servers say `stop`); `length` is a cut answer, `content_filter` a filtered one.

There is no turn limit of its own: every turn that continues calls at least one tool, so the per-question
budget (`llm.max_tool_calls`, `llm.max_total_tokens`) bounds the loop. With `openai.stream: true` the reply
comes as server-sent chunks and the answer's text reaches `on_text` as it arrives (the CLI shows it live).
Usage (prompt / completion tokens) of every turn is summed into Answer.data["usage"]; Answer.data["openai"]
holds the model, base URL, turns, finish reason and tool-call count. The API key never reaches the trace.
"""

from __future__ import annotations

import json
from typing import Any

from revops_cli.agents.backends import model_loop
from revops_cli.agents.backends import openai_client as oc
from revops_cli.agents.backends.model_loop import ModelTurn
from revops_cli.agents.backends.tool_runner import ToolCall, ToolResult
from revops_cli.agents.backends.tools import MANAGER, ToolDef
from revops_cli.agents.base import AgentContext
from revops_cli.errors import RevopsError
from revops_cli.models import Answer


def parse_arguments(name: str, arguments: str) -> tuple[dict[str, Any], str | None]:
    """A tool call's arguments (JSON text) as a dict, or ({}, why not)."""
    if not arguments.strip():
        return {}, None
    try:
        args = json.loads(arguments)
    except ValueError as exc:
        return {}, f"the arguments of {name} are not valid JSON ({exc.msg} at character {exc.pos})"
    if not isinstance(args, dict):
        return {}, f"the arguments of {name} must be a JSON object, got {type(args).__name__}"
    return args, None


class ChatAdapter:
    """The Chat Completions wire format for model_loop.run."""

    backend = "openai"
    output_limit_setting = "openai.max_tokens"
    max_turns = None

    def __init__(self, ctx: AgentContext, cfg: oc.OpenAISettings):
        self.ctx, self.cfg = ctx, cfg
        self.client: Any = None
        self.messages: list[dict[str, Any]] = []
        self.tools: list[dict[str, Any]] = []
        self._assistant: dict[str, Any] = {}
        self._shown = False

    def begin(self, system: str, question: str, tools: list[ToolDef]) -> None:
        self.client = oc.make_client(self.cfg)
        self.tools = [t.openai_tool() for t in tools]
        self.messages = [{"role": "system", "content": system}, {"role": "user", "content": question}]

    def _on_text(self, piece: str | None) -> None:
        self._shown = True
        self.ctx.on_text(piece)

    def turn(self, number: int) -> ModelTurn:
        on_text = None
        if self.ctx.on_text is not None:
            if self._shown:                 # the text of an earlier turn was only a preamble to tool calls
                self.ctx.on_text(None)
                self._shown = False
            on_text = self._on_text
        reply = oc.chat(self.client, self.cfg, self.messages, self.tools, on_text)
        calls = []
        wire_calls = []
        for i, c in enumerate(reply.tool_calls, 1):
            call_id = c.id or f"call_{number}_{i}"          # some local servers send no ids
            args, bad = parse_arguments(c.name, c.arguments)
            calls.append(ToolCall(id=call_id, name=c.name, args=args, bad_args=bad))
            wire_calls.append({"id": call_id, "type": "function",
                               "function": {"name": c.name, "arguments": c.arguments or "{}"}})
        self._assistant = {"role": "assistant", "content": reply.content or None}
        if wire_calls:
            self._assistant["tool_calls"] = wire_calls
        finish = reply.finish_reason
        ending = ("tools" if calls else "length" if finish == "length"
                  else "filtered" if finish == "content_filter" else "end")
        if finish not in ("stop", "tool_calls", "length", "content_filter", "function_call", None):
            self.ctx.trace.note(MANAGER, f"the model stopped with {finish!r}")
        usage = reply.usage
        return ModelTurn(text=reply.content, tool_calls=calls, stop_reason=finish, ending=ending, usage=usage,
                         input_tokens=int(usage.get("prompt_tokens") or 0),
                         output_tokens=int(usage.get("completion_tokens") or 0))

    def add_results(self, turn: ModelTurn, results: list[ToolResult]) -> None:
        self.messages.append(self._assistant)
        for r in results:
            self.messages.append({"role": "tool", "tool_call_id": r.call.id, "content": r.text()})

    def summary(self, *, turns: int, stop_reason: str | None, tool_calls: int) -> dict[str, Any]:
        return {"model": self.cfg.model, "base_url": self.cfg.base_url, "turns": turns, "finish_reason": stop_reason,
                "tool_calls": tool_calls}

    def turn_limit_error(self, turns: int) -> RevopsError:          # max_turns is None: the budget bounds the loop
        return oc.OpenAIBackendError(f"the model did not finish within {turns} turns", "ask a narrower question")

    def no_answer_error(self, stop_reason: str | None) -> RevopsError:
        return oc.OpenAIBackendError("the model returned no answer",
                                     f"finish reason {stop_reason}; try rephrasing, or a model that supports tool calling")


def run(ctx: AgentContext) -> Answer:
    cfg = oc.OpenAISettings.from_settings(ctx.settings)
    budget = model_loop.Budget.from_settings(ctx.settings)
    ctx.trace.route(MANAGER, MANAGER, f"openai backend: model {cfg.model} at {cfg.base_url} drives the local tools",
                    query=ctx.request.text, model=cfg.model, base_url=cfg.base_url, backend="openai",
                    stream=cfg.stream, max_tool_calls=budget.max_tool_calls, max_total_tokens=budget.max_total_tokens)
    return model_loop.run(ctx, ChatAdapter(ctx, cfg))
