"""The CRM outbox: where the Execution agent records the CRM updates it was asked (and confirmed) to make.

revops never writes the CRM directly. An update is one row that a sync job (or a person) applies:
- Firebolt: `INSERT INTO <warehouse.writable_table> (...) VALUES (?, ...)` through the warehouse's one
  write path (`execute_write`), so a team's existing reverse-ETL picks it up;
- DuckDB (the demo): the warehouse file is read-only, so rows go to a local DuckDB file
  `<home>/outbox.duckdb`, table `<writable_table>`, created if missing, opened read-write only for the
  length of one insert (DuckDB allows one writer process per file; a locked file is retried briefly).
"""

from __future__ import annotations

import random
import re
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from revops_cli.errors import ActionError, ConfigError, UsageError
from revops_cli.private_files import private_dir, secure_duckdb

OBJECT_TYPES = ("opportunity", "account", "lead")
COLUMNS = ("update_id", "created_at", "object_type", "object_id", "field", "new_value", "note", "requested_by",
           "source_request_id")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")
LOCK_WAIT_S = 10.0


def outbox_path(settings: Any) -> Path:
    return Path(settings.home) / "outbox.duckdb"


def _table(settings: Any) -> str:
    table = str(settings.get("warehouse.writable_table") or "crm_outbox")
    if not _IDENT.match(table):
        raise ConfigError(f"warehouse.writable_table {table!r} is not a plain table name",
                          "use letters, digits and underscores (optionally schema.table)")
    return table


def _ddl(table: str) -> str:
    return (f"CREATE TABLE IF NOT EXISTS {table} (update_id TEXT NOT NULL, created_at TIMESTAMP NOT NULL, "
            "object_type TEXT NOT NULL, object_id TEXT NOT NULL, field TEXT NOT NULL, new_value TEXT, note TEXT, "
            "requested_by TEXT, source_request_id TEXT)")


def _row(update: dict[str, Any]) -> dict[str, Any]:
    object_type = str(update.get("object_type") or "opportunity").lower()
    if object_type not in OBJECT_TYPES:
        raise UsageError(f"cannot update a {object_type!r}", f"CRM updates apply to: {', '.join(OBJECT_TYPES)}")
    if not update.get("object_id"):
        raise UsageError("a CRM update needs the record's id", "name the deal, account or lead")
    if not update.get("field"):
        raise UsageError("a CRM update needs a field", "e.g. next step, stage, amount, close date, note")
    value = update.get("new_value")
    return {
        "update_id": update.get("update_id") or f"upd_{uuid.uuid4().hex[:16]}",
        "created_at": update.get("created_at") or datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0),
        "object_type": object_type,
        "object_id": str(update["object_id"]),
        "field": str(update["field"]),
        "new_value": None if value is None else str(value),
        "note": update.get("note"),
        "requested_by": update.get("requested_by"),
        "source_request_id": update.get("source_request_id"),
    }


@contextmanager
def _open_outbox(path: Path, read_only: bool = False) -> Iterator[Any]:
    import duckdb

    deadline = time.monotonic() + LOCK_WAIT_S
    delay = 0.01
    while True:
        try:
            if not read_only:
                private_dir(path.parent)
            conn = duckdb.connect(str(path), read_only=read_only)
            if not read_only:
                secure_duckdb(path)
            break
        except duckdb.Error as exc:
            text = str(exc).lower()
            if not ("lock" in text or "conflicting" in text) or time.monotonic() > deadline:
                raise ActionError(f"cannot open the CRM outbox {path}: {str(exc).splitlines()[0]}",
                                  "another revops process may be holding it; try again") from None
            time.sleep(delay + random.random() * delay)
            delay = min(delay * 2, 0.2)
    try:
        yield conn
    finally:
        conn.close()


def record_crm_update(settings: Any, warehouse: Any, update: dict[str, Any]) -> dict[str, Any]:
    """Record one CRM update; returns the row written (plus `destination`)."""
    row = _row(update)
    table = _table(settings)
    values = [row[c] for c in COLUMNS]
    if getattr(warehouse, "kind", None) == "firebolt":
        sql = f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"
        try:
            warehouse.execute_write(sql, values)
        except ActionError:
            raise
        except Exception as exc:
            msg = getattr(exc, "message", None) or str(exc).splitlines()[0]
            raise ActionError(f"could not record the CRM update in {table}: {msg}",
                              "check warehouse.writable_table exists and the engine can write to it") from None
        destination = f"firebolt:{table}"
    else:
        path = outbox_path(settings)
        with _open_outbox(path) as conn:
            conn.execute(_ddl(table))
            conn.execute(f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})",
                         values)
        destination = f"outbox:{path}#{table}"
    out = dict(row)
    out["created_at"] = row["created_at"].isoformat() if isinstance(row["created_at"], datetime) else row["created_at"]
    out["destination"] = destination
    return out


def list_outbox(settings: Any, warehouse: Any = None, limit: int | None = None) -> list[dict[str, Any]]:
    """The recorded updates, newest first: the local outbox, or the Firebolt table when given that warehouse."""
    table = _table(settings)
    sql = f"SELECT {', '.join(COLUMNS)} FROM {table} ORDER BY created_at DESC NULLS LAST, update_id NULLS LAST"
    if limit:
        sql += f" LIMIT {int(limit)}"
    if warehouse is not None and getattr(warehouse, "kind", None) == "firebolt":
        inner = getattr(warehouse, "inner", warehouse)
        return inner.query(sql).records()
    path = outbox_path(settings)
    if not path.exists():
        return []
    with _open_outbox(path, read_only=True) as conn:
        try:
            cur = conn.execute(sql)
        except Exception:
            return []
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]
