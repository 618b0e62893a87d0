"""Idempotent mode: run pending migrations in one transaction, or mark them applied, writing
the rows the framework that owns the tracking table would write itself."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import psycopg

from .. import audit, db
from ..exceptions import MigrationFailed, MigrationNotFound, UnsafeRun, UsageError
from ..frameworks.detection import Tracking
from ..models import MigrationRun
from ..runner import Progress, render
from ..sources import validate_name
from ..types import Direction, MigrationStatus, Plan, RunReport, State, StatusReport, Step
from .check import check
from .common import build_step, resolve_tracking, runner_for, select_pending, status_of
from .execution import audited, execute_audited

RECORDED = (State.APPLIED, State.MODIFIED)


@dataclass(frozen=True)
class MarkResult:
    """The answer of ``mark_applied``; ``written`` is False when it was already recorded."""

    ok: bool
    migration: str
    framework: str
    tracking_table: str
    message: str
    written: bool


def plan_run(names: Sequence[str] | None = None, *, framework: str | None = None) -> RunReport:
    """What ``run_pending`` would do, without doing it: the plan and its exact SQL."""
    with db.connection(read_only=True, application_suffix=":plan") as conn:
        tracking = resolve_tracking(conn, framework=framework)
        plan = _run_plan(conn, tracking, names)
        return RunReport(plan, (), dry_run=True, sql_text=render(plan, conn))


def run_pending(
    names: Sequence[str] | None = None,
    *,
    actor: audit.Actor,
    framework: str | None = None,
    reason: str = "",
    progress: Progress | None = None,
    unsafe_needs_reason: bool = False,
) -> RunReport:
    """Run the pending migrations (all, or ``names``) in ONE transaction with their rows.

    A failure rolls the whole batch back and is reported in ``RunReport.failure``. A file that
    must run outside a transaction (``-- truss:no-transaction``) is only accepted alone.

    Args:
        unsafe_needs_reason: check the files' safety first (``check``); when it is not safe,
            run only with a ``reason``, which the audit log keeps.

    Raises:
        UnsafeRun: ``unsafe_needs_reason``, no reason, and the check is not safe (nothing ran).
        LockNotAcquired: another run holds the lock (nothing ran).
        UsageError: names unknown, not pending, repeated, or not expressible by the framework.
        UnsupportedMigration / SQLSyntaxError: a file cannot run; found before anything ran.
    """
    with audited(actor, "run", files=names or (), reason=reason, framework=framework) as attempt:
        if unsafe_needs_reason and not reason.strip():
            report = check(names, framework=framework)
            if not report.safe:
                raise UnsafeRun(report)
        with db.connection(application_suffix=":run") as conn:
            tracking = resolve_tracking(conn, framework=framework)
            runner = runner_for(conn, progress)
            with runner.locked():
                plan = _run_plan(conn, tracking, names)
                return execute_audited(conn, runner, plan, attempt)


def _run_plan(conn: psycopg.Connection, tracking: Tracking, names: Sequence[str] | None) -> Plan:
    report = status_of(conn, tracking)
    chosen = select_pending(report, names)
    adapter = tracking.adapter
    migrations = [status.migration for status in chosen]
    adapter.check_record(report.migrations, migrations)
    steps = tuple(build_step(adapter, tracking, m, Direction.UP) for m in migrations)
    setup = () if tracking.exists else tuple(adapter.create_table(tracking.table))
    if steps and all(step.external is not None for step in steps):
        # node-pg-migrate executes each .cjs file and writes its row in its own transaction.
        return Plan(steps, adapter.name, tracking.table, setup=setup)
    _refuse_mixed_batch(steps)
    steps = tuple(_without_step_tracking(step) for step in steps)
    outside = [step.migration.name for step in steps if not step.transactional]
    return Plan(
        steps,
        adapter.name,
        tracking.table,
        single_transaction=not outside,
        setup=setup,
        finish=tuple(adapter.record(tracking.table, migrations)) if migrations else (),
    )


def _refuse_mixed_batch(steps: Sequence[Step]) -> None:
    """A batch is one transaction: what cannot join it must be run on its own."""
    external = [step.migration.name for step in steps if step.external is not None]
    if external:
        raise UsageError(
            f"{external[0]} runs through node-pg-migrate, in its own transaction: run the "
            ".cjs/.js migrations apart from the .sql ones (or use `pgmigrate up`)."
        )
    outside = [step.migration.name for step in steps if not step.transactional]
    if outside and len(steps) > 1:
        raise UsageError(
            f"{outside[0]} must run outside a transaction (-- truss:no-transaction), so it runs "
            f'alone: run {{"migrations": ["{outside[0]}"]}} by itself, then the others.'
        )


def _without_step_tracking(step: Step) -> Step:
    """Rows are written once for the batch (``Plan.finish``): batch numbers and single-version
    frameworks need to see the whole batch."""
    return replace(step, tracking=())


def mark_applied(name: str, *, actor: audit.Actor, framework: str | None = None) -> MarkResult:
    """Record ``name`` as applied in the framework's own format, without running it.

    Already recorded: a success that writes nothing. Recorded as failed, or not expressible by
    the framework (e.g. out of order where it keeps one current version): ``UsageError``.

    Raises:
        InvalidMigrationName / MigrationNotFound: the name is malformed / has no file.
    """
    with audited(actor, "mark-applied", files=[name], framework=framework) as attempt:
        validate_name(name, extensions=())
        with db.connection(application_suffix=":mark") as conn:
            tracking = resolve_tracking(conn, framework=framework)
            runner = runner_for(conn)
            with runner.locked():
                report = status_of(conn, tracking)
                status = _status_named(report, name)
                if status.state in RECORDED:
                    result = _mark_result(tracking, name, written=False)
                    audit.unchanged(_begin_mark(attempt, conn, tracking), result.message)
                    return result
                _check_markable(status)
                _record(conn, tracking, report, status, attempt)
                return _mark_result(tracking, name, written=True)


def _status_named(report: StatusReport, name: str) -> MigrationStatus:
    for status in report.migrations:
        if status.name == name and status.migration is not None:
            return status
    raise MigrationNotFound(f"No migration file named {name!r}.")


def _check_markable(status: MigrationStatus) -> None:
    if status.state is State.FAILED:
        raise UsageError(
            f"{status.name} is recorded as failed; repair the tracking table with the "
            "framework's own tool before marking it applied."
        )


def _record(
    conn: psycopg.Connection,
    tracking: Tracking,
    report: StatusReport,
    status: MigrationStatus,
    attempt: audit.Attempt,
) -> None:
    adapter = tracking.adapter
    adapter.check_record(report.migrations, [status.migration])
    statements = [
        *(() if tracking.exists else adapter.create_table(tracking.table)),
        *adapter.record_marked(tracking.table, [status.migration]),
    ]
    run = _begin_mark(attempt, conn, tracking)
    try:
        with conn.transaction():
            for statement in statements:
                conn.execute(statement)
    except psycopg.Error as error:
        raise MigrationFailed(
            name=status.name,
            error=f"writing the tracking row failed: {error}",
            statement=statement.as_string(conn),
            line=None,
            column=None,
            sqlstate=error.sqlstate,
        ) from error
    audit.marked(run, status.name)


def _begin_mark(
    attempt: audit.Attempt, conn: psycopg.Connection, tracking: Tracking
) -> MigrationRun:
    return attempt.begin(
        target=db.describe(conn.info.dsn),
        framework=tracking.adapter.name,
        tracking_table=str(tracking.table),
        files=attempt.files,
    )


def _mark_result(tracking: Tracking, name: str, *, written: bool) -> MarkResult:
    table = str(tracking.table)
    if written:
        message = f"Recorded {name} as applied in {table} ({tracking.adapter.label}); nothing ran."
    else:
        message = f"{name} is already recorded as applied in {table}; nothing was written."
    return MarkResult(True, name, tracking.adapter.name, table, message, written)
