"""Table rules: renames, drops, truncation, rewrites, explicit locks and triggers."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType as AT
from pglast.enums import ObjectType as PgObject

from ..lockmodes import LockMode, blocked_traffic, conflicts
from ..names import names_target, relation_target, target_name
from ..statements import Statement
from .base import Hit, Severity, alter_table, commands, rule
from .context import LintContext


@rule(
    "MM030",
    "rename-table",
    Severity.WARNING,
    summary="RENAME of an existing table.",
    docs="Code that is running while the migration commits still uses the old name and fails.",
    hint="Create the new name as a view on the old table (or the reverse) for one release, "
    "then switch and drop the view.",
)
def rename_table(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = statement.node
    if isinstance(node, ast.RenameStmt) and node.renameType == PgObject.OBJECT_TABLE:
        table = relation_target(node.relation)
        if not context.is_new(table):
            yield Hit(
                f"Renaming {target_name(table)} to {node.newname} breaks running code that "
                "still uses the old name."
            )


@rule(
    "MM031",
    "drop-table",
    Severity.WARNING,
    summary="DROP TABLE of an existing table.",
    docs="Dropping a table destroys its data and breaks code that still uses it; the ACCESS "
    "EXCLUSIVE lock also waits behind every query on it.",
    hint="Deploy code that no longer uses the table first; keep a backup or rename it away and "
    "drop it in a later release.",
)
def drop_table(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = statement.node
    if isinstance(node, ast.DropStmt) and node.removeType == PgObject.OBJECT_TABLE:
        for names in node.objects or ():
            table = names_target(names)
            if not context.is_new(table):
                yield Hit(f"DROP TABLE {target_name(table)} destroys its data.")


@rule(
    "MM032",
    "truncate",
    Severity.WARNING,
    summary="TRUNCATE of an existing table.",
    docs="TRUNCATE destroys every row and takes an ACCESS EXCLUSIVE lock; it is rarely what a "
    "schema migration means to do.",
    hint="If the data really must go, say so with `-- truss:ignore MM032`; otherwise delete "
    "in batches.",
)
def truncate(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = statement.node
    if isinstance(node, ast.TruncateStmt):
        for relation in node.relations or ():
            table = relation_target(relation)
            if not context.is_new(table):
                yield Hit(f"TRUNCATE {target_name(table)} destroys all its rows.")


_REWRITING_COMMANDS = {
    AT.AT_SetLogged: "SET LOGGED",
    AT.AT_SetUnLogged: "SET UNLOGGED",
    AT.AT_SetTableSpace: "SET TABLESPACE",
    AT.AT_SetAccessMethod: "SET ACCESS METHOD",
}


@rule(
    "MM033",
    "alter-table-rewrite",
    Severity.WARNING,
    weighted=True,
    summary="ALTER TABLE SET LOGGED / UNLOGGED / TABLESPACE / ACCESS METHOD.",
    docs="These forms copy the whole table (and, for SET LOGGED, write it all to the WAL) under "
    "an ACCESS EXCLUSIVE lock.",
    hint="Run it in a maintenance window, or build a copy of the table and swap it in.",
)
def alter_table_rewrite(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = alter_table(statement)
    if node is None:
        return
    table = relation_target(node.relation)
    for command in commands(statement, *_REWRITING_COMMANDS):
        yield Hit(
            f"ALTER TABLE {target_name(table)} {_REWRITING_COMMANDS[command.subtype]} "
            "rewrites the whole table.",
            table,
        )


@rule(
    "MM034",
    "lock-table",
    Severity.WARNING,
    summary="Explicit LOCK TABLE in a mode that blocks writes (ACCESS EXCLUSIVE: reads too).",
    docs="LOCK TABLE in SHARE mode or stronger blocks the application's writes (ACCESS EXCLUSIVE "
    "also its reads) until the migration's transaction ends.",
    hint="Keep the transaction short and set a lock_timeout; prefer the weakest mode that works.",
)
def lock_table(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = statement.node
    if isinstance(node, ast.LockStmt):
        mode = LockMode.from_level(node.mode)
        if conflicts(mode, LockMode.ROW_EXCLUSIVE):
            for relation in node.relations or ():
                table = relation_target(relation)
                if not context.is_new(table):
                    yield Hit(
                        f"LOCK TABLE {target_name(table)} IN {mode} MODE blocks "
                        f"{blocked_traffic(mode)} until commit."
                    )


@rule(
    "MM035",
    "create-trigger",
    Severity.NOTICE,
    summary="CREATE TRIGGER on an existing table.",
    docs="CREATE TRIGGER takes a SHARE ROW EXCLUSIVE lock: on a busy table it waits behind "
    "running writes and blocks new ones, until the migration's transaction ends.",
    hint="Keep the transaction short and set a lock_timeout.",
)
def create_trigger(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = statement.node
    if isinstance(node, ast.CreateTrigStmt):
        table = relation_target(node.relation)
        if not context.is_new(table):
            yield Hit(
                f"CREATE TRIGGER {node.trigname} blocks writes to {target_name(table)} "
                "until commit."
            )
