"""Running a plan for a use-case: the audit row around it, and the sentence that sums it up."""

from __future__ import annotations

from dataclasses import replace

import psycopg

from .. import audit, db
from ..exceptions import MigrationsManagerError
from ..runner import Runner
from ..types import Direction, Plan, RunReport
from .check import explain_lock_timeout

LOCK_NOT_AVAILABLE = "55P03"  # lock_timeout ran out


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
        if report.failure is not None and report.failure.sqlstate == LOCK_NOT_AVAILABLE:
            explain_lock_timeout(conn, report.failure)
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
