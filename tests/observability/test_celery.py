"""Webhook deliveries as tasks of a real Celery worker on a real broker (Redis on 127.0.0.1),
sharing Django's database with the app, as a deployment with workers elsewhere does.

Without Redis the test skips with the reason (and fails under CI, which has it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings as django_settings
from django.db import connection

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.models import WebhookDelivery
from migrations_manager.observability import outbox, signing
from tests.utils import require_listener, use_broker, wait_until

from .receiver import closed_port, receiver, subscribe

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
ACTOR = Actor(name="tester")
SECRET = "celery-secret"
BROKER = "redis://127.0.0.1:6379/13"  # a database of its own: nothing else's tasks


def require_redis() -> None:
    require_listener(6379, "Redis")


@pytest.fixture
def worker(target_db, settings, tmp_path):
    """A real ``celery -A truss.celery worker`` on the broker, on this test's database."""
    with celery_worker(target_db, settings, tmp_path) as process:
        yield process


@contextmanager
def celery_worker(target_db, settings, tmp_path, *options: str, **environment: str):
    """Run ``celery -A truss.celery worker OPTIONS`` on the broker, Django's test database and
    ``target_db``, with ``environment`` added to the project's."""
    require_redis()
    import redis

    redis.Redis.from_url(BROKER).flushdb()
    database = connection.settings_dict["NAME"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "truss.settings",
        "DJANGO_SECRET_KEY": str(django_settings.SECRET_KEY),
        "DATABASE_URL": f"sqlite:///{database}",
        "TRUSS_CELERY_BROKER_URL": BROKER,
        "TRUSS_DATABASE_URL": target_db.url,
        "TRUSS_MIGRATIONS_DIR": str(target_db.directory),
        "TRUSS_VAR_DIR": str(tmp_path / "var"),
        "TRUSS_EMBEDDED": "0",
        **environment,
    }
    command = [sys.executable, "-m", "celery", "-A", "truss.celery", "worker", "--pool=solo"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"]
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [*command, *options], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    settings.CELERY_BROKER_URL = BROKER
    settings.MIGRATIONS_MANAGER = {
        **settings.MIGRATIONS_MANAGER,
        "CELERY_APP": "truss.celery.app",
        "WEBHOOK_BACKOFF": 0.01,
    }
    from truss.celery import app

    use_broker(app, BROKER)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(20)
        log.close()


def test_a_worker_delivers_what_a_run_queued(worker, target_db, tmp_path, caplog):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    with receiver() as hook:
        subscribe(hook.url, secret=SECRET)
        assert services.run_pending(actor=ACTOR).ok
        got = hook.wait_for(1, timeout=60)
        assert got, (tmp_path / "worker.log").read_text()[-3000:]
    [item] = got
    assert signing.verify(SECRET, item.headers[signing.HEADER], item.body)
    assert json.loads(item.body)["event"] == "run.succeeded"
    delivery = WebhookDelivery.objects.get()

    def recorded() -> bool:
        delivery.refresh_from_db()
        return delivery.status == "delivered"

    wait_until(recorded, "the worker recorded the delivery")
    assert delivery.attempts == 1 and worker.poll() is None
    assert outbox.drain(10)
    assert "sent in-process" not in caplog.text  # the worker sent it, not this process


# A project's Celery app whose broker does not answer.
unreachable = Celery("unreachable", broker=f"redis://127.0.0.1:{closed_port()}/0")


def test_a_broker_that_is_down_does_not_lose_the_delivery(target_db, settings):
    app_path = f"{__name__}.unreachable"
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "CELERY_APP": app_path}
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    with receiver() as hook:
        subscribe(hook.url, secret=SECRET)
        assert services.run_pending(actor=ACTOR).ok
        assert hook.wait_for(1)
        assert outbox.drain(30)
    assert WebhookDelivery.objects.get().status == "delivered"
