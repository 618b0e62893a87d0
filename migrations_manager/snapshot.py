"""A database's schema as plain frozen values: what drift and schema detection compare.

Every name is quoted as PostgreSQL needs it (``public."Orders"``); every expression and
definition is as the server prints it (``pg_get_indexdef``, ``pg_get_viewdef``...), so the same
object in two databases of one server reads the same. Objects are keyed by their qualified
name (a routine by its signature, a table's parts by their name within it).

``introspection.catalog.snapshot`` reads one from a connection; ``differences`` compares two.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: ``pg_constraint.contype`` codes, as sentences say them.
CONSTRAINT_KINDS = {
    "p": "PRIMARY KEY",
    "u": "UNIQUE",
    "f": "FOREIGN KEY",
    "c": "CHECK",
    "x": "EXCLUDE",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool
    default: str | None = None
    #: ``a`` GENERATED ALWAYS AS IDENTITY, ``d`` BY DEFAULT, empty otherwise.
    identity: str = ""
    #: The expression of a GENERATED ALWAYS AS (...) STORED column.
    generated: str | None = None
    #: Only when it is not the type's default collation.
    collation: str | None = None


@dataclass(frozen=True)
class Constraint:
    name: str
    kind: str  # a CONSTRAINT_KINDS code
    definition: str  # pg_get_constraintdef: ``FOREIGN KEY (a) REFERENCES t(id) ON DELETE ...``
    validated: bool = True
    columns: tuple[str, ...] = ()
    #: The table a FOREIGN KEY references.
    references: str | None = None
    #: A partition's copy of its parent's constraint.
    inherited: bool = False


@dataclass(frozen=True)
class Index:
    name: str
    definition: str  # pg_get_indexdef
    valid: bool = True
    #: The PRIMARY KEY, UNIQUE or EXCLUDE constraint the index belongs to: it comes and goes
    #: with it.
    constraint: str | None = None
    #: A partition's copy of its parent's index.
    inherited: bool = False


@dataclass(frozen=True)
class Trigger:
    name: str
    definition: str  # pg_get_triggerdef
    enabled: str = "O"


@dataclass(frozen=True)
class Policy:
    name: str
    command: str  # polcmd: r, a, w, d or * (all)
    permissive: bool
    roles: tuple[str, ...]
    using: str | None
    check: str | None


@dataclass(frozen=True)
class Table:
    name: str
    #: ``p`` permanent, ``u`` unlogged.
    persistence: str = "p"
    #: The partition key of a partitioned table (``RANGE (created_at)``).
    partitioning: str | None = None
    #: A partition's parent and bound (``FOR VALUES FROM (...) TO (...)``).
    partition_of: str | None = None
    bound: str | None = None
    row_security: bool = False
    columns: Mapping[str, Column] = field(default_factory=dict)
    constraints: Mapping[str, Constraint] = field(default_factory=dict)
    indexes: Mapping[str, Index] = field(default_factory=dict)
    triggers: Mapping[str, Trigger] = field(default_factory=dict)
    policies: Mapping[str, Policy] = field(default_factory=dict)

    @property
    def schema(self) -> str:
        return self.name.split(".", 1)[0]


@dataclass(frozen=True)
class View:
    name: str
    materialized: bool
    definition: str  # pg_get_viewdef
    indexes: Mapping[str, Index] = field(default_factory=dict)


@dataclass(frozen=True)
class Routine:
    name: str
    arguments: str  # identity arguments: ``a integer, b text``
    kind: str  # f or p
    result: str | None
    language: str
    volatility: str  # i, s or v
    body: str
    definition: str  # pg_get_functiondef: a whole CREATE OR REPLACE

    @property
    def signature(self) -> str:
        return f"{self.name}({self.arguments})"


@dataclass(frozen=True)
class Type:
    name: str
    kind: str  # e (enum), c (composite), d (domain), r (range)
    labels: tuple[str, ...] = ()
    attributes: tuple[str, ...] = ()  # ``name type`` of a composite type
    base: str | None = None  # a domain's base type, a range's subtype
    not_null: bool = False
    default: str | None = None
    checks: tuple[str, ...] = ()  # ``name CHECK (...)`` of a domain


@dataclass(frozen=True)
class Sequence:
    name: str
    type: str
    start: int
    increment: int
    minimum: int
    maximum: int
    cache: int
    cycle: bool


@dataclass(frozen=True)
class Extension:
    name: str
    version: str
    schema: str


@dataclass(frozen=True)
class Grant:
    kind: str  # TABLE, SEQUENCE, FUNCTION, PROCEDURE, SCHEMA
    name: str
    grantee: str
    privilege: str
    grantable: bool = False


@dataclass(frozen=True)
class Snapshot:
    """Everything of a database's user schemas that migrations create."""

    schemas: frozenset[str] = frozenset()
    tables: Mapping[str, Table] = field(default_factory=dict)
    views: Mapping[str, View] = field(default_factory=dict)
    routines: Mapping[str, Routine] = field(default_factory=dict)  # by signature
    types: Mapping[str, Type] = field(default_factory=dict)
    sequences: Mapping[str, Sequence] = field(default_factory=dict)
    extensions: Mapping[str, Extension] = field(default_factory=dict)
    grants: frozenset[Grant] = frozenset()
