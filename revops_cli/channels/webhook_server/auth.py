"""Who may call the webhook API, and as whom: API keys, inbound signatures, replay protection, bind rule.

Callers. Every request is recorded with the caller that created it, and `GET /requests[/{id}]` shows a
caller only its own requests (another caller's id answers 404, exactly like an unknown one):
- `key:NAME`     an API key made with `revops webhook keys add NAME` (preferred);
- `config:HASH`  a key from `webhooks.api_keys` in settings (a list, or a comma-separated string), named by
                 the first 8 hex digits of its SHA-256 (`config:1a2b3c4d`);
- `signed`       a request carrying only a valid Standard Webhooks signature (`webhooks.inbound_secret`,
                 no API keys configured). Everyone who holds the secret is the same caller: they share
                 one scope;
- `anonymous`    no authentication configured at all, which the server allows only on loopback (or with
                 `--insecure`).
When API keys exist (CLI or settings), every call needs one; when an inbound secret is set, every call
needs a valid signature; with both, both (the caller is then the key).

Keys at rest. `<REVOPS_HOME>/webhook-api-keys.json` (0600) holds, per key, its name, the SHA-256 of the
key, its first 8 characters (to recognise it in `keys list`) and when it was made; never the key. A key
is `rvk_` + 43 characters of URL-safe base64 (256 random bits), so an unsalted SHA-256 is a sound hash
for it. A presented key is hashed and compared to every stored hash with `hmac.compare_digest`. The
server re-reads the file when it changes, so `keys add` and `keys revoke` apply to a running server.

Replays. A signed request's `webhook-id` is remembered (table `inbound_messages` in the queue's SQLite
file, so a restart does not forget it) until its timestamp leaves the tolerance window
(`webhooks.inbound_tolerance_s`, 300 s), after which the signature check refuses it anyway; expired ids
are pruned. A second request with a remembered id gets 409 `replayed` and creates no job.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping

from revops_cli.errors import ConfigError, NotFoundError, UsageError
from revops_cli.channels.webhook_server.http_errors import ApiError

log = logging.getLogger("revops.webhook_api")

KEYS_FILENAME = "webhook-api-keys.json"
KEY_PREFIX = "rvk_"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
ANONYMOUS = "anonymous"
SIGNED = "signed"
MAX_MSG_ID_CHARS = 256
PRUNE_EVERY_S = 60.0

REPLAY_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbound_messages (
    msg_id       TEXT PRIMARY KEY,
    caller       TEXT NOT NULL,
    tracking_id  TEXT,
    expires_at   REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS inbound_messages_expiry ON inbound_messages (expires_at);
"""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


# -- keys made with the CLI -----------------------------------------------------------------------------

@dataclass
class ApiKey:
    name: str
    sha256: str
    prefix: str
    created_at: str

    @property
    def caller(self) -> str:
        return f"key:{self.name}"


class KeyStore:
    """The API keys file: names and hashes, 0600; re-read when it changes on disk."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._stamp: tuple[int, int, int] | None = None
        self._keys: list[ApiKey] = []
        self._checked = False              # read once: from now on a damaged file keeps the last good keys
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Any) -> "KeyStore":
        return cls(Path(settings.home) / KEYS_FILENAME)

    def _read(self) -> list[ApiKey]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return [ApiKey(**{f: str(k[f]) for f in ("name", "sha256", "prefix", "created_at")})
                    for k in data.get("keys", [])]
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ConfigError(f"the API keys file {self.path} cannot be read ({type(exc).__name__})",
                              "fix it, or move it aside and add keys again with `revops webhook keys add NAME`") \
                from None

    def keys(self) -> list[ApiKey]:
        """The current keys; [] when there is no file. A file damaged while a server runs keeps the last
        good set (logged); at start it raises ConfigError."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            self._stamp, self._keys, self._checked = None, [], True
            return []
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    try:
                        self._keys = self._read()
                    except ConfigError:
                        if not self._checked:
                            raise
                        log.error("the API keys file %s is damaged; keeping the keys read before", self.path)
                    self._stamp = stamp
        self._checked = True
        return self._keys

    def match(self, presented: str) -> ApiKey | None:
        digest = hash_key(presented).encode()
        found = None
        for k in self.keys():                  # no early exit: the time does not depend on which key matched
            if hmac.compare_digest(digest, k.sha256.encode()):
                found = k
        return found

    def _write(self, keys: list[ApiKey]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"keys": [asdict(k) for k in keys]}, f, indent=1)
                f.write("\n")
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def _locked(self) -> Any:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = open(self.path.with_name(f".{self.path.name}.lock"), "a")
        os.chmod(lock.name, 0o600)
        fcntl.flock(lock, fcntl.LOCK_EX)
        return lock

    def add(self, name: str) -> str:
        """Make a key named `name`; returns the key itself (only its hash is kept)."""
        if not NAME_RE.match(name or ""):
            raise UsageError(f"invalid key name {name!r}",
                             "use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
        with self._locked():
            keys = self._read() if self.path.exists() else []
            if any(k.name == name for k in keys):
                raise UsageError(f"an API key named {name!r} already exists",
                                 f"choose another name, or `revops webhook keys revoke {name}` first")
            key = new_key()
            keys.append(ApiKey(name=name, sha256=hash_key(key), prefix=key[:len(KEY_PREFIX) + 4],
                               created_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
            self._write(keys)
        return key

    def revoke(self, name: str) -> None:
        with self._locked():
            keys = self._read() if self.path.exists() else []
            if not any(k.name == name for k in keys):
                raise NotFoundError(f"no API key named {name!r}", "`revops webhook keys list` shows them")
            self._write([k for k in keys if k.name != name])


def config_keys(settings: Any) -> dict[str, str]:
    """`webhooks.api_keys` (a list of keys, or a comma-separated string) as {caller: key}."""
    value = settings.get("webhooks.api_keys")
    if not value:
        return {}
    items = value.split(",") if isinstance(value, str) else [str(v) for v in value]
    return {f"config:{hash_key(k.strip())[:8]}": k.strip() for k in items if k.strip()}


# -- replay protection ----------------------------------------------------------------------------------

@dataclass
class SignedMessage:
    msg_id: str
    timestamp: int


class ReplayGuard:
    """Seen `webhook-id`s, kept in the queue's SQLite file until their timestamp leaves the window."""

    def __init__(self, store: Any, tolerance_s: float):
        self.store, self.tolerance_s = store, float(tolerance_s)
        self.store.conn.executescript(REPLAY_SCHEMA)
        self._pruned = 0.0

    def claim(self, msg: SignedMessage, caller: str, tracking_id: str | None = None) -> None:
        """Remember `msg`; ApiError 409 when it was seen before (and is still inside the window)."""
        now = time.time()
        conn = self.store.conn
        if now - self._pruned > PRUNE_EVERY_S:
            self._pruned = now
            conn.execute("DELETE FROM inbound_messages WHERE expires_at < ?", (now,))
        cur = conn.execute("INSERT OR IGNORE INTO inbound_messages (msg_id, caller, tracking_id, expires_at) "
                           "VALUES (?, ?, ?, ?)", (msg.msg_id, caller, tracking_id, msg.timestamp + self.tolerance_s))
        if cur.rowcount == 1:
            return
        row = conn.execute("SELECT caller, tracking_id FROM inbound_messages WHERE msg_id = ?",
                           (msg.msg_id,)).fetchone()
        details = None
        if row is not None and row["caller"] == caller and row["tracking_id"]:
            details = [{"loc": ["header", "webhook-id"], "msg": "already received", "type": "replayed",
                        "tracking_id": row["tracking_id"]}]
        raise ApiError(409, "replayed", "this webhook-id was already received; nothing new was queued "
                                        "(send a new message with a new webhook-id)", details)

    def release(self, msg: SignedMessage) -> None:
        """Forget `msg` (its request was not accepted after all, so the sender may retry it)."""
        try:
            self.store.conn.execute("DELETE FROM inbound_messages WHERE msg_id = ?", (msg.msg_id,))
        except sqlite3.Error:
            pass


# -- the checks of one request ----------------------------------------------------------------------------

def _header(headers: Mapping[str, str], name: str) -> str | None:
    v = headers.get(name)
    return v.strip() if isinstance(v, str) else None


UNAUTHORIZED_KEY = "a valid API key is required (Authorization: Bearer <key> or X-API-Key: <key>)"


class Authenticator:
    """The API's authentication. `allow_anonymous`: with nothing configured, let callers in as `anonymous`
    (serve-webhook sets it only for a loopback bind or --insecure)."""

    def __init__(self, settings: Any, store: Any, *, allow_anonymous: bool = True, keystore: KeyStore | None = None):
        self.keystore = keystore or KeyStore.from_settings(settings)
        self.config_keys = [(caller, hash_key(k).encode()) for caller, k in config_keys(settings).items()]
        self.inbound_secret = settings.get("webhooks.inbound_secret") or None
        self.tolerance_s = settings.webhooks.inbound_tolerance_s
        self.allow_anonymous = allow_anonymous
        self.replays = ReplayGuard(store, self.tolerance_s) if self.inbound_secret else None
        self.keystore.keys()                   # a damaged keys file stops the start (ConfigError), not a request

    def configured(self) -> bool:
        return bool(self.inbound_secret or self.config_keys or self.keystore.keys())

    def check_key(self, headers: Mapping[str, str]) -> str | None:
        """The caller named by the request's API key; None when no API key is configured. 401 otherwise."""
        stored = self.keystore.keys()
        if not stored and not self.config_keys:
            if not self.inbound_secret and not self.allow_anonymous:
                raise ApiError(401, "unauthorized", "this server accepts no unauthenticated calls and has no key; "
                                                    "add one with `revops webhook keys add NAME`",
                               headers={"WWW-Authenticate": "Bearer"})
            return None
        given = _header(headers, "x-api-key")
        if given is None:
            scheme, _, token = (headers.get("authorization") or "").partition(" ")
            given = token.strip() if scheme.lower() == "bearer" else None
        if given:
            key = self.keystore.match(given) if stored else None
            if key is not None:
                return key.caller
            digest = hash_key(given).encode()
            found = None
            for caller, h in self.config_keys:
                if hmac.compare_digest(digest, h):
                    found = caller
            if found:
                return found
        raise ApiError(401, "unauthorized", UNAUTHORIZED_KEY, headers={"WWW-Authenticate": "Bearer"})

    def check_signature(self, headers: Mapping[str, str], body: bytes) -> SignedMessage | None:
        """The verified message when an inbound secret is set (None otherwise); 401 when it does not verify."""
        if not self.inbound_secret:
            return None
        from revops_cli.connectors.webhooks import verify

        msg_id = _header(headers, "webhook-id") or ""
        if 0 < len(msg_id) <= MAX_MSG_ID_CHARS and verify(self.inbound_secret, headers, body,
                                                          tolerance_s=self.tolerance_s):
            return SignedMessage(msg_id, int(_header(headers, "webhook-timestamp") or 0))
        raise ApiError(401, "unauthorized", "a valid Standard Webhooks signature is required "
                                            "(webhook-id, webhook-timestamp, webhook-signature; timestamp within "
                                            f"{int(self.tolerance_s)} s)")

    @staticmethod
    def caller(key_caller: str | None, signed: SignedMessage | None) -> str:
        return key_caller or (SIGNED if signed is not None else ANONYMOUS)


# -- where the server may listen --------------------------------------------------------------------------

def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 (also `[::1]`) and `localhost`; anything else, names included, is not."""
    h = host.strip().strip("[]").lower()
    if h in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


@dataclass
class BindDecision:
    allowed: bool
    allow_anonymous: bool              # with no authentication configured, may callers come in anonymously?
    warning: str | None = None         # logged at every start when set
    error: ConfigError | None = None   # why not (exit 3)


def bind_decision(host: str, *, auth_configured: bool, insecure: bool) -> BindDecision:
    """May `serve-webhook` listen on `host`? Beyond loopback only with authentication configured, or with
    --insecure (and then a warning at every start)."""
    if is_loopback(host):
        return BindDecision(True, allow_anonymous=True)
    if auth_configured:
        return BindDecision(True, allow_anonymous=insecure)
    if insecure:
        return BindDecision(True, allow_anonymous=True,
                            warning=f"--insecure: listening on {host} with no authentication; anyone who can reach "
                                    "it can queue questions and read every answer (add a key: "
                                    "revops webhook keys add NAME)")
    return BindDecision(False, allow_anonymous=False, error=ConfigError(
        f"refusing to listen on {host} without authentication: add an API key (revops webhook keys add NAME) "
        "or set webhooks.inbound_secret, listen on 127.0.0.1, or pass --insecure"))
