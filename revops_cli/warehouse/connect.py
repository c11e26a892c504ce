"""Open the configured warehouse behind the result cache: the one object the rest of revops queries."""

from __future__ import annotations

import sys
import time
from typing import Any, Callable, Sequence

from revops_cli.config import Settings
from revops_cli.errors import ConfigError, OfflineMissError
from revops_cli.warehouse.base import QueryResult, Warehouse
from revops_cli.warehouse.cache import ResultCache, age_seconds, cache_key, decode_result, encode_result


class CachedWarehouse:
    """A Warehouse that reads through the result cache.

    mode: "online" (reuse fresh entries, store new ones), "refresh" (always ask the warehouse, store),
    "offline" (answer only from the cache; the warehouse is never opened).
    """

    def __init__(self, open_inner: Callable[[], Warehouse], identity: str, kind: str, cache: ResultCache | None,
                 *, mode: str = "online", ttl_s: float = 3600, row_limit: int | None = None,
                 timeout_s: float | None = None):
        self._open_inner = open_inner
        self._inner: Warehouse | None = None
        self.identity = identity
        self.kind = kind
        self.cache = cache
        self.mode = mode
        self.ttl_s = ttl_s
        self.row_limit = row_limit
        self.timeout_s = timeout_s

    @property
    def inner(self) -> Warehouse:
        if self._inner is None:
            self._inner = self._open_inner()
        return self._inner

    def query(self, sql: str, params: Sequence[Any] | None = None, *,
              row_limit: int | None = None, timeout_s: float | None = None, namespace: str = "sql") -> QueryResult:
        row_limit = row_limit if row_limit is not None else self.row_limit
        params = list(params or [])
        cache_sql = sql if row_limit is None else f"{sql}\n-- row_limit={row_limit}"
        if self.cache is not None and self.mode != "refresh":
            entry = self.cache.get(cache_key(namespace, self.identity, cache_sql, params))
            if entry is not None and (self.mode == "offline" or age_seconds(entry) <= self.ttl_s):
                started = time.perf_counter()
                result = decode_result(entry.payload)
                result.elapsed_ms = (time.perf_counter() - started) * 1000
                return result
        if self.mode == "offline":
            first_line = " ".join(sql.split())[:80]
            raise OfflineMissError(f"--offline: no cached result for this query on {self.identity} ({first_line}…)",
                                   "run it once online, without --offline, to cache it")
        result = self.inner.query(sql, params, row_limit=row_limit,
                                  timeout_s=timeout_s if timeout_s is not None else self.timeout_s)
        if self.cache is not None:
            self.cache.put(namespace, self.identity, cache_sql, params, encode_result(result), len(result.rows))
        return result

    def execute_write(self, sql: str, params: Sequence[Any] | None = None) -> int:
        return self.inner.execute_write(sql, params)

    def close(self) -> None:
        if self.cache is not None:
            self.cache.flush()
        if self._inner is not None:
            self._inner.close()


def ensure_demo(settings: Settings, *, quiet: bool = False) -> None:
    """Create the demo warehouse the first time a command needs it and none is configured."""
    path = settings.duckdb_path
    if path.exists() or settings.get("warehouse.path"):
        return
    from revops_cli.warehouse.demo_data import generate

    if not quiet:
        print(f"revops: no warehouse configured, creating the demo warehouse at {path} "
              f"(`revops demo init` to rebuild it)", file=sys.stderr)
    path.parent.mkdir(parents=True, exist_ok=True)
    generate(path, scale=1.0, seed=42, as_of=settings.as_of)
    ResultCache(settings.cache_path).clear(source=f"duckdb:{path.resolve()}")


def warehouse_identity(settings: Settings) -> tuple[str, str]:
    kind = settings.get("warehouse.kind", "duckdb")
    if kind == "duckdb":
        return kind, f"duckdb:{settings.duckdb_path.resolve()}"
    if kind == "firebolt":
        url = settings.get("warehouse.url")
        db = settings.get("warehouse.database") or ""
        if url:
            from revops_cli.redaction import url_without_credentials

            return kind, f"firebolt-core:{url_without_credentials(url.rstrip('/'))}/{db}"
        return kind, f"firebolt:{settings.get('warehouse.account') or ''}/{db}/{settings.get('warehouse.engine') or ''}"
    raise ConfigError(f"unknown warehouse kind {kind!r}", "use 'duckdb' or 'firebolt' in warehouse.kind")


def open_warehouse(settings: Settings, *, mode: str = "online", quiet: bool = False) -> CachedWarehouse:
    kind, identity = warehouse_identity(settings)

    def open_inner() -> Warehouse:
        from revops_cli.warehouse.limits import max_result_bytes

        if kind == "duckdb":
            from revops_cli.warehouse.duckdb_backend import DuckDBWarehouse
            from revops_cli.warehouse.limits import DuckDBLimits

            limits = DuckDBLimits.from_settings(settings)
            ensure_demo(settings, quiet=quiet)
            return DuckDBWarehouse(settings.duckdb_path, limits=limits, max_result_bytes=max_result_bytes(settings))
        from revops_cli.warehouse.firebolt import FireboltWarehouse

        warehouse = FireboltWarehouse.from_settings(settings)
        warehouse.max_result_bytes = max_result_bytes(settings)
        return warehouse

    cache = ResultCache(settings.cache_path) if settings.get("cache.enabled", True) else None
    if cache is None and mode == "offline":
        raise ConfigError("--offline needs the result cache, and cache.enabled is false", "enable it in revops.yaml")
    return CachedWarehouse(open_inner, identity, kind, cache, mode=mode,
                           ttl_s=settings.cache.ttl_seconds,
                           row_limit=settings.query.row_limit,
                           timeout_s=settings.query.timeout_seconds)
