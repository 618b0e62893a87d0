"""Maintenance windows under Celery beat: a real worker with its embedded beat (``-B``) on a
real broker (Redis on 127.0.0.1) runs an approved request once its window opens.

Without Redis the test skips with the reason (and fails under CI, which has it)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.models import ChangeRequest, MigrationRun
from tests.observability.test_celery import celery_worker
from tests.utils import wait_until

from .conftest import REASON

pytestmark = pytest.mark.django_db(transaction=True)


def test_beat_runs_an_approved_request_inside_its_window(target_db, settings, tmp_path):
    target_db.write("001_users.sql", "CREATE TABLE users (id bigint PRIMARY KEY);")
    request = services.create_request(
        actor=Actor(name="alice"),
        reason=REASON,
        not_before=timezone.now() + timedelta(seconds=2),
        not_after=timezone.now() + timedelta(hours=1),
    )
    services.approve_request(request.pk, actor=Actor(name="bob"))
    beat = ("-B", "-s", str(tmp_path / "beat-schedule"))
    with celery_worker(target_db, settings, tmp_path, *beat, TRUSS_SCHEDULER_INTERVAL="1"):

        def executed() -> bool:
            request.refresh_from_db()
            return request.state == "executed"

        try:
            wait_until(executed, "beat ran the request", timeout=60)
        except AssertionError as late:
            raise AssertionError((tmp_path / "worker.log").read_text()[-3000:]) from late
    assert target_db.exists("users")
    run = MigrationRun.objects.get(outcome="succeeded")
    assert run.actor == "celery-beat" and run.change_request_id == request.pk
    assert ChangeRequest.objects.get().finished_at >= request.not_before
