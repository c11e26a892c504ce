"""Export logged conversations for monitoring: a folder or S3, one directory per conversation.

Layout (times in UTC):

    <destination>/YYYY/MM/DD/<YYYY-MM-DDTHH-MM-SS>_<suffix>/conversation.json
                                                        /metadata.json

`<YYYY-MM-DDTHH-MM-SS>` is when the conversation started; `<suffix>` keeps two conversations of the same
second apart: the first 8 hex digits of the id when it is a `req_<hex>` id (so the folder of
`revops conversations show 1a2b3c4d` is easy to find), else 8 hex digits of the id's SHA-1.

- conversation.json: what happened — ids, channel, user and source, the query and its temporal context,
  the agents, the agent flow (per agent: routing decisions with reasons, hand-offs, tool executions with
  summarised parameters, data operations with their SQL pattern, notes, errors), the collaboration map,
  the final response, success and processing time. Its bytes depend only on the logged record and the
  format version, so an unchanged conversation exports to identical bytes.
- metadata.json: about the export and the record — exported_at, exporter and format versions, the
  destination kind, summary counts, performance figures, the quality assessment (quality.py) and the
  redaction counts (never the redacted values).

Idempotent re-runs: a conversation whose conversation.json already holds the same bytes (and whose
metadata.json exists) is not rewritten and counts as "unchanged"; anything else is (re)written, so
nothing is duplicated and nothing is lost. (metadata.json is derived from the conversation; after
changing the quality threshold, pass `force=True` to rewrite it.) On S3 the comparison uses the ETag
from one listing per day folder, which is the MD5 of the bytes for a plain put; with SSE-KMS the ETag
is not an MD5, so objects are rewritten each run (still at the same keys: no duplicates).

In a folder, metadata.json is written before conversation.json, so conversation.json acts as the commit
marker: an interrupted export leaves a missing or different conversation.json, which the next run detects
(size, then bytes) and rewrites together with metadata.json.

Secrets and system prompts are redacted again at export (defense in depth), before parameters are
truncated, so a truncated value can never expose part of a secret.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from revops_cli import __version__
from revops_cli.conversations.quality import DEFAULT_THRESHOLD, assess
from revops_cli.private_files import open_private, private_dir
from revops_cli.redaction import might_need_redaction, redact, redact_obj
from revops_cli.errors import ActionError, ConfigError, NotFoundError, UsageError
from revops_cli.formatting import json_default

FORMAT_VERSION = "1.0"
EXPORTER = "revops-cli"
MAX_PARAM_CHARS = 200
MAX_PARAM_ITEMS = 20
MAX_PARAM_DEPTH = 4
S3_WORKERS = 16

SCHEMAS_DIR = Path(__file__).parent / "schemas"   # conversation.schema.json, metadata.schema.json (draft 2020-12)

_REQ_ID = re.compile(r"^[a-z]+_([0-9a-f]{8,})$")


# --------------------------------------------------------------------------- summary


def load_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of an export file: `load_schema("conversation")` or `load_schema("metadata")`."""
    return json.loads((SCHEMAS_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))


@dataclass
class ExportSummary:
    destination: str
    kind: str                       # folder | s3
    total: int = 0                  # conversations read from the log
    written: int = 0                # conversations whose files were (re)written
    unchanged: int = 0              # already exported with identical content
    flagged: int = 0                # quality below the threshold
    redactions: int = 0             # secrets found at export time (should be 0: the log redacts first)
    failed: list[dict[str, str]] = field(default_factory=list)   # {conversation_id, error}
    elapsed_s: float = 0.0
    threshold: float = DEFAULT_THRESHOLD

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def rate(self) -> float:
        """Conversations per second."""
        return self.total / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"destination": self.destination, "kind": self.kind, "total": self.total,
                "written": self.written, "unchanged": self.unchanged, "flagged": self.flagged,
                "redactions": self.redactions, "failed": list(self.failed), "threshold": self.threshold,
                "elapsed_s": round(self.elapsed_s, 3), "rate_per_s": round(self.rate, 1), "ok": self.ok}


# --------------------------------------------------------------------------- building the documents


@lru_cache(maxsize=1024)
def _second_iso(sec: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))


def _ms_iso(ts: float | None) -> str | None:
    """Epoch seconds -> ISO 8601 UTC with milliseconds (`2025-08-03T03:25:49.123Z`)."""
    if ts is None:
        return None
    ms = int(round(ts * 1000))
    return f"{_second_iso(ms // 1000)}.{ms % 1000:03d}Z"


def _parse_iso(s: str) -> datetime:
    return datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith("Z") else s)


def short_suffix(conversation_id: str) -> str:
    m = _REQ_ID.match(conversation_id)
    if m:
        return m.group(1)[:8]
    return hashlib.sha1(conversation_id.encode()).hexdigest()[:8]


def relative_dir(conversation_id: str, started_at: str) -> str:
    """`YYYY/MM/DD/<YYYY-MM-DDTHH-MM-SS>_<suffix>` for a conversation (started_at as stored, UTC)."""
    d = started_at[:10]
    stamp = started_at[:19].replace(":", "-")
    return f"{d[:4]}/{d[5:7]}/{d[8:10]}/{stamp}_{short_suffix(conversation_id)}"


def summarize_params(value: Any, depth: int = 0) -> Any:
    """Parameters as shown in an export: long strings and lists truncated, deep nesting elided."""
    if isinstance(value, str):
        if len(value) > MAX_PARAM_CHARS:
            return value[:MAX_PARAM_CHARS] + f"… (+{len(value) - MAX_PARAM_CHARS} chars)"
        return value
    if isinstance(value, dict):
        if depth >= MAX_PARAM_DEPTH:
            return f"{{… {len(value)} keys}}"
        return {str(k): summarize_params(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if depth >= MAX_PARAM_DEPTH:
            return f"[… {len(value)} items]"
        items = [summarize_params(v, depth + 1) for v in value[:MAX_PARAM_ITEMS]]
        if len(value) > MAX_PARAM_ITEMS:
            items.append(f"… (+{len(value) - MAX_PARAM_ITEMS} items)")
        return items
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)


def _as_of(rec: dict[str, Any]) -> str | None:
    """The analysis date ("today" of the answer) if the answer or its steps carry one."""
    candidates: list[Any] = [(rec.get("data") or {}).get("as_of"), (rec.get("params") or {}).get("as_of")]
    candidates += [(s.get("params") or {}).get("as_of") for s in rec.get("steps") or []]
    for c in candidates:
        if isinstance(c, str) and re.match(r"^\d{4}-\d{2}-\d{2}", c):
            return c[:10]
    return None


def _quarter(d: date) -> str:
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


def _step_span(steps: list[dict[str, Any]]) -> tuple[float, float]:
    start = min(s.get("started_at") or 0.0 for s in steps)
    end = max((s.get("started_at") or 0.0) + (s.get("duration_ms") or 0.0) / 1000.0 for s in steps)
    return start, end


def build_conversation(rec: dict[str, Any]) -> dict[str, Any]:
    """conversation.json for a (redacted) log record."""
    steps: list[dict[str, Any]] = rec.get("steps") or []
    asked = _parse_iso(rec["started_at"])
    as_of = _as_of(rec)

    # Agent flow: consecutive steps by the same agent form one segment, in order.
    segments: list[list[dict[str, Any]]] = []
    for s in steps:
        if segments and segments[-1][0].get("agent") == s.get("agent"):
            segments[-1].append(s)
        else:
            segments.append([s])
    flow = []
    for seq, seg in enumerate(segments, 1):
        start, end = _step_span(seg)
        routing, handoffs, tools, data_ops, notes, errors = [], [], [], [], [], []
        for s in seg:
            kind, at = s.get("kind"), _ms_iso(s.get("started_at"))
            params = s.get("params") or {}
            if kind == "route":
                routing.append({"decision": s.get("name") or "", "reason": s.get("detail") or "",
                                "parameters": summarize_params(params), "at": at})
            elif kind == "handoff":
                handoffs.append({"to": s.get("name") or "", "what": s.get("detail") or "", "at": at})
            elif kind == "tool":
                tools.append({"tool": s.get("name") or "", "parameters": summarize_params(params),
                              "summary": s.get("detail") or "", "started_at": at,
                              "duration_ms": round(s.get("duration_ms") or 0.0, 3), "rows": s.get("rows"),
                              "success": bool(s.get("ok", True)), "error": s.get("error"),
                              "cached": s.get("cached"), "sql_pattern": s.get("sql_pattern")})
                if s.get("sql_pattern") or "sql" in params:
                    data_ops.append({"tool": s.get("name") or "", "sql_pattern": s.get("sql_pattern"),
                                     "rows": s.get("rows"), "success": bool(s.get("ok", True)),
                                     "cached": s.get("cached"), "duration_ms": round(s.get("duration_ms") or 0.0, 3)})
            elif kind == "note":
                notes.append({"text": s.get("detail") or "", "at": at})
            if kind == "error" or not s.get("ok", True):
                errors.append({"kind": kind, "name": s.get("name"), "error": s.get("error") or s.get("detail") or "",
                               "at": at})
        flow.append({
            "sequence": seq,
            "agent": seg[0].get("agent") or "unknown",
            "started_at": _ms_iso(start),
            "duration_ms": round((end - start) * 1000.0, 3),
            "step_count": len(seg),
            "reasoning_breakdown": {"routing_decisions": routing, "handoffs": handoffs, "tool_executions": tools,
                                    "data_operations": data_ops, "notes": notes, "errors": errors},
        })

    collaboration = [
        {"sequence": i, "from": s.get("agent") or "unknown", "to": s.get("name") or "unknown", "kind": s.get("kind"),
         "what": s.get("detail") or "", "at": _ms_iso(s.get("started_at"))}
        for i, s in enumerate((s for s in steps if s.get("kind") in ("route", "handoff")), 1)
    ]

    return {
        "format_version": FORMAT_VERSION,
        "conversation_id": rec["conversation_id"],
        "session_id": rec.get("session_id"),
        "request_id": rec.get("request_id"),
        "channel": rec.get("channel"),
        "user": rec.get("user"),
        "source": {"system": rec.get("source_system"), "process": rec.get("source_process")},
        "backend": rec.get("backend"),
        "started_at": rec["started_at"],
        "ended_at": rec.get("ended_at"),
        "user_query": rec.get("query") or "",
        "request_params": rec.get("params") or {},
        "temporal_context": {
            "asked_at": rec["started_at"],
            "day_of_week": asked.strftime("%A"),
            "quarter": _quarter(asked.date()),
            "as_of": as_of,
            "as_of_quarter": _quarter(date.fromisoformat(as_of)) if as_of else None,
        },
        "agents_involved": rec.get("agents_involved") or [],
        "answering_agent": rec.get("agent"),
        "agent_flow": flow,
        "collaboration_map": collaboration,
        "final_response": {
            "agent": rec.get("agent"),
            "text": rec.get("response") or "",
            "data": rec.get("data") or {},
            "sources": rec.get("sources") or [],
            "pending_actions": rec.get("pending_actions") or [],
        },
        "answer_receipt": rec.get("receipt") or (rec.get("data") or {}).get("receipt") or None,
        "success": bool(rec.get("ok")),
        "error": rec.get("error"),
        "processing_time_ms": round(rec.get("duration_ms") or 0.0, 3),
    }


def build_metadata(rec: dict[str, Any], redactions: dict[str, dict[str, int]], *, exported_at: str,
                   destination_kind: str, rel: str, content_sha256: str,
                   threshold: float = DEFAULT_THRESHOLD) -> dict[str, Any]:
    steps = rec.get("steps") or []
    tools = [s for s in steps if s.get("kind") == "tool"]
    slowest = max(tools, key=lambda s: s.get("duration_ms") or 0.0, default=None)
    by_kind: dict[str, int] = {}
    for counts in redactions.values():
        for k, n in counts.items():
            by_kind[k] = by_kind.get(k, 0) + n
    quality = assess(rec, redactions=redactions, threshold=threshold)
    return {
        "format_version": FORMAT_VERSION,
        "conversation_id": rec["conversation_id"],
        "export": {
            "exported_at": exported_at,
            "exporter": EXPORTER,
            "exporter_version": __version__,
            "format_version": FORMAT_VERSION,
            "destination_kind": destination_kind,
            "path": rel,
            "content_sha256": content_sha256,
        },
        "summary": {
            "steps": len(steps),
            "tool_calls": len(tools),
            "failed_tools": sum(1 for s in tools if not s.get("ok", True)),
            "agents": len(rec.get("agents_involved") or []),
            "routing_decisions": sum(1 for s in steps if s.get("kind") == "route"),
            "handoffs": sum(1 for s in steps if s.get("kind") == "handoff"),
            "errors": sum(1 for s in steps if s.get("kind") == "error" or not s.get("ok", True)),
        },
        "performance": {
            "duration_ms": round(rec.get("duration_ms") or 0.0, 3),
            "tool_time_ms": round(sum(s.get("duration_ms") or 0.0 for s in tools), 3),
            "slowest_tool": None if slowest is None else {
                "tool": slowest.get("name") or "", "agent": slowest.get("agent") or "unknown",
                "duration_ms": round(slowest.get("duration_ms") or 0.0, 3)},
        },
        "quality": quality.to_dict(),
        "redactions": {
            "total": sum(by_kind.values()),
            "by_kind": dict(sorted(by_kind.items())),
            "by_field": {g: dict(sorted(c.items())) for g, c in sorted(redactions.items()) if c},
        },
    }


_REDACTED_FIELDS = {"query": ("query", "params", "user", "source_system", "source_process"),
                    "response": ("response", "error"), "steps": ("steps",),
                    "data": ("data", "sources", "pending_actions")}


def redact_record(rec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, int]]]:
    """Redact a log record again; returns (record, counts found now by group)."""
    found: dict[str, dict[str, int]] = {}
    if not might_need_redaction([rec.get(f) for fields in _REDACTED_FIELDS.values() for f in fields]):
        return rec, found
    out = dict(rec)
    for group, fields in _REDACTED_FIELDS.items():
        for f in fields:
            v = rec.get(f)
            if v is None:
                continue
            new, counts = redact(v) if isinstance(v, str) else redact_obj(v)
            if counts:
                out[f] = new
                bucket = found.setdefault(group, {})
                for k, n in counts.items():
                    bucket[k] = bucket.get(k, 0) + n
    return out, found


def _merge_counts(a: dict[str, dict[str, int]], b: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    out = {g: dict(c) for g, c in (a or {}).items()}
    for g, c in (b or {}).items():
        bucket = out.setdefault(g, {})
        for k, n in c.items():
            bucket[k] = bucket.get(k, 0) + n
    return out


def _dumps(obj: Any) -> bytes:
    # No indent: json's C encoder only runs without one (indent=1 is ~4x slower). `jq .` pretty-prints.
    return json.dumps(obj, ensure_ascii=False, default=json_default).encode("utf-8")


def render(rec: dict[str, Any], *, exported_at: str, destination_kind: str,
           threshold: float = DEFAULT_THRESHOLD) -> tuple[str, bytes, bytes, bool, int]:
    """(relative dir, conversation.json bytes, metadata.json bytes, flagged, redactions found now)."""
    clean, found = redact_record(rec)
    rel = relative_dir(clean["conversation_id"], clean["started_at"])
    conv = _dumps(build_conversation(clean))
    redactions = _merge_counts(rec.get("redactions") or {}, found)
    meta_doc = build_metadata(clean, redactions, exported_at=exported_at, destination_kind=destination_kind,
                              rel=rel, content_sha256=hashlib.sha256(conv).hexdigest(), threshold=threshold)
    flagged = meta_doc["quality"]["flagged"]
    return rel, conv, _dumps(meta_doc), flagged, sum(sum(c.values()) for c in found.values())


# --------------------------------------------------------------------------- destinations


class _FolderSink:
    kind = "folder"

    def __init__(self, root: str):
        self.root = os.path.abspath(os.path.expanduser(root[len("file://"):] if root.startswith("file://") else root))
        try:
            private_dir(self.root)           # folders revops makes are 0700 (an existing one is left as it is)
        except OSError as exc:
            raise ConfigError(f"cannot create export folder {self.root}: {exc.strerror}",
                              "choose a folder you can write to") from None
        if not os.access(self.root, os.W_OK):
            raise ConfigError(f"export folder {self.root} is not writable", "choose a folder you can write to")
        self._days: set[str] = set()
        self.written = 0
        self.failures: list[dict[str, str]] = []

    def unchanged(self, rel: str, conv: bytes) -> bool:
        d = os.path.join(self.root, rel)
        p = os.path.join(d, "conversation.json")
        try:
            if os.stat(p).st_size != len(conv) or not os.path.exists(os.path.join(d, "metadata.json")):
                return False
            with open(p, "rb") as f:
                return f.read() == conv
        except FileNotFoundError:
            return False

    def write(self, cid: str, rel: str, conv: bytes, meta: bytes) -> None:
        # metadata.json first, conversation.json last: conversation.json is the commit marker. A run cut
        # short leaves a missing or different conversation.json, which the next run rewrites with both files.
        # (No temp file + rename: on a slow disk the two extra renames per conversation cost ~30%.)
        d = os.path.join(self.root, rel)
        try:
            day = rel[:10]                   # YYYY/MM/DD, made once per export
            if day not in self._days:
                private_dir(os.path.join(self.root, day))
                self._days.add(day)
            try:
                os.mkdir(d, 0o700)
            except FileExistsError:
                pass
            with open_private(os.path.join(d, "metadata.json")) as f:      # 0600
                f.write(meta)
            with open_private(os.path.join(d, "conversation.json")) as f:
                f.write(conv)
            self.written += 1
        except OSError as exc:
            self.failures.append({"conversation_id": cid, "error": f"{exc.strerror or exc}: {exc.filename or d}"})

    def close(self) -> None:
        pass


class _S3Sink:
    kind = "s3"

    def __init__(self, destination: str, client: Any = None):
        rest = destination[len("s3://"):]
        bucket, _, prefix = rest.partition("/")
        if not bucket:
            raise UsageError(f"no bucket in {destination!r}", "use s3://bucket/prefix")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        if client is None:
            import boto3  # only the S3 path needs boto3

            client = boto3.client("s3")
        self.client = client
        self._etags: dict[str, str] = {}
        self._listed: set[str] = set()
        self._pool = ThreadPoolExecutor(max_workers=S3_WORKERS, thread_name_prefix="revops-s3")
        self._pending: set[Future] = set()
        self.written = 0
        self.failures: list[dict[str, str]] = []

    def _error(self, exc: Exception) -> Exception:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "") if hasattr(exc, "response") else ""
        name = type(exc).__name__
        if code in ("NoSuchBucket", "404"):
            return NotFoundError(f"S3 bucket {self.bucket!r} does not exist", "create it or fix the destination")
        if name in ("NoCredentialsError", "PartialCredentialsError") or code in ("InvalidAccessKeyId", "ExpiredToken"):
            return ConfigError(f"no valid AWS credentials for s3://{self.bucket}",
                               "set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")
        if code in ("AccessDenied", "403"):
            return ActionError(f"access denied to s3://{self.bucket}/{self.prefix}", "check the IAM policy (s3:PutObject, s3:ListBucket)")
        return ActionError(f"S3 export failed: {exc}", "check the bucket and your AWS credentials")

    def _list_day(self, day_prefix: str) -> None:
        if day_prefix in self._listed:
            return
        self._listed.add(day_prefix)
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=day_prefix)
            for page in pages:
                for obj in page.get("Contents", []) or []:
                    self._etags[obj["Key"]] = obj.get("ETag", "").strip('"')
        except Exception as exc:  # botocore errors: translate to one actionable line
            raise self._error(exc) from None

    def unchanged(self, rel: str, conv: bytes) -> bool:
        base = self.prefix + rel + "/"
        self._list_day(self.prefix + rel[:11])          # YYYY/MM/DD/
        etag = self._etags.get(base + "conversation.json")
        return (etag is not None and base + "metadata.json" in self._etags
                and etag == hashlib.md5(conv).hexdigest())

    def _put(self, cid: str, rel: str, conv: bytes, meta: bytes) -> None:
        base = self.prefix + rel + "/"
        for name, body in (("metadata.json", meta), ("conversation.json", conv)):
            self.client.put_object(Bucket=self.bucket, Key=base + name, Body=body,
                                   ContentType="application/json; charset=utf-8")

    def _reap(self, done: Iterable[Future]) -> None:
        for f in done:
            self._pending.discard(f)
            cid = f.revops_cid  # type: ignore[attr-defined]
            exc = f.exception()
            if exc is None:
                self.written += 1
            else:
                err = self._error(exc)
                if isinstance(err, (NotFoundError, ConfigError)):
                    self._abort()
                    raise err
                self.failures.append({"conversation_id": cid, "error": getattr(err, "message", str(err))})

    def _abort(self) -> None:
        for f in self._pending:
            f.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def write(self, cid: str, rel: str, conv: bytes, meta: bytes) -> None:
        if len(self._pending) >= S3_WORKERS * 8:
            done, _ = wait(self._pending, return_when=FIRST_COMPLETED)
            self._reap(done)
        f = self._pool.submit(self._put, cid, rel, conv, meta)
        f.revops_cid = cid  # type: ignore[attr-defined]
        self._pending.add(f)

    def close(self) -> None:
        if self._pending:
            done, _ = wait(self._pending)
            self._reap(done)
        self._pool.shutdown(wait=True)


def _open_sink(destination: str, s3_client: Any = None) -> _FolderSink | _S3Sink:
    if not destination or not str(destination).strip():
        raise UsageError("no export destination", "give a folder or s3://bucket/prefix")
    destination = str(destination).strip()
    if destination.startswith("s3://"):
        return _S3Sink(destination, s3_client)
    if re.match(r"^[a-z][a-z0-9+.-]*://", destination) and not destination.startswith("file://"):
        raise UsageError(f"unsupported export destination {destination!r}", "give a folder or s3://bucket/prefix")
    return _FolderSink(destination)


# --------------------------------------------------------------------------- export


def export_conversations(log: Any, destination: str, *, since: Any = None, until: Any = None,
                         channel: str | None = None, session: str | None = None, progress: bool = False,
                         threshold: float = DEFAULT_THRESHOLD, force: bool = False,
                         s3_client: Any = None) -> ExportSummary:
    """Export the log's conversations in [since, until) (all by default) to a folder or `s3://bucket/prefix`.

    `progress=True` shows a progress bar on stderr (pass `output.progress_wanted()`). `force=True` rewrites
    files even when unchanged. `s3_client` replaces `boto3.client("s3")` (tests, custom endpoints).
    """
    sink = _open_sink(destination, s3_client)
    summary = ExportSummary(destination=str(destination), kind=sink.kind, threshold=threshold)
    exported_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    t0 = time.perf_counter()
    from revops_cli.output import ProgressBar

    records = log.iter_range(since=since, until=until, channel=channel, session=session)
    total = log.count(since=since, until=until, channel=channel, session=session) if progress else None
    try:
        with ProgressBar("exporting", total, enabled=progress) as bar:
            for rec in records:
                summary.total += 1
                try:
                    rel, conv, meta, flagged, found = render(rec, exported_at=exported_at,
                                                             destination_kind=sink.kind, threshold=threshold)
                except Exception as exc:  # one bad record must not stop the export
                    summary.failed.append({"conversation_id": str(rec.get("conversation_id")),
                                           "error": f"{type(exc).__name__}: {exc}"})
                    continue
                summary.flagged += flagged
                summary.redactions += found
                if not force and sink.unchanged(rel, conv):
                    summary.unchanged += 1
                else:
                    sink.write(rec["conversation_id"], rel, conv, meta)
                if summary.total % 50 == 0:
                    bar.update(summary.total)
        sink.close()
    finally:
        close = getattr(records, "close", None)
        if close:
            close()
    summary.written = sink.written
    summary.failed.extend(sink.failures)
    summary.elapsed_s = time.perf_counter() - t0
    return summary


# --------------------------------------------------------------------------- benchmark


def synthetic_exchange(i: int, *, base_ts: float = 1754191549.0):
    """A realistic (Request, Answer) pair for benchmarks and tests: route, hand-off, two tools, a note."""
    from revops_cli.models import Answer, Request, Step, Trace

    t = base_ts + i * 7.3
    deal = f"Deal {i:05d} Corp"
    req = Request(text=f"What is the status of the {deal} deal?", channel=("cli", "slack", "webhook")[i % 3],
                  user=f"analyst{i % 17}@example.com", session_id=f"sess_{i // 4:06d}",
                  params={"name": deal}, request_id=f"req_{i:016x}")
    trace = Trace()
    trace.add(Step(kind="route", agent="manager", name="deal_analysis",
                   detail="question names a deal and asks for its status", params={"intent": "deal_status"},
                   started_at=t, duration_ms=0.4))
    trace.add(Step(kind="handoff", agent="manager", name="deal_analysis", detail=f"analyse {deal}",
                   started_at=t + 0.001, duration_ms=0.1))
    trace.add(Step(kind="tool", agent="deal_analysis", name="run_pattern", detail="opportunity and MEDDPICC fields",
                   params={"pattern": "deal_status", "name": deal, "as_of": "2025-08-03"}, started_at=t + 0.002,
                   duration_ms=12.5 + i % 5, rows=1, sql_pattern="deal_status", cached=bool(i % 2)))
    trace.add(Step(kind="tool", agent="deal_analysis", name="run_pattern", detail="recent calls",
                   params={"pattern": "deal_calls", "name": deal, "limit": 5}, started_at=t + 0.02,
                   duration_ms=8.0, rows=3, sql_pattern="deal_calls", ok=i % 50 != 0,
                   error=None if i % 50 else "timeout after 30 s"))
    trace.add(Step(kind="note", agent="deal_analysis", name="note", detail="MEDDPICC 6/8 fields complete",
                   started_at=t + 0.03))
    text = (f"## {deal}\n\n**The Dry Numbers**\n- Stage: Negotiation (70%)\n- Amount: $ {120000 + i:,}\n"
            f"- Owner: Sarah Johnson\n- Expected close: 2025-09-30\n\n**Bottom Line**\nOn track; champion engaged.\n\n"
            "**Risks and Opportunities**\n- Competitor Snowflake mentioned twice\n- Paper process not started\n")
    ans = Answer(agent="deal_analysis", text=text,
                 data={"deal": {"name": deal, "stage": "Negotiation", "amount": 120000 + i, "probability": 0.7,
                                "owner": "Sarah Johnson", "close_date": "2025-09-30"},
                       "meddpicc": {"score": 6, "max": 8}, "as_of": "2025-08-03"},
                 sources=[{"kind": "sql_pattern", "name": "deal_status"}], trace=trace, session_id=req.session_id,
                 started_at=t, duration_ms=45.0 + i % 13, request_id=req.request_id)
    return req, ans


def bench_export(n: int, tmpdir: str | os.PathLike, *, rerun: bool = False) -> float:
    """Log `n` synthetic conversations under `tmpdir`, export them to a folder, return conversations/second
    of the export (the second, all-unchanged run when `rerun`)."""
    from revops_cli.conversations.log import ConversationLog

    tmp = Path(tmpdir)
    log = ConversationLog(tmp / "bench-conversations.db")
    try:
        if log.count() < n:
            for i in range(n):
                req, ans = synthetic_exchange(i)
                log.record(req, ans, backend="local")
        out = str(tmp / "bench-export")
        summary = export_conversations(log, out)
        if rerun:
            summary = export_conversations(log, out)
        return summary.rate
    finally:
        log.close()
