"""Session rules: lock_timeout, and statements whose transaction behaviour depends on the server."""

from __future__ import annotations

from collections.abc import Iterator

from pglast import ast

from ..lockmodes import blocked_traffic
from ..names import names_target, target_name
from ..statements import Statement
from .base import Hit, Severity, rule
from .context import LintContext


@rule(
    "MM060",
    "missing-lock-timeout",
    Severity.NOTICE,
    summary="No SET lock_timeout before the first statement that blocks writes.",
    docs="A statement waiting for its lock makes every later query its lock conflicts with "
    "queue behind it (writes; reads too for ACCESS EXCLUSIVE): without a lock_timeout, one "
    "long transaction elsewhere turns into an outage.",
    hint="The truss runner sets lock_timeout itself (setting, default 5 s) when it applies "
    "migrations; add `SET lock_timeout = '5s';` at the top for runs made with other tools.",
)
def missing_lock_timeout(statement: Statement, context: LintContext) -> Iterator[Hit]:
    if context.lock_timeout_set or context.took_blocking_lock:
        return
    blocking = context.blocking_locks(statement)
    if blocking:
        first = blocking[0]
        yield Hit(
            f"{first.description} waits for its {first.mode} lock with no lock_timeout "
            f"set: meanwhile {blocked_traffic(first.mode)} on {first.qualified_name} queue "
            "behind it."
        )


@rule(
    "MM061",
    "enum-add-value-in-transaction",
    Severity.ERROR,
    summary="ALTER TYPE ... ADD VALUE inside a transaction on PostgreSQL older than 12.",
    docs="Before PostgreSQL 12, ALTER TYPE ... ADD VALUE cannot run inside a transaction block.",
    hint="Put it in a migration of its own with `-- truss:no-transaction`, or upgrade.",
)
def enum_add_value(statement: Statement, context: LintContext) -> Iterator[Hit]:
    node = statement.node
    if not (isinstance(node, ast.AlterEnumStmt) and node.oldVal is None and node.newVal):
        return
    version = context.server_version
    if not context.in_transaction or (version is not None and version >= 120000):
        return
    name = target_name(names_target(node.typeName))
    if version is None:
        yield Hit(
            f"ALTER TYPE {name} ADD VALUE fails inside a transaction block on PostgreSQL "
            "older than 12 (server version unknown).",
            severity=Severity.NOTICE,
        )
    else:
        yield Hit(
            f"ALTER TYPE {name} ADD VALUE cannot run inside a transaction block on this "
            "server (older than PostgreSQL 12)."
        )
