"""`revops serve-mcp --http`: the SDK's streamable HTTP app behind a bearer-token check, served by uvicorn.

Loopback by default. With a token (`mcp.token`, REVOPS_MCP_TOKEN) every request must carry
`Authorization: Bearer <token>`, or gets 401 with `WWW-Authenticate: Bearer`; beyond loopback a token is
required unless `--insecure` (a trusted network, or TLS and auth in a proxy in front).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import sys
from typing import Any

from revops_cli.errors import ConfigError

LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    h = host.strip().strip("[]").lower()
    if h in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, token: str | None, insecure: bool) -> None:
    """Beyond loopback, no token and no --insecure: a configuration error (exit 3)."""
    if not token and not insecure and not is_loopback(host):
        raise ConfigError(f"serving MCP on {host} needs a bearer token",
                          "set REVOPS_MCP_TOKEN (or mcp.token), or pass --insecure on a trusted network")


class BearerAuth:
    """ASGI middleware: every HTTP request needs `Authorization: Bearer <token>` (compared in constant time)."""

    def __init__(self, app: Any, token: str):
        self.app = app
        self.token = token.encode("utf-8")

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or self.authorized(scope):
            await self.app(scope, receive, send)
            return
        body = json.dumps({"error": "unauthorized",
                           "message": "a valid bearer token is required (Authorization: Bearer <token>)"}).encode()
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"www-authenticate", b'Bearer realm="revops"')]})
        await send({"type": "http.response.body", "body": body})

    def authorized(self, scope: dict) -> bool:
        for name, value in scope.get("headers") or []:
            if name.lower() == b"authorization":
                scheme, _, given = value.partition(b" ")
                return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self.token)
        return False


def http_app(server: Any, *, host: str, path: str, token: str | None) -> Any:
    """The SDK's streamable HTTP app at `path`, behind BearerAuth when there is a token."""
    app = server.streamable_http_app(streamable_http_path=path, host=host)
    return BearerAuth(app, token) if token else app


def serve_http(server: Any, *, host: str, port: int, path: str, token: str | None, insecure: bool,
               log_level: str = "warning") -> None:
    import uvicorn

    check_exposure(host, token, insecure)
    if not token and not is_loopback(host):
        print(f"revops: serving MCP on {host}:{port} WITHOUT a token (--insecure)", file=sys.stderr)
    print(f"revops: MCP over streamable HTTP at http://{host}:{port}{path}"
          + (" (bearer token required)" if token else ""), file=sys.stderr)
    uvicorn.run(http_app(server, host=host, path=path, token=token), host=host, port=port, log_level=log_level,
                access_log=False)
