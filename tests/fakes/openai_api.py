"""A local OpenAI-compatible server: `POST /v1/chat/completions` in the real wire format, scripted per test.

Usage:
    with ChatCompletionsFake([reply(tool_calls=[tool_call("c1", "deal_analysis", {"name": "IXIS"})]),
                              reply("**IXIS** is at risk.")]) as api:
        settings: openai.base_url = api.base_url        # http://127.0.0.1:<port>/v1
        api.requests        # every request (ChatRequest: path, headers, json), thread-safe copy
        api.tool_messages(n)   # the `role: tool` messages of request n, content parsed as JSON when it is

Script items, one per request, in order:
- `reply(content, tool_calls=[...], finish_reason=None, prompt_tokens, completion_tokens)`: a completion.
  JSON (`chat.completion`: choices[].message with content / tool_calls, finish_reason, usage), or with
  `"stream": true` server-sent events: `chat.completion.chunk`s (role, content in pieces, each tool call's
  id and name, then its arguments in pieces, the finish_reason), a usage chunk with empty `choices` when
  `stream_options.include_usage` is set, and `data: [DONE]`.
- `error(status, message, type, code)`: that status with OpenAI's body `{"error": {message, type, param, code}}`.
- `Stall(seconds)`: answer nothing for that long (client timeouts).
- `reply(content, break_with="...")`, streamed: the content's chunks, then `data: {"error": {...}}` and the
  connection closes, as a server that fails in the middle of a reply does.
- a callable `f(request_json) -> item`.
When the script runs out, `repeat_last=True` repeats the last item; otherwise the fake answers 500.
`api_key=`: a request without `Authorization: Bearer <that key>` gets 401 invalid_api_key, as OpenAI's does.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable

try:
    from fakes.loopback import LoopbackServer
except ImportError:       # imported as tests.fakes.*
    from tests.fakes.loopback import LoopbackServer


@dataclass
class Reply:
    content: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str | None = None           # default: tool_calls when there are some, else stop
    prompt_tokens: int = 100
    completion_tokens: int = 20
    break_with: str | None = None              # streamed: after the content, an error event instead of the end


@dataclass
class Error:
    status: int
    message: str
    type: str = "invalid_request_error"
    code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Stall:
    seconds: float


@dataclass
class ChatRequest:
    method: str
    path: str
    headers: dict[str, str]
    json: Any


def reply(content: str | None = None, *, tool_calls: list[dict[str, Any]] | None = None,
          finish_reason: str | None = None, prompt_tokens: int = 100, completion_tokens: int = 20,
          break_with: str | None = None) -> Reply:
    return Reply(content, list(tool_calls or []), finish_reason, prompt_tokens, completion_tokens, break_with)


def tool_call(call_id: str, name: str, args: dict[str, Any] | str) -> dict[str, Any]:
    """One tool call as the API sends it: arguments are a JSON string (a str is sent as is, valid or not)."""
    arguments = args if isinstance(args, str) else json.dumps(args)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def error(status: int, message: str, type: str = "invalid_request_error", code: str | None = None,
          headers: dict[str, str] | None = None) -> Error:
    return Error(status, message, type, code, dict(headers or {}))


def _pieces(s: str, n: int = 3) -> list[str]:
    """A string in n pieces (streamed the way servers split tokens)."""
    step = max(1, -(-len(s) // n))
    return [s[i:i + step] for i in range(0, len(s), step)] or [""]


class ChatCompletionsFake(LoopbackServer):
    def __init__(self, script: list[Any] | None = None, *, repeat_last: bool = False, api_key: str | None = None,
                 model: str | None = None):
        self.script = list(script or [])
        self.repeat_last = repeat_last
        self.api_key = api_key
        self.model = model
        self._lock = threading.Lock()
        self._requests: list[ChatRequest] = []
        self._served = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def requests(self) -> list[ChatRequest]:
        with self._lock:
            return list(self._requests)

    def tool_messages(self, n: int) -> list[dict[str, Any]]:
        """The tool results the client sent in request n, contents parsed as JSON where they are JSON."""
        out = []
        for m in self.requests[n].json["messages"]:
            if m.get("role") == "tool":
                m = dict(m)
                try:
                    m["content"] = json.loads(m["content"])
                except (TypeError, ValueError):
                    pass
                out.append(m)
        return out

    def _next(self, body: Any) -> Any:
        with self._lock:
            i = self._served
            self._served += 1
            if i < len(self.script):
                item = self.script[i]
            elif self.repeat_last and self.script:
                item = self.script[-1]
            else:
                item = Error(500, f"the fake's script has no reply for request {i + 1}", "server_error")
        return item(body) if callable(item) else item

    def start(self) -> "ChatCompletionsFake":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

            def _error(self, e: Error) -> None:
                self._send(e.status, {"error": {"message": e.message, "type": e.type, "param": None, "code": e.code}},
                           e.headers)

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/v1/models"):
                    self._send(200, {"object": "list", "data": [{"id": fake.model or "fake-model", "object": "model",
                                                                 "created": 0, "owned_by": "fake"}]})
                    return
                self._error(Error(404, f"Invalid URL (GET {self.path})"))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    body = None
                with fake._lock:
                    fake._requests.append(ChatRequest("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._error(Error(404, f"Invalid URL (POST {self.path})"))
                    return
                if not isinstance(body, dict):
                    self._error(Error(400, "We could not parse the JSON body of your request."))
                    return
                if fake.api_key is not None and self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                    got = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                    self._error(Error(401, f"Incorrect API key provided: {got}. You can find your API key at "
                                           "your provider's dashboard.", "invalid_request_error", "invalid_api_key"))
                    return
                item = fake._next(body)
                if isinstance(item, Stall):
                    time.sleep(item.seconds)
                    return
                if isinstance(item, Error):
                    self._error(item)
                    return
                if body.get("stream"):
                    self._stream(body, item)
                else:
                    self._send(200, self._completion(body, item))

            @staticmethod
            def _finish(item: Reply) -> str:
                return item.finish_reason or ("tool_calls" if item.tool_calls else "stop")

            @staticmethod
            def _usage(item: Reply) -> dict[str, int]:
                return {"prompt_tokens": item.prompt_tokens, "completion_tokens": item.completion_tokens,
                        "total_tokens": item.prompt_tokens + item.completion_tokens}

            def _completion(self, body: dict[str, Any], item: Reply) -> dict[str, Any]:
                message: dict[str, Any] = {"role": "assistant", "content": item.content}
                if item.tool_calls:
                    message["tool_calls"] = item.tool_calls
                return {"id": f"chatcmpl-{fake._served}", "object": "chat.completion", "created": int(time.time()),
                        "model": body.get("model"), "system_fingerprint": "fp_fake",
                        "choices": [{"index": 0, "message": message, "logprobs": None,
                                     "finish_reason": self._finish(item)}],
                        "usage": self._usage(item)}

            def _stream(self, body: dict[str, Any], item: Reply) -> None:
                base = {"id": f"chatcmpl-{fake._served}", "object": "chat.completion.chunk",
                        "created": int(time.time()), "model": body.get("model"), "system_fingerprint": "fp_fake"}
                include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

                def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
                    c = {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
                    if include_usage:
                        c["usage"] = None
                    return c

                chunks = [chunk({"role": "assistant", "content": ""})]
                if item.content:
                    chunks += [chunk({"content": piece}) for piece in _pieces(item.content)]
                for i, call in enumerate(item.tool_calls):
                    chunks.append(chunk({"tool_calls": [{"index": i, "id": call["id"], "type": "function",
                                                         "function": {"name": call["function"]["name"],
                                                                      "arguments": ""}}]}))
                    chunks += [chunk({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})
                               for piece in _pieces(call["function"]["arguments"])]
                if item.break_with is not None:
                    chunks.append({"error": {"message": item.break_with, "type": "server_error", "param": None,
                                             "code": None}})
                else:
                    chunks.append(chunk({}, self._finish(item)))
                if include_usage and item.break_with is None:
                    chunks.append({**base, "choices": [], "usage": self._usage(item)})
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream; charset=utf-8")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                for c in chunks:
                    self.wfile.write(f"data: {json.dumps(c)}\n\n".encode())
                    self.wfile.flush()
                if item.break_with is None:
                    self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

        self.serve(Handler, "openai-fake")
        return self
