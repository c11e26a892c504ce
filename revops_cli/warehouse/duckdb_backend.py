"""The embedded warehouse: a DuckDB file opened read-only, with external access switched off.

Nothing a user or a model types can write to it or reach the file system or network through it;
the demo generator replaces the whole file atomically instead of writing into it. The connection is
opened with the limits of `warehouse/limits.py` (memory, threads, spill space), and every query runs
under the time limit and stops at once on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Sequence

from revops_cli.errors import RevopsError, WarehouseError
from revops_cli.warehouse.base import QueryResult, normalise_type
from revops_cli.interrupts import QueryTimedOut, run_interruptible
from revops_cli.warehouse.limits import DuckDBLimits, row_bytes, timeout_error


FETCH_ROWS = 2048


class DuckDBWarehouse:
    kind = "duckdb"

    def __init__(self, path: Path, *, limits: DuckDBLimits | None = None, max_result_bytes: int | None = None):
        self.path = Path(path)
        self.identity = f"duckdb:{self.path.resolve()}"
        self.limits = limits
        self.max_result_bytes = max_result_bytes
        self._conn = None

    def _connect(self):
        import duckdb

        if self._conn is None:
            if not self.path.exists():
                raise WarehouseError(f"no DuckDB warehouse at {self.path}",
                                     "run `revops demo init` or set warehouse.path")
            try:
                conn = duckdb.connect(str(self.path), read_only=True, config={"enable_external_access": False})
                # The limits are SET after connecting, not passed as config: DuckDB refuses a second connection
                # to one file in one process with a different config. They hold for the whole database
                # instance, so every connection to the file in this process shares them.
                if self.limits is not None:
                    for name, value in self.limits.config().items():
                        conn.execute(f"SET {name} = {value}")
                self._conn = conn
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
        byte_limit = self.max_result_bytes

        def work() -> tuple[list, list, list, bool]:
            cur = conn.execute(run_sql, list(params or []))
            columns = [d[0] for d in cur.description]
            types = [normalise_type(str(d[1])) for d in cur.description]
            rows: list = []
            total = 0
            while True:
                chunk = cur.fetchmany(FETCH_ROWS)
                if not chunk:
                    return columns, types, rows, False
                for row in chunk:
                    total += row_bytes(row)
                    if byte_limit and total > byte_limit:
                        return columns, types, rows, True
                    rows.append(row)

        started = time.perf_counter()
        try:
            columns, types, rows, size_cut = run_interruptible(work, conn.interrupt, timeout_s)
        except QueryTimedOut:
            raise timeout_error(timeout_s, retryable=False) from None
        except duckdb.OutOfMemoryException as exc:
            raise self._memory_error(exc) from None
        except duckdb.InterruptException:       # interrupted from elsewhere (another thread's interrupt())
            raise WarehouseError("the query was interrupted", "run it again") from None
        except duckdb.Error as exc:
            raise WarehouseError(f"DuckDB: {str(exc).splitlines()[0]}", "check the SQL") from None
        truncated_by = None
        if row_limit and len(rows) > row_limit:
            rows, truncated_by = rows[:row_limit], "query.row_limit"
        if size_cut:
            truncated_by = "query.max_result_bytes"
        return QueryResult(columns=columns, types=types, rows=[tuple(r) for r in rows],
                           truncated=truncated_by is not None, truncated_by=truncated_by,
                           elapsed_ms=(time.perf_counter() - started) * 1000)

    def _memory_error(self, exc: BaseException) -> WarehouseError:
        text = str(exc)
        if "max_temp_directory_size" in text:
            size = self.limits.temp_label if self.limits else "the"
            return WarehouseError(f"query stopped: it needed more than the {size} of disk it may spill to "
                                  f"(duckdb.max_temp_directory_size)",
                                  "narrow the query, or raise duckdb.max_temp_directory_size in revops.yaml "
                                  "(REVOPS_DUCKDB__MAX_TEMP_DIRECTORY_SIZE)")
        size = self.limits.memory_label if self.limits else "DuckDB's"
        return WarehouseError(f"query stopped: it needed more than the {size} memory limit (duckdb.memory_limit)",
                              "narrow the query, or raise duckdb.memory_limit in revops.yaml "
                              "(REVOPS_DUCKDB__MEMORY_LIMIT), e.g. \"4GB\"")

    def execute_write(self, sql: str, params: Sequence[Any] | None = None) -> int:
        raise RevopsError("the embedded warehouse is read-only",
                          "CRM updates go to the local outbox; see warehouse.writable_table")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
