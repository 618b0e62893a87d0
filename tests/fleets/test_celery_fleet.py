"""Fleet runs on a real Celery worker process (``celery -A truss worker``) over a real Redis
(and RabbitMQ) on 127.0.0.1, sharing Django's database with this process as remote workers do.

Without the broker a test skips with the reason (and fails under CI, which has them)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from celery import Celery
from django.conf import settings as django_settings
from django.db import connection

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.models import FleetTarget
from tests.observability.test_celery import require_redis
from tests.utils import require_listener, use_broker, wait_until

from .conftest import conflicting, fix, ledger_rows

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
BROKER = "redis://127.0.0.1:6379/12"  # a database of its own: nothing else's tasks
RABBIT = "amqp://guest:guest@127.0.0.1:5672//"
RABBIT_QUEUE = "truss-fleet-test"  # a queue of its own on the shared virtual host
ACTOR = Actor(name="tester")

# The app this process sends fleet tasks with on RabbitMQ (the workers run truss's own).
rabbit = Celery("truss-test", broker=RABBIT)
rabbit.conf.task_default_queue = RABBIT_QUEUE


def require_rabbitmq() -> None:
    require_listener(5672, "RabbitMQ")


@pytest.fixture
def start_worker(settings, tmp_path):
    """``start_worker(concurrency)``: a real prefork worker on this test's databases."""
    require_redis()
    import redis

    redis.Redis.from_url(BROKER).flushdb()
    settings.CELERY_BROKER_URL = BROKER
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "CELERY_APP": "truss.celery.app"}
    from truss.celery import app

    use_broker(app, BROKER)
    processes: list[subprocess.Popen] = []
    log = (tmp_path / "worker.log").open("w")

    def start(concurrency: int, broker: str = BROKER, *queue: str) -> subprocess.Popen:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "truss.settings",
            "DJANGO_SECRET_KEY": str(django_settings.SECRET_KEY),
            "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
            "TRUSS_CELERY_BROKER_URL": broker,
            "TRUSS_VAR_DIR": str(tmp_path / "var"),
            "TRUSS_EMBEDDED": "0",
        }
        env.pop("TRUSS_DATABASE_URL", None)
        command = [sys.executable, "-m", "celery", "-A", "truss", "worker", "--pool=prefork"]
        command += [f"--concurrency={concurrency}", "--without-gossip", "--without-mingle"]
        command += ["--without-heartbeat", "-l", "WARNING", *queue]
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the whole worker can be killed
        )
        processes.append(process)
        return process

    try:
        yield start
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(30)
        log.close()


def finished(fleet_id: int, tmp_path: Path) -> services.FleetReport:
    report = services.wait_for_fleet(fleet_id, poll=0.2, timeout=240)
    assert report.status != "running", (tmp_path / "worker.log").read_text()[-3000:]
    return report


def test_twenty_targets_on_a_worker_one_fails_and_its_retry_runs_only_it(
    fleet, start_worker, tmp_path
):
    databases = fleet(20, "ap")
    conflicting(databases[13])
    start_worker(4)
    fleet_id = services.start_fleet_run(actor=ACTOR, tag="ap", concurrency=8)
    report = finished(fleet_id, tmp_path)
    statuses = {child.target: (child.status, child.sqlstate) for child in report.targets}
    assert statuses.pop("ap-13") == ("failed", "42P07")
    assert set(statuses.values()) == {("succeeded", "")}
    assert sum(ledger_rows(db) for db in databases) == 19

    fix(databases[13])
    assert services.retry_fleet_run(fleet_id) == 1
    again = finished(fleet_id, tmp_path)
    assert again.ok and [ledger_rows(db) for db in databases] == [1] * 20
    assert sorted(c.attempts for c in again.targets) == [1] * 19 + [2]


def test_a_pool_process_killed_mid_task_gives_the_task_back_and_it_applies_once(
    fleet, start_worker, tmp_path
):
    """SIGKILL to the pool process running a target's migration: ``reject_on_worker_lost``
    puts the task back at once; the next run applies the migration, exactly once."""
    [database] = fleet(1, "kill")
    slow(database)
    worker = start_worker(1)
    fleet_id = services.start_fleet_run(actor=ACTOR, tag="kill")
    wait_until(lambda: sleeping(database), "the migration runs on the worker", timeout=60)
    [pool_process] = psutil.Process(worker.pid).children()
    os.kill(pool_process.pid, signal.SIGKILL)
    applied_once(finished(fleet_id, tmp_path), database)


def test_a_whole_worker_killed_mid_task_on_rabbitmq_leaves_the_task_to_the_next(
    fleet, start_worker, tmp_path, settings
):
    """SIGKILL to the worker and its pool: RabbitMQ gives the unacknowledged task back when
    the connection drops, and the next worker applies the migration, exactly once."""
    require_rabbitmq()
    settings.MIGRATIONS_MANAGER = {
        **settings.MIGRATIONS_MANAGER,
        "CELERY_APP": f"{__name__}.rabbit",
    }
    rabbit.control.purge()
    [database] = fleet(1, "rabbit")
    slow(database)
    worker = start_worker(1, RABBIT, "-Q", RABBIT_QUEUE)
    fleet_id = services.start_fleet_run(actor=ACTOR, tag="rabbit")
    wait_until(lambda: sleeping(database), "the migration runs on the worker", timeout=60)
    os.killpg(worker.pid, signal.SIGKILL)  # the worker and its pool at once
    worker.wait(10)
    start_worker(1, RABBIT, "-Q", RABBIT_QUEUE)
    applied_once(finished(fleet_id, tmp_path), database)


def slow(database) -> None:
    (database.directory / "001_widgets.sql").write_text(
        "-- Up Migration\nCREATE TABLE widgets (id int);\nSELECT pg_sleep(2);\n"
    )


def sleeping(database) -> bool:
    return bool(
        database.scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND query LIKE 'SELECT pg_sleep%%'"
        )
    )


def applied_once(report: services.FleetReport, database) -> None:
    [child] = report.targets
    assert (child.status, child.attempts) == ("succeeded", 2), child
    assert ledger_rows(database) == 1 and database.exists("public.widgets")
    assert FleetTarget.objects.get().run.outcome == "succeeded"
