"""Where a fleet run's targets run: Celery tasks (``CELERY_APP`` names the project's Celery
app: workers anywhere, sharing Django's database) or, without one, the same task function in
this process's bounded thread pool (``FLEET_POOL_SIZE``), the embedded default of the demo.

A Celery task is acknowledged late and rejected when its worker dies, so the broker gives it to
another worker: running a target again is safe (the advisory lock and the ledger).
"""

from __future__ import annotations

import importlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import close_old_connections

from ..conf import app_settings

logger = logging.getLogger("migrations_manager.events")

TASK = "migrations_manager.run_fleet_target"

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def dispatch(child_id: int) -> None:
    """Start fleet target ``child_id`` on a worker (a Celery task, or this process's pool)."""
    if app_settings.CELERY_APP and _sent_to_celery(child_id):
        return
    _local_pool().submit(_run_here, child_id)


def _sent_to_celery(child_id: int) -> bool:
    module, _, name = str(app_settings.CELERY_APP).rpartition(".")
    app: Any = getattr(importlib.import_module(module), name)
    try:
        app.send_task(TASK, args=[child_id], retry=False)
    except Exception:  # the broker is down: the target runs here rather than never
        logger.warning("Celery broker unreachable; fleet target %s runs in-process", child_id)
        return False
    return True


def _local_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            size = int(app_settings.FLEET_POOL_SIZE)
            _pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="truss-fleet")
        return _pool


def _run_here(child_id: int) -> None:
    from .fleetruns import run_fleet_target

    close_old_connections()
    try:
        run_fleet_target(child_id)
    except Exception:
        logger.exception("Fleet target %s", child_id)
    finally:
        close_old_connections()
