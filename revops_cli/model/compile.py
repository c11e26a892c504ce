"""The compiler: canonical SQL onto the mapped tables, as text (docs/model.md, docs/ARCHITECTURE.md).

Two entry points:
- `relation(model, entity, columns)`: the SQL of one canonical entity. Identity: its table name. Mapped: a
  parenthesised SELECT producing canonical column names (expressions, value maps as CASE, missing columns as
  typed NULLs, row filters) or the whole `query:`. Missing entity: an empty typed relation. SQL patterns put
  it where they write `{{ table('opportunities') }}`.
- `compile_sql(model, sql)`: free SQL in canonical names (`data sql`, the model tools) with a CTE per entity
  it reads, spliced into a leading WITH / WITH RECURSIVE.

sqlglot is used only to *analyse* (which canonical tables and columns a query reads); the SQL that runs is
always text we wrote or the caller wrote, never sqlglot's output (Firebolt rejects some of its forms).
Only the columns a query names are emitted (projection pruning), so a mapped warehouse costs about what the
canonical one does. On the identity model (the demo warehouse) nothing is parsed and the SQL is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from revops_cli.model.spec import Entity, SemanticModel



class Relation(str):
    """SQL the compiler wrote for an entity (a parenthesised SELECT): a pattern may put it where a table name
    goes. Any other text there must be a plain table name."""


# --- which model -----------------------------------------------------------------------------------------

def user_model_dirs(settings) -> list[Path]:
    """The team's model folders that exist: <home>/model, ./model."""
    return [d for d in (settings.home / "model", Path.cwd() / "model") if d.is_dir()]


def model_for(settings) -> SemanticModel:
    """The semantic model these settings describe.

    Without a preset and without model files of the team's own, this is the identity model built from the
    canonical schema and `tables:` alone: no YAML is read, and SQL runs as written (renamed tables aside).
    """
    if not settings.get("model.preset") and not any(any(d.glob("*.yaml")) for d in user_model_dirs(settings)):
        return identity_model(tuple(sorted((settings.get("tables") or {}).items())))
    from revops_cli.model.loader import load_model

    return load_model(settings)


@lru_cache(maxsize=8)
def identity_model(renames: tuple[tuple[str, str], ...] = ()) -> SemanticModel:
    """Every entity is its table (renamed by `tables:`); no measures (those live in the YAML files)."""
    from revops_cli.model.loader import canonical_schema
    from revops_cli.model.spec import ColumnMap

    rename = dict(renames)
    return SemanticModel(entities={
        name: Entity(name=name, table=rename.get(name, name),
                     columns={c: ColumnMap(name=c, type=t) for c, t in cols.items()})
        for name, cols in canonical_schema().items()})


# --- one entity ------------------------------------------------------------------------------------------

def literal(value: Any) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def column_sql(model: SemanticModel, entity: Entity, name: str) -> str:
    """The expression of one canonical column over the entity's source (value map applied)."""
    col = entity.columns[name]
    if col.missing or entity.missing:
        return f"CAST(NULL AS {col.type})"
    expr = col.sql if col.sql is not None else name       # same_names: the source's column of that name
    if col.value_map:
        vm = model.value_maps[col.value_map]
        by_canonical: dict[str, list[str]] = {}
        for word, canonical in vm.to_canonical.items():
            by_canonical.setdefault(canonical, []).append(word)
        whens = " ".join(f"WHEN {literal(w)} THEN {literal(c)}"
                         for c, words in by_canonical.items() for w in words)
        if vm.default is None:
            other = expr
        else:     # NULL stays NULL: no data is not a word
            other = f"CASE WHEN {expr} IS NULL THEN NULL ELSE {literal(vm.default)} END"
        expr = f"CASE {expr} {whens} ELSE {other} END" if whens else other
    return expr


def relation(model: SemanticModel, entity: str, columns: Iterable[str] | None = None) -> str:
    """The SQL of a canonical entity, to stand where its table name would.

    `columns`: the canonical columns the query uses (None: all of them). Identity entities are their table
    name, unchanged; the others are a parenthesised SELECT with canonical column names.
    """
    ent = model.entity(entity)
    if ent.identity:
        return ent.table or ent.name
    wanted = _wanted(ent, columns)
    if ent.missing:
        cols = ", ".join(f"CAST(NULL AS {ent.columns[c].type}) AS {c}" for c in wanted)
        return Relation(f"(SELECT {cols} WHERE 1 = 0)")
    if ent.query is not None:
        body = ent.query.strip().rstrip(";").strip()
        missing = ent.missing_columns
        if columns is None and not missing:
            return Relation(f"({body})")
        cols = ", ".join(f"CAST(NULL AS {ent.columns[c].type}) AS {c}" if c in missing else f"q.{c}"
                         for c in wanted)
        return Relation(f"(SELECT {cols} FROM ({body}) AS q)")
    cols = ", ".join(_select_item(model, ent, c) for c in wanted)
    where = f" WHERE {' AND '.join(f'({f})' for f in ent.filters)}" if ent.filters else ""
    return Relation(f"(SELECT {cols} FROM {ent.source}{where})")


def _select_item(model: SemanticModel, ent: Entity, name: str) -> str:
    expr = column_sql(model, ent, name)
    return name if expr == name else f"{expr} AS {name}"


def _wanted(ent: Entity, columns: Iterable[str] | None) -> list[str]:
    if columns is None:
        return list(ent.columns)
    wanted = set(columns)
    out = [c for c in ent.columns if c in wanted]
    if out:
        return out
    # COUNT(*) and EXISTS name no column; a relation needs one. Take the cheapest: a key or the first mapped.
    for c in [*ent.key, *ent.columns]:
        if c in ent.columns and not ent.columns[c].missing:
            return [c]
    return [next(iter(ent.columns))]


# --- what a query reads ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Usage:
    """What a canonical query reads, found by sqlglot's parse (analysis only)."""

    entities: tuple[str, ...]                         # canonical tables it reads, in order of appearance
    names: frozenset[str]                             # every identifier it mentions (over-inclusive: pruning)
    resolved: tuple[tuple[str, frozenset[str]], ...]  # entity -> columns it reads (by alias: the receipt)
    stars: frozenset[str]                             # entities read with * (every column)

    def columns_for(self, model: SemanticModel, entity: str) -> list[str] | None:
        """The columns to emit for an entity: those the query may name; None for all."""
        if entity in self.stars:
            return None
        return [c for c in model.entities[entity].columns if c in self.names]

    def read(self, entity: str) -> frozenset[str]:
        return dict(self.resolved).get(entity, frozenset())


@lru_cache(maxsize=512)
def analyse(sql: str, canonical: frozenset[str]) -> Usage:
    """Which canonical tables (unqualified names that no CTE of the query defines) and columns `sql` reads."""
    import sqlglot
    import sqlglot.expressions as exp
    from sqlglot.errors import SqlglotError

    tree = None
    for dialect in ("duckdb", "postgres"):
        try:
            tree = sqlglot.parse_one(sql, read=dialect)
            break
        except SqlglotError:
            continue
    if tree is None:
        # sqlglot cannot read it (the warehouse may): every canonical name it mentions, with all its columns.
        import re

        found = tuple(e for e in sorted(canonical) if re.search(rf"\b{e}\b", sql, re.I))
        return Usage(found, frozenset(), (), frozenset(found))
    ctes = {str(c.alias_or_name).lower() for c in tree.find_all(exp.CTE)}
    entities: list[str] = []
    aliases: dict[str, set[str]] = {}
    for t in tree.find_all(exp.Table):
        name = str(t.name or "").lower()
        if t.args.get("db") or t.args.get("catalog") or name in ctes or name not in canonical:
            continue
        if name not in entities:
            entities.append(name)
        aliases.setdefault(str(t.alias or name).lower(), set()).add(name)
    names = {str(i.this).lower() for i in tree.find_all(exp.Identifier)}
    stars: set[str] = set()
    resolved: dict[str, set[str]] = {e: set() for e in entities}
    schema = _schema_columns()
    for col in tree.find_all(exp.Column):
        qualifier = str(col.table or "").lower()
        targets = aliases.get(qualifier, set()) if qualifier else set(entities)
        if isinstance(col.this, exp.Star):
            stars |= targets
            continue
        name = str(col.name).lower()
        for e in targets:
            if name in schema.get(e, ()):
                resolved[e].add(name)
    for star in tree.find_all(exp.Star):
        if isinstance(star.parent, exp.Select):     # SELECT * (not COUNT(*)): every entity in the query
            stars |= set(entities)
    for join in tree.find_all(exp.Join):
        for ident in join.args.get("using") or []:
            for e in entities:
                if str(getattr(ident, "name", ident)).lower() in schema.get(e, ()):
                    resolved[e].add(str(getattr(ident, "name", ident)).lower())
    return Usage(tuple(entities), frozenset(names),
                 tuple((e, frozenset(cols)) for e, cols in resolved.items()), frozenset(stars))


@lru_cache(maxsize=1)
def _schema_columns() -> dict[str, frozenset[str]]:
    from revops_cli.model.loader import canonical_schema

    return {e: frozenset(cols) for e, cols in canonical_schema().items()}


# --- the compiled query --------------------------------------------------------------------------------------

@dataclass
class Compiled:
    """Canonical SQL put onto the mapped tables, and what the answer must say about it."""

    sql: str
    entities: list[str] = field(default_factory=list)            # canonical entities it reads
    missing: dict[str, str] = field(default_factory=dict)        # "calls.transcript" -> why there is none
    approximations: dict[str, str] = field(default_factory=dict) # "opportunities.amount" -> how it is approximated
    definitions: dict[str, str] = field(default_factory=dict)    # measure -> its one-line definition
    mapped: bool = False                                         # the SQL differs from the canonical text

    def meta(self) -> dict[str, Any]:
        """What travels with the QueryResult into the trace and the answer (empty on the identity model)."""
        out: dict[str, Any] = {}
        if self.mapped:
            out["entities"] = list(self.entities)
        for key in ("missing", "approximations", "definitions"):
            if getattr(self, key):
                out[key] = dict(getattr(self, key))
        return out


def notes(settings, meta: dict[str, Any] | None) -> list[str]:
    """One line per missing or approximated piece of data a result used (templates/model_notes.txt.j2)."""
    if not meta or not (meta.get("missing") or meta.get("approximations")):
        return []
    from revops_cli.templates import render

    text = render(settings, "model_notes.txt.j2", missing=meta.get("missing") or {},
                  approximations=meta.get("approximations") or {})
    return [line for line in text.splitlines() if line.strip()]


def answer_receipt(steps: Iterable[Any], already_said: Iterable[str] = ()) -> dict[str, Any]:
    """The model receipts of an answer's steps merged (Step.model): every missing and approximated piece of
    data the answer read, minus what the answer's own text already says is unavailable."""
    missing: dict[str, str] = {}
    approx: dict[str, str] = {}
    definitions: dict[str, str] = {}
    entities: list[str] = []
    for step in steps:
        meta = getattr(step, "model", None) or {}
        missing.update(meta.get("missing") or {})
        approx.update(meta.get("approximations") or {})
        definitions.update(meta.get("definitions") or {})
        entities += [e for e in meta.get("entities") or [] if e not in entities]
    said = set(already_said)
    missing = {k: v for k, v in missing.items() if k not in said}
    out: dict[str, Any] = {}
    if entities:
        out["entities"] = entities
    for key, value in (("missing", missing), ("approximations", approx), ("definitions", definitions)):
        if value:
            out[key] = value
    return out


def receipt(model: SemanticModel, usage: Usage) -> tuple[dict[str, str], dict[str, str]]:
    """(missing, approximations) among the columns a query reads, keyed `entity.column`."""
    missing: dict[str, str] = {}
    approx: dict[str, str] = {}
    for e in usage.entities:
        ent = model.entities[e]
        if ent.missing:
            missing[e] = ent.missing
            continue
        read = set(ent.columns) if e in usage.stars else usage.read(e)
        for c in ent.columns:
            if c in read and ent.columns[c].missing:
                missing[f"{e}.{c}"] = ent.columns[c].missing
            elif c in read and ent.columns[c].approx:
                approx[f"{e}.{c}"] = ent.columns[c].approx
    return missing, approx


def canonical_names(model: SemanticModel) -> frozenset[str]:
    return frozenset(model.entities)


def compile_sql(model: SemanticModel, sql: str) -> Compiled:
    """Free SQL in canonical names onto the mapped tables: a CTE per entity it reads.

    Entities that are their own table need no CTE; a query that reads only those comes back unchanged
    (on the identity model without renames nothing is even parsed).
    """
    if model.identity and all(e.table in (None, e.name) for e in model.entities.values()):
        return Compiled(sql=sql)
    usage = analyse(sql, canonical_names(model))
    missing, approx = receipt(model, usage)
    ctes = []
    for e in usage.entities:
        ent = model.entities[e]
        if ent.identity and ent.table in (None, ent.name):
            continue
        rel = relation(model, e, usage.columns_for(model, e))
        ctes.append(f"{e} AS {rel if rel.startswith('(') else f'(SELECT * FROM {rel})'}")
    if not ctes:
        return Compiled(sql=sql, entities=list(usage.entities), missing=missing, approximations=approx)
    return Compiled(sql=splice_ctes(sql, ctes), entities=list(usage.entities), missing=missing,
                    approximations=approx, mapped=True)


def splice_ctes(sql: str, ctes: list[str]) -> str:
    """`WITH <ctes> <sql>`, or the CTEs put first inside the query's own leading WITH [RECURSIVE]."""
    import sqlglot
    from sqlglot.errors import SqlglotError
    from sqlglot.tokens import TokenType

    block = ",\n".join(ctes)
    tokens = []
    for dialect in ("duckdb", "postgres"):
        try:
            tokens = list(sqlglot.tokenize(sql, read=dialect))
            break
        except SqlglotError:
            continue
    if tokens and tokens[0].token_type == TokenType.WITH:
        cut = tokens[0].end + 1
        if len(tokens) > 1 and tokens[1].token_type == TokenType.RECURSIVE:
            cut = tokens[1].end + 1
        return f"{sql[:cut]} {block},\n{sql[cut:].lstrip()}"
    return f"WITH {block}\n{sql}"


def compile_pattern(model: SemanticModel, pattern, typed: dict[str, Any]) -> tuple[Compiled, list]:
    """Render a SQL pattern onto the model: each `table('x')` becomes the entity's relation.

    The identity model renders once, exactly as before (table names through `tables:`). A mapped one renders
    in canonical names first, to learn which columns the pattern reads, then with the pruned relations.
    """
    if model.identity:
        sql, params = pattern.render(typed, table=lambda e: relation(model, e))
        return Compiled(sql=sql), params
    canonical_sql, params = pattern.render(typed)
    usage = analyse(canonical_sql, canonical_names(model))
    missing, approx = receipt(model, usage)
    sql, params = pattern.render(typed, table=lambda e: relation(model, e, usage.columns_for(model, e)))
    return Compiled(sql=sql, entities=list(usage.entities), missing=missing, approximations=approx,
                    mapped=sql != canonical_sql), params


def unavailable(model: SemanticModel, requires: Iterable[str]) -> dict[str, str]:
    """The requirements (`entity` or `entity.column`, a pattern's `requires:`) this warehouse lacks, with why."""
    out: dict[str, str] = {}
    for item in requires:
        entity, _, column = item.partition(".")
        ent = model.entities.get(entity)
        if ent is None:
            continue
        if ent.missing:
            out[item] = ent.missing
        elif column and column in ent.columns and ent.columns[column].missing:
            out[item] = ent.columns[column].missing
    return out


# --- a mapping the warehouse rejects -------------------------------------------------------------------------

def locate_failure(model: SemanticModel, warehouse, compiled: Compiled, error: Exception):
    """The model file:line whose SQL the warehouse rejects, as a ConfigError (exit 3); None if the model is fine.

    Each entity the query read is tried on its own, then its source, filters and columns one at a time, so the
    message names the definition that broke, not the compiled query.
    """
    from revops_cli.errors import ConfigError, RevopsError

    def fails(sql: str) -> str | None:
        try:
            warehouse.query(f"SELECT * FROM {sql} AS probe WHERE 1 = 0", [], namespace="model")
        except RevopsError as exc:
            return exc.message
        return None

    for e in compiled.entities:
        ent = model.entities.get(e)
        if ent is None or ent.identity or ent.missing:
            continue
        if ent.query is None and fails(relation(model, e)) is None:
            continue
        if ent.query is not None:
            body = ent.query.strip().rstrip(";")
            msg = fails(f"({body})")
            if msg is None:      # it runs, but lacks a canonical column
                for c, col in ent.columns.items():
                    if not col.missing and fails(f"(SELECT q.{c} FROM ({body}) AS q)"):
                        return ConfigError(f"{ent.origin}: the query of entity '{e}' has no column '{c}'",
                                           f"add `… AS {c}` to its SELECT list, or declare it under columns: "
                                           "as `{missing: reason}`")
                continue
            return ConfigError(f"{ent.origin}: the query of entity '{e}' does not run on this warehouse: "
                               f"{msg or error}", "fix it in the model file (`revops model check`)")
        msg = fails(f"(SELECT 1 AS x FROM {ent.source})")
        if msg:
            return ConfigError(f"{ent.origin}: `from: {ent.source}` of entity '{e}' does not run on this "
                               f"warehouse: {msg}", "fix it in the model file (`revops model check`)")
        for f in ent.filters:
            msg = fails(f"(SELECT 1 AS x FROM {ent.source} WHERE {f})")
            if msg:
                return ConfigError(f"{ent.origin}: the filter `{f}` of entity '{e}' does not run on this "
                                   f"warehouse: {msg}", "fix it in the model file (`revops model check`)")
        for c, col in ent.columns.items():
            if col.missing:
                continue
            msg = fails(f"(SELECT {column_sql(model, ent, c)} AS {c} FROM {ent.source})")
            if msg:
                shown = col.sql if col.sql is not None else f"{c} (same_names)"
                return ConfigError(f"{col.origin}: column '{e}.{c}' (`{shown}`) does not run on this "
                                   f"warehouse: {msg}", "fix it in the model file (`revops model check`)")
        return ConfigError(f"{ent.origin}: entity '{e}' does not run on this warehouse: {error}",
                           "fix it in the model file (`revops model check`)")
    return None
