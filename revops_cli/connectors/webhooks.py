"""Outbound webhooks: Standard Webhooks signatures, an SSRF guard, and delivery with retries.

A plain library (no agent or CLI imports), shared by the Execution agent and the webhook server's worker.

Signing (https://www.standardwebhooks.com/): every request carries
    webhook-id:        a message id, the same on every retry of one message (receivers dedupe on it)
    webhook-timestamp: unix seconds of this attempt
    webhook-signature: "v1,<base64 HMAC-SHA256(key, f'{id}.{timestamp}.{body}')>"
The key is the secret with its `whsec_` prefix stripped and base64-decoded, exactly what the reference
`standardwebhooks` libraries do. A secret that is not valid base64 (say `my-shared-secret`) is used as
its raw UTF-8 bytes instead, so hand-typed secrets still work; receivers must then do the same (ours,
`verify()`, does). `generate_secret()` makes a proper `whsec_…` secret.

The guard (`check_destination`): only http/https, no `user:pass@`, and the host is resolved once and
refused if any of its addresses is loopback, private, link-local, multicast, reserved, unspecified,
shared (CGNAT) or a cloud metadata address, unless the host name, the IP, or a CIDR containing it is in
`allow_hosts`. Metadata and link-local addresses (`connectors/addresses.py`: also inside IPv4-mapped,
6to4, Teredo and NAT64 IPv6 addresses, or written as decimal/octal/hex IPv4 numbers) are refused whatever
`allow_hosts` says, even `0.0.0.0/0`. `deliver()` then connects to the very address it checked (the URL is rewritten to the IP,
with the original Host header and TLS SNI), so a DNS answer that changes between check and connect
(DNS rebinding) cannot redirect the request. Redirects are never followed: a 3xx is a failure.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import json
import random
import secrets as _secrets
import socket
import time
import uuid
from dataclasses import asdict, dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Iterable, Mapping, Sequence
from urllib.parse import urlsplit, urlunsplit

from revops_cli.errors import ActionError, ConfigError, UsageError
from revops_cli.connectors.addresses import METADATA_IPS, embedded_ipv4, ip_literal, never_allowed
from revops_cli.redaction import url_location
from revops_cli.formatting import json_default

SIGNATURE_VERSION = "v1"
SECRET_PREFIX = "whsec_"
USER_AGENT = "revops-webhooks/1"
RETRY_STATUSES = frozenset({408, 425, 429}) | frozenset(range(500, 600))


class DestinationRefused(ActionError):
    """The SSRF guard refused a webhook destination."""


# -- signatures -----------------------------------------------------------------------------------------

def generate_secret() -> str:
    """A fresh Standard Webhooks secret: `whsec_` + base64 of 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(24)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a secret: `whsec_` stripped, base64-decoded; raw UTF-8 if it is not base64."""
    if not secret:
        raise ConfigError("the webhook signing secret is empty", "set REVOPS_WEBHOOK_SECRET or webhooks.secret")
    s = secret[len(SECRET_PREFIX):] if secret.startswith(SECRET_PREFIX) else secret
    try:
        key = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    return key or s.encode("utf-8")


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "{msg_id}.{timestamp}.{body}">`."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    mac = hmac.new(secret_key(secret), f"{msg_id}.{int(timestamp)}.".encode() + body, hashlib.sha256)
    return f"{SIGNATURE_VERSION},{base64.b64encode(mac.digest()).decode()}"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for k, v in headers.items():
        if k.lower() == name:
            return v
    return None


def verify(secret: str, headers: Mapping[str, str], body: bytes, tolerance_s: float = 300,
           now: float | None = None) -> bool:
    """True when one of the `v1,` signatures matches and the timestamp is within `tolerance_s` of now."""
    msg_id = _header(headers, "webhook-id")
    ts = _header(headers, "webhook-timestamp")
    sigs = _header(headers, "webhook-signature")
    if not (msg_id and ts and sigs):
        return False
    try:
        timestamp = int(ts)
    except ValueError:
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = sign(secret, msg_id, timestamp, body).encode()
    return any(hmac.compare_digest(expected, candidate.encode())
               for candidate in sigs.split() if candidate.startswith(SIGNATURE_VERSION + ","))


def signed_headers(secret: str | None, msg_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The headers of one attempt. Without a secret the request is sent unsigned (id and timestamp only)."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
               "content-type": "application/json", "user-agent": USER_AGENT}
    if secret:
        headers["webhook-signature"] = sign(secret, msg_id, timestamp, body)
    return headers


def new_msg_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


# -- the SSRF guard -------------------------------------------------------------------------------------

def _forbidden_reason(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address is refused unless `allow_hosts` lets it through (never_allowed() comes first)."""
    for candidate in (*embedded_ipv4(ip), ip):
        for attr, reason in (("is_unspecified", "unspecified"), ("is_loopback", "loopback"),
                             ("is_link_local", "link-local"), ("is_multicast", "multicast"),
                             ("is_private", "private"), ("is_reserved", "reserved")):
            if getattr(candidate, attr):
                return f"a {reason} address" + (f" ({candidate} inside {ip})" if candidate != ip else "")
    if not ip.is_global:
        return "a non-public address"
    return None


def _allowed(host: str, ip: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_hosts: Iterable[str]) -> bool:
    for entry in allow_hosts or ():
        entry = str(entry).strip().lower().rstrip(".")
        if not entry:
            continue
        if entry.startswith("[") and entry.endswith("]"):
            entry = entry[1:-1]
        if "/" in entry:
            try:
                if ip in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
            continue
        try:
            if ipaddress.ip_address(entry) == ip:
                return True
            continue
        except ValueError:
            pass
        if entry == host and ip not in METADATA_IPS:
            return True
    return False


@dataclass
class Destination:
    url: str                 # the URL as configured
    scheme: str
    host: str                # lower-case host name or IP literal
    port: int
    addresses: list[str]     # every resolved address, all checked

    def pinned_url(self) -> str:
        """The URL with its host replaced by the first checked address."""
        parts = urlsplit(self.url)
        ip = self.addresses[0]
        netloc = f"[{ip}]" if ":" in ip else ip
        if parts.port:
            netloc += f":{parts.port}"
        return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))

    def host_header(self) -> str:
        parts = urlsplit(self.url)
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{parts.port}" if parts.port else host


class ResolveError(ActionError):
    """The destination's host name did not resolve (retried like a connection error)."""


def resolve_destination(url: str, allow_hosts: Iterable[str] = (),
                        resolver: Callable[..., Any] = socket.getaddrinfo) -> Destination:
    """Check a destination and return its resolved, checked addresses. Raises DestinationRefused."""
    shown = url_location(url)
    try:
        parts = urlsplit(str(url).strip())
        port = parts.port
    except ValueError:
        raise DestinationRefused(f"webhook URL {shown} is not a valid URL", "fix webhooks.url") from None
    if parts.scheme not in ("http", "https"):
        raise DestinationRefused(f"webhook URL {shown} must be http or https", "fix the endpoint's url in revops.yaml")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise DestinationRefused(f"webhook URL {shown} carries credentials (user:pass@)",
                                 "put credentials in the signing secret, not the URL")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise DestinationRefused(f"webhook URL {shown} has no host", "fix the endpoint's url in revops.yaml")
    port = port or (443 if parts.scheme == "https" else 80)
    literal = ip_literal(host)          # also 2852039166, 0251.0376.0251.0376, 0xa9fea9fe
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = resolver(host, port, 0, socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError, OSError) as exc:
            raise ResolveError(f"cannot resolve webhook host {host}: {getattr(exc, 'strerror', None) or exc}",
                               "check the endpoint's url and DNS") from None
        addresses = []
        for info in infos:
            ip = ipaddress.ip_address(info[4][0].split("%")[0])
            if ip not in addresses:
                addresses.append(ip)
        if not addresses:
            raise ResolveError(f"cannot resolve webhook host {host}", "check the endpoint's url and DNS")
    for ip in addresses:
        never = never_allowed(ip)
        if never:
            raise DestinationRefused(f"webhook destination {shown} resolves to {ip}, {never}",
                                     "metadata and link-local addresses are refused whatever webhooks.allow_hosts says")
    for ip in addresses:
        reason = _forbidden_reason(ip)
        if reason and not _allowed(host, ip, allow_hosts):
            raise DestinationRefused(f"webhook destination {shown} resolves to {ip}, {reason}",
                                     "add the host to webhooks.allow_hosts if it really is yours")
    return Destination(url=str(url).strip(), scheme=parts.scheme, host=host, port=port,
                       addresses=[str(ip) for ip in addresses])


def check_destination(url: str, allow_hosts: Iterable[str] = ()) -> None:
    """Raise DestinationRefused (an ActionError) unless `url` is a safe webhook destination."""
    resolve_destination(url, allow_hosts)


# -- delivery -------------------------------------------------------------------------------------------

@dataclass
class DeliveryResult:
    ok: bool
    status: int | None = None          # last HTTP status, None if no response
    attempts: int = 0
    error: str | None = None           # one line, no secret, URL redacted
    disabled: bool = False             # the receiver answered 410 Gone: stop sending to it
    retryable: bool = False            # failed only after the retries: trying again later may succeed
    msg_id: str | None = None
    waits: list[float] = field(default_factory=list)   # the pauses taken between attempts, seconds

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _retry_after(value: str | None, cap: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return max(0.0, min(seconds, cap))


def encode_body(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=json_default).encode("utf-8")


def deliver(url: str, payload: Any, *, secret: str | None, allow_hosts: Iterable[str] = (), attempts: int = 3,
            backoff_s: Sequence[float] = (0.5, 2, 8), timeout_s: float = 5, sleep: Callable[[float], None] = time.sleep,
            msg_id: str | None = None, max_retry_after_s: float = 60, jitter: float = 0.2,
            client: Any = None, resolver: Callable[..., Any] = socket.getaddrinfo) -> DeliveryResult:
    """POST `payload` as signed JSON to `url`. Never raises for delivery failures: read the result.

    Retries (up to `attempts` in all) on connection errors, timeouts, 408/425/429 and 5xx, waiting
    `backoff_s[i]` plus up to `jitter`×that at random, or the receiver's `Retry-After` (seconds or an HTTP
    date, capped at `max_retry_after_s`). A 410 disables the endpoint; other 4xx and any 3xx fail at once.
    The guard runs before every attempt, and the request goes to the address it checked.
    """
    import httpx

    body = encode_body(payload)
    msg_id = msg_id or new_msg_id()
    shown = url_location(url)
    result = DeliveryResult(ok=False, msg_id=msg_id)
    own_client = client is None
    if own_client:
        client = httpx.Client(follow_redirects=False, timeout=timeout_s, trust_env=False)
    try:
        for attempt in range(1, max(1, attempts) + 1):
            result.attempts = attempt
            wait: float | None = None
            try:
                dest = resolve_destination(url, allow_hosts, resolver)
            except DestinationRefused as exc:
                result.error = exc.one_line()
                return result
            except ResolveError as exc:
                result.error = exc.message
            else:
                headers = signed_headers(secret, msg_id, body)
                headers["host"] = dest.host_header()
                extensions = {"sni_hostname": dest.host} if dest.scheme == "https" else {}
                try:
                    resp = client.post(dest.pinned_url(), content=body, headers=headers, extensions=extensions,
                                       timeout=timeout_s)
                except httpx.TimeoutException:
                    result.status, result.error = None, f"webhook {shown} timed out after {timeout_s:g} s"
                except httpx.HTTPError as exc:
                    kind = type(exc).__name__
                    result.status, result.error = None, f"webhook {shown} unreachable ({kind})"
                else:
                    result.status = resp.status_code
                    if 200 <= resp.status_code < 300:
                        result.ok, result.error = True, None
                        return result
                    if resp.status_code == 410:
                        result.disabled = True
                        result.error = f"webhook {shown} answered 410 Gone: endpoint disabled"
                        return result
                    if 300 <= resp.status_code < 400:
                        result.error = f"webhook {shown} answered a redirect ({resp.status_code}); redirects are not followed"
                        return result
                    result.error = f"webhook {shown} answered HTTP {resp.status_code}"
                    if resp.status_code not in RETRY_STATUSES:
                        return result
                    wait = _retry_after(resp.headers.get("retry-after"), max_retry_after_s)
            if attempt >= attempts:
                result.retryable = True      # unreachable, timed out or 408/425/429/5xx on every attempt
                break
            if wait is None:
                base = float(backoff_s[min(attempt - 1, len(backoff_s) - 1)]) if backoff_s else 0.0
                wait = base + random.uniform(0, base * jitter)
            result.waits.append(wait)
            sleep(wait)
        return result
    finally:
        if own_client:
            client.close()


# -- configured endpoints ------------------------------------------------------------------------------

def normalised_name(name: str) -> str:
    """An endpoint or callback name as compared: lower case, `-` and spaces as `_`, nothing else but [a-z0-9_]."""
    return "".join(ch for ch in str(name).lower().replace("-", "_").replace(" ", "_") if ch.isalnum() or ch == "_")


def endpoint_names(settings: Any) -> list[str]:
    names = sorted((settings.get("webhooks.endpoints") or {}).keys())
    if settings.get("webhooks.url"):
        names = ["default"] + [n for n in names if n != "default"]
    return names


def endpoint(settings: Any, name: str | None = None) -> tuple[str, str | None]:
    """(url, secret) of a configured endpoint: `webhooks.endpoints.<name>`, or `webhooks.url` by default.

    Destinations come only from settings; a name that is not configured is a UsageError listing those that are.
    An endpoint's own `secret` wins over `webhooks.secret`.
    """
    default_secret = settings.get("webhooks.secret")
    endpoints = settings.get("webhooks.endpoints") or {}
    if name is None or (normalised_name(name) == "default" and "default" not in endpoints):
        url = settings.get("webhooks.url")
        if not url:
            if name is None and len(endpoints) == 1:
                return endpoint(settings, next(iter(endpoints)))
            raise ConfigError("no webhook URL is configured",
                              "set REVOPS_WEBHOOK_URL or webhooks.url (or name an endpoint under webhooks.endpoints)")
        return str(url), default_secret
    wanted = normalised_name(name)
    for key, conf in endpoints.items():
        if normalised_name(key) == wanted:
            if isinstance(conf, str):
                return conf, default_secret
            if not isinstance(conf, dict) or not conf.get("url"):
                raise ConfigError(f"webhook endpoint {key!r} has no url", f"set webhooks.endpoints.{key}.url")
            return str(conf["url"]), conf.get("secret") or default_secret
    names = endpoint_names(settings)
    raise UsageError(f"unknown webhook endpoint {name!r}",
                     f"configured: {', '.join(names)}" if names else
                     "none is configured; add one under webhooks.endpoints in revops.yaml")
