"""The project's Celery app: ``celery -A truss.celery worker`` delivers webhooks; with
``celery -A truss.celery beat`` (or a worker's ``-B``) it also runs the approved change requests
inside their maintenance window, every ``TRUSS_SCHEDULER_INTERVAL`` seconds (default 60).

Its broker is ``TRUSS_CELERY_BROKER_URL`` (``redis://127.0.0.1:6379/0``,
``amqp://guest:guest@127.0.0.1:5672//``); with it set, the app sends deliveries here instead of
its in-process queue. Workers share Django's database (``DATABASE_URL``).
"""

from __future__ import annotations

import os

from celery import Celery
from django.conf import settings

from migrations_manager.tasks import RUN_DUE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "truss.settings")

app = Celery("truss")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["migrations_manager"])
app.conf.beat_schedule = {
    "change-request-windows": {
        "task": RUN_DUE,
        "schedule": float(settings.MIGRATIONS_MANAGER.get("SCHEDULER_INTERVAL", 60.0)),
    }
}
