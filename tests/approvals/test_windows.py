"""Maintenance windows: the scheduler runs an approved request inside its window, tries again
while the gate refuses it (a blocker that came since the approval), and expires it with nothing
applied once the window ended. Real server, real sessions in the way; the scheduler's ticks are
called one by one (``run_due``, and ``pgmigrate scheduler --once``)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.models import ChangeRequest, MigrationRun

from .conftest import REASON

pytestmark = pytest.mark.django_db

ALICE = Actor(name="alice", source="api")
BOB = Actor(name="bob", source="api")
SCHEDULER = Actor(name="scheduler")


@pytest.fixture
def users(target_db):
    target_db.execute("CREATE TABLE users (id int)")
    target_db.write("001_note.sql", "ALTER TABLE users ADD COLUMN note text;")
    return target_db


def approved(**window) -> ChangeRequest:
    request = services.create_request(actor=ALICE, reason=REASON, **window)
    return services.approve_request(request.pk, actor=BOB)


def has_note(target) -> bool:
    return bool(
        target.scalar(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_name = 'users' AND column_name = 'note'"
        )
    )


def test_a_blocker_at_the_start_delays_the_run_until_it_leaves(users):
    request = approved(not_before=timezone.now(), not_after=timezone.now() + timedelta(hours=1))
    reader = users.connect(application_name="forgotten-console")
    reader.execute("BEGIN")
    reader.execute("SELECT * FROM users")
    [(tried, outcome)] = services.run_due(actor=SCHEDULER)
    assert tried == request.pk and "tried again later" in outcome
    assert ChangeRequest.objects.get().state == "approved" and not has_note(users)
    refused = MigrationRun.objects.get()
    assert refused.outcome == "refused" and refused.failure["gate"]["errors"][0]["kind"]
    reader.rollback()
    [(_, outcome)] = services.run_due(actor=SCHEDULER)
    assert outcome == "Applied 1 migration(s) successfully."
    assert ChangeRequest.objects.get().state == "executed" and has_note(users)


def test_a_window_that_ends_first_expires_with_nothing_applied(users):
    request = approved(not_before=timezone.now(), not_after=timezone.now() + timedelta(hours=1))
    reader = users.connect()
    reader.execute("BEGIN")
    reader.execute("SELECT * FROM users")
    services.run_due(actor=SCHEDULER)
    ChangeRequest.objects.update(not_after=timezone.now() - timedelta(seconds=1))
    [(_, outcome)] = services.run_due(actor=SCHEDULER)
    assert "expired" in outcome and "window ended" in outcome
    request.refresh_from_db()
    assert request.state == "expired" and not has_note(users)
    assert services.run_due(actor=SCHEDULER) == []  # never tried again


def test_a_window_not_yet_open_waits_and_refuses_a_run_by_hand(users):
    request = approved(not_before=timezone.now() + timedelta(hours=1))
    assert services.run_due(actor=SCHEDULER) == []
    with pytest.raises(Exception, match="runs from") as refused:
        services.execute_request(request.pk, actor=ALICE)
    assert refused.value.kind == "window" and not has_note(users)


def test_only_when_safe_is_refused_even_for_what_the_approvers_saw(users):
    reader = users.connect()
    reader.execute("BEGIN")
    reader.execute("SELECT * FROM users")
    request = approved(not_before=timezone.now(), only_when_safe=True)
    assert request.check_result["safe"] is False  # the approvers saw the blocker
    [(_, outcome)] = services.run_due(actor=SCHEDULER)
    assert "tried again later" in outcome and not has_note(users)


def test_the_scheduler_command_runs_what_is_due(users):
    approved(not_before=timezone.now() - timedelta(minutes=1))
    out = StringIO()
    call_command("pgmigrate", "scheduler", "--once", stdout=out)
    assert "Applied 1 migration(s) successfully." in out.getvalue() and has_note(users)
    assert MigrationRun.objects.get().change_request.state == "executed"
