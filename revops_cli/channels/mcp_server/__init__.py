"""`revops serve-mcp`: revops as tools and resources for Claude Desktop, Cursor and any MCP client.

- `calls.py`   what each tool does, without the SDK: builds a `Request` (channel `mcp`) and calls
               `service.ask`, or runs a pattern / guarded SQL through the same query functions the agents
               use, inside `service.ask` so it is traced and logged like every other answer.
- `server.py`  the MCP server (the official `mcp` SDK's MCPServer): tool schemas and annotations,
               resources, the confirmation flow (elicitation, else the confirm_action tool).
- `http.py`    streamable HTTP: the bearer-token check in front of the SDK's app, and uvicorn.

See docs/mcp.md for the client configuration and the tools.
"""
