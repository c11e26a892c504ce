"""The result cache: every warehouse (and web research) result, kept in a DuckDB file.

Key = sha256 of (namespace, warehouse identity, SQL text, parameters). Online, a result younger than
`cache.ttl_seconds` is reused; `--refresh` skips the cache; `--offline` answers only from it.

Several revops processes may share one cache file, and DuckDB allows one writer process per file, so no
connection is held for long: a request opens the file once for its reads, writes are buffered in memory
and flushed in one short transaction at its end, and a process that meets another's lock retries with
backoff. Within a process the file is always opened the same way (read-write): DuckDB refuses a
read-only and a read-write connection to one file in one process, and threads of a server would
otherwise collide.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator, Sequence

from revops_cli.errors import RevopsError, UnusableFileError
from revops_cli.private_files import private_dir, secure_duckdb
from revops_cli.sidefiles import (empty_file, explain, is_damage, is_lock, move_aside, reason,
                                  remove_with_companions, warn)
from revops_cli.storage import LockBackoff
from revops_cli.warehouse.base import QueryResult

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    key        VARCHAR PRIMARY KEY,
    namespace  VARCHAR NOT NULL,
    source     VARCHAR NOT NULL,
    sql        VARCHAR NOT NULL,
    params     VARCHAR NOT NULL,
    payload    VARCHAR NOT NULL,
    row_count  INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
)
"""

LOCK_WAIT_S = 20.0
# Threads of one process share one DuckDB instance of the file; its writes (schema, inserts, deletes)
# are serialised here, as concurrent transactions on one table would conflict.
_WRITE_LOCK = threading.RLock()


def cache_key(namespace: str, source: str, sql: str, params: Sequence[Any] | None) -> str:
    blob = json.dumps([namespace, source, sql, _encode_params(params)], separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def _encode_value(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    if isinstance(v, (list, tuple)):
        return [_encode_value(x) for x in v]
    return v


def _encode_params(params: Sequence[Any] | None) -> list[Any]:
    return [_encode_value(p) for p in (params or [])]


_DECODERS = {
    "DATE": date.fromisoformat,
    "TIMESTAMP": datetime.fromisoformat,
    "DECIMAL": Decimal,
}


def encode_result(result: QueryResult) -> str:
    return json.dumps({"columns": result.columns, "types": result.types, "truncated": result.truncated,
                       "truncated_by": result.truncated_by,
                       "rows": [[_encode_value(v) for v in row] for row in result.rows]},
                      separators=(",", ":"))


def decode_result(payload: str) -> QueryResult:
    doc = json.loads(payload)
    decoders = [_DECODERS.get(t) for t in doc["types"]]
    rows = []
    for row in doc["rows"]:
        rows.append(tuple(v if (v is None or dec is None) else dec(v) for v, dec in zip(row, decoders)))
    return QueryResult(columns=doc["columns"], types=doc["types"], rows=rows, truncated=doc["truncated"], cached=True,
                       truncated_by=doc.get("truncated_by"))


@dataclass
class CacheEntry:
    key: str
    namespace: str
    source: str
    sql: str
    params: str
    payload: str
    row_count: int
    created_at: datetime


class ResultCache:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._pending: dict[str, CacheEntry] = {}
        self._batch_depth = 0
        self._reader: Any = None      # one read-only connection for the length of a batch
        self.notices: list[str] = []  # warnings (file moved aside, results not cached), see take_notices
        self._unusable = False        # the cache cannot be opened here: answer without it

    # -- connections ---------------------------------------------------------------------------
    @contextmanager
    def _open(self, read_only: bool = False, *, recover: bool = True) -> Iterator[Any]:
        """A connection to the cache file. `read_only` says what the caller does; the file is opened
        read-write either way (see the module docstring). A file that is not a usable DuckDB cache
        (random bytes, truncated, another version) is moved aside and a new one started (`recover`);
        a lock held by another process is waited for; anything else raises UnusableFileError."""
        import duckdb

        backoff = LockBackoff(LOCK_WAIT_S)
        recovered = False
        empty_deadline = time.monotonic() + 1.0
        emptied = False
        while True:
            conn = None
            try:
                private_dir(self.path.parent)
                conn = duckdb.connect(str(self.path))
                secure_duckdb(self.path)         # 0600 (private_files.py)
                with _WRITE_LOCK:
                    conn.execute(SCHEMA)
                break
            except duckdb.Error as exc:
                if conn is not None:
                    conn.close()
                if is_lock(exc):
                    if not backoff.wait():
                        raise RevopsError(f"cannot open the result cache {self.path}: {str(exc).splitlines()[0]}",
                                          "another revops process may be stuck; try again or `revops cache clear`") from None
                    continue
                if empty_file(self.path) and not emptied:
                    # Another process may be creating it this instant; an empty file left by a full disk
                    # holds nothing: after a second it is removed (once) without a warning.
                    if time.monotonic() < empty_deadline:
                        time.sleep(0.05)
                        continue
                    self.path.unlink(missing_ok=True)
                    emptied = True
                    continue
                if recover and not recovered and is_damage(exc) and self.path.exists():
                    self._recover(exc)
                    recovered = True
                    continue
                raise UnusableFileError(f"cannot use the result cache {self.path}: {explain(exc, self.path)}",
                                        "free disk space or fix the folder's permissions, or set cache.enabled: false") from None
            except OSError as exc:
                raise UnusableFileError(f"cannot use the result cache {self.path}: {explain(exc, self.path)}",
                                        "free disk space or fix the folder's permissions, or set cache.enabled: false") from None
        try:
            yield conn
        finally:
            conn.close()

    def _recover(self, exc: BaseException) -> None:
        """Move a damaged cache file aside (kept, named in the warning); the caller starts a new one."""
        try:
            moved = move_aside(self.path)
        except OSError as err:
            raise UnusableFileError(f"the result cache {self.path} is damaged ({reason(exc)}) and cannot be moved "
                                    f"aside ({reason(err)})", f"delete {self.path}") from None
        self._note(f"the result cache {self.path} could not be opened ({reason(exc)}); "
                   f"moved it to {moved.name} and started a new one")

    def _note(self, message: str) -> None:
        warn(message)
        self.notices.append(message)

    def take_notices(self) -> list[str]:
        """The warnings since the last call (the service adds them to the answer's trace)."""
        notices, self.notices = self.notices, []
        return notices

    # -- reads -----------------------------------------------------------------------------------
    def get(self, key: str) -> CacheEntry | None:
        """The entry, or None (a miss). A cache that cannot be read is a miss, never a failed answer."""
        import duckdb

        if key in self._pending:
            return self._pending[key]
        if self._unusable or not self.path.exists():
            return None
        try:
            if self._batch_depth and self._reader is None:
                self._reader_cm = self._open(read_only=True)
                self._reader = self._reader_cm.__enter__()
            if self._reader is not None:
                return self._lookup(self._reader, key)
            with self._open(read_only=True) as conn:
                return self._lookup(conn, key)
        except UnusableFileError as exc:
            self._close_reader()
            self._unusable = True
            self._note(f"{exc.message}; answering without it")
            return None
        except duckdb.Error as exc:          # damage found past the header (a truncated file)
            self._close_reader()
            if is_damage(exc) and self.path.exists():
                try:
                    self._recover(exc)
                except UnusableFileError as err:
                    self._unusable = True
                    self._note(f"{err.message}; answering without it")
            return None

    @staticmethod
    def _lookup(conn: Any, key: str) -> CacheEntry | None:
        row = conn.execute("SELECT key, namespace, source, sql, params, payload, row_count, created_at "
                           "FROM entries WHERE key = ?", [key]).fetchone()
        return CacheEntry(*row) if row else None

    def _close_reader(self) -> None:
        if self._reader is not None:
            cm, self._reader = self._reader_cm, None
            cm.__exit__(None, None, None)

    def entries(self, *, namespace: str | None = None, limit: int | None = None) -> list[CacheEntry]:
        self.flush()
        if not self.path.exists():
            return []
        sql = "SELECT key, namespace, source, sql, params, '' AS payload, row_count, created_at FROM entries"
        args: list[Any] = []
        if namespace:
            sql += " WHERE namespace = ?"
            args.append(namespace)
        sql += " ORDER BY created_at DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self._open(read_only=True) as conn:
            try:
                return [CacheEntry(*r) for r in conn.execute(sql, args).fetchall()]
            except Exception:
                return []

    def find(self, prefix: str) -> CacheEntry | None:
        self.flush()
        if not self.path.exists():
            return None
        with self._open(read_only=True) as conn:
            rows = conn.execute("SELECT key, namespace, source, sql, params, payload, row_count, created_at "
                                "FROM entries WHERE key LIKE ? ORDER BY created_at DESC LIMIT 2",
                                [prefix + "%"]).fetchall()
        if len(rows) > 1:
            raise RevopsError(f"cache key prefix {prefix!r} is ambiguous", "give more characters")
        return CacheEntry(*rows[0]) if rows else None

    def stats(self) -> dict[str, Any]:
        self.flush()
        out: dict[str, Any] = {"path": str(self.path), "entries": 0, "bytes": 0, "rows": 0,
                               "oldest": None, "newest": None, "by_namespace": {}, "by_source": {}}
        if not self.path.exists():
            return out
        out["bytes"] = self.path.stat().st_size
        with self._open(read_only=True) as conn:
            try:
                n, rows, oldest, newest = conn.execute(
                    "SELECT count(*), coalesce(sum(row_count), 0), min(created_at), max(created_at) FROM entries").fetchone()
                out.update(entries=n, rows=int(rows), oldest=oldest and oldest.isoformat(), newest=newest and newest.isoformat())
                out["by_namespace"] = dict(conn.execute("SELECT namespace, count(*) FROM entries GROUP BY 1 ORDER BY 1").fetchall())
                out["by_source"] = dict(conn.execute("SELECT source, count(*) FROM entries GROUP BY 1 ORDER BY 1").fetchall())
            except Exception:
                pass
        return out

    # -- writes ----------------------------------------------------------------------------------
    def put(self, namespace: str, source: str, sql: str, params: Sequence[Any] | None, payload: str,
            row_count: int) -> str:
        key = cache_key(namespace, source, sql, params)
        self._pending[key] = CacheEntry(key, namespace, source, sql, json.dumps(_encode_params(params)), payload,
                                        row_count, datetime.now(timezone.utc).replace(tzinfo=None))
        if self._batch_depth == 0:
            self.flush()
        return key

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Buffer writes until the outermost batch ends: one short write transaction per request."""
        self._batch_depth += 1
        try:
            yield
        except BaseException as exc:
            if not isinstance(exc, Exception):      # Ctrl-C, SIGTERM: stop now, write nothing
                self._pending.clear()
            raise
        finally:
            self._batch_depth -= 1
            if self._batch_depth == 0:
                self._close_reader()
                self.flush()

    def flush(self) -> None:
        """Write the buffered results. Never raises: a write that fails (disk full, permission, a damaged
        file that cannot be replaced) loses only the cache entries, with one warning."""
        import duckdb

        if not self._pending:
            return
        self._close_reader()
        pending, self._pending = self._pending, {}
        failure: BaseException | None = None
        for attempt in (1, 2):
            try:
                if self._unusable:
                    raise UnusableFileError(f"cannot use the result cache {self.path}")
                with self._open(read_only=False) as conn, _WRITE_LOCK:
                    conn.execute("BEGIN")
                    conn.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                     [[e.key, e.namespace, e.source, e.sql, e.params, e.payload, e.row_count,
                                       e.created_at] for e in pending.values()])
                    conn.execute("COMMIT")
                return
            except duckdb.Error as exc:
                failure = exc
                if attempt == 1 and is_damage(exc) and self.path.exists():
                    try:
                        self._recover(exc)
                        continue
                    except UnusableFileError as err:
                        failure = err
            except Exception as exc:         # UnusableFileError, a lock held too long, OSError...
                failure = exc
            break
        why = failure.message if isinstance(failure, RevopsError) else f"{self.path}: {explain(failure, self.path)}"
        self._note(f"not cached: {len(pending)} result(s) were not saved to the result cache ({why}); "
                   "the answer is not affected")

    def clear(self, *, source: str | None = None, older_than_s: float | None = None) -> int | None:
        """Delete entries; returns how many. A file that cannot be opened or written (damaged, disk full) is
        deleted whole, with its WAL, and None is returned (`revops cache clear` always works); a lock held by
        another process is still waited for."""
        self._pending.clear()
        self._close_reader()
        if not self.path.exists():
            return 0
        where, args = [], []
        if source:
            where.append("source = ?")
            args.append(source)
        if older_than_s is not None:
            where.append("epoch(created_at) < ?")
            args.append(datetime.now(timezone.utc).replace(tzinfo=None).timestamp() - older_than_s)
        try:
            with self._open(read_only=False, recover=False) as conn, _WRITE_LOCK:
                n = conn.execute("SELECT count(*) FROM entries" + (" WHERE " + " AND ".join(where) if where else ""),
                                 args).fetchone()[0]
                conn.execute("DELETE FROM entries" + (" WHERE " + " AND ".join(where) if where else ""), args)
                conn.execute("CHECKPOINT")
            return int(n)
        except UnusableFileError as exc:
            problem = exc.message.split(": ", 1)[-1]
        except Exception as exc:
            if isinstance(exc, RevopsError) or is_lock(exc):
                raise
            problem = reason(exc)
        try:
            removed = remove_with_companions(self.path)
        except OSError as err:
            raise UnusableFileError(f"cannot clear the result cache {self.path} ({problem}) nor delete it ({reason(err)})",
                                    "fix the folder's permissions, or delete the file by hand") from None
        self._unusable = False
        self._note(f"the result cache {self.path} could not be opened ({problem}); "
                   f"deleted {', '.join(p.name for p in removed)}")
        return None


def age_seconds(entry: CacheEntry) -> float:
    created = entry.created_at.replace(tzinfo=timezone.utc)
    return (datetime.now(timezone.utc) - created).total_seconds()
