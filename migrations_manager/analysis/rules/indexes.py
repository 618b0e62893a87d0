"""Index rules: build and drop indexes without blocking the table's traffic."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import ObjectType as PgObject
from pglast.enums import ReindexObjectType

from ..names import names_target, relation_target, target_name
from ..objects import ObjectType
from ..statements import Statement
from .base import Hit, Severity, rule
from .context import LintContext

_NO_TRANSACTION_NAMES = {
    ast.IndexStmt: "CREATE INDEX CONCURRENTLY",
    ast.DropStmt: "DROP ... CONCURRENTLY",
    ast.ReindexStmt: "REINDEX CONCURRENTLY",
    ast.VacuumStmt: "VACUUM",
    ast.AlterTableStmt: "DETACH PARTITION ... CONCURRENTLY",
}


@rule(
    "MM001",
    "create-index-non-concurrently",
    Severity.WARNING,
    weighted=True,
    summary="CREATE INDEX without CONCURRENTLY on an existing table.",
    docs="A plain CREATE INDEX holds a SHARE lock for the whole build: every INSERT, UPDATE and "
    "DELETE on the table waits until the index is built. A table created earlier in the "
    "same migration is fine.",
    hint="Use CREATE INDEX CONCURRENTLY, in a migration of its own with the "
    "`-- truss:no-transaction` directive.",
)
def create_index_non_concurrently(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = statement.node
    if not isinstance(node, ast.IndexStmt) or node.concurrent:
        return
    table = relation_target(node.relation)
    if context.is_new(table):
        return
    partitioned = context.is_partitioned(table)
    if not node.relation.inh and partitioned is not False:
        # ON ONLY a partitioned table builds nothing: an invalid index, until ATTACHed.
        if partitioned is None:
            yield Hit(
                f"CREATE INDEX ON ONLY {target_name(table)} builds nothing if it is a "
                "partitioned table; otherwise it blocks writes until the index is built.",
                severity=Severity.NOTICE,
            )
        return
    yield Hit(
        f"CREATE INDEX on {target_name(table)} blocks writes to it until the index is built"
        + (" on every partition." if partitioned else "."),
        table,
        hint=PARTITIONED_RECIPE if partitioned else None,
    )


PARTITIONED_RECIPE = (
    "A partitioned table takes no CONCURRENTLY: CREATE INDEX ... ON ONLY the parent (builds "
    "nothing), then for each partition CREATE INDEX CONCURRENTLY (a migration with "
    "`-- truss:no-transaction`) and ALTER INDEX parent_index ATTACH PARTITION partition_index."
)


@rule(
    "MM005",
    "concurrently-on-partitioned-table",
    Severity.ERROR,
    summary="CREATE INDEX CONCURRENTLY on a partitioned table.",
    docs="PostgreSQL refuses CONCURRENTLY on a partitioned table: the statement fails.",
    hint=PARTITIONED_RECIPE,
)
def concurrently_on_partitioned(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = statement.node
    if isinstance(node, ast.IndexStmt) and node.concurrent:
        table = relation_target(node.relation)
        if context.is_partitioned(table):
            yield Hit(
                f"{target_name(table)} is partitioned: PostgreSQL refuses CREATE INDEX "
                "CONCURRENTLY on it."
            )


@rule(
    "MM002",
    "concurrently-in-transaction",
    Severity.ERROR,
    summary="CONCURRENTLY (or VACUUM) inside a transaction block.",
    docs="CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, DETACH PARTITION CONCURRENTLY "
    "and VACUUM refuse to run inside a transaction block, and a migration file runs in one "
    "unless it carries the no-transaction directive.",
    hint="Move the statement to a migration of its own that starts with `-- truss:no-transaction`.",
)
def concurrently_in_transaction(statement: Statement, context: LintContext) -> Iterator[Hit]:
    if context.in_transaction and statement.no_transaction:
        name = _NO_TRANSACTION_NAMES.get(type(statement.node), "This statement")
        where = "a DO block (it runs in a transaction)" if context.in_do_block else "a transaction"
        yield Hit(
            f"{name} cannot run inside {where}: PostgreSQL will refuse it.",
            hint=_OUT_OF_THE_DO_BLOCK if context.in_do_block else None,
        )


_OUT_OF_THE_DO_BLOCK = (
    "Take the statement out of the DO block, into a migration of its own that starts with "
    "`-- truss:no-transaction` (IF NOT EXISTS keeps it idempotent)."
)


@rule(
    "MM003",
    "drop-index-non-concurrently",
    Severity.WARNING,
    summary="DROP INDEX without CONCURRENTLY.",
    docs="DROP INDEX takes an ACCESS EXCLUSIVE lock on the index's table: the drop itself is "
    "quick, but it waits behind every running query and makes all new ones wait behind it.",
    hint="Use DROP INDEX CONCURRENTLY, in a migration with `-- truss:no-transaction`.",
)
def drop_index_non_concurrently(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = statement.node
    if isinstance(node, ast.DropStmt) and node.removeType == PgObject.OBJECT_INDEX:
        if not node.concurrent:
            for names in node.objects or ():
                index = names_target(names)
                if not context.is_new(index, ObjectType.INDEX):
                    yield Hit(
                        f"DROP INDEX {target_name(index)} locks its table against reads and writes."
                    )


@rule(
    "MM004",
    "reindex-non-concurrently",
    Severity.WARNING,
    weighted=True,
    summary="REINDEX without CONCURRENTLY.",
    docs="REINDEX blocks writes to the table, and reads that would use the index, for the whole "
    "rebuild. REINDEX CONCURRENTLY (PostgreSQL 12+) rebuilds without blocking.",
    hint="Use REINDEX ... CONCURRENTLY in a migration with `-- truss:no-transaction`.",
)
def reindex_non_concurrently(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = statement.node
    if not isinstance(node, ast.ReindexStmt):
        return
    if any(option.defname == "concurrently" for option in node.params or ()):
        return
    table = None
    if node.kind == ReindexObjectType.REINDEX_OBJECT_TABLE:
        table = relation_target(node.relation)
    hint = None
    if context.server_version is not None and context.server_version < 120000:
        hint = (
            "This server has no REINDEX CONCURRENTLY: build a new index CONCURRENTLY, "
            "then drop the old one CONCURRENTLY."
        )
    yield Hit("REINDEX without CONCURRENTLY blocks writes for the whole rebuild.", table, hint=hint)
