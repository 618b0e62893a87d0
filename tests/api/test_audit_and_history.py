"""The audit log written by ``run`` / ``mark-applied`` through the API, and ``history``."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from migrations_manager.models import MigrationRun
from migrations_manager.web import client_address
from tests.api.conftest import BASE
from tests.factories import MigrationRunFactory

pytestmark = pytest.mark.django_db

HISTORY = BASE + "history"


@pytest.fixture
def two(target_db):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    target_db.write("002_b.sql", "CREATE TABLE b (id int);")
    return target_db


def test_run_and_mark_are_recorded_with_user_and_client_address(client_as, two):
    runner, marker = client_as("runner"), client_as("marker")
    marker.post(
        BASE + "idempotent/mark-applied",
        {"migration": "001_a.sql"},
        format="json",
        REMOTE_ADDR="203.0.113.7",
    )
    runner.post(BASE + "idempotent/run", REMOTE_ADDR="2001:db8::1")
    run, mark = MigrationRun.objects.all()  # newest first
    assert (mark.command, mark.actor, mark.user.username, mark.client_address, mark.source) == (
        "mark-applied",
        "marker",
        "marker",
        "203.0.113.7",
        "api",
    )
    assert (mark.files, mark.outcome, mark.framework) == (
        ["001_a.sql"],
        "succeeded",
        "node-pg-migrate",
    )
    assert (run.command, run.user.username, run.client_address, run.files, run.outcome) == (
        "run",
        "runner",
        "2001:db8::1",
        ["002_b.sql"],
        "succeeded",
    )
    assert list(run.events.values_list("name", "direction", "ok")) == [("002_b.sql", "up", True)]


def test_failed_run_is_recorded_with_its_failure(api, two):
    two.write("003_bad.sql", "SELECT * FROM nonexistent;")
    api.post(BASE + "idempotent/run")
    run = MigrationRun.objects.get()
    assert run.outcome == "failed" and run.failure["sqlstate"] == "42P01"
    assert run.files == ["001_a.sql", "002_b.sql", "003_bad.sql"]


def test_forwarded_for_is_ignored_unless_proxies_are_trusted(api, two, settings):
    api.post(BASE + "idempotent/run", HTTP_X_FORWARDED_FOR="198.51.100.9", REMOTE_ADDR="10.0.0.2")
    assert MigrationRun.objects.get().client_address == "10.0.0.2"


@pytest.mark.parametrize(
    "proxies, forwarded, expected",
    [
        (0, "198.51.100.9", "10.0.0.2"),
        (1, "198.51.100.9", "198.51.100.9"),
        (1, "6.6.6.6, 198.51.100.9", "198.51.100.9"),  # the client's own claim is left of it
        (2, "198.51.100.9, 10.0.0.1", "198.51.100.9"),
        (2, "198.51.100.9", "10.0.0.2"),  # fewer hops than proxies: not through them all
        (1, "not-an-address", "10.0.0.2"),
        (1, "", "10.0.0.2"),
    ],
)
def test_client_address(settings, proxies, forwarded, expected):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "TRUSTED_PROXY_COUNT": proxies}
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="10.0.0.2")
    assert client_address(request) == expected


def test_trusted_proxy_address_reaches_the_audit_log(api, two, settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "TRUSTED_PROXY_COUNT": 1}
    api.post(BASE + "idempotent/run", HTTP_X_FORWARDED_FOR="198.51.100.9", REMOTE_ADDR="10.0.0.2")
    assert MigrationRun.objects.get().client_address == "198.51.100.9"


# ---- history -----------------------------------------------------------------------------------


def test_history_lists_runs_newest_first_with_their_events(api, two):
    api.post(BASE + "idempotent/mark-applied", {"migration": "001_a.sql"}, format="json")
    api.post(BASE + "idempotent/run", REMOTE_ADDR="203.0.113.7")
    response = api.get(HISTORY)
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (2, None, None)
    latest = body["results"][0]
    assert {key: latest[key] for key in ("actor", "user", "client_address", "source")} == {
        "actor": "superuser",
        "user": "superuser",
        "client_address": "203.0.113.7",
        "source": "api",
    }
    assert (latest["command"], latest["outcome"], latest["files"]) == (
        "run",
        "succeeded",
        ["002_b.sql"],
    )
    assert latest["summary"] == "Applied 1 migration(s) successfully."
    assert latest["started_at"].endswith("Z") and latest["finished_at"].endswith("Z")
    assert [(e["name"], e["direction"], e["ok"]) for e in latest["events"]] == [
        ("002_b.sql", "up", True)
    ]
    assert body["results"][1]["command"] == "mark-applied"


def test_history_filters_by_outcome_and_user(api, db):
    MigrationRunFactory(actor="alice", outcome="succeeded")
    MigrationRunFactory(actor="alice", outcome="failed")
    MigrationRunFactory(actor="bob", outcome="failed")
    by_outcome = api.get(HISTORY, {"outcome": "failed"}).json()["results"]
    assert sorted(run["actor"] for run in by_outcome) == ["alice", "bob"]
    both = api.get(HISTORY, {"outcome": "failed", "user": "alice"}).json()
    assert both["count"] == 1 and both["results"][0]["actor"] == "alice"
    assert api.get(HISTORY, {"user": "carol"}).json()["count"] == 0


def test_history_is_paginated(api, db):
    for index in range(5):
        MigrationRunFactory(actor=f"user{index}", outcome="succeeded")
    first = api.get(HISTORY, {"page_size": 2}).json()
    assert first["count"] == 5 and len(first["results"]) == 2
    assert first["next"].endswith("/api/migrations/history?page=2&page_size=2")
    last = api.get(HISTORY, {"page_size": 2, "page": 3}).json()
    assert [run["actor"] for run in last["results"]] == ["user0"]


@pytest.mark.parametrize(
    "query, status, error",
    [
        ({"outcome": "exploded"}, 400, 'outcome: "exploded" is not a valid choice.'),
        ({"page": "x"}, 400, "page: A valid integer is required."),
        ({"page_size": 0}, 400, "page_size: Ensure this value is greater than or equal to 1."),
        ({"page_size": 501}, 400, "page_size: Ensure this value is less than or equal to 500."),
        ({"page": 9}, 404, "Invalid page."),
    ],
    ids=["outcome", "page-not-a-number", "page-size-zero", "page-size-over-max", "page-beyond"],
)
def test_history_bad_query(api, db, query, status, error):
    MigrationRunFactory(actor="alice", outcome="succeeded")
    response = api.get(HISTORY, query)
    assert (response.status_code, response.json()["error"]) == (status, error)


def test_history_empty_filters_filter_nothing(api, db):
    MigrationRunFactory(actor="alice", outcome="succeeded")
    assert api.get(HISTORY, {"outcome": "", "user": ""}).json()["count"] == 1
