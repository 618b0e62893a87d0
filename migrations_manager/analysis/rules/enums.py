"""Enum rules: a renamed label breaks running code; a new label is unusable until committed."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from ..names import names_target, target_name, walk
from ..objects import ObjectType
from ..statements import Statement
from .base import Hit, Severity, rule
from .context import LintContext


@rule(
    "MM062",
    "enum-rename-value",
    Severity.WARNING,
    summary="ALTER TYPE ... RENAME VALUE.",
    docs="Code that is running while the migration commits still writes and compares the old "
    "label: its inserts fail and its comparisons stop matching.",
    hint="Add the new value, switch the code to it, migrate the rows in batches, and stop "
    "using the old label (enum values cannot be dropped).",
)
def enum_rename_value(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = statement.node
    if isinstance(node, ast.AlterEnumStmt) and node.oldVal is not None:
        enum = names_target(node.typeName)
        if context.is_new(enum, ObjectType.TYPE):
            return
        name = target_name(enum)
        yield Hit(
            f"Renaming {node.oldVal!r} of {name} to {node.newVal!r} breaks running code that "
            f"still uses {node.oldVal!r}."
        )


@rule(
    "MM063",
    "enum-value-used-before-commit",
    Severity.ERROR,
    summary="A value added by ALTER TYPE ... ADD VALUE used in the same transaction.",
    docs="PostgreSQL refuses a new enum value until the transaction that added it commits "
    '("unsafe use of new value"), on every version: the statement that uses it fails.',
    hint="Add the value in a migration of its own (each migration commits), or run this file "
    "with `-- truss:no-transaction`.",
)
def enum_value_used_before_commit(statement: Statement, context: LintContext) -> Iterator[Hit]:
    if isinstance(statement.node, ast.AlterEnumStmt) or not context.new_enum_values:
        return
    used = {
        node.val.sval
        for node in walk(statement.node)
        if isinstance(node, ast.A_Const) and isinstance(node.val, ast.String)
    }
    for value in sorted(used & context.new_enum_values.keys()):
        yield Hit(
            f"{value!r} was added to {target_name(context.new_enum_values[value])} in this "
            "transaction: using it before the commit fails (unsafe use of new value)."
        )
