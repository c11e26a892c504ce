"""The Bedrock backends behind `--backend bedrock-agents` and `--backend bedrock`.

    run(backend, ctx) -> Answer

`bedrock-agents` invokes the deployed supervisor agent and turns its trace into ours
(`bedrock_agents.py`); `bedrock` lets a Bedrock model drive the local tools through the Converse API
(`bedrock_converse.py`). Both return the same Answer and trace shape as the local orchestrator, so the
conversation log, the exports and every channel work unchanged. boto3 is imported only when a client is
made (`bedrock_client.py`), never by `revops --help` or the local backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from revops_cli.agents.base import AgentContext
    from revops_cli.models import Answer

BACKENDS = ("bedrock-agents", "bedrock")


def run(backend: str, ctx: "AgentContext") -> "Answer":
    if backend == "bedrock-agents":
        from revops_cli.agents.backends import bedrock_agents

        return bedrock_agents.run(ctx)
    if backend == "bedrock":
        from revops_cli.agents.backends import bedrock_converse

        return bedrock_converse.run(ctx)
    from revops_cli.errors import ConfigError

    raise ConfigError(f"unknown backend {backend!r}", "use local, bedrock-agents or bedrock")
