"""node-pg-migrate's ``.cjs`` / ``.js`` migrations: their SQL, and whether they can run here.

services.cjs_sql("1700000000000_add-users.cjs")   # the SQL of node-pg-migrate's dry run
services.cjs_warning(services.status())           # None, or why some cannot run here
"""

from __future__ import annotations

from .. import db
from ..frameworks import node_pg_migrate_cli
from ..frameworks.registry import NotRegistered, registry
from ..runner import render
from ..types import Direction, Plan, State, StatusReport
from .common import build_step, migrations_directory, resolve_tracking
from .node import missing_node_pg_migrate, node_pg_migrate


def cjs_sql(name: str, direction: Direction = Direction.UP) -> str:
    """What node-pg-migrate would run for the ``.cjs`` / ``.js`` migration ``name``.

    From node-pg-migrate's ``--dry-run``: the command, its transaction, the migration's SQL and
    the tracking row, as ``--dry-run`` of ``up`` / ``down`` prints them. Nothing is changed.

    Raises:
        InvalidMigrationName, MigrationNotFound: ``name`` is no ``.cjs`` / ``.js`` file of the
            migrations directory.
        UsageError: ``down`` of a migration that is not applied.
        UnsupportedMigration: node-pg-migrate cannot run here.
        MigrationFailed: node-pg-migrate could not load the files or run the function.
    """
    with db.connection(read_only=True, application_suffix=":preview") as conn:
        tracking = resolve_tracking(conn, standard=True)
        adapter = tracking.adapter
        migration = adapter.migration_for(
            migrations_directory().lookup(name, adapter.cli_extensions)
        )
        if direction is Direction.DOWN and not tracking.exists:
            raise node_pg_migrate_cli.not_applied(migration)  # its dry run would create the table
        step = build_step(adapter, tracking, migration, direction)
        return render(Plan((step,), adapter.name, tracking.table), conn)


def cjs_warning(report: StatusReport) -> str | None:
    """Why the pending ``.cjs`` / ``.js`` migrations of ``report`` cannot run, if they cannot.

    ``None`` when node-pg-migrate is installed, when none is pending, or when the tracking
    table is another framework's (its ``.js`` files are then not node-pg-migrate's).
    """
    try:
        extensions = registry.get(report.framework).cli_extensions
    except NotRegistered:
        return None
    names = [
        status.name
        for status in report.migrations
        if status.state is State.PENDING and status.name.lower().endswith(extensions)
    ]
    if not names or not extensions or node_pg_migrate() is not None:
        return None
    return missing_node_pg_migrate(names)
