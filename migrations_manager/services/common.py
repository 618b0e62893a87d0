"""What every use-case shares: the directory, the tracking table in use, plans and the audit."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace

import psycopg

from .. import audit, db
from ..analysis.statements import Statement, parse_statements
from ..conf import app_settings
from ..exceptions import IrreversibleMigration, UsageError
from ..frameworks import detection
from ..frameworks.base import TrackingAdapter
from ..frameworks.choice import choose_by_files
from ..frameworks.detection import DEFAULT_FRAMEWORK, Tracking
from ..frameworks.project_config import configured_ledgers
from ..introspection import catalog
from ..planning import shape
from ..sources import MigrationsDirectory, validate_name
from ..types import (
    Direction,
    GateFinding,
    Migration,
    MigrationStatus,
    Section,
    State,
    StatusReport,
    StatusWarning,
    Step,
    StepAction,
    TableRef,
)


def migrations_directory() -> MigrationsDirectory:
    return MigrationsDirectory(app_settings.migrations_dir)


def resolve_tracking(
    conn: psycopg.Connection,
    *,
    framework: str | None = None,
    standard: bool = False,
    info: catalog.ServerInfo | None = None,
) -> Tracking:
    """The tracking table in use: the standard one, a requested framework's, or detected
    (of several ledgers, the one the directory's files designate: ``frameworks.choice``).

    ``info``, when the caller already read it, saves a query.
    """
    info = info or catalog.server_info(conn)
    pinned = DEFAULT_FRAMEWORK if standard else framework or app_settings.FRAMEWORK
    directory = migrations_directory()
    tracking = detection.resolve(
        conn,
        framework=pinned,
        table=app_settings.TRACKING_TABLE,
        current_schema=info.current_schema,
        configured=() if standard else configured_ledgers(directory.root),
    )
    if pinned or app_settings.TRACKING_TABLE:
        return tracking
    return choose_by_files(conn, tracking, directory)


def target_key(conn: psycopg.Connection, info: catalog.ServerInfo, tracking: Tracking) -> str:
    """The name of a tracking table's target under which the audit keeps what ran there
    (resume points, the hashes of the files applied)."""
    server = catalog.system_identifier(conn) or db.describe(conn.info.dsn)
    return f"{server}/{info.database}/{tracking.table}"


def status_of(conn: psycopg.Connection, tracking: Tracking) -> StatusReport:
    adapter = tracking.adapter
    directory = migrations_directory()
    migrations = adapter.discover(directory)
    records = adapter.read_records(conn, tracking.table, migrations) if tracking.exists else []
    statuses = adapter.statuses(migrations, records)
    return StatusReport(
        framework=adapter.name,
        tracking_table=tracking.table,
        detected_tables=tracking.detected,
        migrations=compared(statuses, conn, tracking),
        warnings=status_warnings(
            tracking, directory, has_files=bool(migrations), rows=len(records)
        ),
        reason=tracking.reason,
    )


def compared(
    statuses: Sequence[MigrationStatus], conn: psycopg.Connection, tracking: Tracking
) -> tuple[MigrationStatus, ...]:
    """``statuses``, each applied file with what it was compared with; where the ledger keeps
    no checksum, a file this tool applied or marked on this target is ``modified`` when its
    SHA-256 differs from the one the audit recorded then (``stored_hash`` carries that one)."""
    unchecked = [s.name for s in statuses if s.state is State.APPLIED and s.stored_hash is None]
    key = target_key(conn, catalog.server_info(conn), tracking) if unchecked else ""
    recorded = audit.recorded_hashes(key, unchecked) if unchecked else {}
    return tuple(_compared(status, recorded.get(status.name)) for status in statuses)


def _compared(status: MigrationStatus, recorded: str | None) -> MigrationStatus:
    if status.migration is None or status.state not in (State.APPLIED, State.MODIFIED):
        return status
    if status.stored_hash is not None or status.state is State.MODIFIED:
        return replace(status, compared_with="framework")
    if recorded is None:
        return replace(status, compared_with="unavailable")
    if recorded == status.file_hash:
        return replace(status, compared_with="recorded")
    return replace(
        status,
        state=State.MODIFIED,
        stored_hash=recorded,
        compared_with="recorded",
        detail=status.detail
        or f"{status.name} changed since this tool applied it (its SHA-256 then: {recorded})",
    )


def status_warnings(
    tracking: Tracking, directory: MigrationsDirectory, *, has_files: bool, rows: int
) -> tuple[StatusWarning, ...]:
    warnings = [StatusWarning("unknown-ledger", unknown_ledger(ref)) for ref in tracking.unknown]
    if tracking.ambiguous:
        warnings.append(StatusWarning("ambiguous-ledger", ambiguous_ledgers(tracking)))
    if rows and not has_files:
        warnings.append(
            StatusWarning(
                "no-migrations",
                f"No {tracking.adapter.label} migrations found in {directory.root}; the "
                f"tracking table {tracking.table} has {rows} rows: is TRUSS_MIGRATIONS_DIR "
                "(MIGRATIONS_MANAGER['MIGRATIONS_DIR']) right?",
            )
        )
    return tuple(warnings)


def ambiguous_ledgers(tracking: Tracking) -> str:
    tables = ", ".join(f"{d.schema}.{d.table} ({d.framework})" for d in tracking.ambiguous)
    return (
        f"Several tracking tables fit the migrations directory equally: {tables}. The status "
        f"shows {tracking.table} ({tracking.adapter.label}); runs and marks are refused until "
        "the framework is named (TRUSS_FRAMEWORK and TRUSS_TRACKING_TABLE, --framework, "
        "?framework=)."
    )


def unknown_ledger(ref: TableRef) -> str:
    return (
        f"{ref} looks like the tracking table of a framework this tool does not read, and no "
        "known one was found: every file reads as pending, and running them would apply them "
        "again. Runs and marks are refused until the framework is named (TRUSS_FRAMEWORK and "
        "TRUSS_TRACKING_TABLE, --framework, ?framework=)."
    )


def ledger_findings(adapter: TrackingAdapter, report: StatusReport) -> list[GateFinding]:
    """What the framework records as failed or dirty, where it refuses to run past that itself
    (the safety gate refuses too)."""
    if not adapter.failure_blocks:
        return []
    repair = f"`{adapter.repair_command}`" if adapter.repair_command else "its own tools"
    return [
        GateFinding(
            "ledger",
            f"{adapter.label} records {status.name} as failed"
            + (f" ({status.detail})" if status.detail else "")
            + f": {adapter.label} itself refuses to run until it is repaired.",
            status.name,
            hint=f"Repair the database by hand, then the tracking table {report.tracking_table} "
            f"with {repair}, and run again.",
        )
        for status in report.migrations
        if status.state is State.FAILED
    ]


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


#: How many statements of a no-transaction migration an earlier failed run completed on this
#: target (0: none, start at the first).
ResumeLookup = Callable[[Migration, Sequence[Statement]], int]


def no_resume(migration: Migration, statements: Sequence[Statement]) -> int:
    return 0


def build_step(
    adapter: TrackingAdapter,
    tracking: Tracking,
    migration: Migration,
    direction: Direction,
    *,
    resume: ResumeLookup = no_resume,
    describe: bool = False,
) -> Step:
    """The step of ``migration``: its statements (parsed, so a syntax error surfaces before
    anything runs, and shaped: a self-wrapping BEGIN … COMMIT absorbed, other transaction
    control refused) and whether it can run in a transaction.

    A file node-pg-migrate's CLI executes (``.cjs``) becomes an external step; ``describe``
    adds the SQL of its read-only dry run (for a dry run, a preview or a confirmation page: a
    run itself never executes a migration's code twice).
    """
    if migration.extension in adapter.cli_extensions:
        earlier = _earlier_javascript(adapter, migration) if describe else None
        from .node import node_step  # the node-pg-migrate runner: only for a .cjs file

        return node_step(adapter, tracking, migration, direction, describe=earlier)
    section = (
        adapter.up_section(migration) if direction is Direction.UP else _down(adapter, migration)
    )
    parsed = parse_statements(section.text, first_line=section.first_line, name=migration.name)
    shaped = shape(parsed, migration.name)
    transactional = shaped.wrapped or not (
        adapter.runs_outside_transaction(migration)
        or any(statement.no_transaction for statement in shaped.statements)
    )
    resumed = 0
    if not transactional and direction is Direction.UP:
        resumed = resume(migration, shaped.statements)
    return Step(
        migration=migration,
        direction=direction,
        statements=shaped.statements,
        transactional=transactional,
        resumed_from=resumed,
        absorbed=shaped.absorbed,
        first_line=section.first_line,
    )


def _earlier_javascript(adapter: TrackingAdapter, migration: Migration) -> list[Migration]:
    return [
        m
        for m in adapter.discover(migrations_directory())
        if m.extension in adapter.cli_extensions and m.sort_key < migration.sort_key
    ]


def record_step(migration: Migration) -> Step:
    """The step that records ``migration`` as applied without running it (mark-applied)."""
    return Step(migration, Direction.UP, (), action=StepAction.RECORD)


def _down(adapter: TrackingAdapter, migration: Migration) -> Section:
    section = adapter.down_section(migration)
    if section is None:
        raise IrreversibleMigration(
            f"{migration.name} has no down section (-- Down Migration): it cannot be rolled back."
        )
    return section
