"""The audit log: who ran what against which target, and how it ended.

Written by the services for every command that means to change the target (up, down, redo, run,
mark-applied), whatever front-end called them. Each attempt leaves exactly one row: also one
refused before anything ran (another run holds the lock, a name is unknown...) or one that failed.

Once the target has changed, a write of the log that fails (Django's database locked or gone)
never turns the command's result into an error: the migration is applied whatever the log says,
so the error is logged and the result returned.
"""

from __future__ import annotations

import copy
import getpass
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models import QuerySet
from django.dispatch import Signal
from django.utils import timezone

from .analysis.statements import Statement, texts_hash
from .conf import target_name
from .exceptions import (
    ApprovalRequired,
    AuditUnavailable,
    GateRefused,
    IrreversibleMigration,
    LedgerUnreadable,
    LockNotAcquired,
    MigrationNotFound,
    MigrationsManagerError,
    PlanRefused,
    SQLSyntaxError,
    UnreadableMigration,
    UnsupportedMigration,
    UsageError,
)
from .models import MigrationEvent, MigrationRun
from .observability.signals import run_finished, run_started
from .types import Direction, Migration, RunReport, Step, StepAction

logger = logging.getLogger(__name__)

# Errors that refuse a request before anything ran; any other error ends an attempt as failed.
REFUSALS = (
    UsageError,
    LockNotAcquired,
    MigrationNotFound,
    UnsupportedMigration,
    UnreadableMigration,
    SQLSyntaxError,
    IrreversibleMigration,
    PlanRefused,
    LedgerUnreadable,
    GateRefused,
    ApprovalRequired,
)
MAX_STORED_NAME = 255  # a name longer than any file name is cut (it was refused anyway)
RETRY = "retry"  # the direction of an event for an attempt that is tried again


@dataclass(frozen=True)
class Actor:
    """Who asks: a Django user (admin, API) or the OS user of the command line."""

    name: str
    source: str = MigrationRun.Source.CLI
    user: Any = None
    address: str | None = None

    @classmethod
    def command_line(cls) -> Actor:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = "unknown"
        return cls(name=name, source=MigrationRun.Source.CLI)

    @classmethod
    def for_user(cls, user: Any, *, source: str, address: str | None = None) -> Actor:
        return cls(name=user.get_username(), source=source, user=user, address=address)


def start(
    actor: Actor,
    *,
    command: str,
    target: str,
    framework: str,
    tracking_table: str,
    files: Sequence[str],
    reason: str = "",
    overridden: Sequence[dict[str, Any]] = (),
    change_request_id: int | None = None,
) -> MigrationRun:
    return MigrationRun.objects.create(
        change_request_id=change_request_id,
        user=actor.user if getattr(actor.user, "pk", None) else None,
        actor=actor.name[:150],
        client_address=actor.address,
        source=actor.source,
        command=command,
        target=target[:255],
        target_name=target_name(),
        framework=framework[:40],
        tracking_table=tracking_table[:255],
        files=[storable(name)[:MAX_STORED_NAME] for name in files],
        reason=storable(reason),
        overridden=_storable_json(list(overridden)),
    )


@dataclass
class Attempt:
    """One command that means to change the target, and its row in the log.

    The services create it before anything can fail (``services.execution.audited``), open the
    row with ``begin`` once the plan is known, and close it with ``finish`` /
    ``unchanged``. An error that ends the attempt first goes to ``end_by``, which writes the row
    anyway (``refused`` or ``failed``, with the error): so every attempt leaves one row.
    """

    actor: Actor
    command: str
    target: str
    files: Sequence[str] = ()
    reason: str = ""
    framework: str = ""
    tracking_table: str = ""
    #: The safety gate's findings this attempt goes ahead despite (a reason, or warn mode).
    overridden: Sequence[dict[str, Any]] = ()
    #: The approved change request it executes, if any.
    change_request_id: int | None = None
    run: MigrationRun | None = field(default=None, repr=False)

    def begin(
        self, *, target: str, framework: str, tracking_table: str, files: Sequence[str]
    ) -> MigrationRun:
        """Write the row of a command about to change the target.

        Raises:
            AuditUnavailable: the log cannot be written; nothing may run unrecorded.
        """
        self.target, self.framework, self.tracking_table = target, framework, tracking_table
        self.files = files
        try:
            self.run = self._row()
        except DatabaseError as error:
            raise AuditUnavailable(
                f"The audit log cannot be written ({error}): nothing was run."
            ) from error
        return self.run

    def end_by(self, error: BaseException) -> None:
        """Close the attempt after ``error``: its open row, or a new one saying why."""
        try:
            with transaction.atomic():
                run = self.run or self._row()
                if run.outcome == MigrationRun.Outcome.RUNNING:
                    _close_after(run, error)
        except DatabaseError:
            logger.exception("Could not record in the audit log: %s ended by %r", self, error)

    def _row(self) -> MigrationRun:
        return start(
            self.actor,
            command=self.command,
            target=self.target,
            framework=self.framework,
            tracking_table=self.tracking_table,
            files=self.files,
            reason=self.reason,
            overridden=self.overridden,
            change_request_id=self.change_request_id,
        )


def finish(
    run: MigrationRun,
    report: RunReport,
    summary: str,
    *,
    target_key: str,
    cancelled: bool = False,
) -> None:
    """Close ``run`` with the report of its plan: one event per migration that ran or failed,
    keyed by ``target_key`` (server, database, tracking table) for resume points."""
    with _kept_going(run, "finish"):
        _write_events(run, report, target_key)
        if cancelled:
            run.outcome = MigrationRun.Outcome.CANCELLED
        else:
            succeeded = MigrationRun.Outcome.SUCCEEDED
            run.outcome = succeeded if report.ok else MigrationRun.Outcome.FAILED
        run.failure = _storable_json(report.failure.as_dict()) if report.failure else None
        run.progress = {}
        _close(run, summary)


def running(run: MigrationRun, backend_pid: int, backend_start: datetime | None) -> None:
    """The run's session on the target (its pid, and when it started: the pid alone may be
    another session's later), for whoever wants to follow or cancel it."""
    with _kept_going(run, "pid"):
        MigrationRun.objects.filter(pk=run.pk).update(
            backend_pid=backend_pid, backend_start=backend_start
        )
        _tell(run_started, run)


def at_migration(run: MigrationRun, name: str) -> None:
    """The migration the run is on now (its page and ``GET runs/{id}`` show it)."""
    with _kept_going(run, "progress"):
        progress = {"file": storable(name)[:MAX_STORED_NAME], "since": timezone.now().isoformat()}
        MigrationRun.objects.filter(pk=run.pk).update(progress=progress)


def cancel_requested(run: MigrationRun) -> bool:
    return MigrationRun.objects.filter(pk=run.pk, cancel_requested=True).exists()


def note_cancel(run: MigrationRun, actor: Actor) -> None:
    """Who cancelled the run (an event of it; the run ends ``cancelled``)."""
    with _kept_going(run, "cancel"):
        MigrationEvent.objects.create(
            run=run,
            name=storable((run.progress or {}).get("file", ""))[:MAX_STORED_NAME],
            direction="cancel",
            ok=False,
            error=storable(f"cancelled by {actor.name} ({actor.source})"),
        )


def _write_events(run: MigrationRun, report: RunReport, target_key: str) -> None:
    steps = {step.name: step for step in report.plan.steps}
    events = [
        MigrationEvent(
            run=run,
            name=r.name,
            direction=_event_direction(steps[r.name]),
            duration=r.duration,
            ok=r.ok,
            file_hash=steps[r.name].migration.sha256,
            target_key=target_key,
        )
        for r in report.completed
    ]
    failure = report.failure
    if failure is not None:
        failed = steps.get(failure.name)
        events.append(
            MigrationEvent(
                run=run,
                name=failure.name,
                direction=_event_direction(failed) if failed else "up",
                ok=False,
                error=failure.explanation,
                file_hash=failed.migration.sha256 if failed else "",
                target_key=target_key,
                completed_statements=failure.completed_statements,
                completed_hash=failure.completed_hash or "",
            )
        )
    MigrationEvent.objects.bulk_create(events)


def failed_attempt(
    run: MigrationRun, failure: Any, attempt: int, step: Step, *, target_key: str
) -> None:
    """One event for an attempt a lock timeout or a deadlock ended (it is tried again),
    naming what it waited for and what its cleanup did. Going up, it says which statements of
    a no-transaction step completed: a run that dies before its next attempt resumes there."""
    resumable = step.direction is Direction.UP and failure.completed_statements is not None
    with _kept_going(run, "attempt"):
        MigrationEvent.objects.create(
            run=run,
            name=storable(failure.name)[:MAX_STORED_NAME],
            direction=RETRY,
            ok=False,
            error=storable(
                " ".join(
                    filter(None, (f"attempt {attempt}:", failure.explanation, failure.cleanup))
                )
            ),
            file_hash=step.migration.sha256,
            target_key=target_key,
            completed_statements=failure.completed_statements if resumable else None,
            completed_hash=(failure.completed_hash or "") if resumable else "",
        )


def _event_direction(step: Step) -> str:
    return "mark" if step.action is StepAction.RECORD else str(step.direction)


def recorded_hashes(target_key: str, names: Sequence[str]) -> dict[str, str]:
    """The SHA-256 this tool recorded for each of ``names`` when it last applied or marked it
    on the target, while that is the last thing it did to it (rolled back since: none)."""
    latest: dict[str, str] = {}
    events = (
        MigrationEvent.objects.filter(target_key=target_key, name__in=names, ok=True)
        .order_by("id")
        .values_list("name", "direction", "file_hash")
    )
    for name, direction, file_hash in events:
        latest[name] = file_hash if direction in ("up", "mark") else ""
    return {name: file_hash for name, file_hash in latest.items() if file_hash}


def resume_point(target_key: str, migration: Migration, statements: Sequence[Statement]) -> int:
    """How many statements of ``migration`` an earlier run on this target completed before it
    failed: when the latest event of the migration on this target is that failure (or a failed
    attempt of it), going up (a failed down resumes nothing), the file is byte for byte the one
    that failed, and those statements still open it. 0 otherwise."""
    latest = (
        MigrationEvent.objects.filter(name=migration.name, target_key=target_key)
        .order_by("-id")
        .first()
    )
    resumable = ("up", RETRY)  # an attempt going up that a lock stopped is a failure too
    if latest is None or latest.ok or latest.direction not in resumable:
        return 0
    if not latest.completed_statements:
        return 0
    done = latest.completed_statements
    if (
        latest.file_hash != migration.sha256
        or done > len(statements)
        or texts_hash(statements[:done]) != latest.completed_hash
    ):
        return 0
    return done


def unchanged(run: MigrationRun, summary: str) -> None:
    """Close ``run``, a success that had nothing to change (already recorded): no event."""
    with _kept_going(run, "close"):
        run.outcome = MigrationRun.Outcome.SUCCEEDED
        _close(run, summary)


def _close_after(run: MigrationRun, error: BaseException) -> None:
    refused = isinstance(error, REFUSALS)
    run.outcome = MigrationRun.Outcome.REFUSED if refused else MigrationRun.Outcome.FAILED
    if isinstance(error, MigrationsManagerError):
        run.failure, summary = _storable_json(error.as_dict()), error.message
    else:  # a bug, or an interruption (Ctrl-C): what it was, for whoever reads the log
        summary = f"Interrupted by {type(error).__name__}: {error}".rstrip(": ")
        run.failure = {"error": storable(summary)}
    _close(run, summary)


@contextmanager
def _kept_going(run: MigrationRun, what: str) -> Iterator[None]:
    """Close ``run`` in one transaction; a database error is logged, never raised: the target
    changed already, and the caller's result must reach the user."""
    try:
        with transaction.atomic():
            yield
    except DatabaseError:
        logger.exception("Could not record the %s of run %s in the audit log", what, run.pk)


def storable(text: str) -> str:
    """``text`` as every database accepts it: NUL and lone surrogates, which PostgreSQL refuses
    in text and JSON, written as escapes (a hostile name is recorded, never a crash)."""
    clean = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return clean.replace("\x00", "\\x00")


def _storable_json(value: Any) -> Any:
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {key: _storable_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_storable_json(item) for item in value]
    return value


def history(
    *, outcome: str | None = None, actor: str | None = None, target: str | None = None
) -> QuerySet[MigrationRun]:
    """The audit log, newest first, with each run's events; optionally one outcome / one actor
    / one target."""
    runs = MigrationRun.objects.select_related("user").prefetch_related("events")
    if target:
        runs = runs.filter(target_name=target)
    if outcome:
        runs = runs.filter(outcome=outcome)
    if actor:
        runs = runs.filter(actor=actor)
    return runs


def _close(run: MigrationRun, summary: str) -> None:
    run.summary = storable(summary)
    run.finished_at = timezone.now()
    run.save(update_fields=["outcome", "failure", "summary", "finished_at", "progress"])
    _tell(run_finished, run)


def _tell(signal: Signal, run: MigrationRun) -> None:
    """Send ``signal`` once the row is committed (the log line, the webhooks): a receiver
    never sees a row that a rollback then removes, and never holds the run's transaction."""
    from .observability.receivers import send

    # A copy as it is now: inside an outer transaction, the callbacks run after the run
    # ended, and the started event must still say "running".
    snapshot = copy.copy(run)
    transaction.on_commit(lambda: send(signal, snapshot))
