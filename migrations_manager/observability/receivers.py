"""What the audit log's signals set off: the log line and the webhook deliveries of each run.

``connect()`` is called by ``apps.ready``. A receiver's error is logged, never raised: the run
it tells of has finished (or started) whatever a receiver makes of it.
"""

from __future__ import annotations

import logging
from typing import Any

from ..models import MigrationRun
from . import events, logs
from .signals import run_finished, run_started

logger = logging.getLogger("migrations_manager.events")


def started(sender: Any, run: MigrationRun, **_: Any) -> None:
    from . import webhooks  # with its cryptography, only in processes that run migrations

    logs.log_started(run)
    webhooks.notify(events.Event.RUN_STARTED, run)


def finished(sender: Any, run: MigrationRun, **_: Any) -> None:
    from . import webhooks

    logs.log_finished(run)
    event = events.closing_event(run)
    if event is not None:
        webhooks.notify(event, run)


def connect() -> None:
    run_started.connect(started, sender=MigrationRun, dispatch_uid="truss-run-started")
    run_finished.connect(finished, sender=MigrationRun, dispatch_uid="truss-run-finished")


def send(signal: Any, run: MigrationRun) -> None:
    """Send ``signal`` for ``run``; a receiver's error goes to the log."""
    for receiver, outcome in signal.send_robust(sender=MigrationRun, run=run):
        if isinstance(outcome, Exception):
            logger.error(
                "%s failed for run %s: %r", getattr(receiver, "__name__", receiver), run.pk, outcome
            )
