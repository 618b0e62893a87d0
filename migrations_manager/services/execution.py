"""Running a plan for a use-case: the audit row around it, and the sentence that sums it up."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import psycopg

from .. import audit, db
from ..analysis.statements import Statement
from ..conf import app_settings
from ..exceptions import ConfigurationError
from ..executor import Executor, Progress, Retries, RunInterrupted
from ..models import MigrationRun
from ..types import (
    Direction,
    Failure,
    GateFinding,
    Migration,
    Plan,
    RunReport,
    SegmentMode,
    Step,
    StepAction,
)
from .common import ResumeLookup
from .safety import explain_lock_timeout
from .session import Session

LOCK_NOT_AVAILABLE = "55P03"  # lock_timeout ran out
CANCELED = "57014"  # query_canceled: pg_cancel_backend, or statement_timeout
PROGRESS_INTERVAL = 1.0  # seconds between two updates of a run's current migration


@contextmanager
def audited(
    actor: audit.Actor,
    command: str,
    *,
    files: Sequence[str] = (),
    reason: str = "",
    framework: str | None = None,
    change_request_id: int | None = None,
) -> Iterator[audit.Attempt]:
    """An attempt to change the target that leaves one audit row whatever happens in the block:
    the row the block opens (``Attempt.begin``), or one saying why it was refused or failed."""
    attempt = audit.Attempt(
        actor,
        command,
        _configured_target(),
        files,
        reason,
        framework=framework or "",
        change_request_id=change_request_id,
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
    current: Session,
    plan: Plan,
    attempt: audit.Attempt,
    progress: Progress | None = None,
    *,
    overridden: Sequence[GateFinding] = (),
    lock_retries: int | None = None,
) -> RunReport:
    """Execute ``plan`` on the session's connection, its audit row opened before (with what
    the safety gate found and a reason overrode), closed after.

    Args:
        lock_retries: how many times a lock timeout or a deadlock is retried (default: the
            ``LOCK_RETRIES`` setting); each failed attempt is an event of the run's log.
    """
    attempt.overridden = [dataclasses.asdict(finding) for finding in overridden]
    run = begin_audited(current, attempt, [step.name for step in plan.steps])
    audit.running(run, current.conn.info.backend_pid, current.info.backend_start)
    executor = Executor(
        current.conn,
        settings=current.settings,
        lock_key=current.lock_key,
        progress=_followed(run, progress),
        retries=_retries(current, run, lock_retries),
        cancelled=lambda: audit.cancel_requested(run),
    )
    try:
        report = executor.execute(plan)
    except RunInterrupted as interrupted:
        # What committed before the interruption is recorded (a resume point included), then
        # the interruption goes on as it came.
        audit.finish(
            run, interrupted.report, summarize(interrupted.report), target_key=current.target_key
        )
        raise interrupted.original from None
    failure = report.failure
    if failure is not None and failure.sqlstate == LOCK_NOT_AVAILABLE:
        report = replace(report, failure=explain_lock_timeout(current.conn, failure))
    cancelled = failure is not None and failure.sqlstate == CANCELED and audit.cancel_requested(run)
    if cancelled:
        report = replace(report, failure=report.failure.explained("The run was cancelled."))
    report = replace(report, run_id=run.pk)
    audit.finish(run, report, summarize(report), target_key=current.target_key, cancelled=cancelled)
    return report


def _followed(run: MigrationRun, progress: Progress | None) -> Progress:
    """``progress``, and the run's log row told which migration it is on (at most once a
    second: a batch of a thousand quick files writes a handful of rows, not a thousand)."""
    last = [0.0]

    def follow(event: str, step: Step, detail: dict[str, Any]) -> None:
        if event == "start" and time.monotonic() - last[0] >= PROGRESS_INTERVAL:
            last[0] = time.monotonic()
            audit.at_migration(run, step.name)
        if progress is not None:
            progress(event, step, detail)

    return follow


def _retries(current: Session, run: MigrationRun, count: int | None) -> Retries:
    def explain(failure: Failure) -> Failure:
        if failure.sqlstate != LOCK_NOT_AVAILABLE:
            return failure
        return explain_lock_timeout(current.conn, failure)

    def record(failure: Failure, attempt: int, step: Step) -> None:
        audit.failed_attempt(run, failure, attempt, step, target_key=current.target_key)

    return Retries(
        count=int(app_settings.LOCK_RETRIES if count is None else count),
        backoff=float(app_settings.LOCK_RETRY_BACKOFF),
        explain=explain,
        record=record,
    )


def begin_audited(current: Session, attempt: audit.Attempt, files: Sequence[str]) -> MigrationRun:
    """Open the audit row of ``attempt``, about to change the session's target."""
    return attempt.begin(
        target=db.describe(current.conn.info.dsn),
        framework=current.tracking.adapter.name,
        tracking_table=str(current.tracking.table),
        files=files,
    )


def resume_lookup(current: Session) -> ResumeLookup:
    """Where each no-transaction migration resumes on the session's target (0: the start)."""

    def lookup(migration: Migration, statements: Sequence[Statement]) -> int:
        return audit.resume_point(current.target_key, migration, statements)

    return lookup


def summarize(report: RunReport) -> str:
    """One sentence for the whole run, as the API's ``summary`` and the command's last line."""
    failure = report.failure
    if failure is not None:
        return f'Migration "{failure.name}" failed — {_what_stays(report, failure)}.'
    if not report.plan.steps:
        return "No migrations to run."
    if _records_only(report.plan):
        names = ", ".join(step.name for step in report.plan.steps)
        return f"Recorded {names} as applied without running it."
    ups = sum(1 for r in report.completed if r.direction is Direction.UP)
    downs = len(report.completed) - ups
    parts = [f"Applied {ups} migration(s)"] if ups else []
    parts += [f"rolled back {downs} migration(s)"] if downs else []
    sentence = ", ".join(parts) + " successfully."
    return sentence[0].upper() + sentence[1:]


def _what_stays(report: RunReport, failure: Failure) -> str:
    if failure.outcome_unknown:
        return "whether its transaction committed is unknown: check the status"
    if report.plan.atomic:
        return "entire batch rolled back"
    index = report.failed_segment or 0
    segment = report.plan.segments[index]
    kept = f"{len(failure.kept)} earlier migration(s) stay applied" if failure.kept else ""
    if segment.mode is SegmentMode.ATOMIC:
        undone = f"its transaction was rolled back ({', '.join(segment.names)})"
    elif segment.mode is SegmentMode.EXTERNAL:
        undone = ""  # its program's own transaction: what stays of it is the program's to say
    elif failure.completed_statements:
        undone = f"{failure.completed_statements} of its statements stay (no transaction)"
    else:
        undone = "nothing of it was applied"
    return "; ".join(part for part in (undone, kept) if part) or "nothing was applied"


def _records_only(plan: Plan) -> bool:
    return bool(plan.steps) and all(step.action is StepAction.RECORD for step in plan.steps)
