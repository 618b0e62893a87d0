"""Running a plan for a use-case: the audit row around it, and the sentence that sums it up."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace

import psycopg

from .. import audit, db
from ..exceptions import ConfigurationError
from ..runner import Runner
from ..types import Direction, Plan, RunReport
from .check import explain_lock_timeout

LOCK_NOT_AVAILABLE = "55P03"  # lock_timeout ran out


@contextmanager
def audited(
    actor: audit.Actor,
    command: str,
    *,
    files: Sequence[str] = (),
    reason: str = "",
    framework: str | None = None,
) -> Iterator[audit.Attempt]:
    """An attempt to change the target that leaves one audit row whatever happens in the block:
    the row the block opens (``Attempt.begin``), or one saying why it was refused or failed."""
    attempt = audit.Attempt(
        actor, command, _configured_target(), files, reason, framework=framework or ""
    )
    try:
        yield attempt
    except BaseException as error:  # recorded, then raised as it was
        attempt.end_by(error)
        raise


def _configured_target() -> str:
    """The target for the log before any connection: what the settings name, if anything."""
    try:
        return db.describe(db.target_url())
    except (ConfigurationError, psycopg.ProgrammingError):
        return ""


def execute_audited(
    conn: psycopg.Connection, runner: Runner, plan: Plan, attempt: audit.Attempt
) -> RunReport:
    """Run ``plan`` in ``attempt``: its audit row opened before, closed after."""
    run = attempt.begin(
        target=db.describe(conn.info.dsn),
        framework=plan.framework,
        tracking_table=str(plan.tracking_table),
        files=[step.migration.name for step in plan.steps],
    )
    report = runner.execute(plan)
    if report.failure is not None and report.failure.sqlstate == LOCK_NOT_AVAILABLE:
        explain_lock_timeout(conn, report.failure)
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
