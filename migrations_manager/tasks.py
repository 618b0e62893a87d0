"""Celery tasks of the app (found by ``app.autodiscover_tasks(["migrations_manager"])``)."""

from __future__ import annotations

from celery import shared_task

from .observability.outbox import TASK
from .services.fleetpool import TASK as FLEET_TASK

#: The task Celery beat sends every SCHEDULER_INTERVAL seconds (``truss.celery``).
RUN_DUE = "migrations_manager.run_due_requests"


@shared_task(name=TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def deliver_webhook(delivery_id: int) -> str | None:
    """Send one webhook delivery (a delivery sent already is left alone: a redelivered task)."""
    from .observability.webhooks import deliver

    delivery = deliver(delivery_id)
    return delivery.status if delivery is not None else None


@shared_task(name=RUN_DUE, ignore_result=True)
def run_due_requests() -> list[tuple[int, str]]:
    """One look at the approved change requests whose window is open (``services.run_due``):
    the beat's counterpart of a tick of ``pgmigrate scheduler``."""
    from . import services
    from .audit import Actor

    return services.run_due(actor=Actor(name="celery-beat"))


@shared_task(name=FLEET_TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_fleet_target(child_id: int) -> str:
    """Run one target of a fleet run (a target over already is left alone: a redelivery)."""
    from .services.fleetruns import run_fleet_target as run

    return run(child_id)
