"""Maintenance rules: commands that rebuild a whole table or view under a full lock."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from ..names import relation_target, target_name
from ..statements import Statement
from .base import Hit, Severity, rule
from .context import LintContext


@rule(
    "MM040",
    "vacuum-full",
    Severity.WARNING,
    weighted=True,
    summary="VACUUM FULL.",
    docs="VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock: no reads or writes "
    "until it ends.",
    hint="Plain VACUUM reclaims space for reuse without blocking; to shrink a table online, "
    "use pg_repack or pg_squeeze.",
)
def vacuum_full(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = statement.node
    if not (isinstance(node, ast.VacuumStmt) and node.is_vacuumcmd):
        return
    if any(option.defname == "full" for option in node.options or ()):
        if not node.rels:
            yield Hit("VACUUM FULL rewrites every table of the database, one full lock at a time.")
        for relation in node.rels or ():
            table = relation_target(relation.relation)
            yield Hit(
                f"VACUUM FULL {target_name(table)} rewrites it under an ACCESS EXCLUSIVE lock.",
                table,
            )


@rule(
    "MM041",
    "cluster",
    Severity.WARNING,
    weighted=True,
    summary="CLUSTER.",
    docs="CLUSTER rewrites the table in index order under an ACCESS EXCLUSIVE lock.",
    hint="Use pg_repack to reorder a live table, or run CLUSTER in a maintenance window.",
)
def cluster(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = statement.node
    if isinstance(node, ast.ClusterStmt):
        if node.relation is None:
            yield Hit("CLUSTER rewrites every previously clustered table of the database.")
        else:
            table = relation_target(node.relation)
            yield Hit(
                f"CLUSTER {target_name(table)} rewrites it under an ACCESS EXCLUSIVE lock.", table
            )


@rule(
    "MM042",
    "refresh-matview-non-concurrently",
    Severity.WARNING,
    weighted=True,
    summary="REFRESH MATERIALIZED VIEW without CONCURRENTLY.",
    docs="A plain refresh locks the view against reads until the new contents are computed.",
    hint="REFRESH MATERIALIZED VIEW CONCURRENTLY (needs a unique index on the view) keeps it "
    "readable.",
)
def refresh_matview(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = statement.node
    if isinstance(node, ast.RefreshMatViewStmt) and not node.concurrent:
        view = relation_target(node.relation)
        yield Hit(
            f"REFRESH MATERIALIZED VIEW {target_name(view)} blocks reads of it until the "
            "refresh ends.",
            view,
        )
