"""uvicorn for the webhook API, with its own errors in the API's JSON shape.

uvicorn answers a request its HTTP parser rejects (a malformed or duplicated Content-Length, a bad request
line or header) itself, in plain text, before the app sees it. `json_error_protocol()` is uvicorn's HTTP
protocol (httptools when installed, else h11) whose 400 is `{"error": {"code": "bad_request", ...}}`
instead. WebSockets are off (the API has none): an Upgrade request is an ordinary request to the app.
"""

from __future__ import annotations

from typing import Any

from revops_cli.channels.webhook_server.http_errors import error_body

BAD_REQUEST_MESSAGE = "the HTTP request is malformed (request line, a header, or Content-Length)"


def json_400(default_headers: list[tuple[bytes, bytes]] | None = None) -> bytes:
    body = error_body("bad_request", BAD_REQUEST_MESSAGE)
    lines = [b"HTTP/1.1 400 Bad Request\r\n"]
    for name, value in default_headers or []:
        lines += [name, b": ", value, b"\r\n"]
    lines += [b"content-type: application/json\r\n", b"content-length: " + str(len(body)).encode() + b"\r\n",
              b"connection: close\r\n", b"\r\n", body]
    return b"".join(lines)


def json_error_protocol() -> type:
    """uvicorn's HTTP protocol class, its 400 answered as JSON."""
    try:
        import httptools  # noqa: F401
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as Base
    except ImportError:
        from uvicorn.protocols.http.h11_impl import H11Protocol as Base

    class JsonErrorProtocol(Base):  # type: ignore[misc, valid-type]
        def send_400_response(self, msg: str) -> None:
            self.transport.write(json_400(list(self.server_state.default_headers)))
            self.transport.close()

    return JsonErrorProtocol


def uvicorn_config(app: Any, *, host: str = "127.0.0.1", port: int = 8080, access_log: bool = False,
                   log_level: str = "info", graceful_s: int = 30) -> Any:
    import uvicorn

    return uvicorn.Config(app, host=host, port=port, access_log=access_log, log_level=log_level, lifespan="on",
                          http=json_error_protocol(), ws="none", timeout_graceful_shutdown=graceful_s)
