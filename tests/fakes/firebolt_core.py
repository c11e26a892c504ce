"""A local Firebolt Core stand-in: Firebolt's HTTP query protocol on top of a DuckDB file.

firebolt-sdk (1.19) talks to Firebolt Core like this, and this fake answers the same way:

* every statement is one `POST {url}/` with the SQL text as the body (UTF-8, no JSON envelope);
* the query string carries the session: `database=<db>` (when one is configured) and
  `output_format=JSON_Compact`, plus any `SET name = value` the client made earlier;
* `?` parameters are substituted client-side (qmark paramstyle), so the SQL arrives with literals;
* a `SET x = y` is not sent as SQL: the SDK validates it by sending `select 1` with `x=y` in the query string;
* headers: `Firebolt-Protocol-Version: 2.4`, a `User-Agent`, and no `Authorization` for Core;
* the answer is JSON: `{"meta": [{"name", "type"}], "data": [[...]], "rows": N, "statistics": {...}}`
  with Firebolt type names (`integer`, `bigint`, `double precision`, `text`, `date`, `timestamp`,
  `boolean`, `numeric(p, s)`, `array(...)`, a ` null` suffix for nullable columns); dates and
  timestamps as strings, numerics as strings; a statement without a result set gets an empty body;
* the column types are Firebolt's, not DuckDB's (`firebolt_result_types`): each output column is traced
  through the query (sqlglot lineage over the canonical schema) to what makes it, and typed by Firebolt's
  documented rules: COUNT and SUM return NUMERIC (docs: "Return Types: NUMERIC"; NUMERIC defaults to
  NUMERIC(38, 9)): `numeric(38, 0)` for COUNT and for SUM of integers, `numeric(38, 9)` for SUM of anything
  else; AVG `double precision`; a CAST its target type; a table column its type in schema.sql; MIN, MAX,
  COALESCE and NULLIF pass their argument's type through. Only an expression none of these covers
  (arithmetic, other functions) takes the type of the value DuckDB computed;
* `CREATE DATABASE [IF NOT EXISTS] x` is accepted (Firebolt Core creates it; DuckDB has one database);
* errors are a 4xx with `{"errors": [{"severity", "name", "code", "description", "source"}]}`, which the
  SDK raises as `FireboltStructuredError`.

Usage:
    with FireboltCoreFake(duckdb_path, database="revops") as url:
        connect(auth=FireboltCore(), url=url, database="revops")
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duckdb


@dataclass
class ReceivedRequest:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    sql: str


def firebolt_type(duck_type: str, nullable: bool = True) -> str:
    """DuckDB's type name -> the name Firebolt puts in `meta`."""
    t = duck_type.upper()
    suffix = " null" if nullable else ""
    if t.endswith("[]"):
        return f"array({firebolt_type(duck_type[:-2], nullable)}){suffix}"
    if t.startswith("DECIMAL"):
        inner = t[t.index("(") + 1:t.rindex(")")] if "(" in t else "18,3"
        p, s = (x.strip() for x in inner.split(","))
        return f"numeric({p}, {s}){suffix}"
    if t in ("TINYINT", "SMALLINT", "INTEGER", "INT", "INT4", "UTINYINT", "USMALLINT"):
        name = "integer"
    elif t in ("BIGINT", "INT8", "HUGEINT", "UINTEGER", "UBIGINT", "UHUGEINT"):
        name = "bigint"
    elif t in ("DOUBLE", "FLOAT", "REAL", "DOUBLE PRECISION", "FLOAT8", "FLOAT4"):
        name = "double precision"
    elif t == "DATE":
        name = "date"
    elif t.startswith("TIMESTAMP WITH TIME ZONE") or t == "TIMESTAMPTZ":
        name = "timestamptz"
    elif t.startswith("TIMESTAMP"):
        name = "timestamp"
    elif t == "BOOLEAN":
        name = "boolean"
    elif t == "BLOB":
        name = "bytea"
    else:
        name = "text"
    return name + suffix


_SCHEMA_TYPES: dict[str, dict[str, str]] | None = None
_PASS_THROUGH = ("Max", "Min", "Coalesce", "Nullif", "Paren", "AnyValue")     # the type of their (one) argument


def schema_types() -> dict[str, dict[str, str]]:
    """table -> {column: SQL type} of the canonical schema (schema.sql), which the fake serves."""
    global _SCHEMA_TYPES
    if _SCHEMA_TYPES is None:
        import re

        text = (Path(__file__).resolve().parents[2] / "revops_cli" / "warehouse" / "schema.sql").read_text()
        out: dict[str, dict[str, str]] = {}
        for table, body in re.findall(r"CREATE TABLE (\w+) \((.*?)\n\);", text, re.S):
            cols = {}
            for line in body.splitlines():
                m = re.match(r'^\s*"?(\w+)"?\s+([A-Z][A-Z ]*?)(?:\s+NOT NULL)?\s*,?\s*(?:--.*)?$', line)
                if m:
                    cols[m.group(1)] = m.group(2).strip()
            out[table] = cols
        _SCHEMA_TYPES = out
    return _SCHEMA_TYPES


def _traced_type(sql: str, column: str, duck_type: str) -> str | None:
    """Firebolt's type for one output column by its lineage; None when no documented rule decides it."""
    from sqlglot import exp
    from sqlglot.lineage import lineage

    try:
        node = lineage(column, sql, schema=schema_types(), dialect="duckdb")
    except Exception:                                   # noqa: BLE001 - not traceable: no rule
        return None
    last_column: str | None = None
    while node is not None:
        e = node.expression
        while isinstance(e, exp.Alias):
            e = e.this
        if isinstance(e, exp.Table):
            declared = schema_types().get(e.name, {}).get(last_column or "")
            return firebolt_type(declared, nullable=False) if declared else None
        if isinstance(e, exp.Count):
            return "numeric(38, 0)"
        if isinstance(e, exp.Sum):
            integral = duck_type.upper() in ("HUGEINT", "BIGINT", "INTEGER", "INT128", "UBIGINT")
            return "numeric(38, 0)" if integral else "numeric(38, 9)"
        if isinstance(e, exp.Avg):
            return "double precision"
        if isinstance(e, exp.Cast):
            return firebolt_type(e.to.sql(dialect="duckdb"), nullable=False)
        if isinstance(e, exp.Column):
            last_column = e.name
        elif type(e).__name__ not in _PASS_THROUGH or len(node.downstream) != 1:
            return None
        node = node.downstream[0] if len(node.downstream) == 1 else None
    return None


def firebolt_result_types(sql: str, desc: Any) -> list[str]:
    """The `meta` types Firebolt Core would report for a query's columns (see the module docstring)."""
    names = [d[0] for d in desc]
    out = []
    for d in desc:
        traced = _traced_type(sql, d[0], str(d[1])) if names.count(d[0]) == 1 else None
        out.append((traced + " null") if traced else firebolt_type(str(d[1])))
    return out


def encode_typed(v: Any, fb_type: str) -> Any:
    """A value in the JSON_Compact encoding of its Firebolt type: NUMERIC as a string with its scale."""
    if v is None or not fb_type.startswith("numeric("):
        return encode_value(v)
    scale = int(fb_type[fb_type.index(",") + 1:fb_type.index(")")])
    d = Decimal(str(v)) if not isinstance(v, Decimal) else v
    return str(d.quantize(Decimal(1).scaleb(-scale)))


def encode_value(v: Any) -> Any:
    """A Python value from DuckDB -> its JSON_Compact encoding."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (date, dtime)):
        return v.isoformat()
    if isinstance(v, timedelta):
        return str(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return "\\x" + bytes(v).hex()
    if isinstance(v, (list, tuple)):
        return [encode_value(x) for x in v]
    return str(v)


@dataclass
class FireboltCoreFake:
    """Serve Firebolt Core's query API on 127.0.0.1:<free port>, answering from a DuckDB file."""

    duckdb_path: str | Path
    database: str | None = None           # if set, requests for another database get Firebolt's error
    delay_s: float = 0.0                  # sleep before answering (for timeout tests)
    requests: list[ReceivedRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self.url = ""

    # -- what tests look at -------------------------------------------------------------------------
    @property
    def sql(self) -> list[str]:
        """Every SQL text received, in order."""
        return [r.sql for r in self.requests]

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> str:
        self._con = duckdb.connect(str(self.duckdb_path))
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:   # keep test output quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8") if length else ""
                split = urlsplit(self.path)
                params = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
                req = ReceivedRequest("POST", split.path, params, dict(self.headers.items()), body)
                with fake._lock:
                    fake.requests.append(req)
                status, payload = fake._answer(req)
                self._send(status, payload)

            def do_GET(self) -> None:
                self._send(404, fake._error("Not found", "only POST / is served", code="404"))

            def _send(self, status: int, payload: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="firebolt-core-fake", daemon=True)
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._con is not None:
            with self._lock:
                self._con.close()
            self._con = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- the protocol -------------------------------------------------------------------------------
    @staticmethod
    def _error(name: str, description: str, code: str = "400", source: str = "User Error") -> bytes:
        return json.dumps({"errors": [{"severity": "ERROR", "name": name, "code": code,
                                       "source": source, "description": description}]}).encode()

    def _answer(self, req: ReceivedRequest) -> tuple[int, bytes]:
        if self.delay_s:
            time.sleep(self.delay_s)
        if req.path not in ("", "/"):
            return 404, self._error("Not found", f"no endpoint {req.path}", code="404")
        fmt = req.params.get("output_format", "")
        if fmt not in ("JSON_Compact", ""):
            return 400, self._error("Invalid parameter", f"output_format {fmt!r} is not supported by this fake")
        if self.database is not None and req.params.get("database", self.database) != self.database:
            return 400, self._error("Database does not exist",
                                    f"Database '{req.params.get('database')}' does not exist or not authorized.")
        sql = req.sql.strip().rstrip(";")
        if not sql:
            return 400, self._error("Syntax error", "empty query")
        if sql.upper().startswith("CREATE DATABASE"):
            return 200, b""
        started = time.perf_counter()
        with self._lock:
            if self._con is None:               # stopped while this request slept
                return 503, self._error("Service unavailable", "the server is shutting down", code="503")
            cur = self._con.cursor()
            try:
                cur.execute(sql)
                if cur.description is None:
                    return 200, b""
                desc = cur.description
                rows = cur.fetchall()
            except duckdb.Error as exc:
                return 400, self._error("Query error", str(exc).splitlines()[0])
            finally:
                cur.close()
        if len(desc) == 1 and desc[0][0] == "Count" and sql.split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            return 200, b""                    # DML: Firebolt answers with no result set
        elapsed = time.perf_counter() - started
        types = firebolt_result_types(sql, desc)
        doc = {
            "meta": [{"name": d[0], "type": t} for d, t in zip(desc, types)],
            "data": [[encode_typed(v, t) for v, t in zip(row, types)] for row in rows],
            "rows": len(rows),
            "statistics": {"elapsed": round(elapsed, 6), "rows_read": len(rows), "bytes_read": 0,
                           "time_before_execution": 0.0, "time_to_execute": round(elapsed, 6)},
        }
        return 200, json.dumps(doc).encode()
