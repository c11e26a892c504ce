"""The embedded warehouse: a DuckDB file opened read-only, with external access switched off.

Nothing a user or a model types can write to it or reach the file system or network through it;
the demo generator replaces the whole file atomically instead of writing into it.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Sequence

from revops_cli.errors import RevopsError, WarehouseError
from revops_cli.warehouse.base import QueryResult, normalise_type


class DuckDBWarehouse:
    kind = "duckdb"

    def __init__(self, path: Path):
        self.path = Path(path)
        self.identity = f"duckdb:{self.path.resolve()}"
        self._conn = None

    def _connect(self):
        import duckdb

        if self._conn is None:
            if not self.path.exists():
                raise WarehouseError(f"no DuckDB warehouse at {self.path}",
                                     "run `revops demo init` or set warehouse.path")
            try:
                self._conn = duckdb.connect(str(self.path), read_only=True,
                                            config={"enable_external_access": False})
            except duckdb.Error as exc:
                raise WarehouseError(f"cannot open {self.path}: {str(exc).splitlines()[0]}",
                                     "is another program writing to it? try again", retryable=True) from None
        return self._conn

    def query(self, sql: str, params: Sequence[Any] | None = None, *,
              row_limit: int | None = None, timeout_s: float | None = None) -> QueryResult:
        import duckdb

        conn = self._connect()
        run_sql = sql
        if row_limit:
            from revops_cli.warehouse.guard import limit_rows

            run_sql = limit_rows(sql, row_limit)
        timer = None
        if timeout_s:
            timer = threading.Timer(timeout_s, conn.interrupt)
            timer.daemon = True
            timer.start()
        started = time.perf_counter()
        try:
            cur = conn.execute(run_sql, list(params or []))
            columns = [d[0] for d in cur.description]
            types = [normalise_type(str(d[1])) for d in cur.description]
            rows = cur.fetchall()
        except duckdb.InterruptException:
            raise WarehouseError(f"query stopped after the {timeout_s:g} s time limit",
                                 "narrow the question or raise query.timeout_seconds") from None
        except duckdb.Error as exc:
            raise WarehouseError(f"DuckDB: {str(exc).splitlines()[0]}", "check the SQL") from None
        finally:
            if timer:
                timer.cancel()
        truncated = bool(row_limit) and len(rows) > row_limit
        if truncated:
            rows = rows[:row_limit]
        return QueryResult(columns=columns, types=types, rows=[tuple(r) for r in rows], truncated=truncated,
                           elapsed_ms=(time.perf_counter() - started) * 1000)

    def execute_write(self, sql: str, params: Sequence[Any] | None = None) -> int:
        raise RevopsError("the embedded warehouse is read-only",
                          "CRM updates go to the local outbox; see warehouse.writable_table")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
