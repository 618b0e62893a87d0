"""What every use-case shares: the directory, the tracking table in use, plans and the audit."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import psycopg

from .. import audit
from ..analysis.statements import parse_statements
from ..conf import app_settings
from ..exceptions import IrreversibleMigration, UsageError
from ..frameworks import detection
from ..frameworks.base import TrackingAdapter
from ..frameworks.detection import Tracking
from ..introspection import catalog
from ..runner import Progress, Runner
from ..sources import MigrationsDirectory, validate_name
from ..types import Direction, Migration, MigrationStatus, State, StatusReport, Step
from .node import node_step

STANDARD_FRAMEWORK = "node-pg-migrate"


def migrations_directory() -> MigrationsDirectory:
    return MigrationsDirectory(app_settings.migrations_dir)


def resolve_tracking(
    conn: psycopg.Connection,
    *,
    framework: str | None = None,
    standard: bool = False,
    info: catalog.ServerInfo | None = None,
) -> Tracking:
    """The tracking table in use: the standard one, a requested framework's, or detected.

    ``info``, when the caller already read it, saves a query.
    """
    info = info or catalog.server_info(conn)
    return detection.resolve(
        conn,
        framework=STANDARD_FRAMEWORK if standard else framework or app_settings.FRAMEWORK,
        table=app_settings.TRACKING_TABLE,
        current_schema=info.current_schema,
    )


def status_of(conn: psycopg.Connection, tracking: Tracking) -> StatusReport:
    adapter = tracking.adapter
    migrations = adapter.discover(migrations_directory())
    records = adapter.read_records(conn, tracking.table, migrations) if tracking.exists else []
    return StatusReport(
        framework=adapter.name,
        tracking_table=tracking.table,
        detected_tables=tracking.detected,
        migrations=tuple(adapter.statuses(migrations, records)),
    )


def select_pending(report: StatusReport, names: Sequence[str] | None) -> list[MigrationStatus]:
    """The pending migrations named (all of them when ``names`` is None), in run order.

    Raises:
        UsageError: a name is repeated, unknown or not pending.
    """
    pending = report.pending
    if names is None:
        return pending
    repeated = [name for name, count in Counter(names).items() if count > 1]
    if repeated:
        raise UsageError(f"Migration {repeated[0]} is listed more than once.")
    by_name = {status.name: status for status in report.migrations}
    for name in names:
        status = by_name.get(validate_name(name, extensions=()))
        if status is None:
            raise UsageError(f"Unknown migration {name!r}.")
        if status.state is not State.PENDING:
            raise UsageError(f"Migration {name} is not pending (it is {status.state}).")
    wanted = set(names)
    return [status for status in pending if status.name in wanted]


def runner_for(conn: psycopg.Connection, progress: Progress | None = None) -> Runner:
    return Runner(
        conn,
        lock_key=int(app_settings.ADVISORY_LOCK_KEY),
        lock_wait=float(app_settings.LOCK_WAIT),
        progress=progress,
    )


def build_step(
    adapter: TrackingAdapter, tracking: Tracking, migration: Migration, direction: Direction
) -> Step:
    """The statements (parsed, so syntax errors surface before anything runs) and rows.

    Files the framework's own CLI executes (node-pg-migrate's ``.cjs``) become a step of it.
    """
    if migration.extension in adapter.cli_extensions:
        return node_step(adapter, tracking, migration, direction)
    if direction is Direction.UP:
        section = adapter.up_section(migration)
        tracking_sql = adapter.record(tracking.table, [migration])
    else:
        section = adapter.down_section(migration)
        if section is None:
            raise IrreversibleMigration(
                f"{migration.name} has no down section (-- Down Migration): "
                "it cannot be rolled back."
            )
        tracking_sql = adapter.unrecord(tracking.table, [migration])
    statements = parse_statements(section.text, first_line=section.first_line, name=migration.name)
    transactional = not adapter.runs_outside_transaction(migration)
    resumed = 0
    if not transactional and direction is Direction.UP:
        point = audit.resume_point(migration.name, statements)
        resumed = point.completed_statements if point else 0
    return Step(
        migration=migration,
        direction=direction,
        statements=tuple(statements),
        tracking=tuple(tracking_sql),
        transactional=transactional,
        resumed_from=resumed,
    )
