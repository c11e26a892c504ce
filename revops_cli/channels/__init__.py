"""The servers that receive requests: each builds a `Request` and calls `service.ask`.

- `webhook_server/`  `revops serve-webhook` and `revops worker`: intake API, durable queue, workers,
                     deliveries (see its package docstring for the flow of a request).
- `slack/`           @RevBot, `revops serve-slack`: the Bolt app, acks, threaded answers, confirmations.
- `mcp_server/`      `revops serve-mcp`: the official MCP SDK over stdio or streamable HTTP.

Channels sit on top: they import the service and `connectors/`, and nothing below imports them.
"""
