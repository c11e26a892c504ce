"""The warehouse protocol every backend implements, and the result every query returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence


@dataclass
class QueryResult:
    columns: list[str]
    types: list[str]                  # normalised type names: TEXT, INTEGER, BIGINT, DOUBLE, DECIMAL, DATE, TIMESTAMP, BOOLEAN
    rows: list[tuple[Any, ...]]
    truncated: bool = False           # a limit cut the result
    cached: bool = False              # came from the result cache
    elapsed_ms: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)
    truncated_by: str | None = None   # the setting that cut it: query.row_limit or query.max_result_bytes

    @property
    def limit_note(self) -> str | None:
        """One line for the reader when a limit cut the result, naming the setting to raise."""
        if not self.truncated:
            return None
        setting = self.truncated_by or "query.row_limit"
        why = "over the result size limit" if setting == "query.max_result_bytes" else "over the row limit"
        return f"first {len(self.rows)} rows shown; more rows were not shown, {why} (raise {setting})"

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, r)) for r in self.rows]

    def first(self) -> dict[str, Any] | None:
        return dict(zip(self.columns, self.rows[0])) if self.rows else None

    def column(self, name: str) -> list[Any]:
        i = self.columns.index(name)
        return [r[i] for r in self.rows]

    def __len__(self) -> int:
        return len(self.rows)


class Warehouse(Protocol):
    """What the rest of revops needs from a warehouse."""

    kind: str          # "duckdb" | "firebolt"
    identity: str      # stable string naming this warehouse, part of every cache key

    def query(self, sql: str, params: Sequence[Any] | None = None, *,
              row_limit: int | None = None, timeout_s: float | None = None) -> QueryResult:
        """Run one read-only statement with positional `?` parameters."""
        ...

    def execute_write(self, sql: str, params: Sequence[Any] | None = None) -> int:
        """Run one write to a configured writable table (the CRM outbox). Never for user SQL."""
        ...

    def close(self) -> None: ...


def normalise_type(raw: str) -> str:
    """Map a backend's type name to one of the normalised names above."""
    t = str(raw).upper()
    if t.startswith("NULLABLE("):
        t = t[len("NULLABLE("):-1]
    t = t.replace(" NULL", "").strip()
    if t.startswith(("DECIMAL", "NUMERIC")):
        return "DECIMAL"
    for prefix, name in (("TIMESTAMP", "TIMESTAMP"), ("DATETIME", "TIMESTAMP"), ("DATE", "DATE"),
                         ("BOOL", "BOOLEAN"), ("BIGINT", "BIGINT"), ("LONG", "BIGINT"), ("HUGEINT", "BIGINT"),
                         ("INT", "INTEGER"), ("SMALLINT", "INTEGER"), ("TINYINT", "INTEGER"),
                         ("DOUBLE", "DOUBLE"), ("FLOAT", "DOUBLE"), ("REAL", "DOUBLE"),
                         ("VARCHAR", "TEXT"), ("TEXT", "TEXT"), ("STRING", "TEXT")):
        if t.startswith(prefix):
            return name
    if t.startswith("ARRAY") or t.endswith("[]"):
        return "ARRAY"
    return t or "TEXT"
