"""Live control of a run: where it is, cancelling it, and ending a session in its way.

    services.run_progress(42)                  # the run's file, its statement, an index's phase
    services.cancel_run(42, actor=actor)       # its statement cancelled, its segment rolled back
    services.terminate_session(4242, actor=actor, reason="INC-7: idle since lunch")

A run records its session's pid and the migration it is on; what that session does now (its
statement, how long, the phase and blocks of a CREATE INDEX) is read live from the server. Only
a session the safety check lists as blocking the pending migrations can be ended from here, and
only with a reason; every cancel and every ending is in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from .. import audit, db, targets
from ..conf import app_settings
from ..exceptions import MigrationNotFound, UsageError
from ..introspection.activity import (
    SessionProgress,
    cancel_backend,
    session_progress,
    terminate_backend,
)
from ..models import MigrationRun
from ..types import Blocker
from .execution import audited
from .gate import is_reason
from .safety import blocker_sentence, check


@dataclass(frozen=True)
class RunProgress:
    """A run as its log row says and, while it runs, what its session does on the server."""

    run_id: int
    command: str
    outcome: str
    files: tuple[str, ...]
    current: str | None
    started_at: datetime
    summary: str
    live: SessionProgress | None = None

    @property
    def running(self) -> bool:
        return self.outcome == MigrationRun.Outcome.RUNNING


@dataclass(frozen=True)
class Termination:
    """A session ended because it blocked the pending migrations."""

    pid: int
    blocker: Blocker
    terminated: bool
    message: str


def run_progress(run_id: int) -> RunProgress:
    """The run ``run_id``: its outcome and, while it runs, its file and live statement.

    Raises:
        MigrationNotFound: no run has this id.
    """
    run = _run(run_id)
    live = None
    if run.outcome == MigrationRun.Outcome.RUNNING and run.backend_pid:
        with targets.using(run.target_name):  # the session is on the run's own target
            live = live_session(run.backend_pid, run.backend_start)
    return RunProgress(
        run.pk,
        run.command,
        run.outcome,
        tuple(run.files),
        (run.progress or {}).get("file"),
        run.started_at,
        run.summary,
        live,
    )


def live_session(pid: int, started: datetime | None = None) -> SessionProgress | None:
    """What this tool's session ``pid`` (started at ``started``, when known) does now; None
    once it is gone."""
    with db.connection(read_only=True, application_suffix=":progress") as conn:
        found = session_progress(conn, pid)
    return found if _is_session(found, started) else None


def cancel_run(run_id: int, *, actor: audit.Actor) -> RunProgress:
    """Cancel the statement the run ``run_id`` runs: its segment rolls back (an INVALID index a
    concurrent build leaves is dropped), and the run ends ``cancelled``.

    Raises:
        MigrationNotFound: no run has this id.
        UsageError: the run is not running (or its session is gone).
    """
    with transaction.atomic():
        run = MigrationRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            raise MigrationNotFound(f"No migration run {run_id}.")
        if run.outcome != MigrationRun.Outcome.RUNNING or not run.backend_pid:
            raise UsageError(f"Run {run_id} is not running (it is {run.outcome}).")
        # Looked at before the request is set, the row still locked: once set, a run waiting
        # to try again ends on its own, and its session goes with it (the run cannot close
        # its log row before this transaction ends).
        with targets.using(run.target_name):
            if live_session(run.backend_pid, run.backend_start) is None:
                raise UsageError(f"Run {run_id} has no session on the target any more.")
        run.cancel_requested = True
        run.save(update_fields=["cancel_requested"])
    with targets.using(run.target_name), db.connection(application_suffix=":cancel") as conn:
        # Only that very session: its pid may be another's once it is gone.
        cancel_backend(conn, run.backend_pid, run.backend_start)
    audit.note_cancel(run, actor)
    return run_progress(run_id)


def terminate_session(
    pid: int, *, actor: audit.Actor, reason: str, framework: str | None = None
) -> Termination:
    """End session ``pid``, which the safety check, made now, lists as blocking the pending
    migrations: its transaction rolls back. Audited, with the reason.

    Raises:
        UsageError: no reason, or ``pid`` blocks none of the pending migrations.
    """
    with audited(actor, "terminate", reason=reason, framework=framework) as attempt:
        if not is_reason(reason):
            raise UsageError("Ending a session takes a reason: it goes to the audit log.")
        report = check(framework=framework)
        blocker = next((b for b in report.blockers if b.pid == pid), None)
        if blocker is None:
            raise UsageError(
                f"Session {pid} blocks none of the pending migrations now: only a session the "
                "safety check lists as a blocker can be ended from here."
            )
        if is_own_session(blocker.application_name):
            raise UsageError(
                f"Session {pid} is this tool's own ({blocker.application_name}): a run is "
                "stopped by cancelling it (runs/{id}/cancel), which rolls back what it left "
                "half-done, not by ending its session."
            )
        with db.connection(application_suffix=":terminate") as conn:
            run = attempt.begin(
                target=db.describe(conn.info.dsn),
                framework=framework or "",
                tracking_table="",
                files=[blocker.file],
            )
            ended = terminate_backend(conn, pid)
        sentence = blocker_sentence(blocker, waits="blocked")
        message = f"Ended session {pid}: {sentence}" if ended else f"Session {pid} was gone."
        audit.unchanged(run, message)
        return Termination(pid, blocker, ended, message)


def _run(run_id: int) -> MigrationRun:
    run = MigrationRun.objects.filter(pk=run_id).first()
    if run is None:
        raise MigrationNotFound(f"No migration run {run_id}.")
    return run


def _is_session(found: SessionProgress | None, started: datetime | None) -> bool:
    """``found`` still is the session meant: a pid is reused once its session ends, and a run
    whose process died stays ``running`` in the log."""
    if found is None or (started is not None and found.backend_start != started):
        return False
    return is_own_session(found.application_name)


def is_own_session(application_name: str | None) -> bool:
    """Whether a session is one of this tool's (a run's, a check's...)."""
    return (application_name or "").startswith(str(app_settings.APPLICATION_NAME))
