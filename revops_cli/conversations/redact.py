"""Secret and system-prompt redaction for conversation records and exports.

`redact(text)` returns the text with every secret replaced by a marker such as `[REDACTED:slack_token]`,
and a count per kind; `redact_obj(obj)` does the same through dicts and lists, and also replaces the
*values* of keys whose name says they hold a secret (`client_secret`, `token`, `password`, `api_key`, ...)
or a system prompt (`system_prompt`, `instructions`, `prompt`, ...). Only counts ever leave this module,
never the values.

It runs twice: when a conversation is logged (`ConversationLog.record`) and again when it is exported
(defense in depth, and so records logged before a pattern was added are still cleaned on export).
Redaction is idempotent: markers are never matched again, so a second pass counts nothing.

Kinds: aws_access_key, aws_secret_key, slack_token, slack_webhook_url, webhook_secret, signing_secret,
client_secret, api_key, token, secret, password, bearer_token, basic_auth, jwt, private_key,
system_prompt.

Most strings hold none of these, so a cheap pre-check (a few substring tests on the lower-cased text)
skips the regular expressions entirely; that keeps an export of thousands of conversations fast.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache
from typing import Any, Callable

MARK = "[REDACTED:{}]"
_MARK_RE = re.compile(r"^\[REDACTED:[a-z_]+\]$")

_SECRET_VALUE = r"[^\s\"'&,;<>)\]}]"


def _kind_for_key(key: str) -> str:
    k = key.lower().replace("-", "_")
    if "client_secret" in k:
        return "client_secret"
    if "signing_secret" in k:
        return "signing_secret"
    if "aws_secret" in k or "secret_access_key" in k:
        return "aws_secret_key"
    if "passw" in k or k in ("pwd", "passwd") or k.endswith("_pwd"):
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


# (kind or None = derived from the match, compiled pattern, replacement function)
def _sub_group(group: str, kind: str | Callable[[re.Match], str]) -> Callable[[re.Match], tuple[str, str]]:
    """A replacement that keeps the text around `group` and replaces only the group with a marker.

    Returns (new text, kind), or (the match unchanged, "") for values that are plainly not secrets
    (all digits, e.g. `token_count: 123456`).
    """

    def repl(m: re.Match) -> tuple[str, str]:
        if m.group(group).isdigit():
            return m.group(0), ""
        k = kind(m) if callable(kind) else kind
        start, end = m.span(group)
        s0 = m.start()
        whole = m.group(0)
        return whole[: start - s0] + MARK.format(k) + whole[end - s0:], k

    return repl


def _sub_all(kind: str) -> Callable[[re.Match], tuple[str, str]]:
    return lambda m: (MARK.format(kind), kind)


_KEYWORDS = ("secret", "token", "passw", "pwd", "api_key", "api-key", "apikey")

# (triggers, pattern, replacement): a pattern runs only when one of its triggers (lower case) is in the text.
_PATTERNS: list[tuple[tuple[str, ...], re.Pattern, Callable[[re.Match], tuple[str, str]]]] = [
    # PEM private keys (whole block; an unterminated block runs to the end of the text).
    (("private key",),
     re.compile(r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?(?:-----END \1PRIVATE KEY-----|\Z)", re.S),
     _sub_all("private_key")),
    # Prompt-like blocks inside a text.
    (("<instructions", "<system"),
     re.compile(r"<(instructions|system|system_prompt)>.*?(?:</\1>|\Z)", re.S | re.I), _sub_all("system_prompt")),
    # Passwords in URLs: scheme://user:pass@host -> scheme://user:[REDACTED:password]@host
    (("://",), re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]+:(?P<pw>[^\s@/]+)@"), _sub_group("pw", "password")),
    (("hooks.slack.com",), re.compile(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+"),
     _sub_all("slack_webhook_url")),
    (("akia", "asia", "agpa", "aida", "aroa", "anpa", "anva", "aipa"),
     re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b"), _sub_all("aws_access_key")),
    (("xox",), re.compile(r"\b(?:xoxe\.)?xox[abpsre]-[A-Za-z0-9-]{10,}"), _sub_all("slack_token")),
    (("xapp-",), re.compile(r"\bxapp-[A-Za-z0-9-]{10,}"), _sub_all("slack_token")),
    (("whsec_",), re.compile(r"\bwhsec_[A-Za-z0-9+/=_-]{8,}"), _sub_all("webhook_secret")),
    (("ghp_", "gho_", "ghs_", "ghu_", "ghr_"), re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"), _sub_all("token")),
    (("sk-",), re.compile(r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}"), _sub_all("api_key")),
    (("eyj",), re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), _sub_all("jwt")),
    (("bearer",), re.compile(r"(?i)\bBearer\s+(?P<tok>[A-Za-z0-9._~+/=-]{8,})"), _sub_group("tok", "bearer_token")),
    (("basic",), re.compile(r"(?i)\bAuthorization[\"']?\s*[:=]\s*[\"']?Basic\s+(?P<tok>[A-Za-z0-9+/=]{8,})"),
     _sub_group("tok", "basic_auth")),
    # AWS secret access key after an aws_secret... name.
    (("secret",),
     re.compile(r"(?i)\b(?:aws_secret_access_key|aws_secret_key|aws_secret|secret_access_key|secretaccesskey)"
                r"[\"']?\s*[:=]\s*[\"']?(?P<val>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"),
     _sub_group("val", "aws_secret_key")),
    # key=value / key: value where the key names a secret (client_secret=..., "api_key": "...").
    (_KEYWORDS,
     re.compile(r"(?i)\b(?P<key>[a-z0-9_.-]*(?:secret|token|passwd|password|pwd|api[_-]?key|apikey))[\"']?"
                r"\s*[:=]\s*[\"']?(?P<val>" + _SECRET_VALUE + r"{6,})"),
     _sub_group("val", lambda m: _kind_for_key(m.group("key")))),
    # Any other 40-char base64 value in key=value that looks like an AWS secret (mixed case and a digit).
    (("=",),
     re.compile(r"\b[A-Za-z_][\w.-]*\s*=\s*[\"']?(?P<val>(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[A-Z])"
                r"(?=[A-Za-z0-9/+]*[0-9])[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"),
     _sub_group("val", "aws_secret_key")),
]

_MARKER_IN_TEXT = re.compile(r"\[REDACTED:[a-z_]+\]")

_PROMPT_START = re.compile(r"^\s*(?:you are|you're|as an ai|system prompt|system:)", re.I)
_PROMPT_HEADINGS = re.compile(r"(?im)^\s{0,3}#{1,4}\s*(?:instructions|system prompt|your role|guidelines for the agent)\s*$")
PROMPT_MIN_CHARS = 300
# Lower-case words one of which a text must contain to be checked by looks_like_system_prompt().
_PROMPT_WORDS = ("you are", "you're", "as an ai", "system prompt", "system:", "instructions", "your role",
                 "guidelines")

# Key names whose values are system prompts / agent instructions.
_PROMPT_KEYS = ("system_prompt", "systemprompt", "instructions", "instruction", "prompt",
                "agent_instructions", "base_prompt", "preamble", "prompt_template", "orchestration_prompt")
# Key names whose values are secrets (in addition to the words in config.SECRET_WORDS).
_SECRET_KEY_WORDS = ("secret", "token", "password", "passwd", "api_key", "apikey", "api-key",
                     "client_secret", "private_key", "authorization", "credential")
_SECRET_KEY_EXACT = ("pwd", "pass", "auth")
_NOT_SECRET_KEYS = ("max_tokens", "input_tokens", "output_tokens", "total_tokens", "tokens", "token_count",
                    "token_usage", "secret_name", "secrets_manager_id")


@lru_cache(maxsize=4096)
def is_prompt_key(key: str) -> bool:
    k = key.lower().replace("-", "_")
    return k in _PROMPT_KEYS or k.endswith("_prompt") or k.endswith("_instructions")


@lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    k = key.lower()
    if k in _NOT_SECRET_KEYS:
        return False
    return k in _SECRET_KEY_EXACT or any(w in k for w in _SECRET_KEY_WORDS)


def looks_like_system_prompt(text: str) -> bool:
    """A whole text that reads like agent instructions: "You are ..." and long, or an Instructions heading."""
    if len(text) >= PROMPT_MIN_CHARS and _PROMPT_START.match(text):
        return True
    return bool(_PROMPT_HEADINGS.search(text))


def redact(text: str) -> tuple[str, dict[str, int]]:
    """Replace secrets and system prompts in `text`. Returns (text, {kind: count})."""
    if not isinstance(text, str) or len(text) < 6:
        return text, {}
    low = text.lower()
    if (len(text) >= PROMPT_MIN_CHARS or "#" in text) and any(w in low for w in _PROMPT_WORDS) \
            and looks_like_system_prompt(text):
        return MARK.format("system_prompt"), {"system_prompt": 1}
    counts: Counter[str] | None = None
    for triggers, pattern, repl in _PATTERNS:
        for t in triggers:
            if t in low:
                break
        else:
            continue
        if pattern.search(text) is None:
            continue

        if counts is None:
            counts = Counter()

        def sub(m: re.Match, repl=repl, counts=counts) -> str:
            new, kind = repl(m)
            if kind:
                counts[kind] += 1
            return new

        if "[REDACTED:" in text:
            # Never match inside (or across) an existing marker: redact the pieces between markers.
            parts = _MARKER_IN_TEXT.split(text)
            marks = _MARKER_IN_TEXT.findall(text)
            out = [pattern.sub(sub, parts[0])]
            for mk, part in zip(marks, parts[1:]):
                out.append(mk)
                out.append(pattern.sub(sub, part))
            text = "".join(out)
        else:
            text = pattern.sub(sub, text)
    return text, (dict(counts) if counts else {})


def _all_triggers() -> tuple[str, ...]:
    words: list[str] = []
    for triggers, _, _ in _PATTERNS:
        words += triggers
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
    blob = (obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False, default=str)).lower()
    for t in _ALL_TRIGGERS:
        if t in blob:
            return True
    return False


def redact_obj(obj: Any) -> tuple[Any, dict[str, int]]:
    """Redact every string inside dicts/lists/tuples; secret-named and prompt-named keys lose their value.

    Returns a new object (the input is not modified) and the counts per kind.
    """
    counts: Counter[str] = Counter()
    out = _walk(obj, counts)
    return out, dict(counts)


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
                if is_prompt_key(ks) and len(v) > 0:
                    out[k] = MARK.format("system_prompt")
                    counts["system_prompt"] += 1
                    continue
                if is_secret_key(ks) and not v.isdigit() and v.lower() not in ("true", "false", "none", "null"):
                    kind = _kind_for_key(ks)
                    out[k] = MARK.format(kind)
                    counts[kind] += 1
                    continue
            out[k] = _walk(v, counts)
        return out
    if isinstance(node, (list, tuple)):
        return [_walk(v, counts) for v in node]
    return node
