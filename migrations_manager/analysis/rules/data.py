"""Data rules: statements that touch every row of a table."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from ..names import relation_target, target_name
from ..statements import Statement
from .base import Hit, Severity, rule
from .context import LintContext


@rule(
    "MM050",
    "update-without-where",
    Severity.WARNING,
    weighted=True,
    summary="UPDATE without WHERE.",
    docs="An UPDATE of every row locks all of them until commit and writes a new version of "
    "each: on a large table, long blocking, table bloat and a burst of WAL.",
    hint="Backfill in batches (UPDATE ... WHERE id BETWEEN ...), each in its own transaction.",
)
def update_without_where(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = statement.node
    if isinstance(node, ast.UpdateStmt) and node.whereClause is None:
        table = relation_target(node.relation)
        yield Hit(f"UPDATE {target_name(table)} without WHERE rewrites every row.", table)


@rule(
    "MM051",
    "delete-without-where",
    Severity.WARNING,
    weighted=True,
    summary="DELETE without WHERE.",
    docs="A DELETE of every row locks all of them until commit; it is rarely intended in a "
    "schema migration.",
    hint="Add the WHERE clause you meant, or delete in batches.",
)
def delete_without_where(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = statement.node
    if isinstance(node, ast.DeleteStmt) and node.whereClause is None:
        table = relation_target(node.relation)
        yield Hit(f"DELETE FROM {target_name(table)} without WHERE deletes every row.", table)
