"""Constraint rules: add constraints in two steps (NOT VALID, then VALIDATE; index, then USING)."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast
from pglast.enums import AlterTableType as AT
from pglast.enums import ConstrType

from ..names import names_target, relation_target, target_name
from ..statements import Statement
from .base import (
    Hit,
    Severity,
    added_columns,
    added_constraints,
    alter_table,
    column_constraints,
    commands,
    rule,
)
from .columns import fills_rows
from .context import LintContext


def _label(constraint: ast.Constraint) -> str:
    return f" {constraint.conname}" if constraint.conname else ""


@rule(
    "MM020",
    "add-foreign-key-without-not-valid",
    Severity.WARNING,
    weighted=True,
    summary="ADD FOREIGN KEY without NOT VALID (also ADD COLUMN ... DEFAULT ... REFERENCES).",
    docs="Adding a foreign key checks every existing row while holding SHARE ROW EXCLUSIVE locks "
    "on both tables: writes to either table wait for the whole scan. ADD COLUMN ... REFERENCES "
    "with a DEFAULT (or identity, serial) does the same under ACCESS EXCLUSIVE on the altered "
    "table; without one the new column is all NULL and nothing is checked.",
    hint="ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID, then VALIDATE CONSTRAINT in a later "
    "migration (validation only takes SHARE UPDATE EXCLUSIVE).",
)
def add_foreign_key(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = alter_table(statement)
    if node is None:
        return
    table = relation_target(node.relation)
    for constraint in added_constraints(statement, ConstrType.CONSTR_FOREIGN):
        if not constraint.skip_validation:
            referenced = target_name(relation_target(constraint.pktable))
            yield Hit(
                f"ADD FOREIGN KEY{_label(constraint)} scans {target_name(table)} while "
                f"blocking writes to it and to {referenced}.",
                table,
            )
    # A new column without a value for the existing rows is all NULL: PostgreSQL checks nothing.
    for column in filter(fills_rows, added_columns(statement)):
        for constraint in column_constraints(column, ConstrType.CONSTR_FOREIGN):
            referenced = target_name(relation_target(constraint.pktable))
            yield Hit(
                f"ADD COLUMN {column.colname} REFERENCES {referenced} with a value for every "
                f"row checks each of them: it scans {target_name(table)} under an ACCESS "
                f"EXCLUSIVE lock (no reads or writes) while blocking writes to {referenced}.",
                table,
                hint="Add the column without REFERENCES, then ADD CONSTRAINT ... FOREIGN KEY "
                "... NOT VALID, and VALIDATE CONSTRAINT in a later migration.",
            )


@rule(
    "MM021",
    "add-check-without-not-valid",
    Severity.WARNING,
    weighted=True,
    summary="ADD CHECK constraint without NOT VALID (tables and domains).",
    docs="Adding a CHECK constraint scans every row under an ACCESS EXCLUSIVE lock (for a domain: "
    "every column of that domain, in every table).",
    hint="ADD CONSTRAINT ... CHECK (...) NOT VALID, then VALIDATE CONSTRAINT in a later migration.",
)
def add_check(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = statement.node
    if isinstance(node, ast.AlterDomainStmt) and node.subtype == "C":
        if _is_validated_check(node.def_):
            domain = target_name(names_target(node.typeName))
            yield Hit(
                f"ADD CHECK{_label(node.def_)} on domain {domain} scans every column of that type."
            )
    elif (altered := alter_table(statement)) is not None:
        table = relation_target(altered.relation)
        for constraint in added_constraints(statement, ConstrType.CONSTR_CHECK):
            if not constraint.skip_validation:
                yield Hit(
                    f"ADD CHECK{_label(constraint)} scans {target_name(table)} under an "
                    "ACCESS EXCLUSIVE lock.",
                    table,
                )


def _is_validated_check(constraint: ast.Node) -> bool:
    return (
        isinstance(constraint, ast.Constraint)
        and constraint.contype == ConstrType.CONSTR_CHECK
        and not constraint.skip_validation
    )


_KEY_NAMES = {ConstrType.CONSTR_PRIMARY: "PRIMARY KEY", ConstrType.CONSTR_UNIQUE: "UNIQUE"}


@rule(
    "MM022",
    "add-unique-without-index",
    Severity.WARNING,
    weighted=True,
    summary="ADD PRIMARY KEY / UNIQUE without USING INDEX.",
    docs="The constraint builds its index while holding an ACCESS EXCLUSIVE lock: no reads or "
    "writes for the whole build.",
    hint="CREATE UNIQUE INDEX CONCURRENTLY first (own migration, `-- truss:no-transaction`), "
    "then ADD CONSTRAINT name PRIMARY KEY / UNIQUE USING INDEX that_index.",
)
def add_unique_without_index(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = alter_table(statement)
    if node is None:
        return
    table = relation_target(node.relation)
    kinds = tuple(_KEY_NAMES)
    keys = [item for item in added_constraints(statement, *kinds) if not item.indexname]
    for column in added_columns(statement):
        keys.extend(column_constraints(column, *kinds))
    for constraint in keys:
        yield Hit(
            f"ADD {_KEY_NAMES[constraint.contype]}{_label(constraint)} builds an index on "
            f"{target_name(table)} under an ACCESS EXCLUSIVE lock.",
            table,
        )


@rule(
    "MM023",
    "add-exclusion-constraint",
    Severity.WARNING,
    weighted=True,
    summary="ADD EXCLUDE constraint on an existing table.",
    docs="An exclusion constraint builds its index and checks every row under an ACCESS "
    "EXCLUSIVE lock, and has neither NOT VALID nor USING INDEX to split the work.",
    hint="Add it while the table is small, or in a maintenance window with a lock_timeout.",
)
def add_exclusion(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = alter_table(statement)
    if node is None:
        return
    table = relation_target(node.relation)
    for constraint in added_constraints(statement, ConstrType.CONSTR_EXCLUSION):
        yield Hit(
            f"ADD EXCLUDE{_label(constraint)} locks {target_name(table)} against reads and "
            "writes while it builds and checks.",
            table,
        )


@rule(
    "MM024",
    "validate-in-same-transaction",
    Severity.WARNING,
    summary="VALIDATE CONSTRAINT in the transaction that added it NOT VALID.",
    docs="The lock taken by ADD CONSTRAINT ... NOT VALID is held until commit, so validating in "
    "the same transaction scans the table under that stronger lock: NOT VALID gained nothing.",
    hint="Validate in a later migration (each migration commits on its own), or run this file "
    "with `-- truss:no-transaction`.",
)
def validate_in_same_transaction(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = alter_table(statement)
    if node is None or not context.in_transaction:
        return
    table = relation_target(node.relation)
    for command in commands(statement, AT.AT_ValidateConstraint):
        if context.added_not_valid(table, command.name):
            yield Hit(
                f"VALIDATE CONSTRAINT {command.name} runs in the same transaction as its "
                "ADD ... NOT VALID, under the lock the ADD still holds."
            )
