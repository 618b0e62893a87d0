"""The standard mode's ``.cjs`` / ``.js`` steps, executed by node-pg-migrate's own CLI.

A step of such a file carries the command that executes it (``Step.external``) and, for a dry
run, a preview or a confirmation, the SQL node-pg-migrate builds for it on a read-only session:
what node-pg-migrate cannot load or print then shows before anything runs.
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
from ..frameworks.javascript import refuse_foreign
from ..types import Direction, Migration, Step, StepAction


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
        run_timeout=_seconds(app_settings.NODE_RUN_TIMEOUT),
        dry_run_timeout=_seconds(app_settings.NODE_DRY_RUN_TIMEOUT),
    )


def _seconds(value: object) -> float | None:
    return None if value in (None, "", 0) else float(value)  # type: ignore[arg-type]


def node_step(
    adapter: TrackingAdapter,
    tracking: Tracking,
    migration: Migration,
    direction: Direction,
    *,
    describe: Sequence[Migration] | None,
) -> Step:
    """The step node-pg-migrate executes. ``describe``, when given, lists the JavaScript
    migrations before this one (their ``shorthands`` count): the step then carries the SQL its
    read-only dry run builds. A run does not ask for it: the migration's code runs once, in the
    run."""
    refuse_foreign(migration)
    node = node_cli(tracking, [migration.name])
    statements: tuple = ()
    transactional = True
    if describe is not None:
        printed = node.dry_run(migration, direction, describe)
        statements, transactional = printed.statements, printed.transactional
    return Step(
        migration=migration,
        direction=direction,
        statements=statements,
        action=StepAction.EXTERNAL,
        transactional=transactional,
        external=node.command(migration, direction),
    )
