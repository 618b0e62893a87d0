"""What a statement needs of the schema to succeed: objects that must exist, and objects that
must not (because it creates them without ``IF NOT EXISTS`` / ``OR REPLACE``).

The safety check asks the catalog about all of them at once and walks the plan in order, so a
``CREATE TABLE users`` is sure to fail when ``users`` exists, an ``ALTER TABLE orders`` when
``orders`` does not (unless an earlier statement of the plan creates it), a ``DROP INDEX`` of a
missing index, a foreign key to a missing table...

    >>> from migrations_manager.analysis.statements import parse_statements
    >>> [(e.kind, e.name, e.needs) for e in expectations(parse_statements(
    ...     "ALTER TABLE orders ADD COLUMN note text")[0])]
    [('relation', 'orders', True), ('column', 'note', False)]
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

from pglast import ast
from pglast.enums import AlterTableType, ConstrType
from pglast.enums import ObjectType as PgObject

from .names import Target, names_target, relation_target, target_name
from .objects import CreatedObject, ObjectType, created_by
from .statements import Statement

#: The probe kind of each created object type: relations share one namespace.
PROBE_KINDS = {
    ObjectType.TABLE: "relation",
    ObjectType.INDEX: "relation",
    ObjectType.VIEW: "relation",
    ObjectType.MATERIALIZED_VIEW: "relation",
    ObjectType.SEQUENCE: "relation",
    ObjectType.TYPE: "type",
    ObjectType.FUNCTION: "routine",
    ObjectType.PROCEDURE: "routine",
    ObjectType.SCHEMA: "schema",
    ObjectType.EXTENSION: "extension",
    ObjectType.COLUMN: "column",
    ObjectType.CONSTRAINT: "constraint",
    ObjectType.TRIGGER: "trigger",
}
_DROPPED_KINDS = {
    PgObject.OBJECT_TABLE: "relation",
    PgObject.OBJECT_INDEX: "relation",
    PgObject.OBJECT_VIEW: "relation",
    PgObject.OBJECT_MATVIEW: "relation",
    PgObject.OBJECT_SEQUENCE: "relation",
    PgObject.OBJECT_TYPE: "type",
    PgObject.OBJECT_DOMAIN: "type",
    PgObject.OBJECT_SCHEMA: "schema",
    PgObject.OBJECT_EXTENSION: "extension",
}


@dataclass(frozen=True)
class Expectation:
    """An object (``kind``, ``schema``, ``name``; ``table`` for a column, constraint or
    trigger; ``arguments`` for a routine) the statement at ``line`` (``what``: ``CREATE
    TABLE``...) needs to exist (``needs`` True) or not to exist (False), or just creates or
    drops (``needs`` None: IF [NOT] EXISTS); ``effect`` is what the statement does to it
    (``create``, ``drop``, or None). ``schema`` None: resolved by the search_path."""

    kind: str
    schema: str | None
    name: str
    needs: bool | None
    line: int
    what: str
    effect: str | None = None
    table: Target | None = None
    arguments: tuple[str, ...] | None = None

    @property
    def display_name(self) -> str:
        name = target_name((self.schema, self.name))
        if self.table is not None:
            return f"{target_name(self.table)}.{self.name}"
        if self.arguments is not None:
            return f"{name}({', '.join(self.arguments)})"
        return name


def expectations(statement: Statement) -> list[Expectation]:
    """What ``statement`` needs and changes (cached per statement)."""
    return list(_expectations(statement))


@functools.lru_cache(maxsize=4096)
def _expectations(statement: Statement) -> tuple[Expectation, ...]:
    node, line, what = statement.node, statement.line, _what(statement)
    return (
        *(Expectation("relation", *table, True, line, what) for table in _worked_on(node)),
        *(_creation(item, line, what) for item in _created(statement)),
        *_drops(node, line, what),
        *(Expectation("relation", *table, True, line, what) for table in _referenced(node)),
    )


_MODIFIERS = frozenset({"OR", "REPLACE", "UNIQUE", "TEMP", "TEMPORARY", "UNLOGGED", "GLOBAL"})


def _what(statement: Statement) -> str:
    """``CREATE TABLE``, ``DROP INDEX``, ``CREATE MATERIALIZED VIEW``: the statement's verb and
    object, without its modifiers."""
    words = [w.upper() for w in statement.text.split()[:6]]
    kept = [w for w in words if w not in _MODIFIERS]
    return " ".join(kept[:3] if kept[1:2] == ["MATERIALIZED"] else kept[:2])


def _created(statement: Statement) -> Iterator[CreatedObject]:
    table_parts = isinstance(statement.node, ast.CreateStmt)
    for item in created_by(statement):
        if item.name is None or item.type not in PROBE_KINDS:
            continue
        if table_parts and item.type in (ObjectType.COLUMN, ObjectType.CONSTRAINT):
            continue  # a new table's columns: the table itself is what may already exist
        yield item


def _creation(item: CreatedObject, line: int, what: str) -> Expectation:
    kind = PROBE_KINDS[item.type]
    part_of_table = item.table is not None and kind != "relation"  # an index is a relation
    table = (item.schema, item.table) if part_of_table else None
    needs = None if item.if_not_exists or item.or_replace else False
    return Expectation(
        kind, item.schema, item.name, needs, line, what, "create", table, item.arguments
    )


def _worked_on(node: ast.Node) -> Iterator[Target]:
    """The table an ALTER TABLE, CREATE INDEX or CREATE TRIGGER works on (unless IF EXISTS)."""
    if isinstance(node, ast.AlterTableStmt) and node.objtype == PgObject.OBJECT_TABLE:
        if node.relation is not None and not node.missing_ok:
            yield relation_target(node.relation)
    elif isinstance(node, ast.IndexStmt | ast.CreateTrigStmt) and node.relation is not None:
        yield relation_target(node.relation)


def _drops(node: ast.Node, line: int, what: str) -> Iterator[Expectation]:
    if isinstance(node, ast.DropStmt) and node.removeType in _DROPPED_KINDS:
        needs = None if node.missing_ok else True
        for item in node.objects or ():
            names = item.names if isinstance(item, ast.TypeName) else item
            schema, name = (
                (None, names.sval) if isinstance(names, ast.String) else names_target(names)
            )
            yield Expectation(
                _DROPPED_KINDS[node.removeType], schema, name, needs, line, what, "drop"
            )
    elif isinstance(node, ast.AlterTableStmt) and node.relation is not None:
        table = relation_target(node.relation)
        for command in node.cmds or ():
            if command.subtype == AlterTableType.AT_DropColumn:
                needs = None if command.missing_ok else True
                yield Expectation(
                    "column", table[0], command.name, needs, line, what, "drop", table
                )


def _referenced(node: ast.Node) -> Iterator[Target]:
    """Tables a foreign key of the statement references."""
    constraints: list[ast.Constraint] = []
    if isinstance(node, ast.CreateStmt):
        for element in node.tableElts or ():
            if isinstance(element, ast.ColumnDef):
                constraints.extend(element.constraints or ())
            elif isinstance(element, ast.Constraint):
                constraints.append(element)
    elif isinstance(node, ast.AlterTableStmt):
        for command in node.cmds or ():
            definition = command.def_
            if isinstance(definition, ast.Constraint):
                constraints.append(definition)
            elif isinstance(definition, ast.ColumnDef):
                constraints.extend(definition.constraints or ())
    for constraint in constraints:
        if constraint.contype == ConstrType.CONSTR_FOREIGN and constraint.pktable is not None:
            yield relation_target(constraint.pktable)
