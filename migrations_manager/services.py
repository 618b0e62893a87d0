"""The use-cases of the migrations manager: the only API the admin, REST and command call.

Each function opens what it needs (the migrations directory, a target connection), calls the
layers below (sources, frameworks, analysis, runner) and returns a dataclass from ``types``.
Errors are ``exceptions.MigrationsManagerError`` subclasses; front-ends map them.

    from migrations_manager import services
    from migrations_manager.audit import Actor

    report = services.migrate_up(2, actor=Actor.command_line())
    report.ok, [step.name for step in report.completed]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import psycopg

from . import audit, db
from .analysis.statements import parse_statements
from .conf import app_settings
from .exceptions import IrreversibleMigration, MigrationsManagerError, UsageError
from .frameworks import detection, registry
from .frameworks.base import TrackingAdapter
from .frameworks.detection import Tracking
from .introspection import catalog
from .runner import Progress, Runner, render
from .sources import MigrationsDirectory, read_text, runs_outside_transaction
from .types import Direction, Migration, Plan, RunReport, State, StatusReport, Step

STANDARD_FRAMEWORK = "node-pg-migrate"


def migrations_directory() -> MigrationsDirectory:
    return MigrationsDirectory(app_settings.migrations_dir)


# ---- create -----------------------------------------------------------------------------------


def create_migration(name: str, *, cjs: bool = False) -> Path:
    """Write ``<ms timestamp>_<name>.sql`` (or ``.cjs``) from node-pg-migrate's template."""
    return migrations_directory().create(name, extension=".cjs" if cjs else ".sql")


# ---- status -----------------------------------------------------------------------------------


def status(*, framework: str | None = None) -> StatusReport:
    """Every migration's state against the tracking table in use (detected or pinned)."""
    with db.connection(read_only=True, application_suffix=":status") as conn:
        tracking = _tracking(conn, framework=framework)
        return _status(conn, tracking)


def _tracking(
    conn: psycopg.Connection, *, framework: str | None = None, standard: bool = False
) -> Tracking:
    info = catalog.server_info(conn)
    return detection.resolve(
        conn,
        framework=STANDARD_FRAMEWORK if standard else framework or app_settings.FRAMEWORK,
        table=app_settings.TRACKING_TABLE,
        current_schema=info.current_schema,
    )


def _status(conn: psycopg.Connection, tracking: Tracking) -> StatusReport:
    adapter = tracking.adapter
    migrations = adapter.discover(migrations_directory())
    records = adapter.read_records(conn, tracking.table, migrations) if tracking.exists else []
    return StatusReport(
        framework=adapter.name,
        tracking_table=tracking.table,
        detected_tables=tracking.detected,
        migrations=tuple(adapter.statuses(migrations, records)),
    )


# ---- standard mode: up / down / redo ----------------------------------------------------------


def migrate_up(
    target: int | str | None = None,
    *,
    actor: audit.Actor,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> RunReport:
    """Apply pending migrations in name order, each in its own transaction with its row.

    Args:
        target: ``None`` for all pending, a count, or the name of the last one to apply.
    """
    return _standard_run(
        "up", actor, dry_run, progress, lambda report, adapter: _up_selection(report, target)
    )


def migrate_down(
    count: int = 1, *, actor: audit.Actor, dry_run: bool = False, progress: Progress | None = None
) -> RunReport:
    """Roll back the last ``count`` applied migrations with their down sections."""
    return _standard_run(
        "down", actor, dry_run, progress, lambda report, adapter: _down_selection(report, count)
    )


def redo(
    count: int = 1, *, actor: audit.Actor, dry_run: bool = False, progress: Progress | None = None
) -> RunReport:
    """Roll back the last ``count`` applied migrations, then apply them again."""

    def select(report: StatusReport, adapter: TrackingAdapter) -> list[tuple[Migration, Direction]]:
        downs = _down_selection(report, count)
        return downs + [(migration, Direction.UP) for migration, _ in reversed(downs)]

    return _standard_run("redo", actor, dry_run, progress, select)


Selection = Callable[[StatusReport, TrackingAdapter], list[tuple[Migration, Direction]]]


def _standard_run(
    command: str, actor: audit.Actor, dry_run: bool, progress: Progress | None, select: Selection
) -> RunReport:
    with db.connection(application_suffix=f":{command}") as conn:
        tracking = _tracking(conn, standard=True)
        runner = Runner(
            conn,
            lock_key=int(app_settings.ADVISORY_LOCK_KEY),
            lock_wait=float(app_settings.LOCK_WAIT),
            progress=progress,
        )
        if dry_run:
            plan = _standard_plan(conn, tracking, select)
            return RunReport(plan, (), dry_run=True, sql_text=render(plan, conn))
        with runner.locked():
            plan = _standard_plan(conn, tracking, select)
            return _execute_audited(conn, runner, plan, actor, command)


def _standard_plan(conn: psycopg.Connection, tracking: Tracking, select: Selection) -> Plan:
    report = _status(conn, tracking)
    _check_standard_history(report)
    adapter = tracking.adapter
    steps = tuple(
        _step(adapter, tracking, migration, direction)
        for migration, direction in select(report, adapter)
    )
    setup = () if tracking.exists else tuple(adapter.create_table(tracking.table))
    return Plan(steps, adapter.name, tracking.table, setup=setup)


def _check_standard_history(report: StatusReport) -> None:
    """Refuse what node-pg-migrate refuses: a missing file, or a pending one before an applied."""
    orphaned = [s.name for s in report.migrations if s.state is State.ORPHANED]
    if orphaned:
        raise UsageError(
            f"Migration {orphaned[0]} is recorded as applied but its file is missing from "
            f"{app_settings.migrations_dir}."
        )
    seen_pending = None
    for status in report.migrations:
        if status.state is State.PENDING:
            seen_pending = seen_pending or status.name
        elif seen_pending:
            raise UsageError(
                f"Not run migration {seen_pending} is preceding already run migration "
                f"{status.name}: node-pg-migrate refuses this order too."
            )


def _up_selection(
    report: StatusReport, target: int | str | None
) -> list[tuple[Migration, Direction]]:
    pending = [s.migration for s in report.pending]
    if target is None:
        chosen = pending
    elif isinstance(target, int):
        if target < 1:
            raise UsageError("The number of migrations to run must be at least 1.")
        chosen = pending[:target]
    else:
        names = [m.name for m in pending]
        index = _index_of(target, pending)
        if index is None:
            raise UsageError(
                f"{target} is not a pending migration (pending: {', '.join(names) or 'none'})."
            )
        chosen = pending[: index + 1]
    return [(migration, Direction.UP) for migration in chosen]


def _index_of(name: str, migrations: Sequence[Migration]) -> int | None:
    for index, migration in enumerate(migrations):
        if name in (migration.name, migration.identifier):
            return index
    return None


def _down_selection(report: StatusReport, count: int) -> list[tuple[Migration, Direction]]:
    if count < 1:
        raise UsageError("The number of migrations to roll back must be at least 1.")
    # The standard history is a prefix of the files in name order (checked before), so the
    # last applied files are the last ones node-pg-migrate ran.
    applied = [s for s in report.migrations if s.state in (State.APPLIED, State.MODIFIED)]
    return [(status.migration, Direction.DOWN) for status in reversed(applied[-count:])]


def _step(
    adapter: TrackingAdapter, tracking: Tracking, migration: Migration, direction: Direction
) -> Step:
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
    return Step(
        migration=migration,
        direction=direction,
        statements=tuple(statements),
        tracking=tuple(tracking_sql),
        transactional=not runs_outside_transaction(read_text(migration.path)),
    )


def _execute_audited(
    conn: psycopg.Connection,
    runner: Runner,
    plan: Plan,
    actor: audit.Actor,
    command: str,
    reason: str = "",
) -> RunReport:
    run = audit.start(
        actor,
        command=command,
        target=db.describe(conn.info.dsn),
        framework=plan.framework,
        tracking_table=str(plan.tracking_table),
        files=[step.migration.name for step in plan.steps],
        reason=reason,
    )
    try:
        report = runner.execute(plan)
    except MigrationsManagerError as error:
        audit.fail(run, error)
        raise
    report = replace(report, run_id=run.pk)
    audit.finish(run, report, summarize(report))
    return report


def summarize(report: RunReport) -> str:
    """One sentence for the whole run, as the API's ``summary`` and the command's last line."""
    if report.failure is not None:
        kept = len(report.completed)
        rolled_back = (
            "entire batch rolled back"
            if report.plan.single_transaction
            else f"{kept} earlier migration(s) stay applied"
            if kept
            else "nothing was applied"
        )
        return f'Migration "{report.failure.name}" failed — {rolled_back}.'
    if not report.plan.steps:
        return "No migrations to run."
    ups = sum(1 for r in report.completed if r.direction is Direction.UP)
    downs = len(report.completed) - ups
    parts = [f"Applied {ups} migration(s)"] if ups else []
    parts += [f"rolled back {downs} migration(s)"] if downs else []
    sentence = ", ".join(parts) + " successfully."
    return sentence[0].upper() + sentence[1:]


__all__ = [
    "create_migration",
    "migrate_down",
    "migrate_up",
    "migrations_directory",
    "redo",
    "registry",
    "status",
    "summarize",
]
