"""The webhook API's one error shape, `{"error": {"code", "message", "details"?}}`.

Shared by the routes, the intake fast path (`api.FastIntake`), the authentication checks (auth.py) and
the uvicorn protocol that answers requests too malformed to reach the app (server.py), so every error a
client can see, from any layer we control, has the same shape.
"""

from __future__ import annotations

import json
from typing import Any

from revops_cli.formatting import json_default


class ApiError(Exception):
    """An error response: status, a stable `code`, a one-line message, optional details and headers."""

    def __init__(self, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details, self.headers = status, code, message, details, headers


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> bytes:
    err: dict[str, Any] = {"code": code, "message": message}
    if details:
        err["details"] = details
    return json.dumps({"error": err}, separators=(",", ":"), default=json_default).encode()
