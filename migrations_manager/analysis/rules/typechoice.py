"""Type-choice rules: column types that are hard to change once a table is large.

They look at the columns CREATE TABLE defines, ALTER TABLE ... ADD COLUMN adds and ALTER COLUMN ...
TYPE changes, including on tables created in the same migration or plan: that is when the choice
is made. There a finding is a notice (nothing is locked or rewritten yet, and a notice never
stops a run); on a table that already exists, the rule's own severity.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pglast import ast
from pglast.enums import AlterTableType as AT
from pglast.enums import ConstrType

from ..names import Target, builtin_type, relation_target, type_modifiers, type_text
from ..statements import Statement
from .base import Hit, Severity, added_columns, alter_table, column_constraints, commands, rule
from .columns import SERIAL_TYPES
from .context import LintContext

_SMALL_INTEGERS = frozenset({"int2", "int4", "serial", "serial2", "serial4", "smallserial"})
# The type a serial column is stored as (what a foreign key to it must match).
_SERIAL_STORAGE = {"serial": "int4", "serial4": "int4", "serial2": "int2", "smallserial": "int2"}


@dataclass(frozen=True)
class _Column:
    name: str
    type_name: ast.TypeName
    is_key: bool
    #: The (table, column) a foreign key of this column references, when it names the column.
    references: tuple[Target, str] | None = None

    @property
    def base(self) -> str | None:
        return builtin_type(self.type_name)


def _looks_like_id(name: str) -> bool:
    return name == "id" or name.endswith("_id")


def _is_primary(column: ast.ColumnDef) -> bool:
    return bool(column_constraints(column, ConstrType.CONSTR_PRIMARY))


@functools.lru_cache(maxsize=1024)
def _columns(statement: Statement) -> tuple[_Column, ...]:
    """The columns a statement defines or retypes, and whether each is (or looks like) a key.

    Five rules ask it of every statement: computed once per statement."""
    return tuple(_find_columns(statement))


def _find_columns(statement: Statement) -> Iterator[_Column]:
    node = statement.node
    if isinstance(node, ast.CreateStmt):
        elements = node.tableElts or ()
        constraints = [element for element in elements if isinstance(element, ast.Constraint)]
        keys = {
            key.sval
            for element in constraints
            if element.contype == ConstrType.CONSTR_PRIMARY
            for key in element.keys or ()
        }
        for element in elements:
            if isinstance(element, ast.ColumnDef) and element.typeName is not None:
                is_key = _is_primary(element) or element.colname in keys
                yield _Column(
                    element.colname,
                    element.typeName,
                    is_key or _looks_like_id(element.colname),
                    _referenced(element, constraints),
                )
    elif alter_table(statement) is not None:
        for column in added_columns(statement):
            yield _Column(
                column.colname,
                column.typeName,
                _is_primary(column) or _looks_like_id(column.colname),
                _referenced(column, ()),
            )
        for command in commands(statement, AT.AT_AlterColumnType):
            yield _Column(command.name, command.def_.typeName, _looks_like_id(command.name))


def _referenced(
    column: ast.ColumnDef, table_constraints: Iterable[ast.Constraint]
) -> tuple[Target, str] | None:
    """The referenced (table, column) of the column's foreign key (its own, or a one-column
    table constraint); None without one, or when it leaves the referenced column implicit."""
    for constraint in column_constraints(column, ConstrType.CONSTR_FOREIGN):
        if constraint.pk_attrs:
            return relation_target(constraint.pktable), constraint.pk_attrs[0].sval
    for constraint in table_constraints:
        if constraint.contype == ConstrType.CONSTR_FOREIGN and constraint.pk_attrs:
            if [key.sval for key in constraint.fk_attrs or ()] == [column.colname]:
                return relation_target(constraint.pktable), constraint.pk_attrs[0].sval
    return None


def _style(statement: Statement, context: LintContext) -> Severity | None:
    """Notice on a table this migration or plan creates (the statement's own CREATE TABLE too);
    None (the rule's severity) on one that exists."""
    node = statement.node
    if isinstance(node, ast.CreateStmt):
        return Severity.NOTICE
    altered = alter_table(statement)
    if altered is not None and context.is_new(relation_target(altered.relation)):
        return Severity.NOTICE
    return None


@rule(
    "MM070",
    "prefer-text-over-varchar",
    Severity.NOTICE,
    summary="varchar(n) column: prefer text (with a CHECK on length if needed).",
    docs="varchar(n) is no faster than text in PostgreSQL, and raising n later on an old server "
    "or lowering it always means a table rewrite; a CHECK (length(col) <= n) is cheaper to "
    "change.",
    hint="Use text, plus CHECK (char_length(col) <= n) if the limit is a business rule.",
)
def prefer_text(statement: Statement, context: LintContext) -> Iterator[Hit]:
    for column in _columns(statement):
        if column.base == "varchar" and type_modifiers(column.type_name):
            yield Hit(
                f"Column {column.name} is varchar(n): prefer text.",
                severity=_style(statement, context),
            )


@rule(
    "MM071",
    "prefer-timestamptz",
    Severity.WARNING,
    summary="timestamp without time zone column: prefer timestamptz.",
    docs="timestamp without time zone stores wall-clock readings with no zone: values written "
    "by sessions with different TimeZone settings cannot be compared.",
    hint="Use timestamptz (timestamp with time zone): it stores an instant.",
)
def prefer_timestamptz(statement: Statement, context: LintContext) -> Iterator[Hit]:
    for column in _columns(statement):
        if column.base == "timestamp":
            yield Hit(
                f"Column {column.name} is timestamp without time zone: prefer timestamptz.",
                severity=_style(statement, context),
            )


@rule(
    "MM072",
    "prefer-identity",
    Severity.NOTICE,
    summary="serial column: prefer an identity column.",
    docs="serial creates a sequence with separate ownership and permissions; identity columns "
    "(GENERATED ... AS IDENTITY) are the SQL standard and are managed with the table.",
    hint="Use bigint GENERATED BY DEFAULT AS IDENTITY (or ALWAYS).",
)
def prefer_identity(statement: Statement, context: LintContext) -> Iterator[Hit]:
    for column in _columns(statement):
        if column.base in SERIAL_TYPES:
            yield Hit(
                f"Column {column.name} is {column.base}: prefer an identity column.",
                severity=_style(statement, context),
            )


@rule(
    "MM073",
    "prefer-bigint-for-ids",
    Severity.WARNING,
    summary="int / smallint (or serial) for a primary key or an id column: prefer bigint.",
    docs="A 32-bit key runs out at 2.1 billion values, and changing its type later rewrites the "
    "table and every table that references it.",
    hint="Use bigint (bigint GENERATED ... AS IDENTITY for generated keys).",
)
def prefer_bigint_for_ids(statement: Statement, context: LintContext) -> Iterator[Hit]:
    for column in _columns(statement):
        if column.is_key and column.base in _SMALL_INTEGERS and not _matches(column, context):
            shown = type_text(column.type_name, modifiers=False)
            yield Hit(
                f"Column {column.name} is a key of type {shown}: prefer bigint.",
                severity=_style(statement, context),
            )


def _matches(column: _Column, context: LintContext) -> bool:
    """Whether the column references a key of the same small type: it must match that key."""
    if column.references is None:
        return False
    referenced = context.column_type(*column.references)
    return referenced is not None and _stored(referenced) == _stored(column.type_name)


def _stored(type_name: ast.TypeName) -> str | None:
    base = builtin_type(type_name)
    return _SERIAL_STORAGE.get(base, base) if base is not None else None


@rule(
    "MM074",
    "avoid-char",
    Severity.NOTICE,
    summary="char(n) column: prefer text.",
    docs="char(n) pads values with spaces, which then behave surprisingly in comparisons and "
    "concatenation; it is never faster than text.",
    hint="Use text (with a CHECK on length if the length is a rule).",
)
def avoid_char(statement: Statement, context: LintContext) -> Iterator[Hit]:
    for column in _columns(statement):
        if column.base == "bpchar":
            yield Hit(
                f"Column {column.name} is char(n): prefer text.",
                severity=_style(statement, context),
            )
