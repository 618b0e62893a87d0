"""``pgmigrate request``: the command line asks, approves and executes; its actor is the OS
user, so four eyes are compared by name."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from migrations_manager.audit import Actor
from migrations_manager.models import ChangeRequest, MigrationRun

from .conftest import REASON, REQUESTS

pytestmark = pytest.mark.django_db


def pgmigrate(*args: str) -> str:
    out = StringIO()
    call_command("pgmigrate", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_command_line_cannot_approve_its_own_request(always, two_files):
    created = json.loads(pgmigrate("request", "create", "--reason", REASON, "--json"))
    assert created["requester"] == Actor.command_line().name
    with pytest.raises(CommandError, match="another person approves") as refused:
        pgmigrate("request", "approve", str(created["id"]))
    assert refused.value.returncode == 1
    assert ChangeRequest.objects.get().state == "pending"


def test_a_request_made_on_the_api_is_approved_and_executed_from_the_command_line(
    always, as_alice, two_files
):
    created = as_alice.post(REQUESTS, {"reason": REASON}, format="json").json()
    shown = pgmigrate("request", "show", str(created["id"]))
    assert "CREATE TABLE users" in shown and "Check: safe" in shown
    approved = pgmigrate("request", "approve", str(created["id"]), "--comment", "read it")
    assert f"Change request {created['id']} is approved" in approved
    assert f"#{created['id']} approved" in pgmigrate("request", "list", "--state", "approved")
    assert "Applied 2 migration(s)" in pgmigrate("request", "execute", str(created["id"]))
    assert two_files.exists("roles")
    assert MigrationRun.objects.get().change_request_id == created["id"]


def test_a_direct_up_with_the_policy_on_needs_approval(always, two_files):
    with pytest.raises(CommandError, match="needs approval") as refused:
        pgmigrate("up")
    assert refused.value.returncode == 1 and not two_files.exists("users")
    with pytest.raises(CommandError, match="needs approval"):
        pgmigrate("run", "--reason", "no reason opens it")
    assert not MigrationRun.objects.exclude(outcome="refused").exists()


def test_a_bad_id_is_bad_usage(two_files):
    with pytest.raises(CommandError) as bad:
        pgmigrate("request", "approve", "x")
    assert bad.value.returncode == 2
