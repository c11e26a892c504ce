"""The read-only SQL guard: one query, nothing that writes, nothing that reaches outside the warehouse.

The check works on sqlglot's AST, but the statement that runs is always the caller's original text:
sqlglot's generator can turn valid SQL into SQL Firebolt rejects (e.g. `x NOT IN (...)`), so it is
never used to rewrite. This guard is one layer; DuckDB connections are also opened `read_only=True`
with `enable_external_access=False`, so a bypass of the guard still cannot write or read files.
"""

from __future__ import annotations

import logging
import re

import sqlglot
import sqlglot.expressions as exp
from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

from revops_cli.errors import RefusedSQLError

__all__ = ["check_read_only", "limit_rows", "catalog_view", "LIMIT_ALIAS", "ALLOWED_TABLE_FUNCTIONS",
           "ALLOWED_CATALOG_VIEWS"]

LIMIT_ALIAS = "revops_q"

_HINT = "write one SELECT (WITH … SELECT is fine); writes, DDL and session commands are not allowed"
_TAIL = "revops only runs read-only queries"

# Node classes that change data or schema, or act on the session/catalog. Looked up by name so a
# sqlglot version without one of them still imports.
_FORBIDDEN_NODES: list[tuple[str, str]] = [
    ("Insert", "INSERT"), ("Update", "UPDATE"), ("Delete", "DELETE"), ("Merge", "MERGE"),
    ("Create", "CREATE"), ("Drop", "DROP"), ("Alter", "ALTER"), ("TruncateTable", "TRUNCATE"),
    ("Copy", "COPY"), ("Into", "SELECT … INTO"), ("Attach", "ATTACH"), ("Detach", "DETACH"),
    ("Use", "USE"), ("Set", "SET"), ("Pragma", "PRAGMA"), ("Install", "INSTALL"), ("Load", "LOAD"),
    ("Export", "EXPORT"), ("Call", "CALL"), ("Transaction", "BEGIN TRANSACTION"), ("Commit", "COMMIT"),
    ("Rollback", "ROLLBACK"), ("Grant", "GRANT"), ("Revoke", "REVOKE"), ("Analyze", "ANALYZE"),
    ("Kill", "KILL"), ("Cache", "CACHE"), ("Uncache", "UNCACHE"), ("Refresh", "REFRESH"),
    ("Lock", "SELECT … FOR UPDATE/SHARE"), ("Command", "COMMAND"),
]
_FORBIDDEN: tuple[tuple[type, str], ...] = tuple(
    (getattr(exp, cls), label) for cls, label in _FORBIDDEN_NODES if isinstance(getattr(exp, cls, None), type)
)
_SEMICOLON = getattr(exp, "Semicolon", None)
_DML_DDL = tuple(c for c in (getattr(exp, "DML", None), getattr(exp, "DDL", None)) if isinstance(c, type))

# Functions that read files, URLs, other databases, the environment or settings.
_FORBIDDEN_FUNCS = frozenset("""
read_csv read_csv_auto read_parquet read_json read_json_auto read_json_objects read_json_objects_auto
read_ndjson read_ndjson_auto read_ndjson_objects read_text read_blob read_xlsx read_arrow read_ipc
parquet_scan parquet_metadata parquet_schema parquet_file_metadata parquet_kv_metadata parquet_bloom_probe
glob sniff_csv iceberg_scan iceberg_metadata iceberg_snapshots delta_scan
postgres_scan postgres_scan_pushdown postgres_query postgres_execute postgres_attach
sqlite_scan sqlite_attach sqlite_query mysql_scan mysql_query mysql_execute mysql_attach
arrow_scan scan_arrow_ipc query query_table getenv current_setting set_config
pg_read_file pg_read_binary_file pg_ls_dir pg_stat_file pg_file_write pg_sleep lo_import lo_export
dblink dblink_exec load_extension which_secret duckdb_secrets write_log
""".split())
_FORBIDDEN_PREFIXES = ("read_", "http", "parquet_", "iceberg_", "delta_", "postgres_", "mysql_",
                       "sqlite_", "pg_read", "pg_ls", "pg_file", "dblink", "lo_", "duckdb_secret")
_FORBIDDEN_SUFFIXES = ("_scan",)

# Table functions (FROM f(...)) that only generate values and may appear in FROM: the reviewed allow
# list. Every other table function (DuckDB's full list is enumerated by
# tests/security/test_security_guard_catalog.py on the pinned version) is refused.
ALLOWED_TABLE_FUNCTIONS = frozenset({"generate_series", "range", "unnest", "generate_subscripts"})

# Catalogue views: DuckDB's system views (duckdb_databases, pragma_database_list, sqlite_master, …),
# pg_catalog (pg_settings, …) and information_schema show settings, file paths, attached databases and
# other schemas. Refused, except the two information_schema views that describe tables and columns.
ALLOWED_CATALOG_VIEWS = frozenset({("information_schema", "tables"), ("information_schema", "columns")})
_CATALOG_SCHEMAS = frozenset({"information_schema", "pg_catalog"})
_CATALOG_PREFIXES = ("duckdb_", "pragma_", "pg_", "sqlite_")
_CATALOG_NAMES = frozenset({"sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema"})

# A table "name" that is really a file path or URL: DuckDB reads `FROM 'x.csv'` / `FROM "x.csv"`.
_PATHLIKE = re.compile(r"[/\\:*?~]|\.[A-Za-z0-9]{1,10}$")


class _QuietFallback(logging.Filter):
    """sqlglot warns when it falls back to a Command (LOAD, CALL, …); the guard refuses those anyway."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Falling back to parsing as a 'Command'" not in record.getMessage()


logging.getLogger("sqlglot").addFilter(_QuietFallback())


def _refuse(reason: str, hint: str = _HINT, *, tail: bool = True) -> RefusedSQLError:
    return RefusedSQLError(f"refused: {reason} — {_TAIL}" if tail else f"refused: {reason}", hint)


def _parse(sql: str) -> list[exp.Expression]:
    last: Exception | None = None
    for dialect in ("duckdb", "postgres"):
        try:
            # A trailing `; -- comment` comes back as a bare Semicolon node: not a statement.
            return [s for s in sqlglot.parse(sql, read=dialect)
                    if s is not None and not (_SEMICOLON is not None and isinstance(s, _SEMICOLON))]
        except SqlglotError as e:
            last = e
    first = str(last).splitlines()[0] if last else "syntax error"
    raise _refuse(f"could not parse the statement ({first})",
                  "check the SQL syntax; revops accepts PostgreSQL/DuckDB-style SELECT queries", tail=False)


def _tokens(sql: str) -> list:
    for dialect in ("duckdb", "postgres"):
        try:
            return list(sqlglot.tokenize(sql, read=dialect))
        except SqlglotError:
            continue
    return []


def _strip_tail(sql: str, tokens: list) -> str:
    """The text up to the last real token: drops trailing `;`, comments and whitespace."""
    body = [t for t in tokens if t.token_type != TokenType.SEMICOLON]
    if body:
        return sql[: body[-1].end + 1].strip()
    return sql.strip().rstrip(";").strip()


def _where(node: exp.Expression) -> str:
    """Where in the statement a node sits, for the message."""
    p = node.parent
    while p is not None:
        if isinstance(p, exp.CTE):
            return " inside a CTE"
        if isinstance(p, exp.Subquery):
            return " inside a subquery"
        p = p.parent
    return ""


def _node_label(node: exp.Expression, label: str) -> str:
    if isinstance(node, exp.Command):
        return str(node.this or "COMMAND").upper()
    if isinstance(node, (exp.Create, exp.Drop)) and node.args.get("kind"):
        return f"{label} {str(node.args['kind']).upper()}"
    return label


def _func_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return node.sql_name().lower()


def _forbidden_func(name: str) -> bool:
    name = name.lower().split(".")[-1]
    return (name in _FORBIDDEN_FUNCS or name.startswith(_FORBIDDEN_PREFIXES)
            or name.endswith(_FORBIDDEN_SUFFIXES))


def catalog_view(table: exp.Table) -> str | None:
    """The name of the system catalogue view a table reference reads, or None for an ordinary table."""
    name = str(table.name or "").lower()
    schema = str(table.db or "").lower()
    if not name:
        return None
    if (schema, name) in ALLOWED_CATALOG_VIEWS:
        return None
    if schema in _CATALOG_SCHEMAS or name in _CATALOG_NAMES or name.startswith(_CATALOG_PREFIXES):
        return f"{schema}.{name}" if schema else name
    return None


def _statement_word(sql: str, tokens: list) -> str:
    return (tokens[0].text.upper() if tokens else sql.strip().split(None, 1)[0].upper()) if sql.strip() else ""


def check_read_only(sql: str) -> str:
    """Return the statement (stripped of a trailing ';') if it is one read-only query.

    Raises RefusedSQLError with the reason (e.g. "refused: DELETE inside a CTE — …") otherwise.
    """
    if not sql or not sql.strip():
        raise _refuse("empty statement", "give one SELECT query")
    statements = _parse(sql)
    tokens = _tokens(sql)
    if not statements:
        raise _refuse("empty statement", "give one SELECT query")
    if len(statements) > 1:
        kinds = ", ".join(type(s).__name__.upper() for s in statements)
        raise _refuse(f"{len(statements)} statements ({kinds}); only one statement is allowed",
                      "send one SELECT per query, without ';' between statements")
    root = statements[0]

    # Walk everything first so the message names the real offender (e.g. DELETE in a CTE).
    for node in root.walk():
        for cls, label in _FORBIDDEN:
            if isinstance(node, cls):
                raise _refuse(f"{_node_label(node, label)}{_where(node)}")
        if _DML_DDL and isinstance(node, _DML_DDL):
            raise _refuse(f"{type(node).__name__.upper()}{_where(node)}")
        if isinstance(node, exp.Func):
            name = _func_name(node)
            if _forbidden_func(name):
                raise _refuse(f"function {name}() reads outside the warehouse",
                              "query warehouse tables only; files, URLs, settings and other databases are off limits")
        if isinstance(node, exp.Table):
            target = node.this
            if isinstance(target, exp.Func):
                name = _func_name(target)
                if _forbidden_func(name):
                    raise _refuse(f"function {name}() reads outside the warehouse",
                                  "query warehouse tables only; files, URLs, settings and other databases are off limits")
                if name.split(".")[-1] not in ALLOWED_TABLE_FUNCTIONS:
                    raise _refuse(f"table function {name}() in FROM",
                                  "query warehouse tables only (generate_series/range/unnest are allowed)")
            else:
                view = catalog_view(node)
                if view:
                    raise _refuse(f"catalogue view {view} shows settings, paths or other databases",
                                  "query warehouse tables only (information_schema.tables and "
                                  "information_schema.columns describe them)")
            for part in node.parts:
                if isinstance(part, exp.Identifier) and part.quoted and _PATHLIKE.search(part.name):
                    raise _refuse(f"string or path {part.name!r} used as a table name (DuckDB would read that file)",
                                  "query warehouse tables by name; reading files is off limits")

    # Token-level backstop: a function sqlglot normalised to another name is still caught by its text.
    for i, tok in enumerate(tokens[:-1]):
        if (tokens[i + 1].token_type == TokenType.L_PAREN and tok.token_type != TokenType.STRING
                and _forbidden_func(tok.text)):
            # `WITH query(a, b) AS (…)` trips this too; naming a CTE like a file reader is not worth allowing.
            raise _refuse(f"function {tok.text.lower()}() reads outside the warehouse",
                          "query warehouse tables only; files, URLs, settings and other databases are off limits")

    is_query = isinstance(root, (exp.Query, exp.Values))
    if isinstance(root, exp.Subquery):
        is_query = isinstance(root.unnest(), (exp.Query, exp.Values))
    if not is_query:
        word = _statement_word(sql, tokens)
        raise _refuse(f"{word or type(root).__name__.upper()} is not a query",
                      "only SELECT / WITH … SELECT / VALUES statements run through revops")
    return _strip_tail(sql, tokens)


def limit_rows(sql: str, row_limit: int) -> str:
    """The query, made to return at most row_limit + 1 rows (the extra row tells the caller it was cut).

    A query whose outermost level is ordered keeps its order: the limit goes on that level (a LIMIT it
    already has is lowered, never raised), since `SELECT * FROM (… ORDER BY …) LIMIT n` does not keep the
    subquery's order (Firebolt does not). Any other query is wrapped: `SELECT * FROM (…) AS revops_q LIMIT n`.
    The original text is otherwise kept verbatim; newlines keep a trailing `-- comment` from swallowing what
    follows.
    """
    if row_limit is None or int(row_limit) < 0:
        raise ValueError("row_limit must be a non-negative integer")
    cap = int(row_limit) + 1
    tokens = _tokens(sql)
    body = _strip_tail(sql, tokens)
    ordered = _outer_order_and_limit(body)
    if ordered is None:
        return f"SELECT * FROM (\n{body}\n) AS {LIMIT_ALIAS} LIMIT {cap}"
    limit_token = ordered
    if limit_token is False:                    # ordered, no LIMIT of its own
        return f"{body}\nLIMIT {cap}"
    current = int(limit_token.text)
    if current <= cap:
        return body
    return body[:limit_token.start] + str(cap) + body[limit_token.end + 1:]


def _outer_order_and_limit(body: str):
    """For a query ordered at its outermost level: its LIMIT's number token, or False when it has no LIMIT.
    None when the outermost level is not ordered, or its LIMIT is not a plain number (then it is wrapped)."""
    try:
        root = sqlglot.parse_one(body, read="duckdb")
    except SqlglotError:
        return None
    if not isinstance(root, (exp.Select, exp.SetOperation)) or not root.args.get("order"):
        return None
    tokens = [t for t in _tokens(body) if t.token_type != TokenType.SEMICOLON]
    depth, last_limit = 0, None
    for i, t in enumerate(tokens):
        if t.token_type == TokenType.L_PAREN:
            depth += 1
        elif t.token_type == TokenType.R_PAREN:
            depth -= 1
        elif depth == 0 and t.token_type in (TokenType.FETCH,):
            return None
        elif depth == 0 and t.token_type == TokenType.LIMIT:
            last_limit = i
    if root.args.get("limit") is None:
        return None if last_limit is not None else False
    if last_limit is None or last_limit + 1 >= len(tokens) or tokens[last_limit + 1].token_type != TokenType.NUMBER:
        return None
    return tokens[last_limit + 1]
