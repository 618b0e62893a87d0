"""What every use-case shares: the directory, the tracking table in use, plans and the audit."""

from __future__ import annotations

from dataclasses import replace

import psycopg

from .. import audit, db
from ..analysis.statements import parse_statements
from ..conf import app_settings
from ..exceptions import IrreversibleMigration, MigrationsManagerError
from ..frameworks import detection
from ..frameworks.base import TrackingAdapter
from ..frameworks.detection import Tracking
from ..introspection import catalog
from ..runner import Progress, Runner
from ..sources import MigrationsDirectory
from ..types import Direction, Migration, Plan, RunReport, StatusReport, Step
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
    return Step(
        migration=migration,
        direction=direction,
        statements=tuple(statements),
        tracking=tuple(tracking_sql),
        transactional=not adapter.runs_outside_transaction(migration),
    )


def execute_audited(
    conn: psycopg.Connection,
    runner: Runner,
    plan: Plan,
    actor: audit.Actor,
    command: str,
    reason: str = "",
) -> RunReport:
    """Run ``plan`` between an audit row opened before and closed after."""
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
        if report.plan.single_transaction:
            outcome = "entire batch rolled back"
        elif kept:
            outcome = f"{kept} earlier migration(s) stay applied"
        else:
            outcome = "nothing was applied"
        return f'Migration "{report.failure.name}" failed — {outcome}.'
    if not report.plan.steps:
        return "No migrations to run."
    ups = sum(1 for r in report.completed if r.direction is Direction.UP)
    downs = len(report.completed) - ups
    parts = [f"Applied {ups} migration(s)"] if ups else []
    parts += [f"rolled back {downs} migration(s)"] if downs else []
    sentence = ", ".join(parts) + " successfully."
    return sentence[0].upper() + sentence[1:]
