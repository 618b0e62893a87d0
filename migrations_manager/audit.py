"""The audit log: who ran what against which target, and how it ended.

Written by the services for every command that changes the target (up, down, redo, run,
mark-applied), whatever front-end called them.
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from .analysis.statements import Statement, texts_hash
from .exceptions import MigrationsManagerError
from .models import MigrationEvent, MigrationRun
from .types import RunReport


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
) -> MigrationRun:
    return MigrationRun.objects.create(
        user=actor.user if getattr(actor.user, "pk", None) else None,
        actor=actor.name[:150],
        client_address=actor.address,
        source=actor.source,
        command=command,
        target=target[:255],
        framework=framework,
        tracking_table=tracking_table[:255],
        files=list(files),
        reason=reason,
    )


def finish(run: MigrationRun, report: RunReport, summary: str) -> None:
    hashes = {step.migration.name: step.migration.sha256 for step in report.plan.steps}
    events = [
        MigrationEvent(
            run=run,
            name=r.name,
            direction=r.direction,
            duration=r.duration,
            ok=r.ok,
            file_hash=hashes.get(r.name, ""),
        )
        for r in report.completed
    ]
    if report.failure is not None:
        failure = report.failure
        events.append(
            MigrationEvent(
                run=run,
                name=failure.name,
                direction=_failed_direction(report),
                ok=False,
                error=failure.error,
                file_hash=hashes.get(failure.name, ""),
                completed_statements=failure.completed_statements,
                completed_hash=failure.completed_hash or "",
            )
        )
    MigrationEvent.objects.bulk_create(events)
    run.outcome = MigrationRun.Outcome.SUCCEEDED if report.ok else MigrationRun.Outcome.FAILED
    run.failure = report.failure.as_dict() if report.failure is not None else None
    _close(run, summary)


@dataclass(frozen=True)
class ResumePoint:
    """Where a migration that runs outside a transaction stopped in its last, failed run."""

    completed_statements: int
    run_id: int


def resume_point(name: str, statements: Sequence[Statement]) -> ResumePoint | None:
    """The statements of ``name`` an earlier run completed before failing: when its latest event
    is that failure and those statements still open the file unchanged (the rest may have been
    fixed since)."""
    latest = MigrationEvent.objects.filter(name=name).order_by("-id").first()
    if latest is None or latest.ok or not latest.completed_statements:
        return None
    done = latest.completed_statements
    if done >= len(statements) or texts_hash(statements[:done]) != latest.completed_hash:
        return None
    return ResumePoint(done, latest.run_id)


def marked(run: MigrationRun, name: str) -> None:
    """Close a mark-applied ``run``: one event, nothing executed."""
    MigrationEvent.objects.create(run=run, name=name, direction="mark", duration=0.0, ok=True)
    run.outcome = MigrationRun.Outcome.SUCCEEDED
    _close(run, f"Recorded {name} as applied without running it.")


def fail(run: MigrationRun, error: MigrationsManagerError, *, refused: bool = False) -> None:
    """Close ``run`` after an error that stopped it before or outside the plan."""
    run.outcome = MigrationRun.Outcome.REFUSED if refused else MigrationRun.Outcome.FAILED
    run.failure = error.as_dict()
    _close(run, error.message)


def history(*, outcome: str | None = None, actor: str | None = None) -> QuerySet[MigrationRun]:
    """The audit log, newest first, with each run's events; optionally one outcome / one actor."""
    runs = MigrationRun.objects.select_related("user").prefetch_related("events")
    if outcome:
        runs = runs.filter(outcome=outcome)
    if actor:
        runs = runs.filter(actor=actor)
    return runs


def _close(run: MigrationRun, summary: str) -> None:
    run.summary = summary
    run.finished_at = timezone.now()
    run.save(update_fields=["outcome", "failure", "summary", "finished_at"])


def _failed_direction(report: RunReport) -> str:
    done = len(report.completed)
    steps = report.plan.steps[done:] if not report.plan.single_transaction else report.plan.steps
    failing = next((s for s in steps if s.migration.name == report.failure.name), None)
    return failing.direction if failing else "up"
