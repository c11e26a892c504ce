"""The official `openai` SDK in front of any OpenAI-compatible Chat Completions server, and one-line errors.

    OpenAISettings.from_settings(settings)            openai.* checked (model set, base_url an http(s) URL)
    make_client(cfg) -> openai.OpenAI                 the SDK client: base_url, api key, timeout, retries
    chat(client, cfg, messages, tools, on_text) -> ChatReply    one completion, streamed or not, read into
                                                      content, tool calls, finish_reason and usage

The SDK is imported only here, inside the functions (`revops --help` and the other backends never import
it); without it the backend stops with exit 3 and the pip command. The SDK retries 408/409/429/5xx,
connection errors and timeouts itself (`openai.max_attempts` calls in all, honouring Retry-After); what
still fails becomes a RevopsError with one line and a hint (`map_error`): 401 -> "check openai.api_key"
(exit 3), 404 -> the model or the URL (exit 3), 400/422 -> the request (exit 3), 429 / 5xx / unreachable /
timed out -> exit 8, marked retryable as the Bedrock ones are. The API key is never logged: it is sent in
the Authorization header only, and cut out of any error text a server echoes it in.

Servers that need no key (Ollama, vLLM, llama.cpp's server, LM Studio) get the placeholder `no-key`: the SDK
refuses to start without one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

from revops_cli.errors import ConfigError, ModelBackendError, RevopsError, install_hint, missing_extra

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_TIMEOUT = 180.0          # a local model on a CPU can take minutes for a long prompt
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_MAX_TOKENS = 2048
NO_KEY = "no-key"
INSTALL_HINT = install_hint("llm")


# ---------------------------------------------------------------------------------------------- errors

class OpenAIBackendError(ModelBackendError):
    """The OpenAI-compatible server failed, or gave no usable answer."""


class OpenAIThrottledError(OpenAIBackendError):
    """429: the server is rate-limiting us (after the SDK's retries)."""

    http_status = 503
    retryable = True


class OpenAIUnreachableError(OpenAIBackendError):
    """The server could not be reached, or did not answer within openai.timeout_seconds."""

    http_status = 504
    retryable = True


# ---------------------------------------------------------------------------------------------- settings

@dataclass
class OpenAISettings:
    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    max_tokens: int = DEFAULT_MAX_TOKENS      # 0: not sent (the server's default; OpenAI's reasoning models)
    temperature: float = 0.0
    stream: bool = False

    @classmethod
    def from_settings(cls, settings: Any) -> "OpenAISettings":
        model = str(settings.get("openai.model") or "").strip()
        if not model:
            raise ConfigError("openai.model not set for the openai backend",
                              "set REVOPS_OPENAI_MODEL or openai.model in revops.yaml (e.g. gpt-4.1-mini, or "
                              "qwen2.5:7b for Ollama)")
        base_url = str(settings.get("openai.base_url") or DEFAULT_BASE_URL).strip().rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"openai.base_url {base_url!r} is not an http(s) URL",
                              "e.g. http://localhost:11434/v1 for Ollama")
        key = settings.get("openai.api_key")
        return cls(base_url=base_url, model=model, api_key=str(key).strip() if key else None,
                   timeout=_number(settings, "openai.timeout_seconds", DEFAULT_TIMEOUT, float, 0.001),
                   max_attempts=_number(settings, "openai.max_attempts", DEFAULT_MAX_ATTEMPTS, int, 1),
                   max_tokens=_number(settings, "openai.max_tokens", DEFAULT_MAX_TOKENS, int, 0),
                   temperature=_number(settings, "openai.temperature", 0.0, float, 0.0),
                   stream=_flag(settings.get("openai.stream")))

    def redact(self, text: str) -> str:
        """The text with the API key cut out (servers echo a rejected key in their error message)."""
        return text.replace(self.api_key, "****") if self.api_key and len(self.api_key) >= 4 else text


def _number(settings: Any, key: str, default: Any, cast: Callable[[Any], Any], minimum: Any) -> Any:
    v = settings.get(key)
    if v in (None, ""):
        return default
    try:
        return max(minimum, cast(v))
    except (TypeError, ValueError):
        raise ConfigError(f"{key} should be a number, got {v!r}", "fix it in revops.yaml or the environment") from None


def _flag(v: Any) -> bool:
    return v if isinstance(v, bool) else str(v).strip().lower() in ("1", "true", "yes", "on")


# ---------------------------------------------------------------------------------------------- client

def import_sdk():
    try:
        import openai
    except ImportError as exc:
        raise missing_extra(exc) or ConfigError("the openai backend needs the openai package", INSTALL_HINT) from None
    return openai


def make_client(cfg: OpenAISettings) -> Any:
    from revops_cli.connectors.addresses import check_outbound_url

    if cfg.base_url.rstrip("/") != DEFAULT_BASE_URL.rstrip("/"):
        check_outbound_url(cfg.base_url, "openai.base_url")  # never a metadata or link-local address
    openai = import_sdk()
    try:
        return openai.OpenAI(api_key=cfg.api_key or NO_KEY, base_url=cfg.base_url, timeout=cfg.timeout,
                             max_retries=cfg.max_attempts - 1)
    except Exception as exc:            # the SDK validates its options
        raise OpenAIBackendError(f"cannot set up the OpenAI client: {cfg.redact(str(exc))}",
                                 "check openai.base_url and openai.api_key") from None


@dataclass
class WireToolCall:
    """A tool call as the server sent it: arguments are JSON text (not parsed yet)."""

    id: str = ""
    name: str = ""
    arguments: str = ""


@dataclass
class ChatReply:
    """One completion, whether it came as one JSON body or as server-sent chunks."""

    content: str
    tool_calls: list[WireToolCall]
    finish_reason: str | None
    usage: dict[str, int]


def chat(client: Any, cfg: OpenAISettings, messages: list[dict[str, Any]], tools: list[dict[str, Any]],
         on_text: Callable[[str | None], None] | None = None) -> ChatReply:
    kwargs: dict[str, Any] = {"model": cfg.model, "messages": messages, "temperature": cfg.temperature}
    if tools:
        kwargs.update(tools=tools, tool_choice="auto")
    if cfg.max_tokens:
        kwargs["max_tokens"] = cfg.max_tokens
    try:
        if cfg.stream:
            return _read_stream(client.chat.completions.create(stream=True, stream_options={"include_usage": True},
                                                               **kwargs), on_text)
        return _read_completion(client.chat.completions.create(**kwargs))
    except Exception as exc:
        if not is_sdk_error(exc):
            raise
        raise map_error(exc, cfg) from None


def _usage(usage: Any) -> dict[str, int]:
    if usage is None:
        return {}
    raw = usage.model_dump() if hasattr(usage, "model_dump") else dict(usage)
    return {k: v for k, v in raw.items() if isinstance(v, int) and not isinstance(v, bool)}


def _arguments(value: Any) -> str:
    """A tool call's arguments as JSON text; some local servers send an object where the API has a string."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def _read_completion(response: Any) -> ChatReply:
    choices = getattr(response, "choices", None) or []
    if not choices:
        raise OpenAIBackendError("the server sent a completion with no choices", "check openai.base_url and the model")
    choice = choices[0]
    message = choice.message
    calls = [WireToolCall(tc.id or "", tc.function.name or "", _arguments(tc.function.arguments))
             for tc in (message.tool_calls or []) if getattr(tc, "function", None) is not None]
    return ChatReply(content=message.content or "", tool_calls=calls, finish_reason=choice.finish_reason,
                     usage=_usage(response.usage))


def _read_stream(stream: Any, on_text: Callable[[str | None], None] | None) -> ChatReply:
    parts: list[str] = []
    calls: dict[int, WireToolCall] = {}
    finish: str | None = None
    usage: dict[str, int] = {}
    try:
        for chunk in stream:
            if getattr(chunk, "usage", None) is not None:
                usage = _usage(chunk.usage)
            for choice in chunk.choices or []:
                delta = choice.delta
                if delta is not None and delta.content:
                    parts.append(delta.content)
                    if on_text is not None:
                        on_text(delta.content)
                for tc in (getattr(delta, "tool_calls", None) or []):
                    entry = calls.setdefault(tc.index if tc.index is not None else len(calls), WireToolCall())
                    if tc.id:
                        entry.id = tc.id
                    if tc.function is not None:
                        if tc.function.name:
                            entry.name = tc.function.name
                        entry.arguments += _arguments(tc.function.arguments)
                finish = choice.finish_reason or finish
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            try:
                close()
            except Exception:
                pass
    return ChatReply(content="".join(parts), tool_calls=[calls[i] for i in sorted(calls)], finish_reason=finish,
                     usage=usage)


# ---------------------------------------------------------------------------------------------- errors

def is_sdk_error(exc: BaseException) -> bool:
    """An exception of the SDK or of the HTTP stack under it (a stream cut in the middle)."""
    if isinstance(exc, (TimeoutError, ConnectionError)):
        return True
    return any(c.__module__.split(".")[0] in ("openai", "httpx", "httpx2", "httpcore", "h11")
               for c in type(exc).__mro__)


def _server_message(exc: Any, cfg: OpenAISettings) -> str:
    body = getattr(exc, "body", None)
    msg = body.get("message") if isinstance(body, dict) else None
    if not msg and isinstance(body, dict) and isinstance(body.get("error"), dict):
        msg = body["error"].get("message")
    if not msg:
        msg = getattr(exc, "message", None) or str(exc)
    return cfg.redact(" ".join(str(msg).split()))[:240]


def map_error(exc: BaseException, cfg: OpenAISettings) -> RevopsError:
    """One RevopsError, with a hint, for any failure of a Chat Completions call."""
    if isinstance(exc, RevopsError):
        return exc
    where = cfg.base_url
    status = getattr(exc, "status_code", None)
    openai = import_sdk()
    if isinstance(exc, openai.APITimeoutError) or (status is None and isinstance(exc, TimeoutError)):
        return OpenAIUnreachableError(f"{where} did not answer within {cfg.timeout:g} s (openai.timeout_seconds)",
                                      "retry; a local model on a CPU can be slow: raise openai.timeout_seconds")
    if isinstance(exc, openai.APIConnectionError) or (status is None and isinstance(exc, ConnectionError)):
        return OpenAIUnreachableError(f"cannot reach the OpenAI-compatible server at {where}",
                                      "start it (e.g. `ollama serve`) or fix openai.base_url")
    if status is None and not isinstance(exc, openai.OpenAIError):      # the HTTP stack, mid-stream
        if "timeout" in type(exc).__name__.lower():
            return OpenAIUnreachableError(f"{where} stopped sending within {cfg.timeout:g} s (openai.timeout_seconds)",
                                          "retry, or raise openai.timeout_seconds")
        return OpenAIUnreachableError(f"the connection to {where} broke: {type(exc).__name__}",
                                      "retry; check the server's log")
    if status is None and isinstance(exc, openai.APIError):         # an error event in the middle of a stream
        return OpenAIBackendError(f"{where} broke off its reply ({_server_message(exc, cfg)})",
                                  "retry in a moment; the server's log has the cause", retryable=True)
    if status is None:
        return OpenAIBackendError(f"the call to {where} failed: {type(exc).__name__}: {cfg.redact(str(exc))[:200]}",
                                  "re-run with --verbose for details")
    msg, code = _server_message(exc, cfg), getattr(exc, "code", None)
    if status == 401:
        return ConfigError(f"{where} rejected the API key (401: {msg})",
                           "check openai.api_key (REVOPS_OPENAI_API_KEY)")
    if status == 403:
        e = ConfigError(f"{where} refused access to model {cfg.model} (403: {msg})",
                        "check that openai.api_key may use openai.model")
        e.http_status = 403
        return e
    if status == 404:
        e = ConfigError(f"model {cfg.model} or the chat completions endpoint not found at {where} (404: {msg})",
                        "check openai.model (for Ollama: `ollama pull <model>`) and that openai.base_url ends in /v1")
        e.http_status = 404
        return e
    if status in (400, 422):
        return ConfigError(f"{where} refused the request (400: {msg})" if status == 400 else
                           f"{where} refused the request ({status}: {msg})",
                           "check that openai.model supports tool calling; reasoning models need "
                           "openai.max_tokens: 0 and openai.temperature: 1")
    if status == 429 and code == "insufficient_quota":
        return OpenAIBackendError(f"{where} says the account's quota is used up (429: {msg})",
                                  "check the plan and billing of the account behind openai.api_key")
    if status == 429:
        return OpenAIThrottledError(f"{where} is rate-limiting requests (429: {msg})",
                                    "wait a minute and retry, or raise the account's rate limit")
    if status >= 500 or status in (408, 409):
        return OpenAIBackendError(f"{where} failed ({status}: {msg})", "retry in a moment; the server's log has the cause",
                                  retryable=True)
    return OpenAIBackendError(f"{where} answered {status} ({msg})", "re-run with --verbose for details")
