"""The admin's change requests: the page shows the exact SQL, the check and the approvals; its
buttons follow the user's permissions and the request's state, and every POST checks again."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.models import VIEW_PERMISSION, ChangeRequest
from tests.admin.helpers import RUN_URL, confirmed, messages_of
from tests.factories import UserFactory

from .conftest import REASON

pytestmark = pytest.mark.django_db

FILES = ("001_users.sql", "002_roles.sql")


def page(request_id: int) -> str:
    return reverse("admin:migrations_manager_changerequest_change", args=[request_id])


def button(request_id: int, action: str) -> str:
    return reverse(f"admin:migrations_manager_changerequest_{action}", args=[request_id])


def logged_in(user, **options) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


@pytest.fixture
def asked(alice, two_files) -> ChangeRequest:
    return services.create_request(actor=Actor.for_user(alice, source="admin"), reason=REASON)


def test_the_approver_sees_the_sql_and_approves_then_the_requester_executes(
    alice, bob, asked, two_files
):
    as_bob = logged_in(bob)
    shown = as_bob.get(page(asked.pk)).content.decode()
    assert "CREATE TABLE users" in shown and REASON in shown and "Safe: the safety gate" in shown
    assert 'value="Approve"' in shown and 'value="Execute"' not in shown  # bob may not run
    response = as_bob.post(button(asked.pk, "approve"), {"comment": "read the SQL"})
    assert response.status_code == 302 and ChangeRequest.objects.get().state == "approved"

    as_alice = logged_in(alice)
    shown = as_alice.get(page(asked.pk)).content.decode()
    assert "Approved by <strong>bob</strong>" in shown and "read the SQL" in shown
    assert 'value="Execute"' in shown
    response = as_alice.post(button(asked.pk, "execute"), follow=True)
    assert ("success", "Applied 2 migration(s) successfully.") in messages_of(response)
    assert two_files.exists("roles") and ChangeRequest.objects.get().state == "executed"


def test_the_requester_has_no_approve_button_and_a_post_is_refused(alice, asked):
    as_alice = logged_in(alice)
    assert 'value="Approve"' not in as_alice.get(page(asked.pk)).content.decode()
    response = as_alice.post(button(asked.pk, "approve"), follow=True)
    assert any("another person" in text for level, text in messages_of(response))
    assert ChangeRequest.objects.get().state == "pending"


def test_a_reader_sees_no_button_and_cannot_post(asked):
    reader = logged_in(UserFactory(username="reader", permissions=[VIEW_PERMISSION]))
    shown = reader.get(page(asked.pk)).content.decode()
    assert "CREATE TABLE users" in shown
    assert not any(f'value="{label}"' in shown for label in ("Approve", "Reject", "Execute"))
    assert reader.post(button(asked.pk, "approve")).status_code == 403
    assert reader.post(button(asked.pk, "execute")).status_code == 403
    assert reader.get(button(asked.pk, "approve")).status_code == 405
    assert ChangeRequest.objects.get().state == "pending"


def test_a_post_without_the_csrf_token_is_refused(bob, asked):
    client = logged_in(bob, enforce_csrf_checks=True)
    assert client.post(button(asked.pk, "approve")).status_code == 403
    assert ChangeRequest.objects.get().state == "pending"


def test_the_list_shows_each_request_and_its_state(bob, asked):
    listed = logged_in(bob).get(reverse("admin:migrations_manager_changerequest_changelist"))
    assert listed.status_code == 200
    assert "001_users.sql, 002_roles.sql" in listed.content.decode()


def test_with_the_policy_on_the_run_page_asks_for_approval_and_creates_the_request(
    always, alice, two_files
):
    as_alice = logged_in(alice)
    shown = as_alice.get(RUN_URL).content.decode()
    assert "This run needs approval." in shown and 'value="Ask for approval"' in shown
    without_reason = as_alice.post(RUN_URL, confirmed(two_files.directory, *FILES))
    assert "needs approval" in without_reason.content.decode()
    assert not ChangeRequest.objects.exists()
    response = as_alice.post(RUN_URL, confirmed(two_files.directory, *FILES, reason=REASON))
    created = ChangeRequest.objects.get()
    assert response.status_code == 302 and response.url == page(created.pk)
    assert created.file_names == list(FILES) and created.requester_name == "alice"
    assert not two_files.exists("users")
