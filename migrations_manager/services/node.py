"""The standard mode's ``.cjs`` / ``.js`` steps, executed by node-pg-migrate's own CLI.

A step of such a file carries the command that executes it (``Step.external``) and, from
node-pg-migrate's dry run, the SQL it will send: the plan of a run and of its dry run are the
same, and what node-pg-migrate cannot load or print stops the run before anything runs, as a
syntax error in a ``.sql`` file does.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .. import db
from ..conf import app_settings
from ..exceptions import UnsupportedMigration
from ..frameworks import node_pg_migrate_cli as cli
from ..frameworks.base import TrackingAdapter
from ..frameworks.detection import Tracking
from ..types import Direction, Migration, Step


def node_pg_migrate() -> Path | None:
    """The node-pg-migrate executable this project uses, or ``None`` when there is none."""
    return cli.locate(app_settings.NODE_PG_MIGRATE, app_settings.base_dir)


def missing_node_pg_migrate(names: Sequence[str]) -> str:
    """The sentence saying why ``names`` cannot run here, and what to install."""
    return cli.missing_sentence(names, app_settings.NODE_PG_MIGRATE)


def node_cli(tracking: Tracking, names: Sequence[str]) -> cli.NodePgMigrateCli:
    """node-pg-migrate on the target and ``tracking``'s table.

    Raises:
        UnsupportedMigration: node-pg-migrate cannot run here (the sentence names ``names``).
    """
    binary = node_pg_migrate()
    if binary is None:
        raise UnsupportedMigration(missing_node_pg_migrate(names), names=names)
    settings = {
        "lock_timeout": app_settings.LOCK_TIMEOUT,
        "statement_timeout": app_settings.STATEMENT_TIMEOUT,
    }
    return cli.NodePgMigrateCli(
        binary=binary,
        directory=app_settings.migrations_dir,
        table=tracking.table,
        target=db.target_url(),
        application_name=f"{app_settings.APPLICATION_NAME}:{cli.EXECUTOR}",
        session_settings=tuple((k, str(v)) for k, v in settings.items() if v is not None),
    )


def node_step(
    adapter: TrackingAdapter, tracking: Tracking, migration: Migration, direction: Direction
) -> Step:
    """The step node-pg-migrate executes, with the SQL its dry run printed for it.

    ``tracking`` holds the statement node-pg-migrate writes for the row, composed by the adapter
    (the same text node-pg-migrate prints); the runner does not send it.
    """
    node = node_cli(tracking, [migration.name])
    printed = node.dry_run(migration, direction)
    if direction is Direction.UP:
        row = adapter.record(tracking.table, [migration])
    else:
        row = adapter.unrecord(tracking.table, [migration])
    return Step(
        migration=migration,
        direction=direction,
        statements=printed.statements,
        tracking=tuple(row),
        transactional=printed.transactional,
        external=node.command(migration, direction),
    )
