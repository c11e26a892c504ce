"""The LLM backends behind `--backend bedrock-agents`, `--backend bedrock` and `--backend openai`.

    run(backend, ctx) -> Answer

`bedrock-agents` invokes the deployed supervisor agent and turns its trace into ours
(`bedrock_agents.py`). `bedrock` and `openai` let a model drive the local tools: one tool definition
(`tools.py`), one runner (`tool_runner.py`) and one loop (`model_loop.py`), with an adapter per wire
format: the Converse API (`bedrock_converse.py`, boto3 behind `bedrock_client.py`) and OpenAI-compatible
Chat Completions (`openai_chat.py`, the `openai` SDK behind `openai_client.py`). All return the same
Answer and trace shape as the local orchestrator, so the conversation log, the exports and every channel
work unchanged. boto3 and openai are imported only when a client is made, never by `revops --help` or
the local backend.

Actions stay behind a confirmation on every backend. With `bedrock` and `openai` the model can only propose
them (the `propose_action` tool runs them when the request is confirmed). The deployed agents of `bedrock-agents`
act on their own, so an unconfirmed request that asks for an action (the same words the local router
sends to the Execution agent, or `revops execute`) is not sent to Bedrock: the answer is a dry run with
one pending action, "send this request to the deployed agents", which `--yes` or a Slack Confirm button
runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from revops_cli.agents.base import AgentContext
    from revops_cli.models import Answer

BACKENDS = ("bedrock-agents", "bedrock", "openai")


def held_action(ctx: "AgentContext") -> "Answer | None":
    """The dry-run answer for an unconfirmed action request to the deployed agents, else None."""
    from revops_cli.agents.manager import classify
    from revops_cli.models import Answer

    request = ctx.request
    wants_action = request.agent == "execution" or (
        not request.agent and classify(request.text, ctx.session).agent == "execution")
    if request.confirm or not wants_action:
        return None
    action = {"kind": "bedrock_agents", "target": "the deployed Bedrock agents",
              "payload": {"text": request.text, "session_id": request.session_id}, "status": "pending"}
    ctx.trace.note("execution", "dry run: an action request is held until confirmed; nothing sent to Bedrock")
    return Answer(agent="execution", text=ctx.render("bedrock_hold.md.j2", text=request.text),
                  data={"backend": "bedrock-agents", "dry_run": True, "actions": [action]},
                  pending_actions=[action], trace=ctx.trace)


def run(backend: str, ctx: "AgentContext") -> "Answer":
    if backend == "bedrock-agents":
        from revops_cli.agents.backends import bedrock_agents

        held = held_action(ctx)
        if held is not None:
            return held

        return bedrock_agents.run(ctx)
    if backend == "bedrock":
        from revops_cli.agents.backends import bedrock_converse

        return bedrock_converse.run(ctx)
    if backend == "openai":
        from revops_cli.agents.backends import openai_chat

        return openai_chat.run(ctx)
    from revops_cli.errors import ConfigError

    raise ConfigError(f"unknown backend {backend!r}", "use local, bedrock-agents, bedrock or openai")
