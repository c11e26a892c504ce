"""Settings: defaults < user revops.yaml < project revops.yaml < REVOPS_* environment < flags.

`revops.yaml` is read from the user dir (REVOPS_HOME, default ~/.revops) and then from the current
folder; the project file wins. A `profiles:` section holds named overlays chosen by `--profile` /
REVOPS_PROFILE (e.g. `prod` with a Firebolt warehouse and the bedrock-agents backend).

Environment: every setting has a generic name, REVOPS_<SECTION>__<KEY> (e.g. REVOPS_CACHE__TTL_SECONDS),
and the common ones a short alias listed in ENV_ALIASES (e.g. REVOPS_WEBHOOK_URL).
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from revops_cli.errors import ConfigError
from revops_cli.redaction import is_secret_key, mask, redact_text

CONFIG_FILENAME = "revops.yaml"

DEFAULTS: dict[str, Any] = {
    "warehouse": {
        "kind": "duckdb",            # duckdb | firebolt
        "path": None,                # duckdb file; default <home>/demo.duckdb (created on first use)
        "url": None,                 # Firebolt Core, e.g. http://localhost:3473
        "account": None,             # Firebolt cloud
        "database": None,
        "engine": None,
        "client_id": None,
        "client_secret": None,
        "writable_table": "crm_outbox",   # where the Execution agent records CRM updates
    },
    "tables": {},                    # canonical name -> real table name
    # The semantic model (docs/model.md): a preset for a known schema, overridden by <home>/model/*.yaml and
    # ./model/*.yaml. None: the canonical schema (the demo warehouse).
    "model": {"preset": None},
    "backend": "local",              # local | bedrock-agents | bedrock | openai
    "as_of": None,                   # the analysis date ("today"); default: the real today
    # The fiscal calendar (README: Periods): the month the fiscal year starts in, 1..12; FY named by the
    # calendar year it ends in. Quarters, "this year", "YTD" and the model's quarter/year grains follow it.
    "calendar": {"fiscal_year_start_month": 1},
    "cache": {"enabled": True, "ttl_seconds": 3600, "path": None},
    "query": {"row_limit": 10000, "timeout_seconds": 30.0, "max_result_bytes": "64MB"},
    # The embedded warehouse's connection (README: Security, Queries). memory_limit: a size ("2GB") or a share
    # of memory ("25%"); default a quarter of memory, at most 2 GiB. threads: default half the cores (2..8).
    # max_temp_directory_size: what one query may spill to disk; default twice the memory limit.
    "duckdb": {"memory_limit": None, "threads": None, "max_temp_directory_size": None},
    "bedrock": {"region": "us-east-1", "agent_id": None, "agent_alias_id": None,
                "model_id": None,            # None: Claude 3.7 Sonnet through the region's inference profile
                "max_turns": 8, "max_tokens": 2048,
                "max_attempts": 4, "retry_mode": "adaptive", "connect_timeout_seconds": 10,
                "read_timeout_seconds": 300, "aws_profile": None,
                "memory_id": None,           # bedrock-agents: an agent memory id, or per_user; None: no memory
                "stream": True,              # bedrock-agents: ask for the final response as a stream
                "agent_names": {}},          # Bedrock agent id or name -> our agent name
    "openai": {"base_url": "https://api.openai.com/v1", "model": None, "api_key": None,
               "timeout_seconds": 180.0, "max_attempts": 3, "max_tokens": 2048, "temperature": 0.0,
               "stream": False},
    "llm": {"max_tool_calls": 16, "max_total_tokens": 200000},   # per question, bedrock and openai backends
    "search": {"provider": "offline", "url": None, "api_key": None},
    "webhooks": {"url": None, "secret": None, "allow_hosts": [], "endpoints": {},
                 "api_keys": [], "inbound_secret": None, "inbound_tolerance_s": 300, "max_body_bytes": 65536,
                 "attempts": 3, "backoff_s": [0.5, 2, 8], "timeout_s": 5.0, "max_retry_after_s": 60,
                 "redeliver_after_s": [60, 600, 3600, 10800],
                 "shutdown_grace_s": 30},
    "slack": {"bot_token": None, "signing_secret": None, "app_token": None, "api_url": None,
              "secrets_manager_id": None, "allowed_channels": [], "allowed_users": [],
              "workers": 2, "worker_mode": "process", "command": "revops", "state_path": None},
    "conversations": {"enabled": True, "path": None},
    "user": {"rep": None},           # the rep "my deals" means on the CLI: users.user_id, email or name
    "alerts": {"to": [],             # destinations of alerts that name none: slack:#channel, webhook:NAME
               "path": None,         # the alert state (SQLite); default <home>/alerts.db
               "log": None},         # the JSON-lines log of runs; default <home>/alerts.jsonl
    "mcp": {"host": "127.0.0.1", "port": 8765, "path": "/mcp",   # `revops serve-mcp --http` (docs/mcp.md)
            "token": None,                 # bearer token; required when --host is not a loopback address
            "recent_conversations": 20},   # how many the revops://conversations/recent resource lists
    "actions": {"pending_ttl_seconds": 3600.0,   # how long a dry run can be confirmed
                "approvers": [],               # who may confirm others' dry runs: "U0123" (on the asker's channel)
                                               # or "channel:user", e.g. "slack:U0123", "cli:alice"
                "path": None},                 # the pending-action store; default <home>/actions.db
    "queue": {"kind": "sqlite", "path": None, "sqs_queue_url": None, "sqs_status_queue_url": None, "visibility_timeout": 300, "max_receives": 5,
              "retry_delay_s": 10},
}

# Short environment names for the settings people set most.
ENV_ALIASES: dict[str, str] = {
    "REVOPS_WAREHOUSE": "warehouse.kind",
    "REVOPS_DUCKDB_PATH": "warehouse.path",
    "REVOPS_FIREBOLT_URL": "warehouse.url",
    "REVOPS_FIREBOLT_ACCOUNT": "warehouse.account",
    "REVOPS_FIREBOLT_DATABASE": "warehouse.database",
    "REVOPS_FIREBOLT_ENGINE": "warehouse.engine",
    "REVOPS_FIREBOLT_CLIENT_ID": "warehouse.client_id",
    "REVOPS_FIREBOLT_CLIENT_SECRET": "warehouse.client_secret",
    "REVOPS_BACKEND": "backend",
    "REVOPS_AS_OF": "as_of",
    "REVOPS_WEBHOOK_URL": "webhooks.url",
    "REVOPS_WEBHOOK_SECRET": "webhooks.secret",
    "REVOPS_WEBHOOK_ALLOW_HOSTS": "webhooks.allow_hosts",
    "REVOPS_SLACK_BOT_TOKEN": "slack.bot_token",
    "REVOPS_SLACK_SIGNING_SECRET": "slack.signing_secret",
    "REVOPS_SLACK_APP_TOKEN": "slack.app_token",
    "REVOPS_SEARCH_API_KEY": "search.api_key",
    "REVOPS_MCP_TOKEN": "mcp.token",
    "REVOPS_BEDROCK_AGENT_ID": "bedrock.agent_id",
    "REVOPS_BEDROCK_AGENT_ALIAS_ID": "bedrock.agent_alias_id",
    "REVOPS_BEDROCK_MODEL_ID": "bedrock.model_id",
    "REVOPS_OPENAI_BASE_URL": "openai.base_url",
    "REVOPS_OPENAI_MODEL": "openai.model",
    "REVOPS_OPENAI_API_KEY": "openai.api_key",
}

# Settings whose value is a free-form mapping (user keys), not a section of known settings.
MAPPING_KEYS = frozenset({"tables", "endpoints", "agent_names"})



def user_home() -> Path:
    return Path(os.environ.get("REVOPS_HOME") or Path.home() / ".revops").expanduser()


# ---------------------------------------------------------------------------------- typed sections
# The settings code reads most often, as typed records: coerced (and so checked) when the settings are
# loaded, so a call site reads `settings.query.timeout_seconds` (a float) instead of
# `float(settings.get("query.timeout_seconds", 30))`. `settings.get("a.b")` keeps working for everything.

@dataclass(frozen=True)
class QuerySection:
    row_limit: int
    timeout_seconds: float


@dataclass(frozen=True)
class CacheSection:
    enabled: bool
    ttl_seconds: float


@dataclass(frozen=True)
class QueueSection:
    kind: str
    visibility_timeout: float
    max_receives: int
    retry_delay_s: float


@dataclass(frozen=True)
class WebhooksSection:
    attempts: int
    timeout_s: float
    max_retry_after_s: float
    inbound_tolerance_s: float
    max_body_bytes: int
    shutdown_grace_s: float


@dataclass(frozen=True)
class SlackSection:
    workers: int
    worker_mode: str
    command: str


SECTIONS: dict[str, type] = {"query": QuerySection, "cache": CacheSection, "queue": QueueSection,
                             "webhooks": WebhooksSection, "slack": SlackSection}


def typed_section(settings: "Settings", name: str) -> Any:
    """The section `name` as its record, each field coerced to its declared type (bool, int, float, str).
    A value that cannot be is a ConfigError naming where it came from (file:line, env variable, flag)."""
    import dataclasses

    cls = SECTIONS[name]
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        dotted = f"{name}.{f.name}"
        raw = settings.get(dotted, DEFAULTS.get(name, {}).get(f.name))
        kind = {"bool": bool, "int": int, "float": float, "str": str}[f.type if isinstance(f.type, str) else f.type.__name__]
        try:
            if kind is bool:
                value = raw if isinstance(raw, bool) else str(raw).strip().lower() in ("1", "true", "yes", "on")
            elif kind in (int, float) and (isinstance(raw, bool) or raw is None):
                raise ValueError(raw)
            else:
                value = kind(raw)
                if kind is int and isinstance(raw, float) and not raw.is_integer():
                    raise ValueError(raw)
        except (TypeError, ValueError):
            where = settings.origins.get(dotted, "the defaults")
            raise ConfigError(f"{where}: {dotted} should be {'a whole number' if kind is int else 'a number'}, "
                              f"got {raw!r}", "fix it in revops.yaml or the environment") from None
        values[f.name] = value
    return cls(**values)


@dataclass
class Settings:
    data: dict[str, Any]
    home: Path
    profile: str = "default"
    files: list[Path] = field(default_factory=list)
    origins: dict[str, str] = field(default_factory=dict)   # dotted key -> where the value came from

    def section(self, name: str) -> Any:
        """A typed section (see SECTIONS), read from `data` as it is now (a few microseconds; `load_settings`
        has already built each once, so a value that cannot be coerced never gets this far)."""
        return typed_section(self, name)

    @property
    def query(self) -> QuerySection:
        return self.section("query")

    @property
    def cache(self) -> CacheSection:
        return self.section("cache")

    @property
    def queue(self) -> QueueSection:
        return self.section("queue")

    @property
    def webhooks(self) -> WebhooksSection:
        return self.section("webhooks")

    @property
    def slack(self) -> SlackSection:
        return self.section("slack")

    def get(self, dotted: str, default: Any = None) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return default if node is None else node

    # Paths the product writes to, all under the user dir unless configured.
    @property
    def duckdb_path(self) -> Path:
        p = self.get("warehouse.path")
        return Path(p).expanduser() if p else self.home / "demo.duckdb"

    @property
    def cache_path(self) -> Path:
        p = self.get("cache.path")
        return Path(p).expanduser() if p else self.home / "cache.duckdb"

    @property
    def conversations_path(self) -> Path:
        p = self.get("conversations.path")
        return Path(p).expanduser() if p else self.home / "conversations.db"

    @property
    def as_of(self) -> date:
        v = self.get("as_of")
        if not v:
            return date.today()
        if isinstance(v, date):
            return v
        try:
            return date.fromisoformat(str(v))
        except ValueError:
            raise ConfigError(f"as_of {v!r} is not a date", "use YYYY-MM-DD") from None

    @property
    def fiscal_year_start_month(self) -> int:
        """The month (1..12) the fiscal year starts in; checked when the settings are loaded."""
        return int(self.get("calendar.fiscal_year_start_month", 1))

    def table(self, canonical: str) -> str:
        """The real table name for a canonical one (`tables:` in revops.yaml)."""
        return (self.data.get("tables") or {}).get(canonical, canonical)

    def masked(self) -> dict[str, Any]:
        def walk(node: Any, key: str = "") -> Any:
            if isinstance(node, dict):
                return {k: walk(v, k) for k, v in node.items()}
            if is_secret_key(key):
                return mask(node)
            if isinstance(node, list):
                return [redact_text(v) for v in node]
            return redact_text(node)     # e.g. a password inside a URL setting
        return walk(self.data)


def _deep_merge(base: dict, over: dict, origin: str, origins: dict, prefix: str = "") -> dict:
    for k, v in over.items():
        dotted = f"{prefix}{k}"
        if isinstance(v, dict) and isinstance(base.get(k), dict) and k not in MAPPING_KEYS:
            _deep_merge(base[k], v, origin, origins, dotted + ".")
        else:
            base[k] = copy.deepcopy(v)
            origins[dotted] = origin
    return base


def _set_dotted(data: dict, dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = data
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value


def _coerce(dotted: str, value: str) -> Any:
    """Turn an environment string into the type of the default at that key."""
    node: Any = DEFAULTS
    for p in dotted.split("."):
        node = node.get(p) if isinstance(node, dict) else None
    if isinstance(node, bool):
        return value.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(node, int):
        return int(value)
    if isinstance(node, float):
        return float(value)
    if isinstance(node, list):
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


def _key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Line numbers of every mapping key, so a bad value can be reported with its line."""
    import yaml

    lines: dict[tuple[str, ...], int] = {}

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = str(k.value)
                lines[path + (key,)] = k.start_mark.line + 1
                walk(v, path + (key,))

    try:
        walk(yaml.compose(text), ())
    except yaml.YAMLError:
        pass
    return lines


def check_home(home: Path) -> None:
    """REVOPS_HOME must be a folder revops can read and write, or one it can create: else exit 3 with
    what to fix (before any question is answered)."""
    fix = "set REVOPS_HOME to a folder you can write"
    try:
        if home.exists() or home.is_symlink():
            if not home.is_dir():
                raise ConfigError(f"REVOPS_HOME {home} is not a folder (it is a file)", f"{fix}, or remove the file")
            if not os.access(home, os.R_OK | os.W_OK | os.X_OK):
                raise ConfigError(f"REVOPS_HOME {home} cannot be read and written (permissions or a read-only disk)",
                                  f"{fix}, or fix its permissions")
            return
        parent = home.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir():
            raise ConfigError(f"REVOPS_HOME {home} cannot be created: {parent} is a file, not a folder", fix)
        if not os.access(parent, os.W_OK | os.X_OK):
            raise ConfigError(f"REVOPS_HOME {home} cannot be created in {parent} (permissions or a read-only disk)", fix)
    except OSError as exc:
        raise ConfigError(f"REVOPS_HOME {home} cannot be used: {exc.strerror or exc}", fix) from None


def _read_config_text(path: Path) -> str:
    """The file's text; a file that cannot be read, or is not UTF-8 text, is a ConfigError naming it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})",
                          "fix its permissions, or remove it") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); is it a binary file?",
                          "save it as UTF-8 YAML, or remove it") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ConfigError(f"{path}:{line}: not a text file (it holds NUL bytes)",
                          "save it as UTF-8 YAML, or remove it")
    return text


def _load_file(path: Path) -> dict[str, Any]:
    import yaml

    text = _read_config_text(path)
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    except yaml.reader.ReaderError as exc:       # a character YAML does not allow (a control character)
        line = text.count("\n", 0, exc.position) + 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        raise ConfigError(f"{path}:{line}: not a YAML text file (control character #x{char:02x} is not allowed)",
                          "save it as UTF-8 YAML, or remove it") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        context = getattr(exc, "context_mark", None)
        if context is not None and (mark is None or mark.line >= len(text.splitlines())):
            mark = context          # an unclosed bracket or quote: name the line where it opened
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{where}: {problem}", "fix the YAML syntax on that line") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: expected a mapping of settings", "see `revops init` for an example")
    lines = _key_lines(text)
    _validate(data, path, lines)
    _check_ranges(data, lambda dotted: f"{path}:{lines.get(tuple(dotted.split('.')), 1)}")
    for name, prof in (data.get("profiles") or {}).items():
        _check_ranges(prof, lambda dotted: f"{path}:{lines.get(('profiles', str(name)) + tuple(dotted.split('.')), 1)}")
    return data


# Settings with a range beyond their type: dotted key -> (check, what a good value is).
RANGES: dict[str, tuple[Any, str]] = {
    "calendar.fiscal_year_start_month": (lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 12,
                                         "a month number 1..12 (1 = January, 2 = February)"),
}


def _check_ranges(data: dict, where: Any) -> None:
    """Values out of their range: `where(dotted)` names the file line or the environment variable."""
    for dotted, (ok, good) in RANGES.items():
        node: Any = data
        for part in dotted.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None and not ok(node):
            raise ConfigError(f"{where(dotted)}: {dotted.split('.')[-1]!r} should be {good}, got {node!r}",
                              "fix the value")


def _validate(data: dict, path: Path, lines: dict[tuple[str, ...], int], prefix: tuple[str, ...] = (),
              defaults: dict | None = None) -> None:
    defaults = DEFAULTS if defaults is None else defaults
    for k, v in data.items():
        key = prefix + (str(k),)
        where = f"{path}:{lines.get(key, 1)}"
        if not prefix and k == "profiles":
            if not isinstance(v, dict):
                raise ConfigError(f"{where}: 'profiles' must be a mapping of profile names", "see `revops init`")
            for name, prof in v.items():
                if not isinstance(prof, dict):
                    raise ConfigError(f"{path}:{lines.get(key + (str(name),), 1)}: profile {name!r} must be a mapping",
                                      "see `revops init`")
                _validate(prof, path, lines, key + (str(name),), DEFAULTS)
            continue
        if k not in defaults:
            from rapidfuzz import process

            best = process.extractOne(str(k), list(defaults)) if defaults else None
            hint = f"did you mean {best[0]!r}?" if best and best[1] > 70 else "see `revops init` for the known settings"
            raise ConfigError(f"{where}: unknown setting {'.'.join(key[-2:] if prefix else key)!r}", hint)
        d = defaults[k]
        if isinstance(d, dict) and k not in MAPPING_KEYS:
            if not isinstance(v, dict):
                raise ConfigError(f"{where}: {k!r} must be a mapping", "see `revops init`")
            _validate(v, path, lines, key, d)
        elif v is not None and d is not None and not isinstance(d, dict):
            ok = (isinstance(v, bool) if isinstance(d, bool) else
                  isinstance(v, (int, float)) and not isinstance(v, bool) if isinstance(d, (int, float)) else
                  isinstance(v, (list, str)) if isinstance(d, list) else True)
            if not ok:
                raise ConfigError(f"{where}: {k!r} should be a {type(d).__name__}, got {v!r}",
                                  "fix the value on that line")


def load_settings(profile: str | None = None, overrides: dict[str, Any] | None = None,
                  cwd: Path | None = None) -> Settings:
    home = user_home()
    check_home(home)
    data = copy.deepcopy(DEFAULTS)
    origins: dict[str, str] = {}
    files: list[Path] = []
    raw_layers: list[tuple[dict, str]] = []
    for path in (home / CONFIG_FILENAME, (cwd or Path.cwd()) / CONFIG_FILENAME):
        try:
            present = path.exists()
        except OSError as exc:
            raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})", "fix the folder's permissions") from None
        if present and not path.is_file():
            raise ConfigError(f"{path}: is not a file (a folder?)", "remove it, or rename it")
        if present and path not in files:
            files.append(path)
            raw_layers.append((_load_file(path), str(path)))
    profile = profile or os.environ.get("REVOPS_PROFILE") or "default"
    known_profiles = {"default"}
    for layer, origin in raw_layers:
        profiles = layer.pop("profiles", {}) or {}
        known_profiles.update(profiles)
        _deep_merge(data, layer, origin, origins)
        if profile in profiles:
            _deep_merge(data, profiles[profile], f"{origin} (profile {profile})", origins)
    if profile not in known_profiles:
        raise ConfigError(f"unknown profile {profile!r}",
                          f"known profiles: {', '.join(sorted(known_profiles))}; define it under 'profiles:' in revops.yaml")
    for env, value in os.environ.items():
        if not env.startswith("REVOPS_") or env in ("REVOPS_HOME", "REVOPS_PROFILE"):
            continue
        dotted = ENV_ALIASES.get(env)
        if dotted is None and "__" in env:
            dotted = env[len("REVOPS_"):].lower().replace("__", ".")
        if dotted is None:
            continue
        try:
            _set_dotted(data, dotted, _coerce(dotted, value))
        except ValueError:
            raise ConfigError(f"environment variable {env}={value!r} has the wrong type", "fix or unset it") from None
        origins[dotted] = f"env {env}"
    for dotted, value in (overrides or {}).items():
        if value is not None:
            _set_dotted(data, dotted, value)
            origins[dotted] = "flag"
    _check_ranges(data, lambda dotted: origins.get(dotted, dotted))
    settings = Settings(data=data, home=home, profile=profile, files=files, origins=origins)
    for name in SECTIONS:              # coerced now: a bad value fails here, naming its origin, not mid-answer
        settings.section(name)
    return settings


INIT_TEMPLATE = """\
# revops.yaml: settings for the revops CLI and servers.
# Looked up in the user dir (REVOPS_HOME, default ~/.revops), then in the current folder (wins).
# Environment variables override files: REVOPS_<SECTION>__<KEY>, or the short names in the README.
# Flags override everything. Secrets are best left to the environment.

warehouse:
  kind: duckdb                 # duckdb (embedded, the demo by default) | firebolt
  # path: ~/.revops/demo.duckdb
  # Firebolt cloud:   account, database, engine, client_id, client_secret
  # Firebolt Core:    url: http://localhost:3473, database
  writable_table: crm_outbox   # where CRM updates from the Execution agent are recorded

# Map canonical tables to your warehouse's names (see docs/ARCHITECTURE.md for the schema).
tables: {}
#   opportunities: sfdc_opportunity
#   calls: gong_calls

backend: local                 # local | bedrock-agents | bedrock | openai (docs/llm-backends.md)
# as_of: 2026-11-24            # pin "today" for reproducible answers

calendar:
  fiscal_year_start_month: 1   # 1..12; 2 = the fiscal year starts in February (FY2027 = Feb 2026..Jan 2027)

cache:
  enabled: true
  ttl_seconds: 3600            # online answers reuse results younger than this; --refresh skips the cache

query:                         # limits on every query (README: Security, Queries)
  row_limit: 10000             # more rows are cut, with a note
  timeout_seconds: 30          # a longer query is stopped (exit 5)
  max_result_bytes: 64MB       # a bigger result is cut, with a note

duckdb: {}                     # the embedded warehouse's limits; a query over one stops (exit 5)
#   memory_limit: 2GB          # default: a quarter of memory, at most 2 GiB; also e.g. "25%"
#   threads: 2                 # default: half the cores, at least 2, at most 8
#   max_temp_directory_size: 4GB   # what one query may spill to disk; default twice memory_limit

# bedrock:
#   region: us-east-1
#   agent_id: PVWGKOWSOT
#   agent_alias_id: TSTALIASID
#   model_id: us.anthropic.claude-3-7-sonnet-20250219-v1:0   # an inference profile id (default: this one, per region)
#   memory_id: per_user        # bedrock-agents: agent memory per channel and user (or a fixed memory id)
#   stream: true               # bedrock-agents: the final answer streams as it is written

# --backend openai: any OpenAI-compatible Chat Completions server (OpenAI, Ollama, vLLM, llama.cpp, LM Studio).
# openai:
#   base_url: http://localhost:11434/v1   # Ollama; OpenAI: https://api.openai.com/v1 (the default)
#   model: qwen2.5:7b                     # a model that supports tool calling
#   api_key: set REVOPS_OPENAI_API_KEY instead (none needed for local servers)
#   timeout_seconds: 180
#   max_tokens: 2048                      # per reply; 0 = not sent (OpenAI's reasoning models)
#   stream: false                         # true: the answer appears as it is written

# The budget of one question for the model-driven backends (bedrock, openai); 0 = no limit.
# llm:
#   max_tool_calls: 16
#   max_total_tokens: 200000

search:
  provider: offline            # offline (company_research table) | http
  # url: https://search.example.com/v1/search
  # api_key: set REVOPS_SEARCH_API_KEY instead

webhooks:
  # url: https://your-app.example.com/revops     # or REVOPS_WEBHOOK_URL
  # secret: set REVOPS_WEBHOOK_SECRET             # Standard Webhooks signing secret
  allow_hosts: []
  endpoints: {}
  #   crm_alerts: {url: https://hooks.example.com/alerts}

conversations:
  enabled: true                # log every answer to <home>/conversations.db

mcp:                           # `revops serve-mcp` for Claude Desktop, Cursor, ... (docs/mcp.md)
  host: 127.0.0.1              # --http only; beyond loopback a bearer token is required
  port: 8765
  path: /mcp
  # token: set REVOPS_MCP_TOKEN instead   # clients send Authorization: Bearer <token>
  recent_conversations: 20     # listed by the revops://conversations/recent resource

actions:                       # dry runs wait in <home>/actions.db for a confirmation of exactly what was shown
  pending_ttl_seconds: 3600    # after this, a dry run can no longer be confirmed
  approvers: []                # who may confirm others' dry runs: U0123 (on the asker's channel) or slack:U0123

profiles:
  prod:
    warehouse:
      kind: firebolt
      database: dwh_prod
      engine: dwh_prod_analytics
    backend: bedrock-agents
"""
