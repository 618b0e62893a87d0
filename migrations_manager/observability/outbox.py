"""Where a delivery waits to be sent: a Celery task when ``CELERY_APP`` names the project's
Celery app (workers anywhere, sharing Django's database), else one background thread of this
process. Either way the run that caused it has finished and answered before anything is sent.

A Celery delivery is acknowledged late and rejected when its worker dies, so a killed worker's
delivery is sent by another one: at least once; a receiver tells a repeat by its
``X-Truss-Delivery`` id.
"""

from __future__ import annotations

import importlib
import logging
import queue
import threading
from typing import Any

from django.db import close_old_connections

from ..conf import app_settings

logger = logging.getLogger("migrations_manager.events")

TASK = "migrations_manager.deliver_webhook"

_pending: queue.Queue[int] = queue.Queue()
_started = threading.Lock()
_worker: threading.Thread | None = None


def submit(delivery_id: int) -> None:
    """Queue delivery ``delivery_id``: to Celery when configured and reachable, else here."""
    if app_settings.CELERY_APP and _sent_to_celery(delivery_id):
        return
    _ensure_worker()
    _pending.put(delivery_id)


def waiting() -> bool:
    """Whether deliveries queued in this process are not sent yet."""
    return _pending.unfinished_tasks > 0


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


def _ensure_worker() -> None:
    global _worker
    with _started:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_work, name="truss-webhooks", daemon=True)
            _worker.start()


def _work() -> None:
    from .webhooks import deliver

    while True:
        delivery_id = _pending.get()
        try:
            deliver(delivery_id)
        except Exception:  # one bad delivery must not stop the others
            logger.exception("Webhook delivery %s could not be sent", delivery_id)
        finally:
            close_old_connections()
            _pending.task_done()
