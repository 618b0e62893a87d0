"""node-pg-migrate's ``.cjs`` / ``.js`` migrations: their SQL, and whether they can run here.

services.cjs_sql("1700000000000_add-users.cjs")   # the SQL of node-pg-migrate's dry run
services.cjs_warning(services.status())           # None, or why some cannot run here
"""

from __future__ import annotations

from ..executor import render
from ..frameworks.registry import NotRegistered, registry
from ..planning import Grouping, make_plan
from ..types import Direction, State, StatusReport
from .common import build_step, migrations_directory
from .node import missing_node_pg_migrate, node_pg_migrate
from .session import session


def cjs_sql(name: str, direction: Direction = Direction.UP) -> str:
    """What node-pg-migrate would run for the ``.cjs`` / ``.js`` migration ``name``: the step's
    command stream as a dry run renders it (the SQL node-pg-migrate builds for it, on a
    read-only session: the migration's function runs, but cannot write). Nothing is changed.

    Raises:
        InvalidMigrationName, MigrationNotFound: ``name`` is no ``.cjs`` / ``.js`` file of the
            migrations directory.
        UnsupportedMigration: node-pg-migrate cannot run here.
        MigrationFailed: node-pg-migrate could not load the file or run its function, or the
            function wrote to the database.
    """
    with session(standard=True, suffix=":preview", lock=False) as current:
        tracking = current.tracking
        adapter = tracking.adapter
        migration = adapter.migration_for(
            migrations_directory().lookup(name, adapter.cli_extensions)
        )
        step = build_step(adapter, tracking, migration, direction, describe=True)
        plan = make_plan([step], adapter, tracking.table, grouping=Grouping.EACH, table_exists=True)
        return render(plan, current.settings, current.lock_key, current.conn)


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
