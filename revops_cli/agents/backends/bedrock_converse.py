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

The model id: `bedrock.model_id`, else Claude 3.7 Sonnet through the cross-region inference profile of
`bedrock.region`'s geography (`us.`, `eu.`, `apac.`, `us-gov.`): newer models refuse on-demand calls by
their base id, and such a refusal names the profile id to set. Only the fields the model's family accepts
are sent (`FAMILIES`: a system prompt, tools, toolChoice): a family without a system prompt gets it in front
of the question; a family without tool use is refused at once with a model that has it. Every stop reason
of the service model has an entry in `STOP_REASONS`; every ContentBlock member one in `CONTENT_HANDLING`
(tests/test_bedrock_contract.py checks both against the pinned botocore).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from revops_cli.agents.backends import bedrock_client as bc
from revops_cli.agents.backends import model_loop
from revops_cli.agents.backends.model_loop import ModelTurn
from revops_cli.agents.backends.tool_runner import ToolCall, ToolResult
from revops_cli.agents.backends.tools import MANAGER, ToolDef, tool_definitions
from revops_cli.agents.base import AgentContext
from revops_cli.errors import RevopsError
from revops_cli.models import Answer, Step

DEFAULT_MAX_TURNS = 8
DEFAULT_MAX_TOKENS = 2048
DEFAULT_BASE_MODEL = "anthropic.claude-3-7-sonnet-20250219-v1:0"
PROFILE_PREFIXES = ("us.", "eu.", "apac.", "us-gov.", "global.", "jp.", "au.", "ca.")

# stop reason -> what the loop does: tools (run them), end, length (cut, with a note), filtered (a note), or an
# error (exit 8) with its message and hint.
STOP_REASONS: dict[str, str] = {
    "end_turn": "end",
    "stop_sequence": "end",
    "tool_use": "tools",
    "max_tokens": "length",
    "content_filtered": "filtered",
    "guardrail_intervened": "error",
    "malformed_model_output": "error",
    "malformed_tool_use": "error",
    "model_context_window_exceeded": "error",
}
STOP_ERRORS: dict[str, tuple[str, str]] = {
    "guardrail_intervened": ("a Bedrock guardrail intervened in the model's answer",
                             "rephrase the question; the guardrail is set on the model or account in Bedrock"),
    "malformed_model_output": ("the model's output could not be read (malformed_model_output)",
                               "retry; if it repeats, pick another bedrock.model_id"),
    "malformed_tool_use": ("the model sent a tool call Bedrock could not read (malformed_tool_use)",
                           "retry; if it repeats, pick another bedrock.model_id"),
    "model_context_window_exceeded": ("the conversation outgrew the model's context window "
                                      "(model_context_window_exceeded)",
                                      "ask a narrower question (fewer rows, one period), or use a model with a "
                                      "larger context window"),
}
# ContentBlock member -> what revops does with it in a model's reply.
CONTENT_HANDLING: dict[str, str] = {
    "text": "the answer text",
    "toolUse": "a tool call, run by the loop",
    "reasoningContent": "note `model_content`: the model's reasoning is not shown",
    **{k: f"note `model_content`: a {k} block in the reply, not shown" for k in (
        "image", "document", "video", "audio", "toolResult", "guardContent", "cachePoint", "citationsContent",
        "searchResult", "toolAddition", "toolRemoval")},
}


@dataclass(frozen=True)
class Family:
    """What a model family accepts in a Converse request (AWS: supported models and model features)."""

    name: str
    system: bool = True
    tools: bool = True
    tool_choice: bool = False


# model id prefix (after any inference-profile prefix) -> family; the first match wins
FAMILIES: list[tuple[str, Family]] = [
    ("anthropic.", Family("Anthropic Claude", tool_choice=True)),
    ("amazon.nova", Family("Amazon Nova", tool_choice=True)),
    ("amazon.titan", Family("Amazon Titan Text", system=False, tools=False)),
    ("mistral.mistral-large", Family("Mistral Large", tool_choice=True)),
    ("mistral.mistral-small", Family("Mistral Small")),
    ("mistral.pixtral", Family("Mistral Pixtral")),
    ("mistral.", Family("Mistral / Mixtral", system=False, tools=False)),
    ("meta.llama3-1", Family("Meta Llama 3.1")),
    ("meta.llama3-2-11b", Family("Meta Llama 3.2")),
    ("meta.llama3-2-90b", Family("Meta Llama 3.2")),
    ("meta.llama3-3", Family("Meta Llama 3.3")),
    ("meta.llama4", Family("Meta Llama 4")),
    ("meta.", Family("Meta Llama", tools=False)),
    ("cohere.command-r", Family("Cohere Command R")),
    ("cohere.", Family("Cohere Command", system=False, tools=False)),
    ("ai21.jamba", Family("AI21 Jamba")),
    ("ai21.", Family("AI21 Jurassic", system=False, tools=False)),
    ("deepseek.", Family("DeepSeek", tools=False)),
]
UNKNOWN_FAMILY = Family("unknown")


def geography(region: str) -> str:
    """The cross-region inference profile prefix for a region."""
    if region.startswith("us-gov-"):
        return "us-gov"
    if region.startswith("eu-"):
        return "eu"
    if region.startswith("ap-"):
        return "apac"
    return "us"


def base_id(model_id: str) -> str:
    """The foundation model id inside a model id, an inference profile id or an ARN."""
    mid = model_id.rsplit("/", 1)[-1]
    for prefix in PROFILE_PREFIXES:
        if mid.startswith(prefix):
            return mid[len(prefix):]
    return mid


def is_base_id(model_id: str) -> bool:
    return not model_id.startswith("arn:") and base_id(model_id) == model_id


def profile_id(model_id: str, region: str) -> str:
    return f"{geography(region)}.{base_id(model_id)}"


def model_id_of(settings: Any) -> str:
    """bedrock.model_id, else the default model through the region's inference profile."""
    return str(settings.get("bedrock.model_id") or "") or profile_id(DEFAULT_BASE_MODEL, bc.region(settings))


def family(model_id: str) -> Family:
    base = base_id(model_id)
    return next((f for prefix, f in FAMILIES if base.startswith(prefix)), UNKNOWN_FAMILY)


_ON_DEMAND = re.compile(r"on-demand throughput|inference profile", re.I)


def tool_config(ctx: AgentContext) -> dict[str, Any]:
    """The toolConfig for Converse: our tools, the pattern names as an enum with their parameters described."""
    return render_tool_config(tool_definitions(ctx.settings))


def render_tool_config(tools: list[ToolDef], fam: Family = UNKNOWN_FAMILY) -> dict[str, Any]:
    """toolChoice is sent only to families that accept it (auto is the default anyway)."""
    config: dict[str, Any] = {"tools": [t.bedrock_spec() for t in tools]}
    if fam.tool_choice:
        config["toolChoice"] = {"auto": {}}
    return config


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
        fam = family(self.model_id)
        if not fam.tools:
            raise bc.BedrockValidationError(
                f"model {self.model_id} ({fam.name}) cannot call tools through Converse, and --backend bedrock "
                "needs a model that can",
                f"set bedrock.model_id to a tool-using model, e.g. {profile_id(DEFAULT_BASE_MODEL, bc.region(self.ctx.settings))}")
        self.client = bc.converse_client(self.ctx.settings)
        self.tools = render_tool_config(tools, fam)
        if fam.system:
            self.system = [{"text": system}]
        else:                       # the family takes no system prompt: it goes in front of the question
            self.system = []
            question = f"{system}\n\n---\n\n{question}"
        self.messages = [{"role": "user", "content": [{"text": question}]}]

    def _converse(self) -> dict[str, Any]:
        try:
            return self.client.converse(model_id=self.model_id, messages=self.messages, system=self.system,
                                        tool_config=self.tools, inference_config=self.inference)
        except bc.BedrockValidationError as exc:
            if is_base_id(self.model_id) and _ON_DEMAND.search(exc.message):
                fixed = profile_id(self.model_id, bc.region(self.ctx.settings))
                raise bc.BedrockValidationError(
                    f"Bedrock refused model {self.model_id} on demand: it needs an inference profile id",
                    f"set bedrock.model_id to {fixed} (REVOPS_BEDROCK_MODEL_ID={fixed})") from None
            raise

    def turn(self, number: int) -> ModelTurn:
        response = bc.call_with_retries(
            self._converse, self.attempts,
            on_retry=lambda n, exc: self.ctx.trace.note(MANAGER, f"Bedrock throttled the model call; retry {n}"))
        message = ((response.get("output") or {}).get("message")) or {"role": "assistant", "content": []}
        self._message = {"role": "assistant", "content": list(message.get("content") or [])}
        blocks = [c for c in self._message["content"] if isinstance(c, dict)]
        stop_reason = response.get("stopReason")
        for block in blocks:
            for kind in block:
                if kind not in ("text", "toolUse"):
                    self.ctx.trace.add(Step(kind="note", agent=MANAGER, name="model_content",
                                            detail=f"the model's reply held a {kind} block (not shown)"))
        uses = [c["toolUse"] for c in blocks if c.get("toolUse")]
        calls = [ToolCall(id=u.get("toolUseId"), name=str(u.get("name") or ""),
                          args=u.get("input") if isinstance(u.get("input"), dict) else {}) for u in uses]
        handling = STOP_REASONS.get(str(stop_reason))
        if handling is None:
            self.ctx.trace.note(MANAGER, f"the model stopped with {stop_reason!r}, a stop reason revops does not "
                                         "know; taken as the end of its answer")
            handling = "end"
        if handling == "error":
            message, hint = STOP_ERRORS[str(stop_reason)]
            self.ctx.trace.add(Step(kind="error", agent=MANAGER, name=str(stop_reason), detail=message, ok=False,
                                    error=message))
            raise bc.BedrockError(message, hint)
        ending = "tools" if calls and handling == "tools" else "end" if handling == "tools" else handling
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
    model_id = model_id_of(ctx.settings)
    adapter = ConverseAdapter(ctx, model_id)
    ctx.trace.route(MANAGER, MANAGER, f"bedrock backend: model {model_id} drives the local tools",
                    query=ctx.request.text, model_id=model_id, backend="bedrock", max_turns=adapter.max_turns)
    return model_loop.run(ctx, adapter)
