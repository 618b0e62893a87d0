"""Data rules: statements that touch every row of a table."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from ..names import relation_target, target_name, walk
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


# A write whose WHERE the planner expects to match at least this share of the table's rows.
MOST_ROWS = 0.5


def needs_estimate(statement: Statement) -> bool:
    """Whether the planner's row estimate of ``statement`` is wanted: an UPDATE or DELETE with a
    WHERE, and nothing the planner could call (no function call, no WITH) while planning it."""
    node = statement.node
    if not isinstance(node, ast.UpdateStmt | ast.DeleteStmt) or node.whereClause is None:
        return False
    return node.withClause is None and not any(
        isinstance(item, ast.FuncCall) for item in walk(node)
    )


@rule(
    "MM052",
    "write-to-most-rows",
    Severity.WARNING,
    weighted=True,
    summary="UPDATE / DELETE whose WHERE matches most of the table (the planner's estimate).",
    docs="A WHERE that matches most rows is a whole-table write: every matched row stays locked "
    "until commit, and each gets a new version. The estimate is the target's planner's "
    "(EXPLAIN without ANALYZE, in a read-only transaction rolled back).",
    hint="Write in batches (WHERE id BETWEEN ...), each in its own transaction.",
)
def write_to_most_rows(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = statement.node
    if not needs_estimate(statement):
        return
    table = relation_target(node.relation)
    planned, rows = context.planned_rows(statement), context.rows(table)
    if planned is None or not rows or context.is_new(table) or planned < rows * MOST_ROWS:
        return
    verb = "UPDATE" if isinstance(node, ast.UpdateStmt) else "DELETE FROM"
    yield Hit(
        f"{verb} {target_name(table)} matches about {planned:,} of its {rows:,} rows (the "
        "planner's estimate): it writes most of the table in one transaction.",
        table,
    )
