"""The server under every HTTP fake: a ThreadingHTTPServer on 127.0.0.1, a free port, a daemon thread."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from typing import Any


class QuietHTTPServer(ThreadingHTTPServer):
    """A client hanging up (a reset or a broken pipe, e.g. after an error status) is normal for a fake: no
    traceback on stderr, where a test may be reading the CLI's one-line error."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
            return
        super().handle_error(request, client_address)


class LoopbackServer:
    """Base for fakes: `serve(Handler, name)` in `start()`; `stop()` and `with fake:` come for free."""

    _server: ThreadingHTTPServer | None = None

    def serve(self, handler: type, name: str) -> None:
        self._server = QuietHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=name,
                         daemon=True).start()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the fake first"
        return self._server.server_address[1]

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def start(self) -> Any:          # each fake builds its Handler and calls serve()
        raise NotImplementedError

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
