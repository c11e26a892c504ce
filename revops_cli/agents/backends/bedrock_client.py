"""A small protocol in front of Amazon Bedrock, its boto3 implementations, and one-line errors.

The Bedrock backends talk to three clients, never to boto3 directly:

    BedrockAgentsClient.invoke_agent(...) -> iterator of events    (bedrock-agent-runtime InvokeAgent)
    ConverseClient.converse(...) -> dict                           (bedrock-runtime Converse)
    AgentCatalogClient.list_agents() / list_agent_aliases(id)      (bedrock-agent, for `revops agents list`)

The boto3 implementations (`Boto*`) import boto3 lazily, configure botocore retries (adaptive or
standard mode, `bedrock.max_attempts`) and timeouts (`bedrock.connect_timeout_seconds`,
`bedrock.read_timeout_seconds`), and turn every AWS failure into a `RevopsError` with one line and a hint:
missing credentials, access denied, unknown agent / alias / model, validation, throttling, timeouts,
unreachable endpoints. Throttling that botocore did not retry itself (an exception event in the middle of an
InvokeAgent stream, or a fake's) is retried here, with exponential backoff (`call_with_retries`).

Tests swap the clients through `set_client_factory(factory)`: `factory(kind, settings)` with kind
"agents" | "converse" | "catalog" returns an object with the protocol's methods (a fake, or a `Boto*`
wrapped around a botocore client that a test drives through Stubber or a before-send handler).
"""

from __future__ import annotations

import random
import re
import time
from typing import Any, Callable, Iterator, Protocol

from revops_cli.errors import ConfigError, ModelBackendError, RevopsError

DEFAULT_MAX_ATTEMPTS = 4
DEFAULT_RETRY_MODE = "adaptive"
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 300.0           # supervisor agents with several collaborators take minutes
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 20.0

KINDS = ("agents", "converse", "catalog")
SERVICES = {"agents": "bedrock-agent-runtime", "converse": "bedrock-runtime", "catalog": "bedrock-agent"}


# ---------------------------------------------------------------------------------------------- errors

class BedrockError(ModelBackendError):
    """Bedrock failed or could not be reached (throttled past the retries, timed out, unavailable)."""


class BedrockThrottledError(BedrockError):
    """Bedrock throttled the request. `sdk_retried`: botocore's retries already gave up on it."""

    http_status = 503
    retryable = True

    def __init__(self, message: str, hint: str | None = None, *, sdk_retried: bool = False):
        super().__init__(message, hint)
        self.sdk_retried = sdk_retried


class BedrockTimeoutError(BedrockError):
    """The call timed out, or the regional endpoint could not be reached."""

    http_status = 504
    retryable = True


class BedrockCredentialsError(ConfigError):
    """No AWS credentials, or credentials AWS does not recognise."""


class BedrockAccessDeniedError(ConfigError):
    """The credentials lack the IAM permission (or the model access) the call needs."""

    http_status = 403


class BedrockNotFoundError(ConfigError):
    """The configured agent, alias or model does not exist in this account and region."""

    http_status = 404


class BedrockValidationError(ConfigError):
    """Bedrock refused the request's shape (a malformed id, an unsupported model feature, ...)."""


# ---------------------------------------------------------------------------------------------- protocol

class BedrockAgentsClient(Protocol):
    def invoke_agent(self, *, agent_id: str, agent_alias_id: str, session_id: str, input_text: str,
                     enable_trace: bool = True, session_state: dict[str, Any] | None = None,
                     memory_id: str | None = None, stream_final_response: bool = False
                     ) -> Iterator[dict[str, Any]]:
        """The completion's events as boto3 parses them: {"chunk": {"bytes": b...}}, {"trace": {...}}, ...
        An empty `input_text` is not sent (a call that only returns results of a return of control)."""
        ...


class ConverseClient(Protocol):
    def converse(self, *, model_id: str, messages: list[dict[str, Any]], system: list[dict[str, Any]],
                 tool_config: dict[str, Any] | None = None,
                 inference_config: dict[str, Any] | None = None) -> dict[str, Any]:
        """The Converse response: output.message, stopReason, usage, metrics."""
        ...


class AgentCatalogClient(Protocol):
    def list_agents(self) -> list[dict[str, Any]]: ...

    def list_agent_aliases(self, agent_id: str) -> list[dict[str, Any]]: ...


ClientFactory = Callable[[str, Any], Any]
_client_factory: ClientFactory | None = None


def set_client_factory(factory: ClientFactory | None) -> ClientFactory | None:
    """Use `factory(kind, settings)` for every Bedrock client (tests); None restores boto3. Returns the old one."""
    global _client_factory
    previous, _client_factory = _client_factory, factory
    return previous


def get_client(kind: str, settings: Any) -> Any:
    if kind not in KINDS:
        raise ValueError(f"unknown Bedrock client kind {kind!r}")
    if _client_factory is not None:
        return _client_factory(kind, settings)
    raw = boto3_client(SERVICES[kind], settings)
    return {"agents": BotoAgentsClient, "converse": BotoConverseClient, "catalog": BotoAgentCatalogClient}[kind](raw)


def agents_client(settings: Any) -> BedrockAgentsClient:
    return get_client("agents", settings)


def converse_client(settings: Any) -> ConverseClient:
    return get_client("converse", settings)


def catalog_client(settings: Any) -> AgentCatalogClient:
    return get_client("catalog", settings)


# ---------------------------------------------------------------------------------------------- settings

def _num(settings: Any, key: str, default: float, cast: Callable[[Any], Any] = float) -> Any:
    value = settings.get(key) if settings is not None else None
    if value in (None, ""):
        return default
    try:
        return cast(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} should be a number, got {value!r}", "fix it in revops.yaml or the environment") from None


def region(settings: Any) -> str:
    return str((settings.get("bedrock.region") if settings is not None else None) or "us-east-1")


def max_attempts(settings: Any) -> int:
    return max(1, _num(settings, "bedrock.max_attempts", DEFAULT_MAX_ATTEMPTS, int))


def botocore_config(settings: Any):
    from botocore.config import Config

    mode = str((settings.get("bedrock.retry_mode") if settings is not None else None) or DEFAULT_RETRY_MODE)
    if mode not in ("adaptive", "standard", "legacy"):
        raise ConfigError(f"bedrock.retry_mode {mode!r} is not a botocore retry mode", "use adaptive or standard")
    return Config(
        region_name=region(settings),
        retries={"mode": mode, "total_max_attempts": max_attempts(settings)},
        connect_timeout=_num(settings, "bedrock.connect_timeout_seconds", DEFAULT_CONNECT_TIMEOUT),
        read_timeout=_num(settings, "bedrock.read_timeout_seconds", DEFAULT_READ_TIMEOUT),
        user_agent_extra="revops-cli",
    )


def boto3_client(service: str, settings: Any):
    """A boto3 client for one Bedrock service; credentials come from the usual AWS chain (env, profile, role)."""
    try:
        import boto3
    except ImportError:  # pragma: no cover - boto3 is a dependency
        raise ConfigError("the Bedrock backends need boto3", "pip install boto3") from None
    profile = settings.get("bedrock.aws_profile") if settings is not None else None
    try:
        session = boto3.session.Session(profile_name=profile) if profile else boto3.session.Session()
        return session.client(service, config=botocore_config(settings))
    except Exception as exc:
        raise map_error(exc, settings=settings, what=service) from None


# ---------------------------------------------------------------------------------------------- errors

_CODE = re.compile(r"[^a-z]")


def _code(exc: Any) -> str:
    """The AWS error code, normalised: 'ThrottlingException' and the stream's 'throttlingException' agree."""
    err = (getattr(exc, "response", None) or {}).get("Error") or {}
    return _CODE.sub("", str(err.get("Code") or "").lower())


def _message(exc: Any) -> str:
    err = (getattr(exc, "response", None) or {}).get("Error") or {}
    msg = str(err.get("Message") or exc).strip()
    return " ".join(msg.split())[:300]


def map_error(exc: BaseException, *, settings: Any = None, what: str = "Bedrock", target: str | None = None,
              sdk_retried: bool = True) -> RevopsError:
    """One RevopsError, with a hint, for any failure of a Bedrock call. Already-mapped errors pass through."""
    if isinstance(exc, RevopsError):
        return exc
    reg = region(settings)
    target = target or what
    name = type(exc).__name__
    try:
        from botocore import exceptions as bx
    except ImportError:  # pragma: no cover
        bx = None
    if bx is not None:
        if isinstance(exc, (bx.NoCredentialsError, bx.PartialCredentialsError)):
            return BedrockCredentialsError(
                "no AWS credentials found for Bedrock",
                "set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE (or bedrock.aws_profile), or run "
                "`aws sso login`; the local backend needs none (--backend local)")
        if isinstance(exc, bx.ProfileNotFound):
            return BedrockCredentialsError(f"AWS profile not found: {exc}", "check AWS_PROFILE / bedrock.aws_profile "
                                                                              "against ~/.aws/config")
        if isinstance(exc, (bx.ReadTimeoutError, bx.ConnectTimeoutError)):
            return BedrockTimeoutError(f"{what} timed out in {reg}",
                                       "retry; raise bedrock.read_timeout_seconds for long agent runs, or check "
                                       "the network")
        if isinstance(exc, bx.EndpointConnectionError):
            return BedrockTimeoutError(f"cannot reach {what} in region {reg}",
                                       "check bedrock.region (Bedrock is not in every region) and the network")
        if isinstance(exc, bx.NoRegionError):
            return ConfigError("no AWS region for Bedrock", "set bedrock.region in revops.yaml")
        if isinstance(exc, bx.ClientError):
            return _client_error(exc, reg, what, target, sdk_retried)
        if isinstance(exc, bx.BotoCoreError):
            return BedrockError(f"{what} failed: {exc}", "re-run with --verbose for details")
    if isinstance(exc, (TimeoutError, ConnectionError)):
        return BedrockTimeoutError(f"{what} timed out or dropped the connection in {reg}", "retry, or check the network")
    return BedrockError(f"{what} failed: {name}: {exc}", "re-run with --verbose for details")


def _client_error(exc: Any, reg: str, what: str, target: str, sdk_retried: bool) -> RevopsError:
    code, msg = _code(exc), _message(exc)
    if code in ("throttlingexception", "throttling", "toomanyrequestsexception", "servicequotaexceededexception",
                "requestlimitexceeded"):
        return BedrockThrottledError(f"Bedrock is throttling {what} ({msg})",
                                     "wait a minute and retry, or ask for a higher quota in Service Quotas",
                                     sdk_retried=sdk_retried)
    if code in ("unrecognizedclientexception", "invalidclienttokenid", "invalidsignatureexception",
                "expiredtokenexception", "expiredtoken", "signaturedoesnotmatch"):
        return BedrockCredentialsError(f"AWS rejected the credentials ({msg})",
                                       "refresh them (`aws sso login`, new keys) or check AWS_PROFILE")
    if code in ("accessdeniedexception", "accessdenied", "unauthorizedexception"):
        return BedrockAccessDeniedError(f"access denied calling {what} ({msg})",
                                        f"grant the IAM permission for {target} in {reg} (see docs/bedrock.md), "
                                        "and for models enable model access in the Bedrock console")
    if code in ("resourcenotfoundexception", "notfoundexception"):
        return BedrockNotFoundError(f"{target} not found in {reg} ({msg})",
                                    "check the id and region: `revops agents list` shows the agents and aliases; "
                                    "for models, bedrock.model_id")
    if code == "validationexception":
        return BedrockValidationError(f"Bedrock refused the request to {what} ({msg})",
                                      "check bedrock.agent_id / agent_alias_id / model_id and bedrock.region")
    if code in ("modelnotreadyexception", "modeltimeoutexception", "serviceunavailableexception",
                "internalserverexception", "badgatewayexception", "dependencyfailedexception",
                "modelerrorexception"):
        return BedrockError(f"{what} failed on the AWS side ({msg})", "retry in a moment", retryable=True)
    if code == "conflictexception":
        return BedrockError(f"{what} is busy with this session ({msg})", "retry, or start a new session", retryable=True)
    return BedrockError(f"{what} failed: {code or type(exc).__name__} ({msg})", "re-run with --verbose for details")


def is_aws_error(exc: BaseException) -> bool:
    """A RevopsError already, or an exception raised by botocore / the network layer under it."""
    if isinstance(exc, (RevopsError, TimeoutError, ConnectionError)):
        return True
    return any(c.__module__.split(".")[0] in ("botocore", "urllib3") for c in type(exc).__mro__)


# ---------------------------------------------------------------------------------------------- retries

_sleep: Callable[[float], None] = time.sleep       # tests replace it


def backoff_seconds(attempt: int) -> float:
    """Full-jitter exponential backoff: attempt 1 waits up to 0.5 s, 2 up to 1 s, ... capped."""
    return random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * (2 ** (attempt - 1))))


def call_with_retries(fn: Callable[[], Any], attempts: int, *, on_retry: Callable[[int, RevopsError], None] | None = None):
    """Run fn; retry throttling botocore has not already retried, with backoff, up to `attempts` calls."""
    attempt = 1
    while True:
        try:
            return fn()
        except BedrockThrottledError as exc:
            if exc.sdk_retried or attempt >= attempts:
                raise
            if on_retry is not None:
                on_retry(attempt, exc)
            _sleep(backoff_seconds(attempt))
            attempt += 1


# ---------------------------------------------------------------------------------------------- boto3

class BotoAgentsClient:
    """InvokeAgent over a botocore `bedrock-agent-runtime` client."""

    def __init__(self, client: Any):
        self.client = client

    def invoke_agent(self, *, agent_id: str, agent_alias_id: str, session_id: str, input_text: str,
                     enable_trace: bool = True, session_state: dict[str, Any] | None = None,
                     memory_id: str | None = None, stream_final_response: bool = False
                     ) -> Iterator[dict[str, Any]]:
        what = "bedrock-agent-runtime InvokeAgent"
        target = f"agent {agent_id} alias {agent_alias_id}"
        kwargs: dict[str, Any] = {"agentId": agent_id, "agentAliasId": agent_alias_id, "sessionId": session_id,
                                  "enableTrace": enable_trace}
        if input_text:
            kwargs["inputText"] = input_text
        if session_state:
            kwargs["sessionState"] = session_state
        if memory_id:
            kwargs["memoryId"] = memory_id
        if stream_final_response:
            kwargs["streamingConfigurations"] = {"streamFinalResponse": True}
        settings = _SettingsView(self.client)
        try:
            response = self.client.invoke_agent(**kwargs)
        except Exception as exc:
            if not is_aws_error(exc):
                raise
            raise map_error(exc, settings=settings, what=what, target=target) from None
        return self._events(response, settings, what, target)

    @staticmethod
    def _events(response: dict[str, Any], settings: Any, what: str, target: str) -> Iterator[dict[str, Any]]:
        stream = response.get("completion") or []
        try:
            for event in stream:
                yield event
        except Exception as exc:
            if not is_aws_error(exc):
                raise
            # an exception event mid-stream (EventStreamError) was not retried by botocore
            raise map_error(exc, settings=settings, what=what, target=target, sdk_retried=False) from None
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    pass


class BotoConverseClient:
    """Converse over a botocore `bedrock-runtime` client."""

    def __init__(self, client: Any):
        self.client = client

    def converse(self, *, model_id: str, messages: list[dict[str, Any]], system: list[dict[str, Any]],
                 tool_config: dict[str, Any] | None = None,
                 inference_config: dict[str, Any] | None = None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"modelId": model_id, "messages": messages, "system": system}
        if tool_config:
            kwargs["toolConfig"] = tool_config
        if inference_config:
            kwargs["inferenceConfig"] = inference_config
        try:
            return self.client.converse(**kwargs)
        except Exception as exc:
            if not is_aws_error(exc):
                raise
            raise map_error(exc, settings=_SettingsView(self.client), what="bedrock-runtime Converse",
                            target=f"model {model_id}") from None


class BotoAgentCatalogClient:
    """ListAgents / ListAgentAliases over a botocore `bedrock-agent` client."""

    def __init__(self, client: Any):
        self.client = client

    def _pages(self, op: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        try:
            for page in self.client.get_paginator(op).paginate(**kwargs):
                out += page.get(key) or []
        except Exception as exc:
            if not is_aws_error(exc):
                raise
            target = f"agent {kwargs['agentId']}" if "agentId" in kwargs else "the agents"
            raise map_error(exc, settings=_SettingsView(self.client), what=f"bedrock-agent {op}",
                            target=target) from None
        return out

    def list_agents(self) -> list[dict[str, Any]]:
        return self._pages("list_agents", "agentSummaries")

    def list_agent_aliases(self, agent_id: str) -> list[dict[str, Any]]:
        return self._pages("list_agent_aliases", "agentAliasSummaries", agentId=agent_id)


class _SettingsView:
    """Enough of Settings for error hints: the client's own region."""

    def __init__(self, client: Any):
        meta = getattr(client, "meta", None)
        self._region = getattr(meta, "region_name", None)

    def get(self, key: str, default: Any = None) -> Any:
        return self._region if key == "bedrock.region" and self._region else default


def safe_session_id(session_id: str | None, fallback: str) -> str:
    """A Bedrock session id (2-100 of [0-9a-zA-Z._:-]) for a CLI session, Slack thread or tracking id."""
    import hashlib

    raw = session_id or fallback
    s = re.sub(r"[^0-9A-Za-z._:-]", "-", raw).strip("-") or "revops"
    if len(s) > 100:
        s = s[:83] + "-" + hashlib.sha256(raw.encode()).hexdigest()[:16]
    return s if len(s) >= 2 else s + "-session"
