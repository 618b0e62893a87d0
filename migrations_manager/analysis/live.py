"""The target's catalog as the lint sees it: the tables a plan touches, as they are before it runs.

The service reads every table's shape in one query (``introspection.catalog.table_shapes``); the
lint asks here for what the migration itself does not say: a column's current type, whether it
is already NOT NULL, whether a validated ``CHECK (column IS NOT NULL)`` proves it. What the plan
changes on the way (a column retyped, a constraint dropped, a table renamed) is forgotten, so a
later statement never trusts a catalog fact the plan has made stale.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, TypeVar

from pglast import ast, parser
from pglast.enums import ConstrType, NullTestType
from pglast.parser import ParseError

from .names import Target

if TYPE_CHECKING:
    from ..introspection.catalog import ColumnShape, TableShape

Value = TypeVar("Value")


def lookup(mapping: Mapping[Target, Value], table: Target) -> Value | None:
    """The entry of ``table``: by its name as written, else unqualified, else the only table of
    that name (an unqualified name in the migration, a qualified one in the mapping)."""
    for key in (table, (None, table[1])):
        if key in mapping:
            return mapping[key]
    if table[0] is None:
        matches = [value for (_, name), value in mapping.items() if name == table[1]]
        if len(matches) == 1:
            return matches[0]
    return None


class LiveSchema:
    """The catalog's shapes of the plan's tables, minus what the plan has changed so far."""

    def __init__(self, tables: Mapping[Target, TableShape] | None = None) -> None:
        self._tables = dict(tables or {})
        self._stale_columns: set[tuple[str, str]] = set()
        self._stale_checks: set[str] = set()

    def table(self, table: Target) -> TableShape | None:
        return lookup(self._tables, table)

    def column(self, table: Target, column: str) -> ColumnShape | None:
        shape = self.table(table)
        if shape is None or (table[1], column) in self._stale_columns:
            return None
        return shape.columns.get(column)

    def column_type(self, table: Target, column: str) -> ast.TypeName | None:
        """The column's current type, parsed from its ``format_type`` spelling."""
        found = self.column(table, column)
        return _type_name(found.type) if found is not None else None

    def has_validated_not_null_check(self, table: Target, column: str) -> bool:
        shape = self.table(table)
        if shape is None or table[1] in self._stale_checks:
            return False
        return any(_not_null_check_column(definition) == column for definition in shape.checks)

    def forget_column(self, table: Target, column: str) -> None:
        self._stale_columns.add((table[1], column))

    def forget_checks(self, table: Target) -> None:
        self._stale_checks.add(table[1])

    def forget_table(self, table: Target) -> None:
        for key in [key for key in self._tables if key[1] == table[1]]:
            del self._tables[key]


@functools.lru_cache(maxsize=1024)
def _type_name(spelling: str) -> ast.TypeName | None:
    try:
        [statement] = parser.parse_sql(f"SELECT NULL::{spelling}")
    except ParseError:
        return None
    return statement.stmt.targetList[0].val.typeName


@functools.lru_cache(maxsize=1024)
def _not_null_check_column(definition: str) -> str | None:
    try:
        [statement] = parser.parse_sql(f"ALTER TABLE t ADD {definition}")
    except ParseError:
        return None
    return not_null_check_column(statement.stmt.cmds[0].def_)


def not_null_check_column(constraint: ast.Node) -> str | None:
    """The column of a ``CHECK (column IS NOT NULL)`` constraint, else None."""
    if not isinstance(constraint, ast.Constraint) or constraint.contype != ConstrType.CONSTR_CHECK:
        return None
    test = constraint.raw_expr
    if isinstance(test, ast.NullTest) and test.nulltesttype == NullTestType.IS_NOT_NULL:
        if isinstance(test.arg, ast.ColumnRef) and isinstance(test.arg.fields[-1], ast.String):
            return test.arg.fields[-1].sval
    return None
