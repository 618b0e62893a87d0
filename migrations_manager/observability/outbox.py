"""Where a delivery waits to be sent: one background thread of this process takes each id and
either hands it to Celery (``CELERY_APP`` names the project's Celery app: workers anywhere,
sharing Django's database) or sends it itself (no broker configured, or the broker does not
answer). The run that caused a delivery, and the request that ran it, never wait for a
receiver or a broker.

A Celery delivery is acknowledged late and rejected when its worker dies; deliveries a dead
process left pending (or claimed and never closed) are taken again when a process's sender
starts. A delivery is claimed before it is sent, so two senders never both send it; a receiver
still tells a repeat (a sender killed between the POST and its record) by the ``delivery`` id
of the signed body.
"""

from __future__ import annotations

import importlib
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections

from ..conf import app_settings

logger = logging.getLogger("migrations_manager.events")

TASK = "migrations_manager.deliver_webhook"

_pending: queue.Queue[int] = queue.Queue()
_started = threading.Lock()
_worker: threading.Thread | None = None


def submit(delivery_id: int) -> None:
    """Queue delivery ``delivery_id`` for this process's sender."""
    _ensure_worker()
    _pending.put(delivery_id)


def waiting() -> int:
    """How many deliveries queued in this process are not sent (or handed to Celery) yet."""
    return _pending.unfinished_tasks


def longest_delivery() -> float:
    """Seconds the tries of one delivery may take, waits included."""
    tries = int(app_settings.WEBHOOK_TRIES)
    waits = float(app_settings.WEBHOOK_BACKOFF) * (2 ** max(tries - 1, 0) - 1)
    return tries * float(app_settings.WEBHOOK_TIMEOUT) + waits


def drain(timeout: float = 30.0) -> bool:
    """Wait until this process's queue is empty (a test, or a command about to exit)."""
    done = threading.Event()

    def joined() -> None:
        _pending.join()
        done.set()

    threading.Thread(target=joined, daemon=True).start()
    return done.wait(timeout)


def _ensure_worker() -> None:
    global _worker
    with _started:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_work, name="truss-webhooks", daemon=True)
            _worker.start()


def _work() -> None:
    _guarded(_take_stale)
    while True:
        delivery_id = _pending.get()
        try:
            _guarded(_send, delivery_id)
        finally:
            _pending.task_done()


def _take_stale() -> None:
    from .webhooks import stale_ids

    for delivery_id in stale_ids():
        _pending.put(delivery_id)


def _send(delivery_id: int) -> None:
    from .webhooks import deliver

    if app_settings.CELERY_APP and _sent_to_celery(delivery_id):
        return
    deliver(delivery_id)


def _guarded(action: Callable[..., None], *arguments: Any) -> None:
    """Run ``action`` on a fresh database connection; an error is logged (without its
    traceback, which may quote a receiver's URL), never the end of the sender."""
    close_old_connections()
    try:
        action(*arguments)
    except Exception as error:
        logger.error("Webhook sender: %s", type(error).__name__)
    finally:
        close_old_connections()


def _sent_to_celery(delivery_id: int) -> bool:
    try:
        _celery_app().send_task(TASK, args=[delivery_id], retry=False)
    except Exception:  # the broker is down: the delivery is not lost, it goes out from here
        logger.warning("Celery broker unreachable; delivery %s sent in-process", delivery_id)
        return False
    return True


def _celery_app() -> Any:
    module, _, name = str(app_settings.CELERY_APP).rpartition(".")
    return getattr(importlib.import_module(module), name)
