"""The semantic model as records: what each canonical entity is on this warehouse, and the named measures and
dimensions over them. The loader (model/loader.py) builds these from YAML; the compiler turns canonical SQL
into SQL over the mapped tables; `revops model check` checks them against the live warehouse.

Vocabulary:
- *canonical*: the names in warehouse/schema.sql (entities = tables, columns) that every pattern, agent and
  report speaks.
- *entity*: one canonical table. On the demo warehouse it is the table itself (`identity`); on a team's
  warehouse it is a SELECT over their tables (`source` + column expressions + filters, or a whole `query`).
- *missing*: the warehouse has no such data. The column still exists (as a typed NULL) so SQL runs, and the
  reason travels with every answer that used it.
- *approx*: mapped, but not exactly (ARR annualised from TCV, a region from the billing country).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Origin:
    """Where a definition was written: for error messages and `model check`."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


BUILTIN = Origin("<canonical schema>", 0)


@dataclass
class ColumnMap:
    name: str                      # canonical column name
    type: str                      # canonical SQL type (from schema.sql): TEXT, DATE, DOUBLE PRECISION, ...
    sql: str | None = None         # expression over the entity's source; None when missing
    value_map: str | None = None   # name of a ValueMap applied to `sql` (warehouse word -> canonical word)
    approx: str | None = None      # one line: how this approximates the canonical meaning
    missing: str | None = None     # one line: why the warehouse has no such data
    origin: Origin = BUILTIN


@dataclass
class Entity:
    name: str                                   # canonical table name: accounts, opportunities, ...
    columns: dict[str, ColumnMap]               # every canonical column, in schema order
    table: str | None = None                    # identity: the physical table (the `tables:` rename, or the name)
    source: str | None = None                   # mapped: the FROM clause, e.g. "opportunity_d o LEFT JOIN ..."
    query: str | None = None                    # mapped as one whole SELECT producing canonical column names
    filters: list[str] = field(default_factory=list)   # row filters over the source, ANDed
    key: list[str] = field(default_factory=list)       # columns that identify a row
    missing: str | None = None                  # the whole entity does not exist on this warehouse
    origin: Origin = BUILTIN

    @property
    def identity(self) -> bool:
        """The warehouse table already has the canonical shape: no rewrite at all."""
        return self.source is None and self.query is None and self.missing is None

    @property
    def missing_columns(self) -> dict[str, str]:
        if self.missing:
            return {c: self.missing for c in self.columns}
        return {c.name: c.missing for c in self.columns.values() if c.missing}

    @property
    def approximations(self) -> dict[str, str]:
        return {c.name: c.approx for c in self.columns.values() if c.approx}


@dataclass
class ValueMap:
    """Warehouse words onto the canonical vocabulary (stages, MEDDPICC statuses, segments, ...)."""

    name: str
    to_canonical: dict[str, str]      # warehouse value -> canonical value
    default: str | None = None        # for values not listed; None keeps the warehouse value as it is
    order: list[str] = field(default_factory=list)           # canonical values in their order (stages: the funnel)
    probability: dict[str, float] = field(default_factory=dict)  # canonical stage -> default probability 0..100
    origin: Origin = BUILTIN

    def canonical_values(self) -> list[str]:
        """The canonical words this map produces, the default included."""
        return list(dict.fromkeys([*self.to_canonical.values(), *([self.default] if self.default else [])]))


@dataclass
class Relationship:
    """A many-to-one edge: every child row has at most one parent row."""

    child: str
    child_column: str
    parent: str
    parent_column: str
    origin: Origin = BUILTIN

    def __str__(self) -> str:
        return f"{self.child}.{self.child_column} -> {self.parent}.{self.parent_column}"


@dataclass
class Measure:
    name: str
    entity: str                        # the entity it aggregates
    sql: str                           # an aggregate over canonical columns of `entity`, e.g. SUM(amount)
    description: str                   # one line, shown in answer receipts and `revops model show`
    filters: list[str] = field(default_factory=list)   # default row filters (canonical columns), ANDed
    time: str | None = None            # the date column a period applies to, e.g. close_date
    format: str = "number"             # money | count | percent | days | number
    # A cohort measure compares each `per` key (an account) across two windows: `value` is aggregated per key
    # over the period (column `period_value`) and over the comparison window (`base_value`); `sql` then
    # aggregates those per-key rows. `compare`: year_before (the period 12 months earlier) | period_before
    # (the window of the same length just before) | ever_before (everything before the period: 'first ever' measures).
    per: str | None = None
    value: str | None = None
    compare: str | None = None
    origin: Origin = BUILTIN

    @property
    def cohort(self) -> bool:
        return self.per is not None


@dataclass
class Dimension:
    name: str
    entity: str                        # the entity whose column it reads (joined many-to-one from the measure's)
    sql: str                           # a canonical expression on `entity`, e.g. COALESCE(region, 'Unknown')
    description: str = ""
    time: bool = False                 # a date: grains day/week/month/quarter/year on the configured calendar
    own: dict[str, str] = field(default_factory=dict)  # entity -> the same dimension as that entity carries it
                                                       # itself (a lead's own region, not its account's)
    split: str | None = None           # a multi-valued text column: one value per separator-joined item
    rollup: str | None = None          # `sql` aggregates this child entity's rows per row of `entity`
    rollup_filters: list[str] = field(default_factory=list)  # row filters on the rolled-up entity, ANDed
    origin: Origin = BUILTIN


@dataclass
class SemanticModel:
    entities: dict[str, Entity]
    value_maps: dict[str, ValueMap] = field(default_factory=dict)
    relationships: list[Relationship] = field(default_factory=list)
    measures: dict[str, Measure] = field(default_factory=dict)
    dimensions: dict[str, Dimension] = field(default_factory=dict)
    preset: str | None = None          # the preset it started from (None: the canonical schema)
    files: list[str] = field(default_factory=list)   # every model file read, weakest first

    @property
    def identity(self) -> bool:
        """Every entity is the canonical table itself: SQL runs as written (the demo warehouse)."""
        return all(e.identity for e in self.entities.values())

    def entity(self, name: str) -> Entity:
        from revops_cli.errors import ConfigError
        from revops_cli.yaml_files import did_you_mean

        try:
            return self.entities[name]
        except KeyError:
            raise ConfigError(f"no entity {name!r} in the semantic model",
                              did_you_mean(name, self.entities, "see `revops model show`")) from None

    def value_order(self, entity: str, column: str) -> list[str]:
        """The canonical values of a mapped column in their declared order (a value map's `order:`), else []."""
        ent = self.entities.get(entity)
        col = ent.columns.get(column) if ent else None
        if col is None or col.missing or not col.value_map or col.value_map not in self.value_maps:
            return []
        return list(self.value_maps[col.value_map].order)

    def parent_of(self, entity: str, column: str) -> Relationship | None:
        for rel in self.relationships:
            if rel.child == entity and rel.child_column == column:
                return rel
        return None
