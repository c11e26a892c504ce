"""`revops serve-mcp`: revops' tools for MCP clients (Claude Desktop, Cursor, ...), over stdio or HTTP."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from revops_cli.commands import context


def serve_mcp(
    ctx: typer.Context,
    http: Annotated[bool, typer.Option("--http", help="Serve streamable HTTP instead of stdio.")] = False,
    host: Annotated[Optional[str], typer.Option("--host", help="Interface for --http (default mcp.host, "
                                                               "127.0.0.1).")] = None,
    port: Annotated[Optional[int], typer.Option("--port", help="Port for --http (default mcp.port, 8765).")] = None,
    insecure: Annotated[bool, typer.Option("--insecure", help="Allow --http beyond loopback without a bearer "
                                                              "token (a trusted network only).")] = False,
) -> None:
    """Serve revops to MCP clients: stdio by default (what desktop clients launch), or --http.

    Tools: ask, deal_assessment, lead_assessment, company_research, list_patterns, run_pattern, query_sql,
    propose_action, confirm_action. Resources: revops://schema, revops://patterns,
    revops://conversations/recent. See docs/mcp.md for the Claude Desktop and Cursor configuration.
    """
    from revops_cli.errors import MissingExtraError

    try:
        import mcp  # noqa: F401
    except ImportError:
        raise MissingExtraError("mcp", "mcp") from None
    from revops_cli.channels.mcp_server.calls import McpCalls
    from revops_cli.channels.mcp_server.server import build_server

    cli = context.get(ctx)
    settings = cli.settings
    server = build_server(settings, calls=McpCalls(settings, mode=cli.mode()))
    if not http:
        server.run("stdio")
        return
    from revops_cli.channels.mcp_server.http import serve_http

    serve_http(server, host=host or str(settings.get("mcp.host", "127.0.0.1")),
               port=int(port or settings.get("mcp.port", 8765)), path=str(settings.get("mcp.path", "/mcp")),
               token=settings.get("mcp.token"), insecure=insecure, log_level="info" if cli.verbose else "warning")
