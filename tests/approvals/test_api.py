"""Four eyes through the REST API: alice asks, bob approves, the run is bound to what he saw.

Real PostgreSQL, real files: an edit after the approval, an approval that expired, a request
approved by its own requester are each refused before anything runs, and audited.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from migrations_manager.models import Approval, ChangeRequest, MigrationRun

from .conftest import REASON, REQUESTS, RUN

pytestmark = pytest.mark.django_db


def ask(client, body=None):
    response = client.post(REQUESTS, {"reason": REASON, **(body or {})}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_with_the_policy_on_a_direct_run_is_a_409_naming_the_request_to_create(
    always, as_alice, two_files
):
    response = as_alice.post(RUN, {"migrations": ["001_users.sql"]}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["needs_approval"] is True and "needs approval" in body["error"]
    assert body["request"] == {"migrations": ["001_users.sql"], "reason": ""}
    assert not two_files.exists("users")
    refused = MigrationRun.objects.get()
    assert refused.outcome == "refused" and refused.failure["needs_approval"] is True


def test_alice_asks_cannot_approve_bob_approves_and_the_run_links_both(
    always, as_alice, as_bob, two_files
):
    created = ask(as_alice)
    assert created["state"] == "pending" and created["requester"] == "alice"
    assert [f["name"] for f in created["files"]] == ["001_users.sql", "002_roles.sql"]
    assert created["target"] == "default" and created["check"]["safe"] is True
    assert "CREATE TABLE users" in created["sql"]
    assert not two_files.exists("users")  # asking runs nothing

    own = as_alice.post(f"{REQUESTS}/{created['id']}/approve", {}, format="json")
    assert own.status_code == 403 and "another person" in own.json()["error"]
    early = as_alice.post(f"{REQUESTS}/{created['id']}/execute")
    assert early.status_code == 409 and early.json()["refused"] == "state"

    approved = as_bob.post(f"{REQUESTS}/{created['id']}/approve", {"comment": "ok"}, format="json")
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    assert approved.json()["approvals"][0]["approver"] == "bob"

    executed = as_alice.post(f"{REQUESTS}/{created['id']}/execute")
    assert executed.status_code == 200, executed.json()
    assert executed.json()["request"]["state"] == "executed"
    assert two_files.exists("users") and two_files.exists("roles")
    run = MigrationRun.objects.get(outcome="succeeded")
    assert run.change_request_id == created["id"]
    assert [a.approver_name for a in run.change_request.approvals.all()] == ["bob"]
    runs = run.change_request.runs.order_by("id")
    assert executed.json()["request"]["runs"] == [r.pk for r in runs]
    assert [r.outcome for r in runs] == ["refused", "succeeded"]  # the early try, then the run


def test_bob_cannot_execute_without_the_run_permission(always, as_alice, as_bob, two_files):
    created = ask(as_alice)
    as_bob.post(f"{REQUESTS}/{created['id']}/approve", {}, format="json")
    response = as_bob.post(f"{REQUESTS}/{created['id']}/execute")
    assert response.status_code == 403 and not two_files.exists("users")


def test_a_file_edited_after_approval_refuses_the_execution(always, as_alice, as_bob, two_files):
    created = ask(as_alice)
    as_bob.post(f"{REQUESTS}/{created['id']}/approve", {}, format="json")
    two_files.write("002_roles.sql", "DROP TABLE users;")
    response = as_alice.post(f"{REQUESTS}/{created['id']}/execute")
    assert response.status_code == 409
    body = response.json()
    assert body["refused"] == "approval" and body["details"] == {"files": ["002_roles.sql"]}
    assert not two_files.exists("users")
    assert ChangeRequest.objects.get().state == "failed"
    refused = MigrationRun.objects.get()
    assert refused.outcome == "refused" and refused.change_request_id == created["id"]


def test_a_file_added_after_approval_refuses_a_request_for_every_pending_one(
    always, as_alice, as_bob, two_files
):
    created = ask(as_alice)
    as_bob.post(f"{REQUESTS}/{created['id']}/approve", {}, format="json")
    two_files.write("003_more.sql", "CREATE TABLE more (id int);")
    response = as_alice.post(f"{REQUESTS}/{created['id']}/execute")
    assert response.status_code == 409
    assert response.json()["details"]["added"] == ["003_more.sql"]  # and so its segments
    assert not two_files.exists("users")


def test_the_ledger_changed_after_approval_refuses_the_execution(
    always, as_alice, as_bob, two_files
):
    two_files.execute(
        "CREATE TABLE pgmigrations (id serial PRIMARY KEY, name varchar(255) NOT NULL, "
        "run_on timestamp NOT NULL)"
    )
    created = ask(as_alice)
    as_bob.post(f"{REQUESTS}/{created['id']}/approve", {}, format="json")
    # node-pg-migrate's own CLI ran the first one meanwhile: the approvers saw another ledger.
    two_files.execute(
        "CREATE TABLE users (id bigint PRIMARY KEY);"
        "INSERT INTO pgmigrations (name, run_on) VALUES ('001_users', now())"
    )
    response = as_alice.post(f"{REQUESTS}/{created['id']}/execute")
    assert response.status_code == 409
    details = response.json()["details"]
    assert details["applied"] == ["001_users.sql"] and details["gone"] == ["001_users.sql"]
    assert not two_files.exists("roles")


def test_an_expired_approval_refuses_and_expires_the_request(always, as_alice, as_bob, two_files):
    created = ask(as_alice)
    as_bob.post(f"{REQUESTS}/{created['id']}/approve", {}, format="json")
    Approval.objects.update(decided_at=timezone.now() - timedelta(hours=25))
    response = as_alice.post(f"{REQUESTS}/{created['id']}/execute")
    assert response.status_code == 409 and response.json()["refused"] == "expired"
    assert not two_files.exists("users")
    assert ChangeRequest.objects.get().state == "expired"
    assert MigrationRun.objects.get().outcome == "refused"


def test_two_approvers_are_needed_when_the_setting_says_so(
    settings, always, as_alice, as_bob, client_as, two_files
):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "APPROVERS": 2}
    created = ask(as_alice)
    url = f"{REQUESTS}/{created['id']}/approve"
    assert as_bob.post(url, {}, format="json").json()["state"] == "pending"
    again = as_bob.post(url, {}, format="json")
    assert again.status_code == 400 and "already" in again.json()["error"]
    assert as_alice.post(f"{REQUESTS}/{created['id']}/execute").status_code == 409
    carol = client_as("superuser")
    assert carol.post(url, {}, format="json").json()["state"] == "approved"


def test_a_rejected_request_never_runs(always, as_alice, as_bob, two_files):
    created = ask(as_alice)
    rejected = as_bob.post(f"{REQUESTS}/{created['id']}/reject", {"comment": "no"}, format="json")
    assert rejected.status_code == 200 and rejected.json()["state"] == "rejected"
    assert as_alice.post(f"{REQUESTS}/{created['id']}/execute").status_code == 409
    late = as_bob.post(f"{REQUESTS}/{created['id']}/approve", {}, format="json")
    assert late.status_code == 409 and not two_files.exists("users")


def test_reading_needs_the_view_permission_and_approving_its_own(client_as, as_alice, two_files):
    created = ask(as_alice)
    assert client_as("staff").get(REQUESTS).status_code == 403
    viewer = client_as("viewer")
    assert [r["id"] for r in viewer.get(REQUESTS).json()] == [created["id"]]
    assert viewer.get(f"{REQUESTS}/{created['id']}").json()["reason"] == REASON
    assert viewer.post(f"{REQUESTS}/{created['id']}/approve", {}, format="json").status_code == 403
    assert viewer.post(REQUESTS, {"reason": REASON}, format="json").status_code == 403
    assert viewer.get(f"{REQUESTS}/x").status_code == 404


def test_a_request_without_a_reason_is_a_400(as_alice, two_files):
    response = as_alice.post(REQUESTS, {"reason": "  "}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["error"]
    assert not ChangeRequest.objects.exists()


def test_unsafe_asks_approval_only_for_what_the_gate_refuses(settings, as_alice, target_db):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "APPROVALS": "unsafe"}
    target_db.execute("CREATE TABLE sessions (id bigint PRIMARY KEY)")
    target_db.write("001_users.sql", "CREATE TABLE users (id bigint PRIMARY KEY);")
    target_db.write("002_sessions.sql", "CREATE TABLE sessions (id bigint PRIMARY KEY);")
    unsafe = as_alice.post(RUN, {"reason": "a reason is no approval"}, format="json")
    assert unsafe.status_code == 409 and unsafe.json()["needs_approval"] is True
    assert [e["kind"] for e in unsafe.json()["gate"]["errors"]] == ["will-fail"]
    safe = as_alice.post(RUN, {"migrations": ["001_users.sql"]}, format="json")
    assert safe.status_code == 200 and target_db.exists("users")


def test_with_the_policy_off_runs_go_as_before(as_alice, two_files):
    assert as_alice.post(RUN, {}, format="json").status_code == 200
    assert two_files.exists("roles")


@pytest.mark.parametrize("path", ["99999999999999999999999", "١", "1%0A", "-1", "1.0"])
def test_an_id_that_is_no_request_is_a_json_404(as_alice, as_bob, two_files, path):
    for client, suffix in ((as_alice, ""), (as_bob, "/approve"), (as_alice, "/execute")):
        method = client.get if not suffix else client.post
        response = method(f"{REQUESTS}/{path}{suffix}")
        assert response.status_code == 404 and "No change request" in response.json()["error"]


def test_a_window_that_ends_before_it_starts_is_a_400(as_alice, two_files):
    body = {"not_before": "2030-01-02T00:00:00Z", "not_after": "2030-01-01T00:00:00Z"}
    response = as_alice.post(REQUESTS, {"reason": REASON, **body}, format="json")
    assert response.status_code == 400 and "window" in response.json()["error"]
    unknown = as_alice.post(REQUESTS, {"reason": REASON, "migrations": ["nope.sql"]}, format="json")
    assert unknown.status_code == 400 and not ChangeRequest.objects.exists()
