"""`revops agents`: the deployed Bedrock agents and their aliases (for the bedrock-agents backend)."""

from __future__ import annotations

from typing import Any

import typer

from revops_cli.commands import context
from revops_cli.commands.context import TableFormatOpt
from revops_cli.output import TableFormat

app = typer.Typer(help="The deployed Amazon Bedrock agents behind `--backend bedrock-agents`.", no_args_is_help=True)

COLUMNS = ["agent_id", "agent_name", "role", "status", "alias_id", "alias_name", "alias_status", "updated_at",
           "configured"]


def agent_rows(settings: Any) -> list[dict[str, Any]]:
    """One row per agent alias (an agent without aliases gets one row with empty alias columns)."""
    from revops_cli.agents.backends import bedrock_client as bc
    from revops_cli.agents.backends.bedrock_agents import agent_name

    client = bc.catalog_client(settings)
    configured_agent = str(settings.get("bedrock.agent_id") or "")
    configured_alias = str(settings.get("bedrock.agent_alias_id") or "")
    rows: list[dict[str, Any]] = []
    for agent in sorted(client.list_agents(), key=lambda a: str(a.get("agentName") or "")):
        agent_id = agent.get("agentId")
        base = {"agent_id": agent_id, "agent_name": agent.get("agentName"),
                "role": agent_name(agent_id, settings) or agent_name(agent.get("agentName"), settings) or "",
                "status": agent.get("agentStatus"),
                "updated_at": agent.get("updatedAt")}
        aliases = client.list_agent_aliases(agent_id) if agent_id else []
        if not aliases:
            rows.append({**base, "alias_id": None, "alias_name": None, "alias_status": None,
                         "configured": agent_id == configured_agent})
        for alias in sorted(aliases, key=lambda a: str(a.get("agentAliasName") or "")):
            rows.append({**base, "alias_id": alias.get("agentAliasId"), "alias_name": alias.get("agentAliasName"),
                         "alias_status": alias.get("agentAliasStatus"),
                         "updated_at": alias.get("updatedAt") or base["updated_at"],
                         "configured": agent_id == configured_agent and alias.get("agentAliasId") == configured_alias})
    return rows


@app.command("list")
def list_(ctx: typer.Context, fmt: TableFormatOpt = TableFormat.table) -> None:
    """List the agents and aliases in the configured region (bedrock.region), marking the configured one."""
    from revops_cli.output import render_result
    from revops_cli.warehouse.base import QueryResult

    settings = context.get(ctx).settings
    rows = agent_rows(settings)
    types = ["TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TIMESTAMP", "BOOLEAN"]
    result = QueryResult(columns=COLUMNS, types=types, rows=[tuple(r.get(c) for c in COLUMNS) for r in rows])
    from revops_cli.agents.backends.bedrock_client import region

    render_result(result, fmt, region=region(settings))
