"""Fleet runs: the pending migrations of many targets, each target on the ordinary run path.

A fleet run is a ``FleetRun`` row and one ``FleetTarget`` row per target, in Django's database
(shared with the workers). ``schedule`` hands targets to workers: a Celery task each when the
project names its Celery app (``CELERY_APP``), else the same function in this process's
bounded pool. A target's task is ``run_pending`` on that target (plan, gate, lock, executor):
a fleet run is never less safe than a run. A task that runs twice (a worker died and the
broker gave the task to another) is harmless: the advisory lock and the ledger see to it.

Scheduling follows the run's rules: at most ``concurrency`` targets at once; the first
``canary`` targets first, the others only once all of those succeeded; no new target after
``max_failures`` failures (the rest are skipped).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from .. import audit, targets
from ..conf import app_settings
from ..exceptions import MigrationNotFound, MigrationsManagerError, UsageError
from ..models import FleetRun, FleetTarget, MigrationRun
from . import fleetpool
from .idempotent import run_pending

logger = logging.getLogger("migrations_manager.events")

Status = FleetTarget.Status
FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.REFUSED, Status.SKIPPED)
FAILURES = (Status.FAILED, Status.REFUSED)


@dataclass(frozen=True)
class FleetChild:
    target: str
    status: str
    attempts: int
    error: str
    sqlstate: str
    duration: float | None
    run_id: int | None


@dataclass(frozen=True)
class FleetReport:
    """A fleet run and its targets, in run order."""

    id: int
    status: str
    started_at: datetime
    finished_at: datetime | None
    actor: str
    tag: str
    concurrency: int
    canary: int
    max_failures: int | None
    targets: tuple[FleetChild, ...]

    @property
    def counts(self) -> dict[str, int]:
        return {s.value: sum(1 for c in self.targets if c.status == s) for s in Status}

    @property
    def ok(self) -> bool:
        return self.status == FleetRun.Status.SUCCEEDED


def start_fleet_run(
    *,
    actor: audit.Actor,
    tag: str | None = None,
    concurrency: int | None = None,
    canary: int = 0,
    max_failures: int | None = None,
    reason: str = "",
) -> int:
    """Record a fleet run over the targets (those carrying ``tag``) and start it; its id.

    Raises:
        UsageError: no target, or a count out of range.
    """
    configs = targets.everything(tag)
    if not configs:
        raise UsageError(f"No target carries the tag {tag!r}." if tag else "No target.")
    concurrency = int(app_settings.FLEET_CONCURRENCY if concurrency is None else concurrency)
    if concurrency < 1 or canary < 0 or (max_failures is not None and max_failures < 1):
        raise UsageError("concurrency and max-failures are at least 1; canary at least 0.")
    with transaction.atomic():
        fleet = FleetRun.objects.create(
            user=actor.user if getattr(actor.user, "pk", None) else None,
            actor=actor.name[:150],
            source=actor.source,
            tag=tag or "",
            concurrency=concurrency,
            canary=canary,
            max_failures=max_failures,
            reason=reason,
        )
        FleetTarget.objects.bulk_create(
            FleetTarget(fleet=fleet, target=config.name, position=position)
            for position, config in enumerate(configs)
        )
    schedule(fleet.pk)
    return fleet.pk


def retry_fleet_run(fleet_id: int) -> int:
    """Run again the targets of fleet run ``fleet_id`` that failed, were refused or skipped
    (a target still running is left to its task); the same record shows the new attempts.

    Raises:
        MigrationNotFound: no fleet run has that id.
        UsageError: every target succeeded.
    """
    fleet = _fleet(fleet_id)
    with transaction.atomic():
        again = FleetTarget.objects.filter(fleet=fleet, status__in=FINISHED).exclude(
            status=Status.SUCCEEDED
        )
        count = again.update(
            status=Status.QUEUED, dispatched=False, error="", sqlstate="", duration=None, run=None
        )
        if not count:
            raise UsageError(f"Fleet run {fleet_id}: no target to run again.")
        FleetRun.objects.filter(pk=fleet.pk).update(
            status=FleetRun.Status.RUNNING, finished_at=None
        )
    schedule(fleet.pk)
    return count


def fleet_run(fleet_id: int) -> FleetReport:
    """Raises: MigrationNotFound (no fleet run has that id)."""
    fleet = _fleet(fleet_id)
    children = tuple(
        FleetChild(c.target, c.status, c.attempts, c.error, c.sqlstate, c.duration, c.run_id)
        for c in fleet.targets.all()
    )
    return FleetReport(
        fleet.pk,
        fleet.status,
        fleet.started_at,
        fleet.finished_at,
        fleet.actor,
        fleet.tag,
        fleet.concurrency,
        fleet.canary,
        fleet.max_failures,
        children,
    )


def wait_for_fleet(
    fleet_id: int, *, poll: float = 0.5, timeout: float | None = None
) -> FleetReport:
    """The fleet run once it is over (or when ``timeout`` seconds have passed)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        report = fleet_run(fleet_id)
        if report.status != FleetRun.Status.RUNNING:
            return report
        if deadline is not None and time.monotonic() >= deadline:
            return report
        time.sleep(poll)


def _fleet(fleet_id: int) -> FleetRun:
    fleet = FleetRun.objects.filter(pk=fleet_id).first()
    if fleet is None:
        raise MigrationNotFound(f"No fleet run {fleet_id}.")
    return fleet


# ---- scheduling ---------------------------------------------------------------------------


def schedule(fleet_id: int) -> None:
    """Hand out what the fleet run's rules allow now; close the run when all are over.

    Called when the run starts and after each target, by any worker: each call holds the run's
    row (a write first: PostgreSQL locks the row, SQLite the database), so two at once never
    hand out the same target or more than ``concurrency`` between them.
    """
    with transaction.atomic():
        FleetRun.objects.filter(pk=fleet_id).update(status=F("status"))
        fleet = FleetRun.objects.get(pk=fleet_id)
        _skip_what_may_not_run(fleet, list(fleet.targets.all()))
        children = list(fleet.targets.all())
        chosen = _next_targets(fleet, children)
        FleetTarget.objects.filter(pk__in=[child.pk for child in chosen]).update(dispatched=True)
        if all(child.status in FINISHED for child in children):
            ok = all(child.status == Status.SUCCEEDED for child in children)
            FleetRun.objects.filter(pk=fleet_id, status=FleetRun.Status.RUNNING).update(
                status=FleetRun.Status.SUCCEEDED if ok else FleetRun.Status.FAILED,
                finished_at=timezone.now(),
            )
        for child in chosen:  # once committed: a worker never reads the run before it
            transaction.on_commit(partial(fleetpool.dispatch, child.pk))


def _skip_what_may_not_run(fleet: FleetRun, children: Sequence[FleetTarget]) -> None:
    """A canary that did not succeed stops everything after the canaries; ``max_failures``
    failures stop everything not handed out yet."""
    canaries = children[: fleet.canary]
    waiting = FleetTarget.objects.filter(fleet=fleet, dispatched=False, status=Status.QUEUED)
    if any(c.status in FINISHED and c.status != Status.SUCCEEDED for c in canaries):
        waiting.filter(position__gte=fleet.canary).update(
            status=Status.SKIPPED, error="A canary target did not succeed."
        )
    failures = sum(1 for c in children if c.status in FAILURES)
    if fleet.max_failures is not None and failures >= fleet.max_failures:
        waiting.update(
            status=Status.SKIPPED, error=f"{failures} target(s) failed (max failures reached)."
        )


def _next_targets(fleet: FleetRun, children: Sequence[FleetTarget]) -> list[FleetTarget]:
    in_flight = sum(1 for c in children if c.dispatched and c.status not in FINISHED)
    waiting = [c for c in children if not c.dispatched and c.status == Status.QUEUED]
    canaries = children[: fleet.canary]
    if not all(c.status == Status.SUCCEEDED for c in canaries):
        waiting = [c for c in waiting if c.position < fleet.canary]
    return waiting[: max(fleet.concurrency - in_flight, 0)]


# ---- one target -----------------------------------------------------------------------------


def run_fleet_target(child_id: int) -> str:
    """The task of one target of a fleet run: ``run_pending`` on it, its outcome recorded,
    then the run's next targets handed out. A target already over is left alone (a task
    delivered again after its worker recorded the outcome); one found running is run again
    (its worker died: the ledger says what is left to do). Returns the target's status."""
    child = FleetTarget.objects.select_related("fleet", "fleet__user").filter(pk=child_id).first()
    if child is None or child.status in FINISHED:
        return child.status if child is not None else "gone"
    FleetTarget.objects.filter(pk=child_id).update(
        status=Status.RUNNING, attempts=F("attempts") + 1
    )
    last_run = MigrationRun.objects.aggregate(last=Max("id"))["last"] or 0
    started = time.monotonic()
    status, error, sqlstate, run_id = _run_target(child)
    if run_id is None:  # refused before a plan: the row the refusal left, if any
        run_id = (
            MigrationRun.objects.filter(target_name=child.target, id__gt=last_run)
            .values_list("id", flat=True)
            .last()
        )
    FleetTarget.objects.filter(pk=child_id).update(
        status=status,
        error=error,
        sqlstate=sqlstate,
        duration=time.monotonic() - started,
        run_id=run_id,
    )
    logger.info("Fleet run %s: %s %s", child.fleet_id, child.target, status)
    schedule(child.fleet_id)
    return status


def _run_target(child: FleetTarget) -> tuple[str, str, str, int | None]:
    fleet = child.fleet
    actor = audit.Actor(name=fleet.actor, source=fleet.source, user=fleet.user)
    try:
        wait = max(float(app_settings.LOCK_WAIT), float(app_settings.FLEET_LOCK_WAIT))
        with targets.using(child.target, LOCK_WAIT=wait):
            report = run_pending(actor=actor, reason=fleet.reason)
    except MigrationsManagerError as error:
        refused = isinstance(error, audit.REFUSALS)
        sqlstate = getattr(error, "sqlstate", None) or ""
        return (Status.REFUSED if refused else Status.FAILED), error.message, sqlstate, None
    except Exception as error:  # a bug must not leave the target "running" for ever
        logger.exception("Fleet run %s: %s", fleet.pk, child.target)
        return Status.FAILED, f"{type(error).__name__}: {error}", "", None
    failure = report.failure
    if failure is None:
        return Status.SUCCEEDED, "", "", report.run_id
    return Status.FAILED, failure.message, failure.sqlstate or "", report.run_id
