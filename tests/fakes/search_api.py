"""A local Tavily-style search API: `POST /search` with `{"query", "max_results", "search_depth"}` and
`Authorization: Bearer <key>`; answers `{"query", "answer", "results": [{"title", "url", "content", "score"}]}`.

Usage:
    with SearchAPIFake(api_key="tvly-test") as api:
        HttpSearchProvider(api.url, "tvly-test", cache)
        api.requests          # every request (SearchRequest: path, headers, json), thread-safe copy
        api.fail_next(500)    # the next request gets that status
A wrong or missing key gets 401 `{"detail": {"error": "Unauthorized: missing or invalid API key."}}`.
A query that names none of the canned companies gets `{"results": []}`. `companies=` replaces the canned set:
{lower-case name: {"answer": str | None, "results": [...]}}.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

try:
    from fakes.loopback import LoopbackServer
except ImportError:       # imported as tests.fakes.*
    from tests.fakes.loopback import LoopbackServer

CANNED: dict[str, dict[str, Any]] = {
    "northwind analytics": {
        "answer": None,
        "results": [
            {"title": "Northwind Analytics - About us", "url": "https://www.northwind-analytics.com/about",
             "content": "Northwind Analytics is a SaaS analytics platform for retailers, headquartered in Austin, Texas. "
                        "The company has 200-500 employees and runs its data platform on Snowflake, dbt and Looker."},
            {"title": "Northwind Analytics raises $40M Series B to expand in Europe",
             "url": "https://techcrunch.example/2026/10/northwind-series-b",
             "content": "Northwind Analytics announced a $40M Series B led by Example Ventures, after a Series A in 2024. "
                        "Founded in 2019, the company will hire engineers with Kafka and Databricks experience."},
            {"title": "Northwind Analytics partners with Acme Cloud", "url": "https://news.example/northwind-acme",
             "content": "The partnership brings Northwind's retail software to AWS Marketplace."},
        ],
    },
    "globex": {
        "answer": "Globex Corporation is a publicly traded logistics company based in Springfield with about "
                  "12,000 employees.",
        "results": [
            {"title": "Globex Corporation", "url": "https://globex.example.com/",
             "content": "Globex Corporation (NYSE: GLX) builds supply chain and freight software on Oracle and SAP."},
        ],
    },
}


@dataclass
class SearchRequest:
    method: str
    path: str
    headers: dict[str, str]
    json: Any


class SearchAPIFake(LoopbackServer):
    def __init__(self, api_key: str = "tvly-test-key", companies: dict[str, dict[str, Any]] | None = None,
                 path: str = "/search"):
        self.api_key = api_key
        self.companies = {k.lower(): v for k, v in (companies if companies is not None else CANNED).items()}
        self.path = path
        self._lock = threading.Lock()
        self._requests: list[SearchRequest] = []
        self._failures: list[int] = []

    @property
    def requests(self) -> list[SearchRequest]:
        with self._lock:
            return list(self._requests)

    def fail_next(self, status: int, times: int = 1) -> None:
        with self._lock:
            self._failures.extend([status] * times)

    @property
    def port(self) -> int:
        assert self._server is not None, "fake not started"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def answer(self, query: str) -> dict[str, Any]:
        q = query.lower()
        for name, canned in self.companies.items():
            if name in q or name.split()[0] in q.split():
                return {"query": query, "answer": canned.get("answer"), "response_time": 0.01,
                        "results": [dict(r, score=round(0.9 - i * 0.1, 2)) for i, r in enumerate(canned["results"])]}
        return {"query": query, "answer": None, "results": [], "response_time": 0.01}

    def start(self) -> "SearchAPIFake":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, payload: Any) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    body = None
                headers = {k.lower(): v for k, v in self.headers.items()}
                with fake._lock:
                    fake._requests.append(SearchRequest("POST", self.path, headers, body))
                    failure = fake._failures.pop(0) if fake._failures else None
                if failure:
                    self._reply(failure, {"detail": {"error": "failure injected by the test"}})
                    return
                if headers.get("authorization") != f"Bearer {fake.api_key}":
                    self._reply(401, {"detail": {"error": "Unauthorized: missing or invalid API key."}})
                    return
                if self.path != fake.path:
                    self._reply(404, {"detail": {"error": "Not Found"}})
                    return
                if not isinstance(body, dict) or not isinstance(body.get("query"), str):
                    self._reply(400, {"detail": {"error": "query is required"}})
                    return
                self._reply(200, fake.answer(body["query"]))

        self.serve(Handler, "search-api-fake")
        return self

