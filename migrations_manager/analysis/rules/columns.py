"""Column rules: adding, constraining, retyping, renaming and dropping columns of live tables."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType as AT
from pglast.enums import ConstrType
from pglast.enums import ObjectType as PgObject

from ..names import builtin_type, relation_target, target_name
from ..statements import Statement
from .base import (
    Hit,
    Severity,
    added_columns,
    alter_table,
    column_constraints,
    commands,
    function_names,
    rule,
)
from .coercion import rewrites
from .context import LintContext

SERIAL_TYPES = frozenset({"serial", "serial2", "serial4", "serial8", "smallserial", "bigserial"})
# Volatile built-ins (and common extension functions) seen in defaults. now(), statement_timestamp()
# and CURRENT_TIMESTAMP are stable: since PostgreSQL 11 their default is stored once, no rewrite.
VOLATILE_FUNCTIONS = frozenset(
    {
        "random",
        "random_normal",
        "clock_timestamp",
        "timeofday",
        "gen_random_uuid",
        "uuidv4",
        "uuidv7",
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "nextval",
        "setseed",
    }
)


def _default(column: ast.ColumnDef) -> ast.Node | None:
    for constraint in column_constraints(column, ConstrType.CONSTR_DEFAULT):
        expression = constraint.raw_expr
        if not (isinstance(expression, ast.A_Const) and expression.isnull):
            return expression
    return None


def fills_rows(column: ast.ColumnDef) -> bool:
    """Whether existing rows get a value: default, identity, generated expression or serial."""
    return (
        _default(column) is not None
        or bool(column_constraints(column, ConstrType.CONSTR_IDENTITY, ConstrType.CONSTR_GENERATED))
        or builtin_type(column.typeName) in SERIAL_TYPES
    )


def _is_not_null(column: ast.ColumnDef) -> bool:
    return bool(
        column.is_not_null
        or column_constraints(column, ConstrType.CONSTR_NOTNULL, ConstrType.CONSTR_PRIMARY)
    )


@rule(
    "MM010",
    "add-column-not-null-without-default",
    Severity.ERROR,
    summary="ADD COLUMN ... NOT NULL without a DEFAULT.",
    docs="Existing rows would get NULL in the new column, so the statement fails on any table "
    "that has rows.",
    hint="Add the column with a DEFAULT (constant defaults are free since PostgreSQL 11), or add "
    "it nullable, backfill, and set NOT NULL later.",
)
def add_column_not_null(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = alter_table(statement)
    if node is None or context.is_new(table := relation_target(node.relation)):
        return
    for column in added_columns(statement):
        if _is_not_null(column) and not fills_rows(column):
            empty = context.rows(table) == 0
            yield Hit(
                f"ADD COLUMN {column.colname} NOT NULL has no DEFAULT: it fails as soon as "
                f"{target_name(table)} has a row.",
                table,
                severity=Severity.NOTICE if empty else None,
            )


def _rewrite_reason(column: ast.ColumnDef, server_version: int | None) -> str | None:
    if builtin_type(column.typeName) in SERIAL_TYPES:
        return "a serial column draws a sequence value for every row"
    if column_constraints(column, ConstrType.CONSTR_IDENTITY):
        return "an identity column draws a sequence value for every row"
    generated = column_constraints(column, ConstrType.CONSTR_GENERATED)
    if any(constraint.generated_kind == "s" for constraint in generated):
        return "a stored generated column is computed for every row"
    default = _default(column)
    volatile = sorted(set(function_names(default)) & VOLATILE_FUNCTIONS)
    if volatile:
        return f"the default calls {volatile[0]}(), which is volatile: each row gets its own value"
    if default is not None and server_version is not None and server_version < 110000:
        return "before PostgreSQL 11 any non-NULL default is written into every row"
    return None


@rule(
    "MM011",
    "add-column-volatile-default",
    Severity.WARNING,
    weighted=True,
    summary="ADD COLUMN that rewrites the table (volatile default, serial, identity, stored).",
    docs="A default that must be computed row by row (random(), clock_timestamp(), "
    "gen_random_uuid(), nextval()...), a serial or identity column or a stored generated "
    "column rewrites the whole table under an ACCESS EXCLUSIVE lock. Constant and stable "
    "defaults such as now() are stored once (PostgreSQL 11+).",
    hint="Add the column without the default (or with a constant one), set the default in a "
    "separate statement, and backfill existing rows in batches.",
)
def add_column_volatile_default(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = alter_table(statement)
    if node is None:
        return
    table = relation_target(node.relation)
    for column in added_columns(statement):
        reason = _rewrite_reason(column, context.server_version)
        if reason:
            yield Hit(
                f"ADD COLUMN {column.colname} rewrites {target_name(table)}: {reason}.", table
            )


@rule(
    "MM012",
    "set-not-null-without-check",
    Severity.WARNING,
    weighted=True,
    summary="SET NOT NULL without a validated CHECK (column IS NOT NULL), in the file or the "
    "catalog.",
    docs="SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock, unless (PostgreSQL "
    "12+) a validated CHECK (column IS NOT NULL) constraint already proves it, or the catalog "
    "has the column NOT NULL already.",
    hint="Earlier: ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; then, in another "
    "migration, VALIDATE CONSTRAINT c; then SET NOT NULL and drop the check.",
)
def set_not_null_without_check(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = alter_table(statement)
    if node is None:
        return
    table = relation_target(node.relation)
    old_server = context.server_version is not None and context.server_version < 120000
    for command in commands(statement, AT.AT_SetNotNull):
        if context.is_not_null(table, command.name):
            continue  # already NOT NULL: PostgreSQL checks nothing
        if old_server or not context.has_validated_not_null_check(table, command.name):
            why = " (before PostgreSQL 12, even with a check)" if old_server else ""
            pending = context.unvalidated_not_null_check(table, command.name)
            yield Hit(
                f"SET NOT NULL on {target_name(table)}.{command.name} scans the table "
                f"under an ACCESS EXCLUSIVE lock{why}.",
                table,
                hint=None
                if pending is None or old_server
                else f"{pending} is NOT VALID yet: VALIDATE CONSTRAINT {pending} in an earlier "
                "migration (it scans under SHARE UPDATE EXCLUSIVE, traffic goes on), then SET "
                "NOT NULL here.",
            )


@rule(
    "MM013",
    "alter-column-type-rewrite",
    Severity.WARNING,
    weighted=True,
    summary="ALTER COLUMN ... TYPE that rewrites the table.",
    docs="Changing a column's type rewrites the table and rebuilds its indexes under an ACCESS "
    "EXCLUSIVE lock, except for binary-coercible changes (varchar(n) to a longer varchar "
    "or to text, numeric precision increase, cidr to inet...). The current type is the one "
    "the migration gave the column, else the catalog's; when neither tells, a change that "
    "could be binary-coercible is a notice.",
    hint="Add a new column of the new type, backfill it in batches, switch the code, then drop "
    "the old column.",
)
def alter_column_type(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = alter_table(statement)
    if node is None:
        return
    table = relation_target(node.relation)
    for command in commands(statement, AT.AT_AlterColumnType):
        old = context.column_type(table, command.name)
        verdict = rewrites(old, command.def_.typeName, command.def_.raw_default, command.name)
        where = f"{target_name(table)}.{command.name}"
        if verdict:
            yield Hit(f"ALTER COLUMN {where} TYPE rewrites the table and its indexes.", table)
        elif verdict is None:
            yield Hit(
                f"ALTER COLUMN {where} TYPE rewrites the table unless the current type is "
                "binary-coercible to the new one.",
                table,
                severity=Severity.NOTICE,
            )


@rule(
    "MM014",
    "rename-column",
    Severity.WARNING,
    summary="RENAME COLUMN on an existing table.",
    docs="Code that is running while the migration commits still uses the old name and fails.",
    hint="Add the new column, write both, backfill, switch reads, then drop the old column in a "
    "later release (or expose the old name through a view).",
)
def rename_column(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = statement.node
    if isinstance(node, ast.RenameStmt) and node.renameType == PgObject.OBJECT_COLUMN:
        table = relation_target(node.relation)
        if node.relationType == PgObject.OBJECT_TABLE and not context.is_new(table):
            yield Hit(
                f"Renaming {target_name(table)}.{node.subname} to {node.newname} breaks "
                "running code that still uses the old name."
            )


@rule(
    "MM015",
    "drop-column",
    Severity.WARNING,
    summary="DROP COLUMN on an existing table.",
    docs="The drop itself is quick, but code still reading or writing the column fails, and "
    "the data is gone.",
    hint="First deploy code that no longer uses the column (for Django, remove the field with "
    "SeparateDatabaseAndState), then drop it in a later migration.",
)
def drop_column(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = alter_table(statement)
    if node is None or context.is_new(table := relation_target(node.relation)):
        return
    for command in commands(statement, AT.AT_DropColumn):
        yield Hit(
            f"DROP COLUMN {target_name(table)}.{command.name} breaks code that still uses "
            "it and destroys its data."
        )
