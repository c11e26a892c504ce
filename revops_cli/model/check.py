"""`revops model check`: the semantic model against the live warehouse, and what works because of it.

Checks (about one query each, read-only):
- every entity compiles: `SELECT * FROM <entity> LIMIT 0`; when it does not, each column alone, so the broken
  mapping is named with its model file:line;
- the types the warehouse returns fit the canonical types (schema.sql);
- row counts, and duplicate keys (an entity whose own joins multiply rows);
- value maps cover the values present: unmapped values with their counts;
- relationships: the join does not fan out (the parent key is unique), and orphan counts;
- ranges: opportunity probability within 0..100, amounts not negative.

Then the capabilities: each command, analysis and measure *works*, is *degraded* (it reads a column the model
declares missing or approximates, or one with a warning, or it answers through its pattern's `fallback:`),
*unavailable* (it requires data the warehouse does not have, as the model declares, with no fallback) or
*broken* (a mapping it reads fails on this warehouse). `ok` is False when anything is broken: the command
exits 3.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from revops_cli.errors import RevopsError
from revops_cli.model.spec import BUILTIN, Entity, SemanticModel

LEVELS = ("error", "warning", "info")
STATES = ("works", "degraded", "unavailable", "broken")
# The keys that identify a row when the model gives none (the canonical tables' grains).
DEFAULT_KEYS: dict[str, list[str]] = {
    "accounts": ["account_id"], "users": ["user_id"], "opportunities": ["opportunity_id"],
    "contacts": ["contact_id"], "leads": ["lead_id"], "calls": ["call_id"],
    "usage_daily": ["account_id", "usage_date"], "billing_monthly": ["account_id", "month"],
    "targets": ["quarter", "segment"], "company_research": ["company_name"],
}
# The SQL patterns each command runs (agents/deal.py, agents/lead.py); tests/model/test_check.py keeps this in
# step with the agents' code.
COMMANDS: dict[str, tuple[str, ...]] = {
    "revops deal": ("deal_lookup", "deal_detail", "stage_history", "deal_calls"),
    "revops lead": ("person_lookup", "lead_detail", "lead_contact_detail", "lead_calls", "lead_account_match",
                    "lead_scoring_inputs", "lead_conversion_by_segment", "contacts_at_account"),
}
_FAMILIES = {"TEXT": "text", "INTEGER": "int", "BIGINT": "int", "DOUBLE": "num", "DECIMAL": "num",
             "DATE": "date", "TIMESTAMP": "timestamp", "BOOLEAN": "bool"}


@dataclass
class Finding:
    level: str                      # error | warning | info
    subject: str                    # "opportunities.stage", "opportunities.account_id -> accounts.account_id"
    message: str
    where: str | None = None        # the model file:line that defines it
    count: int | None = None
    values: list[tuple[Any, int]] = field(default_factory=list)    # unmapped values and their row counts

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "subject": self.subject, "message": self.message, "where": self.where,
                "count": self.count, "values": [{"value": v, "rows": n} for v, n in self.values]}


@dataclass
class EntityReport:
    name: str
    mapping: str                    # identity | from | query | missing
    status: str                     # ok | partial (some columns broken) | missing | broken
    rows: int | None = None
    distinct_keys: int | None = None
    key: list[str] = field(default_factory=list)
    mapped: list[str] = field(default_factory=list)
    approx: dict[str, str] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    where: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "mapping": self.mapping, "status": self.status, "rows": self.rows,
                "distinct_keys": self.distinct_keys, "key": list(self.key), "mapped": list(self.mapped),
                "approx": dict(self.approx), "missing": dict(self.missing), "where": self.where}


@dataclass
class Capability:
    kind: str                       # command | analysis | report | measure
    name: str
    status: str                     # works | degraded | unavailable | broken
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "status": self.status, "reasons": list(self.reasons)}


@dataclass
class CheckReport:
    warehouse: str
    preset: str | None
    files: list[str]
    entities: list[EntityReport]
    findings: list[Finding]
    capabilities: list[Capability]
    elapsed_ms: float = 0.0

    @property
    def ok(self) -> bool:
        """Nothing is broken (errors in the mapping, or a capability that cannot run)."""
        return not any(f.level == "error" for f in self.findings) and \
            not any(c.status == "broken" for c in self.capabilities)

    def to_dict(self) -> dict[str, Any]:
        """The `--format json` shape (README: `revops model check`). Keys are stable."""
        counts = {s: sum(1 for c in self.capabilities if c.status == s) for s in STATES}
        return {"ok": self.ok, "warehouse": self.warehouse, "preset": self.preset, "files": list(self.files),
                "summary": counts, "entities": [e.to_dict() for e in self.entities],
                "findings": [f.to_dict() for f in self.findings],
                "capabilities": [c.to_dict() for c in self.capabilities], "elapsed_ms": round(self.elapsed_ms, 1)}


def _where(origin) -> str | None:
    return None if origin is BUILTIN or origin.line == 0 else str(origin)


def _one_line(exc: BaseException) -> str:
    text = exc.message if isinstance(exc, RevopsError) else str(exc)
    return " ".join(str(text).split())[:300]


def type_fit(canonical: str, actual: str) -> str | None:
    """None when `actual` fits `canonical`; "warning" when it works loosely; "error" when it does not fit."""
    from revops_cli.warehouse.base import normalise_type

    want, got = _FAMILIES.get(normalise_type(canonical)), _FAMILIES.get(normalise_type(actual))
    if got is None:                # NULL, ARRAY, something we do not know: let the queries say
        return "warning"
    if want == got or (want == "num" and got == "int"):
        return None
    if {want, got} in ({"int", "num"}, {"date", "timestamp"}):
        return "warning"
    return "error"


def unique_by_grouping(ent: Entity, key: list[str]) -> bool:
    """The entity's `query:` is one SELECT whose GROUP BY is exactly its key's output columns, so every key
    appears once by construction and counting distinct keys (a second aggregation of the whole rollup)
    tells nothing: daily billing rolled to account-months grouped by account, month and plan."""
    if ent.query is None or not key:
        return False
    import sqlglot
    import sqlglot.expressions as exp
    from sqlglot.errors import SqlglotError

    try:
        tree = sqlglot.parse_one(ent.query, read="duckdb")
    except SqlglotError:
        return False
    group = tree.args.get("group") if isinstance(tree, exp.Select) else None
    if group is None or tree.args.get("distinct") or tree.find(exp.Window) or group.args.get("rollup") \
            or group.args.get("cube") or group.args.get("grouping_sets"):
        return False
    outputs = list(tree.expressions)
    by_name = {str(e.alias_or_name).lower(): i for i, e in enumerate(outputs)}
    grouped: set[int] = set()
    for g in group.expressions:
        if isinstance(g, exp.Literal) and g.is_int:
            grouped.add(int(g.this) - 1)
            continue
        hit = next((i for i, e in enumerate(outputs)
                    if (e.this if isinstance(e, exp.Alias) else e) == g), None)
        if hit is None and isinstance(g, exp.Column) and not g.table:
            hit = by_name.get(str(g.name).lower())
        if hit is None:
            return False        # grouped by something that is not an output: keys may repeat
        grouped.add(hit)
    return {by_name.get(k.lower(), -1) for k in key} == grouped


class _Checker:
    def __init__(self, model: SemanticModel, warehouse):
        self.model = model
        self.wh = warehouse
        self.findings: list[Finding] = []
        self.broken_entities: dict[str, str] = {}            # entity -> why
        self.column_state: dict[tuple[str, str], tuple[str, str]] = {}   # -> (error|warning, why)
        self.rows: dict[str, int] = {}
        self.distinct: dict[tuple[str, tuple[str, ...]], int] = {}     # (entity, key) -> distinct key count
        self.orphans: dict[str, tuple[int, int]] = {}                   # relationship -> (orphans, linked)

    def q(self, sql: str, params: list | None = None):
        return self.wh.query(sql, params or [])

    def rel(self, entity: str, columns: list[str] | None = None) -> str:
        from revops_cli.model.planner import entity_relation

        return entity_relation(self.model, entity, columns)

    def add(self, level: str, subject: str, message: str, where: str | None = None, **kw: Any) -> None:
        self.findings.append(Finding(level, subject, message, where, **kw))

    # -- entities --
    def entity(self, ent: Entity) -> EntityReport:
        mapping = "missing" if ent.missing else "query" if ent.query else "from" if ent.source else "identity"
        rep = EntityReport(name=ent.name, mapping=mapping, status="ok", where=_where(ent.origin),
                           key=list(ent.key or DEFAULT_KEYS.get(ent.name, [])),
                           mapped=[c for c, col in ent.columns.items() if not col.missing and not ent.missing],
                           approx=dict(ent.approximations), missing=dict(ent.missing_columns))
        if ent.missing:
            rep.status = "missing"
            return rep
        try:
            res = self.q(f"SELECT * FROM {self.rel(ent.name)} AS x LIMIT 0")
            types = dict(zip(res.columns, res.types))
        except RevopsError as exc:
            types = self.locate(ent, exc)
            if types is None:
                rep.status = "broken"
                return rep
            rep.status = "partial"
        for name, typ in types.items():
            col = ent.columns.get(name)
            if col is None or col.missing:
                continue
            fit = type_fit(col.type, typ)
            if fit:
                why = f"is {typ}, the canonical type is {col.type}"
                self.add(fit, f"{ent.name}.{name}", why, _where(col.origin) or rep.where)
                self.column_state[(ent.name, name)] = (fit, f"{ent.name}.{name} {why}")
        absent = [c for c in ent.columns if c not in types and not ent.columns[c].missing
                  and (ent.name, c) not in self.column_state]
        for c in absent:
            why = f"the entity's query does not produce {c}"
            self.add("error", f"{ent.name}.{c}", why + " (declare it missing or add it)", rep.where)
            self.column_state[(ent.name, c)] = ("error", f"{ent.name}.{c}: {why}")
        return rep

    def locate(self, ent: Entity, exc: RevopsError) -> dict[str, str] | None:
        """The entity does not compile. With `from:`, probe each column alone: the failing ones are named at
        their file:line and the others stay usable (their types are returned). Otherwise, or when every column
        fails, the FROM / filters / query are to blame: the entity is broken (None)."""
        whole = _one_line(exc)
        types: dict[str, str] = {}
        bad: dict[str, str] = {}
        if ent.source is not None:
            for name, col in ent.columns.items():
                if col.missing:
                    continue
                try:
                    res = self.q(f"SELECT * FROM {self.rel(ent.name, [name])} AS x LIMIT 0")
                    types.update(zip(res.columns, res.types))
                except RevopsError as one:
                    bad[name] = _one_line(one)
        if types and bad:
            for name, why in bad.items():
                col = ent.columns[name]
                self.add("error", f"{ent.name}.{name}", f"does not compile on this warehouse: {why}",
                         _where(col.origin) or _where(ent.origin))
                self.column_state[(ent.name, name)] = ("error", f"{ent.name}.{name} does not compile")
            return types
        what = ("its table is not in the warehouse (map it in a model file, or declare it missing)"
                if ent.identity else "its FROM, filters or query do not compile")
        self.add("error", ent.name, f"{what}: {whole}", _where(ent.origin))
        self.broken_entities[ent.name] = f"{ent.name} does not compile"
        return None

    def needs_key_check(self, ent: Entity, key: list[str]) -> bool:
        """Count distinct keys only where rows can repeat: an entity the model builds with a join or a query,
        or the parent of a relationship (a repeated parent key fans every join to it out). A plain table's
        own grain is the warehouse's business, and counting it is the slowest query of the check."""
        if not key or unique_by_grouping(ent, key):
            return False
        if ent.query is not None or (ent.source is not None and " join " in f" {ent.source.lower()} "):
            return True
        return any(r.parent == ent.name and [r.parent_column] == key for r in self.model.relationships)

    def usable(self, entity: str, column: str) -> bool:
        ent = self.model.entities[entity]
        return (not ent.missing and entity not in self.broken_entities and not ent.columns[column].missing
                and self.column_state.get((entity, column), ("",))[0] != "error")

    def orphan_checks(self, ent: Entity) -> list:
        """The relationships from this entity whose orphans are counted: where the model builds either side
        (two plain tables are the warehouse's own business) and both columns can be read."""
        out = []
        for r in self.model.relationships:
            if r.child != ent.name:
                continue
            child, parent = ent, self.model.entities[r.parent]
            if child.identity and parent.identity:
                continue
            if self.usable(r.child, r.child_column) and self.usable(r.parent, r.parent_column):
                out.append(r)
        return out

    def scan(self, ent: Entity, rep: EntityReport) -> None:
        """One query per entity, its relation evaluated once: rows, distinct keys where they matter, and the
        orphans of each relationship from it."""
        key = [k for k in rep.key if k in ent.columns and self.usable(ent.name, k)]
        checks = self.orphan_checks(ent)
        cols = list(dict.fromkeys([*key, *(r.child_column for r in checks)]))
        parts = ["(SELECT COUNT(*) FROM e)"]
        with_keys = self.needs_key_check(ent, key)
        if with_keys:
            keys = ", ".join(key)
            parts.append(f"(SELECT COUNT(*) FROM (SELECT {keys} FROM e GROUP BY {keys}) AS d)")
        for r in checks:
            prel = self.rel(r.parent, [r.parent_column])
            parts.append(f"(SELECT COUNT(*) FROM e LEFT JOIN (SELECT DISTINCT {r.parent_column} AS _k FROM {prel} "
                         f"AS b) AS p ON p._k = e.{r.child_column} WHERE e.{r.child_column} IS NOT NULL "
                         f"AND p._k IS NULL)")
            parts.append(f"(SELECT COUNT(*) FROM e WHERE e.{r.child_column} IS NOT NULL)")
        chosen = ", ".join(cols) if cols else "*"
        sql = (f"WITH e AS MATERIALIZED (SELECT {chosen} FROM {self.rel(ent.name, cols or None)} AS x) "
               f"SELECT {', '.join(parts)}")
        try:
            values = [int(v or 0) for v in self.q(sql).rows[0]]
        except RevopsError as exc:
            self.add("error", ent.name, f"cannot be counted: {_one_line(exc)}", rep.where)
            self.broken_entities[ent.name] = f"{ent.name} cannot be read"
            rep.status = "broken"
            return
        rep.rows = values.pop(0)
        self.rows[ent.name] = rep.rows
        if with_keys:
            rep.distinct_keys = values.pop(0)
            self.distinct[(ent.name, tuple(key))] = rep.distinct_keys
        for r in checks:
            self.orphans[str(r)] = (values.pop(0), values.pop(0))
        if rep.rows == 0:
            self.add("warning", ent.name, "has no rows on this warehouse", rep.where)
        if rep.distinct_keys is not None and rep.distinct_keys < rep.rows:
            dup = rep.rows - rep.distinct_keys
            why = "a join in its mapping multiplies rows" if not ent.identity else "the table repeats keys"
            self.add("error", ent.name, f"{dup} rows repeat a key ({', '.join(key)}): {why}", rep.where, count=dup)
            self.broken_entities.setdefault(ent.name, f"{ent.name} has repeated keys")

    # -- value maps --
    def value_maps(self) -> None:
        """The values each mapped column has on the warehouse, before its map, with their row counts: one query
        per entity (its source read once into a narrow CTE, then one GROUP BY per mapped column)."""
        for ent in self.model.entities.values():
            if ent.missing or ent.source is None or ent.name in self.broken_entities:
                continue
            cols = [col for col in ent.columns.values()
                    if col.value_map and not col.missing and (ent.name, col.name) not in self.column_state]
            if not cols:
                continue
            where = " WHERE " + " AND ".join(f"({f})" for f in ent.filters) if ent.filters else ""
            narrow = ", ".join(f"{c.sql} AS v{i}" for i, c in enumerate(cols))
            groups = " UNION ALL ".join(f"SELECT {i} AS c, CAST(v{i} AS TEXT) AS v, COUNT(*) AS n FROM e GROUP BY 2"
                                        for i in range(len(cols)))
            try:
                res = self.q(f"WITH e AS MATERIALIZED (SELECT {narrow} FROM {ent.source}{where}) {groups}")
            except RevopsError:
                continue        # located as a compile error already
            present: dict[int, list[tuple[Any, int]]] = {}
            for i, v, n in res.rows:
                present.setdefault(int(i), []).append((v, int(n)))
            for i, col in enumerate(cols):
                self.unmapped(ent, col, sorted(present.get(i, []), key=lambda vn: -vn[1]))

    def unmapped(self, ent: Entity, col, counts: list[tuple[Any, int]]) -> None:
        """A finding for the values (with their row counts) the column's value map does not cover."""
        vm = self.model.value_maps[col.value_map]
        known = set(vm.to_canonical) | set(vm.to_canonical.values())
        unmapped = [(v, n) for v, n in counts if v is not None and str(v) not in known]
        if not unmapped:
            return
        rows = sum(n for _, n in unmapped)
        listed = ", ".join(f"{v!s} ({n})" for v, n in unmapped[:8]) + (" …" if len(unmapped) > 8 else "")
        if vm.default is None:
            level, tail = "error", f"add them to value map '{vm.name}' (or give it a default)"
        else:
            level, tail = "warning", f"they become '{vm.default}' (the map's default)"
        self.add(level, f"{ent.name}.{col.name}",
                 f"{len(unmapped)} values ({rows} rows) are not in value map '{vm.name}': {listed}; {tail}",
                 _where(col.origin) or _where(vm.origin), count=rows, values=unmapped)
        self.column_state[(ent.name, col.name)] = (
            level, f"{ent.name}.{col.name} has values value map '{vm.name}' does not cover")

    # -- relationships --
    def relationships(self) -> None:
        """Fan-out: the parent key must be unique (then a join keeps the child's rows). Orphans: child rows whose
        key finds no parent, counted in the child's scan."""
        for r in self.model.relationships:
            child, parent = self.model.entities[r.child], self.model.entities[r.parent]
            if child.missing or parent.missing or r.child in self.broken_entities or r.parent in self.broken_entities:
                continue
            gone = [f"{e.name}.{c}" for e, c in ((child, r.child_column), (parent, r.parent_column))
                    if e.columns[c].missing]
            if gone:
                self.add("info", str(r), f"not checked: {', '.join(gone)} is missing", _where(r.origin))
                continue
            if not (self.usable(r.child, r.child_column) and self.usable(r.parent, r.parent_column)):
                continue
            distinct = self.distinct.get((r.parent, (r.parent_column,)))
            if distinct is None:       # the parent's key is another column: count this one
                prel = self.rel(r.parent, [r.parent_column])
                try:
                    distinct = int(self.q(f"SELECT COUNT(DISTINCT {r.parent_column}) + MAX(CASE WHEN "
                                          f"{r.parent_column} IS NULL THEN 1 ELSE 0 END) FROM {prel} AS b"
                                          ).rows[0][0] or 0)
                except RevopsError as exc:
                    self.add("error", str(r), f"cannot be joined: {_one_line(exc)}", _where(r.origin))
                    continue
            repeated = self.rows.get(r.parent, 0) - distinct
            if repeated > 0:
                self.add("error", str(r), f"fans out: {repeated} {r.parent} rows repeat a "
                         f"{r.parent_column}, so joining {r.child} to {r.parent} multiplies rows",
                         _where(r.origin), count=repeated)
                self.column_state[(r.child, r.child_column)] = ("error", f"{r} multiplies rows")
                continue
            orphans, linked = self.orphans.get(str(r), (0, 0))
            if orphans:
                share = 100.0 * orphans / linked if linked else 0.0
                self.add("warning" if share >= 5 else "info", str(r),
                         f"{orphans} of {linked} {r.child} rows ({share:.0f}%) point to no {r.parent} row",
                         _where(r.origin), count=orphans)

    # -- ranges --
    def ranges(self) -> None:
        opp = self.model.entities["opportunities"]
        if opp.missing or "opportunities" in self.broken_entities:
            return
        checks = []

        def usable(col: str) -> bool:
            return not opp.columns[col].missing and self.column_state.get(("opportunities", col), ("",))[0] != "error"

        if usable("probability"):
            checks.append(("probability", "SUM(CASE WHEN probability < 0 OR probability > 100 THEN 1 ELSE 0 END)",
                           "outside 0..100 (the model expects a percentage)"))
        if usable("amount"):
            checks.append(("amount", "SUM(CASE WHEN amount < 0 THEN 1 ELSE 0 END)", "negative"))
        if not checks:
            return
        cols = [c for c, _, _ in checks]
        extra = ", MAX(probability)" if "probability" in cols else ""
        try:
            res = self.q(f"SELECT {', '.join(s for _, s, _ in checks)}{extra} "
                         f"FROM {self.rel('opportunities', cols)} AS o")
        except RevopsError:
            return
        values = res.rows[0]
        for (col, _, what), n in zip(checks, values):
            if n:
                self.add("warning", f"opportunities.{col}", f"{int(n)} rows are {what}",
                         _where(opp.columns[col].origin) or _where(opp.origin), count=int(n))
                self.column_state.setdefault(("opportunities", col), ("warning", f"opportunities.{col} is {what}"))
        if "probability" in cols and values[-1] is not None and 0 < float(values[-1]) <= 1:
            self.add("warning", "opportunities.probability",
                     "every probability is within 0..1: it looks like a fraction; multiply by 100 in the mapping",
                     _where(opp.columns["probability"].origin) or _where(opp.origin))
            self.column_state[("opportunities", "probability")] = ("warning", "probability looks like a fraction")

    # -- capabilities --
    def judge(self, reads: dict[str, set[str] | None], requires: set[str]) -> tuple[str, list[str]]:
        """reads: entity -> columns (None: all); requires: `entity.column` / `entity` it cannot do without."""
        broken, unavailable, degraded, loose = [], [], [], []      # loose: approximated or warned, after missing
        for e, cols in reads.items():
            ent = self.model.entities.get(e)
            if ent is None:
                continue
            if e in self.broken_entities:
                broken.append(self.broken_entities[e])
                continue
            if ent.missing:
                (unavailable if e in requires or any(r.startswith(e + ".") for r in requires)
                 else degraded).append(f"no {e}: {ent.missing}")
                continue
            for c in sorted(cols if cols is not None else ent.columns):
                col = ent.columns.get(c)
                if col is None:
                    continue
                state = self.column_state.get((e, c))
                if state and state[0] == "error":
                    broken.append(state[1])
                elif col.missing:
                    (unavailable if f"{e}.{c}" in requires else degraded).append(f"no {e}.{c}: {col.missing}")
                elif state:
                    loose.append(state[1])
                elif col.approx and cols is not None:
                    loose.append(f"{e}.{c} approximated: {col.approx}")
        for status, reasons in (("broken", broken), ("unavailable", unavailable), ("degraded", degraded + loose)):
            if reasons:
                return status, list(dict.fromkeys(reasons))
        return "works", []


def pattern_reads(model: SemanticModel, pattern, as_of: date,
                  overrides: dict[str, Any] | None = None) -> tuple[dict[str, set[str] | None], set[str]]:
    """The canonical entities and columns a SQL pattern reads (rendered with example values, then `overrides`:
    a fallback's parameters), and what its `requires:` header says it cannot do without. On the identity model
    nothing is missing or approximated, so the entities its `table()` calls name are enough (every column of
    each); on a mapped one the compiler analyses the rendered SQL for the columns."""
    values: dict[str, Any] = {}
    for name, prm in pattern.params.items():
        if prm.example is not None:
            values[name] = prm.example
        elif prm.required:
            values[name] = {"date": as_of, "int": 1, "float": 1.0, "bool": False, "list[str]": ["x"]}.get(prm.type, "x")
    values.update(overrides or {})
    named: list[str] = []

    def table(entity: str) -> str:
        named.append(entity)
        return entity

    try:
        sql, _ = pattern.render(values, table=table)
    except RevopsError:
        kept = {n: v for n, v in values.items() if pattern.params[n].required or n in (overrides or {})}
        sql, _ = pattern.render(kept, table=table)
    requires = set(getattr(pattern, "requires", None) or ())
    if model.identity:
        return {e: None for e in dict.fromkeys(named) if e in model.entities}, requires
    from revops_cli.model.compile import analyse

    usage = analyse(sql, frozenset(model.entities))
    reads: dict[str, set[str] | None] = {}
    for e in usage.entities:
        reads[e] = None if e in usage.stars else set(usage.read(e))
    return reads, requires


def judge_pattern(checker: _Checker, pattern, as_of: date) -> tuple[str, list[str]]:
    """A pattern's state. Where the model lacks a `requires:` item the pattern declares a `fallback:` for, it is
    judged as the analyses run it (with the fallback's parameters) and is at best degraded, saying what it uses
    instead; a lacking item without a fallback leaves it unavailable."""
    from revops_cli.model.compile import unavailable

    lacking = unavailable(checker.model, pattern.requires)
    params, uses = pattern.fallback(lacking)
    reads, requires = pattern_reads(checker.model, pattern, as_of, params)
    status, reasons = checker.judge(reads, requires - set(uses))
    if not uses or status in ("broken", "unavailable"):
        return status, reasons
    said = [f"no {item}: {lacking[item]}; uses {what}" for item, what in uses.items()]
    plain = {f"no {item}: {lacking[item]}" for item in uses}
    return "degraded", said + [r for r in reasons if r not in plain]


def report_state(report, analyses: dict[str, Capability]) -> Capability:
    """A report runs while any of its sections can: it is broken when a section is, unavailable only when every
    section is, and otherwise degraded when a section is unavailable or degraded (the reasons name the section)."""
    name = f"revops report {report.name}"
    states = [(s, analyses[s.analysis]) for s in report.sections if s.analysis in analyses]
    if not states:
        return Capability("report", name, "works")
    broken = [f"{s.analysis}: {why}" for s, c in states if c.status == "broken" for why in c.reasons]
    if broken:
        return Capability("report", name, "broken", list(dict.fromkeys(broken)))
    if all(c.status == "unavailable" for _, c in states):
        return Capability("report", name, "unavailable",
                          list(dict.fromkeys(why for _, c in states for why in c.reasons)))
    reasons = [f"section {s.analysis} unavailable: {why}" for s, c in states if c.status == "unavailable"
               for why in c.reasons]
    reasons += [why for _, c in states if c.status == "degraded" for why in c.reasons]
    return Capability("report", name, "degraded" if reasons else "works", list(dict.fromkeys(reasons)))


def capabilities(checker: _Checker, settings) -> list[Capability]:
    from revops_cli.agents.analyses.catalog import ANALYSES
    from revops_cli.model.planner import identifiers
    from revops_cli.reports.builtin import BUILTIN as REPORTS
    from revops_cli.warehouse.queries import pattern_catalog

    model = checker.model
    catalog = pattern_catalog(settings)
    as_of = settings.as_of if hasattr(settings, "as_of") and isinstance(getattr(settings, "as_of"), date) else date.today()
    judged: dict[str, tuple[str, list[str]]] = {}

    def pattern_state(name: str) -> tuple[str, list[str]]:
        if name not in judged:
            if name not in catalog:
                judged[name] = ("broken", [f"no SQL pattern {name}"])
            else:
                try:
                    judged[name] = judge_pattern(checker, catalog.get(name), as_of)
                except RevopsError as exc:
                    judged[name] = ("broken", [f"pattern {name}: {_one_line(exc)}"])
        return judged[name]

    def worst(kind: str, name: str, patterns) -> Capability:
        states = [pattern_state(p) for p in patterns]
        for status in ("broken", "unavailable", "degraded"):
            reasons = [r for s, rs in states if s == status for r in rs]
            if reasons:
                return Capability(kind, name, status, list(dict.fromkeys(reasons)))
        return Capability(kind, name, "works")

    out = [worst("command", cmd, pats) for cmd, pats in COMMANDS.items()]
    # `data sql` reads whatever it names: it works while every entity and column compiles
    broken = list(checker.broken_entities.values()) + [why for level, why in checker.column_state.values()
                                                       if level == "error"]
    out.append(Capability("command", "revops data sql", "broken" if broken else "works", broken))
    for a in ANALYSES.values():
        out.append(worst("analysis", a.name, a.patterns))
    for r in REPORTS.values():
        out.append(report_state(r, {a.name: worst("analysis", a.name, a.patterns) for a in ANALYSES.values()}))
    for m in model.measures.values():
        ent = model.entities[m.entity]
        cols = set()
        for text in (m.sql, *m.filters, m.time or "", m.per or "", m.value or ""):
            cols |= {c for c in identifiers(text) if c in ent.columns}
        status, reasons = checker.judge({m.entity: cols}, {f"{m.entity}.{c}" for c in cols} | {m.entity})
        out.append(Capability("measure", m.name, status, reasons))
    return out


def check_model(settings, warehouse, model: SemanticModel | None = None) -> CheckReport:
    """Run every check; the warehouse is only read."""
    from revops_cli.model.loader import load_model

    started = time.perf_counter()
    model = model or load_model(settings)
    checker = _Checker(model, warehouse)
    entities = [checker.entity(e) for e in model.entities.values()]
    for rep in entities:
        if rep.status in ("ok", "partial"):
            checker.scan(model.entities[rep.name], rep)
    checker.value_maps()
    checker.relationships()
    checker.ranges()
    caps = capabilities(checker, settings)
    order = {lvl: i for i, lvl in enumerate(LEVELS)}
    findings = sorted(checker.findings, key=lambda f: order[f.level])
    return CheckReport(warehouse=getattr(warehouse, "identity", "?"), preset=model.preset, files=list(model.files),
                       entities=entities, findings=findings, capabilities=caps,
                       elapsed_ms=(time.perf_counter() - started) * 1000)
