"""A change request belongs to the target it was asked for: approved and executed there,
whatever target the approver or executor has in scope."""

from __future__ import annotations

import pytest

from migrations_manager.models import (
    APPROVE_PERMISSION,
    RUN_PERMISSION,
    VIEW_PERMISSION,
    ChangeRequest,
    MigrationRun,
)
from tests.api.conftest import token_client
from tests.approvals.conftest import REASON, REQUESTS
from tests.factories import UserFactory

from .conftest import ledger_rows

pytestmark = pytest.mark.django_db(transaction=True)


def client(name: str, *permissions: str):
    return token_client(UserFactory(username=name, permissions=[VIEW_PERMISSION, *permissions]))


@pytest.fixture
def always(settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "APPROVALS": "always"}


def test_a_request_asked_on_a_target_runs_on_that_target(fleet, target_db, always):
    as_alice = client("alice", RUN_PERMISSION)
    as_bob = client("bob", APPROVE_PERMISSION)
    (eu,) = fleet(1, "eu")
    target_db.write("001_other.sql", "CREATE TABLE other (id int);")

    asked = as_alice.post(f"{REQUESTS}?target=eu-00", {"reason": REASON}, format="json")
    assert asked.status_code == 201, asked.json()
    assert ChangeRequest.objects.get().target == "eu-00"
    assert asked.json()["files"][0]["name"] == "001_widgets.sql"

    approved = as_bob.post(f"{REQUESTS}/{asked.json()['id']}/approve", {}, format="json")
    assert approved.status_code == 200, approved.json()
    # Executed without ?target=: the request's own target, not the default.
    executed = as_alice.post(f"{REQUESTS}/{asked.json()['id']}/execute")
    assert executed.status_code == 200, executed.json()

    assert ledger_rows(eu) == 1
    assert not target_db.exists("public.other")
    assert MigrationRun.objects.get(command="run", outcome="succeeded").target_name == "eu-00"
