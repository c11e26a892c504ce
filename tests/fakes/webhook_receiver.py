"""A local webhook receiver: records every request, verifies Standard Webhooks signatures, fails on demand.

Usage:
    with WebhookReceiver(secret="whsec_...") as rx:          # 127.0.0.1, a free port, a thread
        deliver(rx.url, {...}, secret=..., allow_hosts=["127.0.0.1"])
        rx.requests          # every request, in order (ReceivedWebhook: path, headers, body, json, verified, status)
        rx.delivered         # only the ones answered 2xx
        rx.fail_next(2, status=503, retry_after=3)   # the next 2 requests get 503 + Retry-After: 3
        rx.respond_with(410)                         # every request from now on gets 410
        rx.redirect_to("http://elsewhere/")          # every request gets 302 Location: ...
        rx.wait_for(1, timeout=5)                    # for tests of background workers
`reject_bad_signatures=True` answers 401 to an unsigned or badly signed request (it is still recorded).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from revops_cli.connectors.webhooks import verify

try:
    from fakes.loopback import LoopbackServer
except ImportError:       # imported as tests.fakes.*
    from tests.fakes.loopback import LoopbackServer


@dataclass
class ReceivedWebhook:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool | None         # None when the receiver has no secret
    status: int                   # what the receiver answered

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class WebhookReceiver(LoopbackServer):
    def __init__(self, secret: str | None = None, *, path: str = "/hook", reject_bad_signatures: bool = False):
        self.secret = secret
        self.path = path
        self.reject_bad_signatures = reject_bad_signatures
        self.requests: list[ReceivedWebhook] = []
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._failures: list[tuple[int, str | None]] = []
        self._status = 200
        self._location: tuple[int, str] | None = None

    # -- control ---------------------------------------------------------------------------------------
    def fail_next(self, n: int, status: int = 503, retry_after: float | str | None = None) -> None:
        with self._lock:
            self._failures.extend([(status, None if retry_after is None else str(retry_after))] * n)

    def respond_with(self, status: int) -> None:
        with self._lock:
            self._status = status

    def redirect_to(self, location: str, status: int = 302) -> None:
        with self._lock:
            self._location = (status, location)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._failures.clear()
            self._status, self._location = 200, None

    @property
    def delivered(self) -> list[ReceivedWebhook]:
        with self._lock:
            return [r for r in self.requests if 200 <= r.status < 300]

    def wait_for(self, n: int, timeout: float = 5.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self.requests) >= n, timeout)

    # -- server ----------------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._server is not None, "receiver not started"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return self.base_url + self.path

    def start(self) -> "WebhookReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                verified = verify(receiver.secret, headers, body) if receiver.secret else None
                extra: dict[str, str] = {}
                with receiver._lock:
                    if receiver._location:
                        status, location = receiver._location
                        extra["Location"] = location
                    elif receiver._failures:
                        status, retry_after = receiver._failures.pop(0)
                        if retry_after is not None:
                            extra["Retry-After"] = retry_after
                    elif receiver.reject_bad_signatures and not verified:
                        status = 401
                    else:
                        status = receiver._status
                    receiver.requests.append(ReceivedWebhook(self.command, self.path, headers, body, verified, status))
                    receiver._cond.notify_all()
                reply = json.dumps({"ok": 200 <= status < 300}).encode()
                self.send_response(status)
                for k, v in extra.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_POST = do_PUT = do_GET = _handle

        self.serve(Handler, "webhook-receiver")
        return self

