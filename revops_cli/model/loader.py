"""Read the semantic model: the canonical schema, then model files, each layer overriding the one before.

Layers, weakest first:
1. the canonical schema (warehouse/schema.sql): every entity is its own table (`tables:` may rename it);
2. the shipped definitions (model/base/*.yaml): measures, dimensions, relationships;
3. the preset named by `model.preset` (model/presets/<name>/*.yaml);
4. <home>/model/*.yaml, then ./model/*.yaml: the team's own edits.

A later layer overrides by name: an entity's `from`/`query`/`where`/`key` replace the earlier ones and its
`columns:` override column by column; measures, dimensions and value maps replace whole. docs/model.md
describes the file format. Every mistake is a ConfigError naming file:line (exit 3) before any answer.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from revops_cli.errors import ConfigError
from revops_cli.model.spec import (
    Dimension, Entity, ColumnMap, Measure, Origin, Relationship, SemanticModel, ValueMap,
)
from revops_cli.yaml_files import YamlMap, check_keys, did_you_mean, expect_map, expect_text, load_yaml

PACKAGE_DIR = Path(__file__).parent
SCHEMA_SQL = PACKAGE_DIR.parent / "warehouse" / "schema.sql"
FILE_KEYS = {"entities", "value_maps", "relationships", "measures", "dimensions"}
ENTITY_KEYS = {"from", "query", "where", "key", "columns", "same_names", "missing"}
COLUMN_KEYS = {"sql", "map", "approx", "missing"}
MEASURE_KEYS = {"entity", "sql", "description", "where", "time", "format", "per", "value", "compare"}
COHORT_KEYS = ("per", "value", "compare")
COMPARES = {"year_before", "period_before", "ever_before"}
DIMENSION_KEYS = {"entity", "sql", "description", "time", "own", "split", "rollup", "where"}
VALUE_MAP_KEYS = {"values", "default", "order", "probability"}
FORMATS = {"money", "count", "percent", "days", "number"}
_RELATIONSHIP = re.compile(r"^\s*(\w+)\.(\w+)\s*->\s*(\w+)\.(\w+)\s*$")
_CREATE = re.compile(r"CREATE TABLE (\w+) \((.*?)\n\);", re.S)
_COLUMN = re.compile(r"^\s*\"?(\w+)\"?\s+([A-Z][A-Z ]*?)(?:\s+NOT NULL)?\s*,?\s*(?:--.*)?$")   # "quarter": quoted


def presets_dir() -> Path:
    return PACKAGE_DIR / "presets"


def preset_names() -> list[str]:
    d = presets_dir()
    return sorted(p.name for p in d.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))) if d.is_dir() else []


@lru_cache(maxsize=1)
def canonical_schema() -> dict[str, dict[str, str]]:
    """entity -> {column: type}, in schema order, read from warehouse/schema.sql."""
    out: dict[str, dict[str, str]] = {}
    for table, body in _CREATE.findall(SCHEMA_SQL.read_text(encoding="utf-8")):
        cols: dict[str, str] = {}
        for line in body.splitlines():
            m = _COLUMN.match(line)
            if m:
                cols[m.group(1)] = m.group(2).strip()
        out[table] = cols
    return out


def model_files(settings) -> list[Path]:
    """Every model file that applies, weakest first."""
    preset = settings.get("model.preset")
    dirs = [PACKAGE_DIR / "base"]
    if preset:
        d = presets_dir() / str(preset)
        if not d.is_dir():
            raise ConfigError(f"unknown model preset {preset!r} (model.preset)",
                              did_you_mean(str(preset), preset_names(),
                                           "`revops init --preset` lists the presets"))
        dirs.append(d)
    dirs += [settings.home / "model", Path.cwd() / "model"]
    files: list[Path] = []
    for d in dirs:
        if d.is_dir():
            files += sorted(p for p in d.glob("*.yaml") if p.is_file())
    return files


def load_model(settings) -> SemanticModel:
    """The semantic model for these settings (cached per set of files and their modification times)."""
    files = model_files(settings)
    stamp = tuple((str(p), p.stat().st_mtime_ns) for p in files)
    tables = tuple(sorted((settings.get("tables") or {}).items()))
    return _load(stamp, tables, settings.get("model.preset"))


@lru_cache(maxsize=8)
def _load(stamp: tuple, tables: tuple, preset: str | None) -> SemanticModel:
    rename = dict(tables)
    model = SemanticModel(entities={}, preset=preset, files=[p for p, _ in stamp])
    for name, cols in canonical_schema().items():
        model.entities[name] = Entity(name=name, table=rename.get(name, name),
                                      columns={c: ColumnMap(name=c, type=t) for c, t in cols.items()})
    for path, _ in stamp:
        apply_file(model, load_yaml(Path(path)))
    validate(model)
    stage_probability(model)
    return model


def stage_probability(model: SemanticModel) -> None:
    """Where the value map of opportunities.stage gives each canonical stage a default `probability:`, the
    probability column takes it where the warehouse has none: a NULL probability becomes its stage's default,
    and a probability the model declares missing becomes the default of every row (an approximation the
    answers name). Weighted pipeline and the stage order by probability then work on such a warehouse."""
    from revops_cli.model.compile import column_sql, literal

    ent = model.entities["opportunities"]
    stage = ent.columns.get("stage")
    if ent.missing or ent.query is not None or ent.source is None or stage is None or stage.missing \
            or not stage.value_map:
        return
    vm = model.value_maps[stage.value_map]
    if not vm.probability:
        return
    prob = ent.columns["probability"]
    whens = " ".join(f"WHEN {literal(w)} THEN {p:g}" for w, p in vm.probability.items())
    default = f"CASE {column_sql(model, ent, 'stage')} {whens} END"
    if prob.missing:
        ent.columns["probability"] = ColumnMap(
            name=prob.name, type=prob.type, sql=f"CAST({default} AS {prob.type})", origin=vm.origin,
            approx=f"each stage's default probability (value map '{vm.name}'): {prob.missing}")
    else:
        ent.columns["probability"] = ColumnMap(
            name=prob.name, type=prob.type, approx=prob.approx, origin=prob.origin,        # its map is applied
            sql=f"COALESCE({column_sql(model, ent, 'probability')}, CAST({default} AS {prob.type}))")


def apply_file(model: SemanticModel, doc: Any) -> None:
    """Lay one parsed model file over the model."""
    if doc is None:
        return
    doc = expect_map(doc, "?", "a model file")
    check_keys(doc, FILE_KEYS, what="a model file")
    for name, node in expect_map(doc.get("value_maps") or YamlMap(), doc.where("value_maps"), "value_maps").items():
        model.value_maps[name] = _value_map(name, node, doc, "value_maps")
    for name, node in expect_map(doc.get("entities") or YamlMap(), doc.where("entities"), "entities").items():
        _apply_entity(model, name, node, doc.get("entities"))
    rels = doc.get("relationships") or []
    if not isinstance(rels, list):
        raise ConfigError(f"{doc.where('relationships')}: relationships must be a list",
                          "write `- child.column -> parent.column` lines")
    for i, text in enumerate(rels):
        origin = Origin(doc.path, doc.line_of("relationships") + 1 + i)
        m = _RELATIONSHIP.match(str(text))
        if not m:
            raise ConfigError(f"{origin}: relationship {text!r} is not `child.column -> parent.column`",
                              "e.g. `- opportunities.account_id -> accounts.account_id`")
        rel = Relationship(*m.groups(), origin=origin)
        model.relationships = [r for r in model.relationships
                               if (r.child, r.child_column) != (rel.child, rel.child_column)] + [rel]
    for name, node in expect_map(doc.get("measures") or YamlMap(), doc.where("measures"), "measures").items():
        node = expect_map(node, doc["measures"].where(name), f"measure '{name}'")
        check_keys(node, MEASURE_KEYS, what=f"measure '{name}'", required=("entity", "sql", "description"))
        fmt = str(node.get("format", "number"))
        if fmt not in FORMATS:
            raise ConfigError(f"{node.where('format')}: format {fmt!r} of measure '{name}' is not known",
                              "use one of " + ", ".join(sorted(FORMATS)))
        cohort = [k for k in COHORT_KEYS if k in node]
        if cohort and (len(cohort) < len(COHORT_KEYS) or "time" not in node):
            lacking = [k for k in (*COHORT_KEYS, "time") if k not in node]
            raise ConfigError(f"{node.where()}: cohort measure '{name}' needs {', '.join(lacking)}",
                              "a cohort measure has per:, value:, compare: and time: (docs/model.md)")
        if cohort and str(node["compare"]) not in COMPARES:
            raise ConfigError(f"{node.where('compare')}: compare {node['compare']!r} of measure '{name}' is not known",
                              "use one of " + ", ".join(sorted(COMPARES)))
        model.measures[name] = Measure(
            name=name, entity=expect_text(node, "entity", what=f"measure '{name}'"),
            sql=expect_text(node, "sql", what=f"measure '{name}'"),
            description=expect_text(node, "description", what=f"measure '{name}'"),
            filters=_text_list(node, "where", f"measure '{name}'"), time=node.get("time"), format=fmt,
            per=expect_text(node, "per", what=f"measure '{name}'") if cohort else None,
            value=expect_text(node, "value", what=f"measure '{name}'") if cohort else None,
            compare=str(node["compare"]) if cohort else None,
            origin=Origin(node.path, node.line))
    for name, node in expect_map(doc.get("dimensions") or YamlMap(), doc.where("dimensions"), "dimensions").items():
        node = expect_map(node, doc["dimensions"].where(name), f"dimension '{name}'")
        check_keys(node, DIMENSION_KEYS, what=f"dimension '{name}'", required=("entity", "sql"))
        model.dimensions[name] = Dimension(
            name=name, entity=expect_text(node, "entity", what=f"dimension '{name}'"),
            sql=expect_text(node, "sql", what=f"dimension '{name}'"),
            description=str(node.get("description") or ""), time=bool(node.get("time", False)),
            own={str(k): str(v) for k, v in expect_map(node.get("own") or YamlMap(), node.where("own"),
                                                       f"own: of dimension '{name}'").items()},
            split=str(node["split"]) if node.get("split") else None,
            rollup=str(node["rollup"]) if node.get("rollup") else None,
            rollup_filters=_text_list(node, "where", f"dimension '{name}'"),
            origin=Origin(node.path, node.line))
        if node.get("where") and not node.get("rollup"):
            raise ConfigError(f"{node.where('where')}: dimension '{name}' has where: but no rollup:",
                              "where: filters the rows a rollup dimension aggregates (docs/model.md)")


def _text_list(node: YamlMap, key: str, what: str) -> list[str]:
    value = node.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{node.where(key)}: '{key}' of {what} must be a list of SQL conditions",
                          f"write `{key}: [\"is_deleted = FALSE\"]`")
    return [v.strip() for v in value]


def _value_map(name: str, node: Any, parent: YamlMap, section: str) -> ValueMap:
    node = expect_map(node, parent[section].where(name), f"value map '{name}'")
    check_keys(node, VALUE_MAP_KEYS, what=f"value map '{name}'", required=("values",))
    values = expect_map(node["values"], node.where("values"), f"values of value map '{name}'")
    to_canonical: dict[str, str] = {}
    for canonical, words in values.items():
        words = words if isinstance(words, list) else [words]
        for w in words:
            if w is None or isinstance(w, (dict, list)):
                raise ConfigError(f"{values.where(canonical)}: value map '{name}' lists a value that is not a word",
                                  "list warehouse words, e.g. `Validated: [Known, Researched]`")
            if str(w) in to_canonical and to_canonical[str(w)] != canonical:
                raise ConfigError(f"{values.where(canonical)}: value map '{name}' maps {str(w)!r} twice "
                                  f"({to_canonical[str(w)]!r} and {canonical!r})", "keep one")
            to_canonical[str(w)] = str(canonical)
    default = node.get("default")
    vm = ValueMap(name=name, to_canonical=to_canonical, default=None if default is None else str(default),
                  origin=Origin(node.path, node.line))
    known = vm.canonical_values()
    order = node.get("order")
    if order is not None:
        if not isinstance(order, list) or not all(isinstance(w, (str, int, float)) for w in order):
            raise ConfigError(f"{node.where('order')}: order of value map '{name}' must be a list of its canonical "
                              "values", "e.g. `order: [Discovery, Qualification, Negotiate, Closed Won, Closed Lost]`")
        vm.order = [str(w) for w in order]
    probability = node.get("probability")
    if probability is not None:
        probability = expect_map(probability, node.where("probability"), f"probability of value map '{name}'")
        for word, value in probability.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
                raise ConfigError(f"{probability.where(word)}: the probability of {word!r} in value map '{name}' "
                                  f"must be a number from 0 to 100, not {value!r}", "write e.g. `Negotiate: 75`")
            vm.probability[str(word)] = float(value)
    for word in [*vm.order, *vm.probability]:
        if word not in known:
            key = "order" if word in vm.order else "probability"
            raise ConfigError(f"{node.where(key)}: value map '{name}' has no canonical value {word!r} for its {key}",
                              did_you_mean(word, known, f"use the names under values: ({', '.join(known)})"))
    if len(set(vm.order)) != len(vm.order):
        raise ConfigError(f"{node.where('order')}: value map '{name}' lists a value twice in its order", "keep one")
    return vm


def _apply_entity(model: SemanticModel, name: str, node: Any, section: YamlMap) -> None:
    if name not in model.entities:
        raise ConfigError(f"{section.where(name)}: no canonical entity '{name}'",
                          did_you_mean(name, model.entities, "see warehouse/schema.sql for the entity names"))
    node = expect_map(node, section.where(name), f"entity '{name}'")
    check_keys(node, ENTITY_KEYS, what=f"entity '{name}'")
    entity = model.entities[name]
    origin = Origin(node.path, node.line)
    if "missing" in node:
        entity.missing = expect_text(node, "missing", what=f"entity '{name}'")
        entity.source = entity.query = None
        entity.origin = origin
        return
    if "from" in node and "query" in node:
        raise ConfigError(f"{node.where('query')}: entity '{name}' has both `from` and `query`", "keep one")
    if "from" in node or "query" in node:
        entity.missing = None
        entity.source = expect_text(node, "from", what=f"entity '{name}'") if "from" in node else None
        entity.query = expect_text(node, "query", what=f"entity '{name}'") if "query" in node else None
        entity.origin = origin
        if not node.get("same_names") and entity.source is not None:
            # Columns not listed below must be listed now: an unlisted canonical column would otherwise bind
            # silently to whatever column of that name the source happens to have.
            listed = set(node.get("columns") or {})
            unlisted = [c for c, col in entity.columns.items() if c not in listed and col.sql is None
                        and col.missing is None]
            if unlisted:
                raise ConfigError(f"{node.where('from')}: entity '{name}' does not say what "
                                  f"{', '.join(unlisted)} {'is' if len(unlisted) == 1 else 'are'}",
                                  "map each under columns: (an expression, or `{missing: reason}`), "
                                  "or add `same_names: true` to take them by name from the source")
    if "where" in node:
        entity.filters = _text_list(node, "where", f"entity '{name}'")
    if "key" in node:
        entity.key = _text_list(node, "key", f"entity '{name}'")
    if entity.identity and "columns" in node:
        raise ConfigError(f"{node.where('columns')}: entity '{name}' maps columns but has no `from` or `query`",
                          "add `from: <your table> <alias>` above columns:")
    columns = expect_map(node.get("columns") or YamlMap(), node.where("columns"), f"columns of '{name}'")
    for col, spec in columns.items():
        if col not in entity.columns:
            raise ConfigError(f"{columns.where(col)}: entity '{name}' has no canonical column '{col}'",
                              did_you_mean(col, entity.columns, "see warehouse/schema.sql"))
        entity.columns[col] = _column(entity.columns[col], spec, columns, name)


def _column(base: ColumnMap, spec: Any, columns: YamlMap, entity: str) -> ColumnMap:
    origin = Origin(columns.path, columns.line_of(base.name))
    what = f"column '{entity}.{base.name}'"
    if isinstance(spec, (str, int, float, bool)) and not isinstance(spec, YamlMap):
        return ColumnMap(name=base.name, type=base.type, sql=str(spec), origin=origin)
    spec = expect_map(spec, str(origin), what)
    check_keys(spec, COLUMN_KEYS, what=what)
    if "missing" in spec:
        if "sql" in spec:
            raise ConfigError(f"{spec.where('missing')}: {what} is both mapped and missing", "keep one")
        return ColumnMap(name=base.name, type=base.type, missing=expect_text(spec, "missing", what=what),
                         origin=origin)
    if "sql" not in spec:
        raise ConfigError(f"{origin}: {what} needs `sql:` (or `missing: reason`)", "add sql: <expression>")
    return ColumnMap(name=base.name, type=base.type, sql=str(spec["sql"]).strip(),
                     value_map=spec.get("map"), approx=spec.get("approx"), origin=origin)


def validate(model: SemanticModel) -> None:
    """Cross-references: maps, measure entities and time columns, dimensions, relationships."""
    for entity in model.entities.values():
        for col in entity.columns.values():
            if col.value_map and col.value_map not in model.value_maps:
                raise ConfigError(f"{col.origin}: {entity.name}.{col.name} uses value map '{col.value_map}', "
                                  "which no model file defines",
                                  did_you_mean(col.value_map, model.value_maps, "add it under value_maps:"))
    for rel in model.relationships:
        for ent, col in ((rel.child, rel.child_column), (rel.parent, rel.parent_column)):
            _check_column(model, ent, col, rel.origin, f"relationship {rel}")
    for m in model.measures.values():
        _check_entity(model, m.entity, m.origin, f"measure '{m.name}'")
        if m.time:
            _check_column(model, m.entity, m.time, m.origin, f"time of measure '{m.name}'")
        if m.per:
            _check_column(model, m.entity, m.per, m.origin, f"per of measure '{m.name}'")
    for d in model.dimensions.values():
        _check_entity(model, d.entity, d.origin, f"dimension '{d.name}'")
        for ent in d.own:
            _check_entity(model, ent, d.origin, f"own: of dimension '{d.name}'")
        if d.rollup:
            _check_entity(model, d.rollup, d.origin, f"rollup of dimension '{d.name}'")
            if not any(r.child == d.rollup and r.parent == d.entity for r in model.relationships):
                raise ConfigError(f"{d.origin}: rollup dimension '{d.name}' needs a relationship "
                                  f"{d.rollup}.<column> -> {d.entity}.<key>", "add it under relationships:")


def _check_entity(model: SemanticModel, name: str, origin: Origin, what: str) -> None:
    if name not in model.entities:
        raise ConfigError(f"{origin}: {what} names entity '{name}', which does not exist",
                          did_you_mean(name, model.entities, "see warehouse/schema.sql"))


def _check_column(model: SemanticModel, entity: str, column: str, origin: Origin, what: str) -> None:
    _check_entity(model, entity, origin, what)
    if column not in model.entities[entity].columns:
        raise ConfigError(f"{origin}: {what} names column '{entity}.{column}', which does not exist",
                          did_you_mean(column, model.entities[entity].columns, "see warehouse/schema.sql"))
