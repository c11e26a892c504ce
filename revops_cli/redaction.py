"""Secrets never leave: the one redaction layer for every sink (one pattern table, `PATTERNS`).

`redact(text)` returns the text with every secret replaced by a marker such as `[REDACTED:slack_token]`
and a count per kind; `redact_text(text)` returns just the text; `redact_obj(obj)` does the same through
dicts and lists, and also replaces the *values* of keys whose name says they hold a secret (`client_secret`,
`token`, `password`, `api_key`, ...) or a system prompt (`system_prompt`, `instructions`, ...). Only counts
ever leave this module, never the values. Redaction is idempotent: markers are never matched again.

What is detected (kind: what):
- aws_access_key: `AKIA…`/`ASIA…` (and the other AWS id prefixes) + 16 characters;
- aws_secret_key: 40 base64 characters after an AWS secret name (`aws_secret_access_key=…`), in prose
  ("aws secret is wJalr…", "secret access key = …"), or standing alone with upper, lower case and digits;
- github_token: `ghp_`/`gho_`/`ghs_`/`ghu_`/`ghr_` tokens and `github_pat_` fine-grained tokens;
- slack_token: `xoxb-`/`xoxp-`/`xoxa-`/`xoxr-`/`xoxs-`/`xoxe-` and `xapp-` tokens;
  slack_webhook_url: `https://hooks.slack.com/services/…` (and workflows/triggers);
- stripe_key: `sk_live_`/`rk_live_` (and `_test_`); api_key: `sk-…` model-provider keys, `api_key: …`;
- jwt: three base64url parts starting `eyJ`; private_key: PEM `-----BEGIN … PRIVATE KEY-----` blocks;
- password / url_token: credentials in URLs (`scheme://user:pass@host`) and token-like query parameters
  (`?token=`, `access_token`, `api_key`, `key`, `sig`, `signature`, `X-Amz-Signature`, `X-Amz-Credential`,
  `X-Amz-Security-Token`, `password`, `secret`, `client_secret`, `code`);
- password, secret, token, api_key: "my password is …", "pwd: …", "passphrase = …", "the api key is …",
  "token: …" (for secret/token/api key in the "is" form the value must look like a credential: a digit
  and 8+ characters, so "the secret is pricing" stays);
- card_number: 13–19 digits starting 2–6, contiguous or in groups of four (or 4-6-5) separated by one
  space or dash, that pass the Luhn check; order numbers, amounts, dates and phone numbers are left alone;
- bearer_token / basic_auth: `Bearer …`, `Authorization: …` headers; webhook_secret `whsec_…`;
  client_secret, signing_secret: `name=value` where the name says so; system_prompt: agent instructions.
Values registered with `add_known_secrets()` (the configured tokens and signing secrets) are replaced
wherever they appear.

Where it runs (the sinks), and the boundary:
- CLI and Slack questions reach the agents unredacted, in memory only (`service.ask`); everything that is
  written or sent afterwards is redacted: the conversation log and its exports (again at export), Slack
  posts, updates and the `/revops` repost, `config show`, and every log line (`install_log_redaction`: a
  `RedactingFilter` on the root logger, its handlers and the uvicorn/httpx/httpcore/slack/botocore
  loggers, plus a log-record factory so child loggers and handlers added later are covered too; uvicorn's
  access line keeps its shape, only the `?token=…` inside it is replaced).
- The webhook API has to persist the question before a worker (maybe on another machine) answers it. The
  simplest safe design: the API redacts the question at intake, and only the redacted text is ever
  stored or sent (SQLite rows and their WAL, SQS message bodies, `GET /requests`, the dead-letter table,
  outbound payloads). The worker answers the redacted question: a RevOps question never needs the secret
  to be answered, and the false-positive tests keep order numbers, amounts and dates intact. Nothing raw
  is kept "for a while", so no copy can linger in a WAL frame or a free page, and no key management is
  needed (encryption would be overkill). Answers are redacted before they are stored or delivered.

Most strings hold none of these, so a cheap pre-check (substring tests on the lower-cased text, plus "is
there a run of 13 digits") skips the regular expressions entirely; an export of thousands of
conversations stays fast.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

from revops_cli.formatting import json_default

MARK = "[REDACTED:{}]"
_MARK_RE = re.compile(r"^\[REDACTED:[a-z_]+\]$")
_MARKER_IN_TEXT = re.compile(r"\[REDACTED:[a-z_]+\]")

_SECRET_VALUE = r"[^\s\"'&,;<>)\]}]"


def kind_for_key(key: str) -> str:
    """The marker kind for a value stored under `key` (a config key, a dict key, a `name=` in text)."""
    k = key.lower().replace("-", "_").replace(" ", "_")
    if "client_secret" in k:
        return "client_secret"
    if "signing_secret" in k:
        return "signing_secret"
    if "aws_secret" in k or "secret_access_key" in k:
        return "aws_secret_key"
    if "passw" in k or "passphrase" in k or k in ("pwd", "passwd") or k.endswith("_pwd"):
        return "password"
    if "private_key" in k or "privatekey" in k:
        return "private_key"
    if "api_key" in k or "apikey" in k:
        return "api_key"
    if "authorization" in k:
        return "bearer_token"
    if "token" in k:
        return "token"
    return "secret"


Replacement = Callable[[re.Match], "tuple[str, str]"]


def _sub_group(group: str, kind: str | Callable[[re.Match], str],
               check: Callable[[str], bool] | None = None) -> Replacement:
    """Replace only `group` with a marker, keeping the text around it. Returns (new text, kind), or (the match
    unchanged, "") for values that are plainly not secrets (all digits, e.g. `token_count: 123456`, or
    failing `check`)."""

    def repl(m: re.Match) -> tuple[str, str]:
        value = m.group(group)
        if value.isdigit() or (check is not None and not check(value)):
            return m.group(0), ""
        k = kind(m) if callable(kind) else kind
        start, end = m.span(group)
        s0 = m.start()
        whole = m.group(0)
        return whole[: start - s0] + MARK.format(k) + whole[end - s0:], k

    return repl


def _sub_all(kind: str, check: Callable[[str], bool] | None = None) -> Replacement:
    def repl(m: re.Match) -> tuple[str, str]:
        if check is not None and not check(m.group(0)):
            return m.group(0), ""
        return MARK.format(kind), kind
    return repl


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of a string of digits (card numbers pass it; most other long numbers do not)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _is_card(text: str) -> bool:
    digits = re.sub(r"[ -]", "", text)
    return 13 <= len(digits) <= 19 and len(set(digits)) > 1 and luhn_ok(digits)


def _looks_like_credential(value: str) -> bool:
    """For "the token is X": X has a digit and 8+ characters (so "the secret is pricing" is left alone)."""
    return len(value) >= 8 and any(c.isdigit() for c in value)


# Words after "password is" that describe the password rather than being it.
_NOT_A_PASSWORD = frozenset("""
    a an the my your our their its not no too very still now also being been set reset empty blank wrong
    incorrect invalid correct required missing changed expired expiring stored saved weak strong same
    different there here in on at for of to and or but that this which what when where how why ok okay
    fine locked needed unknown new old long short secure insecure""".split())


def _password_value_ok(value: str) -> bool:
    return value.lower() not in _NOT_A_PASSWORD and len(value) >= 4


def _phrase_kind(m: re.Match) -> str:
    key = m.group("pkey").lower()
    if "pass" in key or key == "pwd":
        return "password"
    if "api" in key:
        return "api_key"
    if "token" in key:
        return "token"
    return "secret"


def _phrase_repl(m: re.Match) -> tuple[str, str]:
    key = m.group("pkey").lower()
    value = m.group("val")
    is_password = "pass" in key or key == "pwd"
    if (value.isdigit() and len(value) < 6) or \
            not (_password_value_ok(value) if is_password else _looks_like_credential(value)):
        return m.group(0), ""
    kind = _phrase_kind(m)
    start, end = m.span("val")
    s0 = m.start()
    whole = m.group(0)
    return whole[: start - s0] + MARK.format(kind) + whole[end - s0:], kind


class LazyRegex:
    """A regular expression compiled on first use: importing this module (config does, for every command)
    stays cheap; the table is compiled the first time something is redacted."""

    __slots__ = ("source", "flags", "_compiled")

    def __init__(self, source: str, flags: int = 0):
        self.source, self.flags = source, flags
        self._compiled: re.Pattern | None = None

    @property
    def compiled(self) -> re.Pattern:
        if self._compiled is None:
            self._compiled = re.compile(self.source, self.flags)
        return self._compiled

    def search(self, text: str) -> re.Match | None:
        return self.compiled.search(text)

    def sub(self, repl: Any, text: str) -> str:
        return self.compiled.sub(repl, text)


@dataclass(frozen=True)
class Pattern:
    """One row of the pattern table: the kind it reports, a few lower-case words one of which must be in the
    text for the regex to run at all (None: always run), the regex, and how a match is replaced."""

    kind: str
    triggers: tuple[str, ...] | None
    regex: "LazyRegex"
    replace: Replacement


_B64_40 = r"(?P<val>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
_CARD = (r"(?<![A-Za-z0-9/+-])(?<!\d[.,])(?:[2-6]\d{12,18}|[2-6]\d{3}(?P<sep>[ -])\d{4}(?P=sep)\d{4}(?P=sep)\d{1,4}"
         r"(?:(?P=sep)\d{1,3})?|3\d{3}(?P<sep2>[ -])\d{6}(?P=sep2)\d{4,5})(?![A-Za-z0-9/+-]|[.,]\d)")

# The pattern table. Order matters: earlier rows win (a later row never matches inside a marker).
PATTERNS: tuple[Pattern, ...] = (
    Pattern("private_key", ("private key",),
            LazyRegex(r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?(?:-----END \1PRIVATE KEY-----|\Z)", re.S),
            _sub_all("private_key")),
    Pattern("system_prompt", ("<instructions", "<system"),
            LazyRegex(r"<(instructions|system|system_prompt)>.*?(?:</\1>|\Z)", re.S | re.I), _sub_all("system_prompt")),
    Pattern("slack_webhook_url", ("hooks.slack.com",),
            LazyRegex(r"https?://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+"),
            _sub_all("slack_webhook_url")),
    # scheme://user:pass@host -> scheme://user:[REDACTED:password]@host
    Pattern("password", ("://",), LazyRegex(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]+:(?P<pw>[^\s@/]+)@"),
            _sub_group("pw", "password")),
    # Token-like query parameters: ?token=…, &X-Amz-Signature=…, ?sig=…
    Pattern("url_token", ("=",),
            LazyRegex(r"(?i)[?&;](?P<key>access_token|refresh_token|id_token|token|auth_token|api_key|apikey|"
                       r"api-key|key|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|"
                       r"x-goog-signature|password|passwd|pwd|secret|client_secret|code|auth)=(?P<val>[^&\s#\"'<>]{4,})"),
            _sub_group("val", "url_token")),
    Pattern("aws_access_key", ("akia", "asia", "agpa", "aida", "aroa", "anpa", "anva", "aipa", "abia", "acca"),
            LazyRegex(r"(?<![A-Za-z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])"),
            _sub_all("aws_access_key")),
    Pattern("slack_token", ("xox", "xapp-"),
            LazyRegex(r"(?<![A-Za-z0-9])(?:xoxe\.)?(?:xox[abprse]|xapp)-[A-Za-z0-9-]{6,}"), _sub_all("slack_token")),
    Pattern("webhook_secret", ("whsec_",), LazyRegex(r"(?<![A-Za-z0-9])whsec_[A-Za-z0-9+/=_-]{8,}"), _sub_all("webhook_secret")),
    Pattern("github_token", ("ghp_", "gho_", "ghs_", "ghu_", "ghr_", "github_pat_"),
            LazyRegex(r"(?<![A-Za-z0-9])(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})"), _sub_all("github_token")),
    Pattern("stripe_key", ("sk_live_", "rk_live_", "sk_test_", "rk_test_"),
            LazyRegex(r"(?<![A-Za-z0-9])[sr]k_(?:live|test)_[A-Za-z0-9]{10,}"), _sub_all("stripe_key")),
    Pattern("api_key", ("sk-",), LazyRegex(r"(?<![A-Za-z0-9])sk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}"), _sub_all("api_key")),
    Pattern("jwt", ("eyj",), LazyRegex(r"(?<![A-Za-z0-9])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
            _sub_all("jwt")),
    Pattern("bearer_token", ("bearer",), LazyRegex(r"(?i)\bBearer\s+(?P<tok>[A-Za-z0-9._~+/=-]{8,})"),
            _sub_group("tok", "bearer_token")),
    Pattern("basic_auth", ("basic",),
            LazyRegex(r"(?i)\bAuthorization[\"']?\s*[:=]\s*[\"']?Basic\s+(?P<tok>[A-Za-z0-9+/=]{8,})"),
            _sub_group("tok", "basic_auth")),
    Pattern("bearer_token", ("authorization",),
            LazyRegex(r"(?i)\bAuthorization[\"']?\s*[:=]\s*[\"']?(?:[A-Za-z0-9-]+\s+)?(?P<tok>[^\s\"',;]{8,})"),
            _sub_group("tok", "bearer_token")),
    # An AWS secret access key after its name, as code or prose: "aws_secret_access_key=…",
    # "aws secret is …", "secret access key = …", "my AWS secret key: …".
    Pattern("aws_secret_key", ("secret",),
            LazyRegex(r"(?i)\b(?:aws[\s_-]*)?secret(?:[\s_-]*access)?(?:[\s_-]*key)?(?:[\s_-]*id)?[\"']?"
                       r"(?:\s+(?:is|was)\b\s*:?|\s*[:=])\s*[\"']?" + _B64_40),
            _sub_group("val", "aws_secret_key")),
    # key=value / key: value where the key names a secret (client_secret=..., "api_key": "...").
    Pattern("secret", ("secret", "token", "passw", "pwd", "api_key", "api-key", "apikey", "passphrase"),
            LazyRegex(r"(?i)\b(?P<key>[a-z0-9_.-]*(?:secret|token|passwd|password|passphrase|pwd|api[_-]?key|apikey))"
                       r"[\"']?\s*[:=]\s*[\"']?(?P<val>" + _SECRET_VALUE + r"{6,})"),
            _sub_group("val", lambda m: kind_for_key(m.group("key")))),
    # Prose: "my password is hunter2", "pwd: x", "the api key is abc123…", "token was …".
    Pattern("password", ("pass", "pwd", "secret", "token", "api key", "api-key", "apikey", "access key"),
            LazyRegex(r"(?i)\b(?P<pkey>pass(?:word|wd|phrase|code)|pwd|secret(?:\s+key)?|api[\s_-]?key|"
                       r"(?:access\s+)?token|access\s+key)"
                       r"(?P<sep>\s+(?:is|was)\b\s*:?|\s*[:=])\s*[\"'`]?"
                       r"(?P<val>[^\s\"'`<>]{2,}[^\s\"'`<>.,;:!?)\]])"),
            _phrase_repl),
    # Any other 40-character base64 value with upper, lower case and a digit: an AWS secret without a name.
    Pattern("aws_secret_key", None,
            LazyRegex(r"(?<![A-Za-z0-9/+_-])(?P<val>(?=[A-Za-z0-9/+]{0,39}[a-z])(?=[A-Za-z0-9/+]{0,39}[A-Z])"
                       r"(?=[A-Za-z0-9/+]{0,39}[0-9])[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=_-])"),
            _sub_group("val", "aws_secret_key")),
    Pattern("card_number", None, LazyRegex(_CARD), _sub_all("card_number", _is_card)),
)

_PROMPT_START = re.compile(r"^\s*(?:you are|you're|as an ai|system prompt|system:)", re.I)
_PROMPT_HEADINGS = re.compile(r"(?im)^\s{0,3}#{1,4}\s*(?:instructions|system prompt|your role|guidelines for the agent)\s*$")
PROMPT_MIN_CHARS = 300
# Lower-case words one of which a text must contain to be checked by looks_like_system_prompt().
_PROMPT_WORDS = ("you are", "you're", "as an ai", "system prompt", "system:", "instructions", "your role",
                 "guidelines")

# Key names whose values are system prompts / agent instructions.
_PROMPT_KEYS = ("system_prompt", "systemprompt", "instructions", "instruction", "prompt",
                "agent_instructions", "base_prompt", "preamble", "prompt_template", "orchestration_prompt")
# Key names whose values are secrets.
_SECRET_KEY_WORDS = ("secret", "token", "password", "passwd", "passphrase", "api_key", "apikey", "api-key",
                     "client_secret", "private_key", "authorization", "credential")
_SECRET_KEY_EXACT = ("pwd", "pass", "auth")
_NOT_SECRET_KEYS = ("max_tokens", "input_tokens", "output_tokens", "total_tokens", "tokens", "token_count",
                    "token_usage", "secret_name", "secrets_manager_id",
                    "max_total_tokens", "prompt_tokens", "completion_tokens")      # counts (llm.*, OpenAI usage)

# Texts with none of these words (and no long run of digits or a 40-character word) cannot match any row.
_LONG_RUN = re.compile(r"\d[\d -]{11,}\d|[A-Za-z0-9/+]{40}")


@lru_cache(maxsize=4096)
def is_prompt_key(key: str) -> bool:
    k = key.lower().replace("-", "_")
    return k in _PROMPT_KEYS or k.endswith("_prompt") or k.endswith("_instructions")


@lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    """True for a key whose value is a secret (`client_secret`, `bot_token`, `password`, `api_keys`, ...)."""
    k = key.lower()
    if k in _NOT_SECRET_KEYS:
        return False
    return k in _SECRET_KEY_EXACT or any(w in k for w in _SECRET_KEY_WORDS)


def looks_like_system_prompt(text: str) -> bool:
    """A whole text that reads like agent instructions: "You are ..." and long, or an Instructions heading."""
    if len(text) >= PROMPT_MIN_CHARS and _PROMPT_START.match(text):
        return True
    return bool(_PROMPT_HEADINGS.search(text))


# -- known secret values (the configured tokens) -----------------------------------------------------------

KNOWN_MIN_CHARS = 12
_KNOWN: set[str] = set()
_KNOWN_LOCK = threading.Lock()


def add_known_secrets(*values: Any) -> None:
    """Register secret values (bot tokens, signing secrets, API keys from settings): replaced wherever they
    appear, whatever their shape. Values shorter than 12 characters are ignored here (a weak secret such as
    "changeme" would damage answers); the log filter still replaces those of 6 or more in log lines."""
    with _KNOWN_LOCK:
        _KNOWN.update(str(v) for v in values if v and isinstance(v, str) and len(v) >= KNOWN_MIN_CHARS)


def secret_values(data: Any) -> list[str]:
    """The values stored under secret-named keys in a settings tree (for `add_known_secrets`)."""
    out: list[str] = []

    def walk(node: Any, key: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, str(k))
        elif isinstance(node, (list, tuple)):
            for v in node:
                walk(v, key)
        elif isinstance(node, str) and key and is_secret_key(key):
            out.append(node)

    walk(data)
    return out


def known_secrets() -> frozenset[str]:
    return frozenset(_KNOWN)


def _replace_known(text: str, counts: Counter | None) -> tuple[str, Counter | None]:
    for s in _KNOWN:
        if s in text:
            n = text.count(s)
            text = text.replace(s, MARK.format("secret"))
            counts = counts if counts is not None else Counter()
            counts["secret"] += n
    return text, counts


# -- the redaction itself ----------------------------------------------------------------------------------

def redact(text: str) -> tuple[str, dict[str, int]]:
    """Replace secrets and system prompts in `text`. Returns (text, {kind: count})."""
    if not isinstance(text, str) or len(text) < 6:
        return text, {}
    counts: Counter[str] | None = None
    if _KNOWN:
        text, counts = _replace_known(text, counts)
    low = text.lower()
    if (len(text) >= PROMPT_MIN_CHARS or "#" in text) and any(w in low for w in _PROMPT_WORDS) \
            and looks_like_system_prompt(text):
        return MARK.format("system_prompt"), {"system_prompt": 1}
    long_run: bool | None = None
    for row in PATTERNS:
        if row.triggers is None:
            if long_run is None:
                long_run = _LONG_RUN.search(text) is not None
            if not long_run:
                continue
        else:
            for t in row.triggers:
                if t in low:
                    break
            else:
                continue
        if row.regex.search(text) is None:
            continue
        if counts is None:
            counts = Counter()

        def sub(m: re.Match, repl=row.replace, counts=counts) -> str:
            new, kind = repl(m)
            if kind:
                counts[kind] += 1
            return new

        if "[REDACTED:" in text:
            # Never match inside (or across) an existing marker: redact the pieces between markers.
            parts = _MARKER_IN_TEXT.split(text)
            marks = _MARKER_IN_TEXT.findall(text)
            out = [row.regex.sub(sub, parts[0])]
            for mk, part in zip(marks, parts[1:]):
                out.append(mk)
                out.append(row.regex.sub(sub, part))
            text = "".join(out)
        else:
            text = row.regex.sub(sub, text)
        low = text.lower()
    return text, (dict(counts) if counts else {})


def redact_text(text: Any) -> Any:
    """`redact(text)` without the counts; anything that is not a string is returned as it is."""
    return redact(text)[0] if isinstance(text, str) else text


def _all_triggers() -> tuple[str, ...]:
    words: list[str] = []
    for row in PATTERNS:
        words += row.triggers or ()
    words += _PROMPT_WORDS
    words += _PROMPT_KEYS + ("_prompt", "_instructions")
    words += _SECRET_KEY_WORDS + ("pass", "auth", "pwd")
    words = list(dict.fromkeys(w.lower() for w in words))
    # Drop a trigger that contains another one ("password" when "pass" is there): fewer scans, same result.
    return tuple(t for t in words if not any(o != t and o in t for o in words))


_ALL_TRIGGERS = _all_triggers()


def might_need_redaction(obj: Any) -> bool:
    """False when nothing in `obj` (keys included) can match any rule: one serialisation and a few substring
    tests, much cheaper than walking the object. True means "run redact_obj", not "holds a secret"."""
    blob = obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False, default=json_default)
    low = blob.lower()
    for t in _ALL_TRIGGERS:
        if t in low:
            return True
    if _KNOWN and any(s in blob for s in _KNOWN):
        return True
    return _LONG_RUN.search(blob) is not None


def redact_obj(obj: Any) -> tuple[Any, dict[str, int]]:
    """Redact every string inside dicts/lists/tuples; secret-named and prompt-named keys lose their value.

    Returns a new object (the input is not modified) and the counts per kind. Most objects hold nothing any
    rule could match (`might_need_redaction`): those are only copied, which keeps the webhook intake and the
    queue, each of which redacts every body, off the regular expressions.
    """
    if not might_need_redaction(obj):
        return _copy(obj), {}
    counts: Counter[str] = Counter()
    out = _walk(obj, counts)
    return out, dict(counts)


def _copy(node: Any) -> Any:
    """The same structure as `_walk` returns (dicts, lists for lists and tuples), with nothing replaced."""
    if isinstance(node, dict):
        return {k: _copy(v) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return [_copy(v) for v in node]
    return node


def redact_value(obj: Any) -> Any:
    """`redact_obj(obj)` without the counts."""
    return redact_obj(obj)[0]


def _walk(node: Any, counts: Counter) -> Any:
    if isinstance(node, str):
        new, c = redact(node)
        if c:
            counts.update(c)
        return new
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            ks = str(k)
            if isinstance(v, str) and v and not _MARK_RE.match(v):
                if is_prompt_key(ks):
                    out[k] = MARK.format("system_prompt")
                    counts["system_prompt"] += 1
                    continue
                if is_secret_key(ks) and not v.isdigit() and v.lower() not in ("true", "false", "none", "null"):
                    kind = kind_for_key(ks)
                    out[k] = MARK.format(kind)
                    counts[kind] += 1
                    continue
            out[k] = _walk(v, counts)
        return out
    if isinstance(node, (list, tuple)):
        return [_walk(v, counts) for v in node]
    return node


# -- settings ----------------------------------------------------------------------------------------------

def mask(value: Any) -> Any:
    """A secret setting's value as `config show` prints it: `****` and at most its last four characters."""
    if value in (None, "", [], {}):
        return value
    s = str(value)
    return "****" + s[-4:] if len(s) > 12 else "****"


def _netloc_without_userinfo(parts: Any, missing_host: str = "") -> str:
    """`host[:port]` of a urlsplit() result, IPv6 hosts in brackets, never `user:password@`.
    Raises ValueError for a port that is not a number (as `parts.port` does)."""
    host = parts.hostname or missing_host
    if ":" in host:
        host = f"[{host}]"
    return host + (f":{parts.port}" if parts.port else "")


def url_host(url: str) -> str:
    """`host[:port]` of a URL, never its `user:password@`; "?" for one that cannot be read. For messages."""
    from urllib.parse import urlsplit

    try:
        return _netloc_without_userinfo(urlsplit(url), missing_host="?")
    except ValueError:
        return "?"


def url_without_credentials(url: str) -> str:
    """The URL without any user:password@ part (for identities and messages); the rest unchanged."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        if parts.username or parts.password:
            parts = parts._replace(netloc=_netloc_without_userinfo(parts))
        return urlunsplit(parts)
    except ValueError:
        return redact_text(url)


def url_location(url: str) -> str:
    """scheme://host[:port]/… : enough to say where, never a credential or token kept in the path or query."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        netloc = _netloc_without_userinfo(parts, missing_host="?")
    except ValueError:
        return "<invalid URL>"
    tail = "/…" if (parts.path not in ("", "/") or parts.query) else ""
    return f"{parts.scheme}://{netloc}{tail}"


def url_without_query(url: str) -> str:
    """The URL without user info, query or fragment: where a webhook was delivered (payloads, delivery list)."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        p = urlsplit(url)
        return urlunsplit((p.scheme, _netloc_without_userinfo(p), p.path, "", ""))
    except ValueError:
        return "<invalid URL>"


# -- log lines ---------------------------------------------------------------------------------------------

# Loggers that have their own handlers or do not propagate (uvicorn's access log), or log request lines.
THIRD_PARTY_LOGGERS = ("uvicorn", "uvicorn.access", "uvicorn.error", "uvicorn.asgi", "httpx", "httpcore",
                       "slack_bolt", "slack_sdk", "slack_bolt.App", "botocore", "boto3", "urllib3",
                       "fastapi", "starlette", "mcp", "openai", "revops")


class RedactingFilter(logging.Filter):
    """Redacts every record it sees: its message (arguments one by one when that is enough, so formatters
    that read `record.args`, like uvicorn's access formatter, keep working) and its traceback."""

    def __init__(self) -> None:
        super().__init__("revops-redact")
        self.secrets: set[str] = set()

    def add(self, *secrets: str | None) -> None:
        """Values to replace wherever they appear in this filter's records (and in every sink: they are
        registered with `add_known_secrets` too)."""
        new = [s for s in secrets if s and len(s) >= 6]
        self.secrets.update(new)
        add_known_secrets(*new)

    def scrub(self, text: str) -> str:
        for s in self.secrets:
            if s in text:
                text = text.replace(s, MARK.format("secret"))
        return redact_text(text)

    def filter(self, record: logging.LogRecord) -> bool:
        scrub_record(record, self.scrub)
        return True


def scrub_record(record: logging.LogRecord, scrub: Callable[[str], str] = redact_text) -> None:
    """Redact one log record in place (idempotent: a record is scrubbed once)."""
    if getattr(record, "revops_redacted", False):
        return
    try:
        message = record.getMessage()
    except Exception:       # a malformed record: leave it to logging's own error handling
        return
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = scrub(record.exc_text)
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)
    clean = scrub(message)
    if clean != message:
        args = record.args
        done = False
        if isinstance(args, tuple) and args and isinstance(record.msg, str):
            new_args = tuple(scrub(a) if isinstance(a, str) else a for a in args)
            try:
                again = scrub(record.msg) % new_args
                if scrub(again) == again and clean == scrub(again):
                    record.msg, record.args, done = scrub(record.msg), new_args, True
            except (TypeError, ValueError):
                pass
        if not done:
            record.msg, record.args = clean, None
    record.revops_redacted = True


redactor = RedactingFilter()
_INSTALLED = False


def install_log_redaction(*secrets: str | None) -> RedactingFilter:
    """Redact every log line of this process: `redactor` on the root logger, its handlers and the
    third-party loggers (uvicorn's access log, httpx, slack, boto), and a log-record factory that scrubs
    each record as it is made, so loggers and handlers configured later (uvicorn's dictConfig) are covered.
    Also registers `secrets` (known values) for every sink. Safe to call again."""
    global _INSTALLED
    redactor.add(*secrets)
    root = logging.getLogger()
    for lg in [root] + [logging.getLogger(n) for n in THIRD_PARTY_LOGGERS]:
        if redactor not in lg.filters:
            lg.addFilter(redactor)
        for h in lg.handlers:
            if redactor not in h.filters:
                h.addFilter(redactor)
    if not _INSTALLED:
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            scrub_record(record, redactor.scrub)
            return record

        logging.setLogRecordFactory(factory)
        _INSTALLED = True
    return redactor


def redacting_handler(level: int = logging.INFO) -> logging.Handler:
    """A stderr handler with `redactor` on it (servers log through one)."""
    handler = logging.StreamHandler()
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(redactor)
    return handler


def one_line(exc: BaseException) -> str:
    """An exception as one redacted line for a log message: a RevopsError's own line, an API error code
    (slack_sdk's `response["error"]`), or the type and first line of the message."""
    from revops_cli.errors import RevopsError

    if isinstance(exc, RevopsError):
        return redactor.scrub(exc.one_line())
    response = getattr(exc, "response", None)
    if response is not None and type(exc).__name__ == "SlackApiError":
        try:
            return f"SlackApiError: {response.get('error')}"
        except Exception:
            pass
    text = str(exc).splitlines()[0] if str(exc) else ""
    return redactor.scrub(f"{type(exc).__name__}: {text}"[:300])
