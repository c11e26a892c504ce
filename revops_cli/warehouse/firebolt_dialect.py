"""A static check that SQL written for DuckDB also means the same on Firebolt.

    check(sql, column_types=None) -> list[Finding]

The SQL patterns, the queries the agents write and what the semantic model compiles run unchanged on
DuckDB and Firebolt (a PostgreSQL subset, never regenerated through sqlglot). Where the two engines part,
this check names the place (tests/test_firebolt_sql.py runs it over every rendered pattern in `make test`):

- `reserved-word`: an unquoted identifier (column, alias, table, CTE) that Firebolt reserves
  (`RESERVED_WORDS`, from Firebolt's documentation: quote it, e.g. `"quarter"`, or rename it).
- `order-nulls`: an ORDER BY key (of a statement, a window or an aggregate) without NULLS FIRST / NULLS
  LAST: Firebolt puts NULLs first on DESC where DuckDB puts them last, so `LIMIT 1` and `rn = 1` pick
  another row. DuckDB's default is NULLS LAST both ways: writing that keeps every answer.
- `order-lost`: `SELECT … FROM (… ORDER BY …) LIMIT n` with no ORDER BY outside: the ordering of a
  subquery is not kept (the row-limit wrapper keeps it: warehouse/guard.py `limit_rows`).
- `union-types`: UNION / INTERSECT / EXCEPT branches whose column at one position is not the same kind of
  expression in every branch (a COUNT in one, a NUMERIC or a literal in another) and not CAST to one type
  in all of them: Firebolt does not unify NUMERIC and BIGINT the way DuckDB does.
- `date-diff-timestamp`: a DATE_DIFF / DATEDIFF argument that is not a TIMESTAMP (CAST it): Firebolt
  documents DATE_DIFF over timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

# Firebolt's reserved words, as its documentation lists them.
# Source: Firebolt documentation, "Reserved words" (General reference), docs.firebolt.io;
# the page's source file is firebolt-db/firebolt-db.github.io docs/general-reference/reserved-words.md
# (commit 8b5fa5907ada605e8375c8cdfffb7ef633ac210b). Copied as listed, one word per entry.
RESERVED_WORDS = frozenset("""
ALL ALTER AND ARRAY BETWEEN BIGINT BOOL BOOLEAN BOTH CASE CAST CHAR CONCAT COPY CREATE CROSS CURRENT_DATE
CURRENT_TIMESTAMP DATABASE DATE DATETIME DECIMAL DELETE DESCRIBE DISTINCT DOUBLE DOUBLECOLON DOW DOY DROP
EMPTY_IDENTIFIER EPOCH EXCEPT EXECUTE EXISTS EXPLAIN EXTRACT FALSE FETCH FIRST FLOAT FROM FULL GENERATE GROUP
HAVING IF ILIKE IN INNER INSERT INT INTEGER INTERSECT INTERVAL IS ISNULL JOIN JOIN_TYPE LEADING LEFT LIKE LIMIT
LIMIT_DISTINCT LOCALTIMESTAMP LONG NATURAL NEXT NOT NULL NUMERIC OFFSET ON ONLY OR ORDER OUTER OVER PARTITION
PRECISION PREPARE PRIMARY QUARTER RIGHT ROW ROWS SAMPLE SELECT SET SHOW TEXT TIME TIMESTAMP TOP TRAILING TRIM
TRUE TRUNCATE UNION UNKNOWN_CHAR UNNEST UNTERMINATED_STRING UPDATE USING VARCHAR WEEK WHEN WHERE WITH
""".split())
RESERVED_WORDS_SOURCE = ("Firebolt documentation, General reference, Reserved words "
                         "(firebolt-db/firebolt-db.github.io docs/general-reference/reserved-words.md @ 8b5fa59)")

RULES = ("reserved-word", "order-nulls", "order-lost", "union-types", "date-diff-timestamp")


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str            # one line: what and where

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


@lru_cache(maxsize=4)
def schema_column_types(path: Path | None = None) -> dict[str, str]:
    """Column name -> its type in the canonical schema (schema.sql), when every table agrees on it."""
    import sqlglot
    import sqlglot.expressions as exp

    path = path or Path(__file__).with_name("schema.sql")
    seen: dict[str, set[str]] = {}
    for stmt in sqlglot.parse(path.read_text(), read="duckdb"):
        if not isinstance(stmt, exp.Create) or not isinstance(stmt.this, exp.Schema):
            continue
        for col in stmt.this.expressions:
            if isinstance(col, exp.ColumnDef) and col.args.get("kind") is not None:
                seen.setdefault(col.name.lower(), set()).add(col.args["kind"].sql(dialect="duckdb").upper())
    return {name: next(iter(kinds)) for name, kinds in seen.items() if len(kinds) == 1}


def check(sql: str, column_types: dict[str, str] | None = None) -> list[Finding]:
    """Every Firebolt portability finding in one SQL statement (placeholders `?` allowed)."""
    import sqlglot

    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.SqlglotError as exc:
        return [Finding("parse", f"sqlglot could not parse the statement: {str(exc).splitlines()[0]}")]
    types = column_types if column_types is not None else schema_column_types()
    findings: list[Finding] = []
    findings += _reserved(tree)
    findings += _order_nulls(sql)
    findings += _order_lost(tree)
    findings += _union_types(tree)
    findings += _date_diff(tree, types)
    return findings


# ---------------------------------------------------------------------------------------------- rules

def _reserved(tree) -> Iterable[Finding]:
    import sqlglot.expressions as exp

    seen: set[str] = set()
    for ident in tree.find_all(exp.Identifier):
        name = str(ident.this)
        if ident.quoted or name.upper() not in RESERVED_WORDS or name.lower() in seen:
            continue
        seen.add(name.lower())
        parent = ident.parent
        role = ("alias" if isinstance(parent, (exp.Alias, exp.TableAlias)) else
                "table" if isinstance(parent, exp.Table) else
                "CTE name" if isinstance(parent, exp.CTE) else "column")
        yield Finding("reserved-word", f"{role} {name!r} is a Firebolt reserved word: quote it (\"{name.lower()}\") "
                                       "or rename it")


_ORDER_ENDS = {"LIMIT", "OFFSET", "FETCH", "UNION", "EXCEPT", "INTERSECT", "ROWS", "RANGE", "GROUPS", "WINDOW",
               "QUALIFY", "SEMICOLON"}


def _order_nulls(sql: str) -> Iterable[Finding]:
    """Token walk: sqlglot's tree fills in the dialect's default null order, so it cannot tell what was written."""
    import sqlglot
    from sqlglot.tokens import TokenType

    tokens = list(sqlglot.tokenize(sql, read="duckdb"))
    for i, tok in enumerate(tokens):
        if tok.token_type != TokenType.ORDER_BY:
            continue
        depth, key, keys = 0, [], []
        for t in tokens[i + 1:]:
            if t.token_type == TokenType.L_PAREN:
                depth += 1
            elif t.token_type == TokenType.R_PAREN:
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and (t.token_type.name in _ORDER_ENDS or t.text.upper() in _ORDER_ENDS):
                break
            elif depth == 0 and t.token_type == TokenType.COMMA:
                keys.append(key)
                key = []
                continue
            key.append(t)
        keys.append(key)
        for k in keys:
            words = [t.text.upper() for t in k]
            text = " ".join(t.text for t in k)
            if "NULLS" not in words:
                yield Finding("order-nulls", f"ORDER BY {text} has no NULLS FIRST/LAST (Firebolt puts NULLs first "
                                             "on DESC, DuckDB last): add NULLS LAST to keep DuckDB's order")


def _order_lost(tree) -> Iterable[Finding]:
    import sqlglot.expressions as exp

    for select in tree.find_all(exp.Select):
        if select.args.get("order") or not select.args.get("limit"):
            continue
        source = (select.args.get("from_") or select.args.get("from"))
        inner = source.this if source is not None else None
        if isinstance(inner, exp.Subquery) and isinstance(inner.this, (exp.Select, exp.Union)) \
                and inner.this.args.get("order") and not inner.this.args.get("limit"):
            yield Finding("order-lost", "LIMIT over a subquery whose ORDER BY is not repeated outside: the order "
                                        "is not kept (put the LIMIT on the ordered query)")


def _kind(e) -> str:
    import sqlglot.expressions as exp

    while isinstance(e, (exp.Alias, exp.Paren)):
        e = e.this
    if isinstance(e, exp.Cast):
        return "cast:" + e.to.sql(dialect="duckdb").upper()
    if isinstance(e, exp.Column):
        return "column"
    if isinstance(e, exp.Null):
        return "null"
    if isinstance(e, exp.Literal):
        return "text" if e.is_string else "number"
    return type(e).__name__.lower()


def _branches(node) -> list:
    import sqlglot.expressions as exp

    if isinstance(node, exp.SetOperation):
        return _branches(node.this) + _branches(node.expression)
    if isinstance(node, exp.Subquery):
        return _branches(node.this)
    return [node]


def _union_types(tree) -> Iterable[Finding]:
    import sqlglot.expressions as exp

    for op in tree.find_all(exp.SetOperation):
        if isinstance(op.parent, exp.SetOperation):
            continue                             # checked from the top of the chain
        selects = [b for b in _branches(op) if isinstance(b, exp.Select)]
        if len(selects) < 2 or any(any(isinstance(x, exp.Star) for x in s.expressions) for s in selects):
            continue
        width = min(len(s.expressions) for s in selects)
        for i in range(width):
            kinds = {_kind(s.expressions[i]) for s in selects}
            if len(kinds) > 1 and not (len(kinds) == 1 and next(iter(kinds)).startswith("cast:")):
                name = selects[0].expressions[i].alias_or_name
                yield Finding("union-types", f"column {i + 1} ({name}) of a {type(op).__name__.upper()} is "
                                             f"{' / '.join(sorted(kinds))} across its branches: CAST it to one type "
                                             "in every branch")


_TIMESTAMPS = ("TIMESTAMP", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE", "DATETIME")


def _is_timestamp(e, types: dict[str, str]) -> bool:
    import sqlglot.expressions as exp

    while isinstance(e, exp.Paren):
        e = e.this
    if isinstance(e, exp.Cast):
        return e.to.sql(dialect="duckdb").upper() in _TIMESTAMPS
    if isinstance(e, (exp.CurrentTimestamp,)):
        return True
    if isinstance(e, exp.Column):
        return types.get(e.name.lower(), "") in _TIMESTAMPS
    return False


def _date_diff(tree, types: dict[str, str]) -> Iterable[Finding]:
    import sqlglot.expressions as exp

    for dd in tree.find_all(exp.DateDiff):
        for arg in (dd.this, dd.expression):
            if arg is not None and not _is_timestamp(arg, types):
                yield Finding("date-diff-timestamp", f"DATE_DIFF over {arg.sql(dialect='duckdb')}, not a timestamp: "
                                                     "CAST it AS TIMESTAMP (Firebolt's DATE_DIFF takes timestamps)")
