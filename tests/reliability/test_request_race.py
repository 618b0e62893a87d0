"""One approved change request executed twice at once (the scheduler's tick and a click on
Execute): the migration is applied once, and the request ends executed, never failed."""

from __future__ import annotations

import threading

import pytest

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import PlanRefused
from migrations_manager.models import ChangeRequest
from tests.utils import wait_until

from .test_run_path import polling_for_the_lock, recorded

ALICE = Actor(name="alice", source="api")
BOB = Actor(name="bob", source="api")


@pytest.mark.django_db(transaction=True)
def test_two_executions_of_one_request_apply_it_once(target_db, settings, gate):
    settings.MIGRATIONS_MANAGER = {
        **settings.MIGRATIONS_MANAGER,
        "APPROVALS": "always",
        "LOCK_WAIT": 30,
    }
    entry = gate("entry")
    target_db.write("001_a.sql", "INSERT INTO entry VALUES (1);\nCREATE TABLE a (id int);")
    request = services.create_request(actor=ALICE, reason="CHG-7: table a")
    services.approve_request(request.pk, actor=BOB)
    entry.close()
    outcomes: list[object] = []

    def execute() -> None:
        try:
            outcomes.append(services.execute_request(request.pk, actor=ALICE))
        except PlanRefused as refused:
            outcomes.append(refused)

    first = threading.Thread(target=execute)
    first.start()
    entry.wait_for("truss-migrations:run")
    second = threading.Thread(target=execute)
    second.start()
    wait = "the second execution waits for the run's lock"

    wait_until(lambda: polling_for_the_lock(target_db), wait)
    entry.open()
    first.join(60)
    second.join(60)

    reports = [outcome for outcome in outcomes if not isinstance(outcome, PlanRefused)]
    refusals = [outcome for outcome in outcomes if isinstance(outcome, PlanRefused)]
    assert len(reports) == 1 and reports[0].ok and len(reports[0].plan.steps) == 1
    assert len(refusals) == 1 and refusals[0].kind == "approval"
    assert recorded(target_db) == ["001_a"]
    assert target_db.scalar("SELECT count(*) FROM entry") == 1
    assert ChangeRequest.objects.get(pk=request.pk).state == ChangeRequest.State.EXECUTED
