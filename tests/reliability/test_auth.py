"""Every URL the project serves refuses anonymous users, whatever the method, except the admin's
login page; every write of a logged-in session is refused without its CSRF token.

The URL resolver is walked, so a page or endpoint added later (an admin page of the panel, an
API endpoint) is covered without touching this test. Static files are not in the URL
configuration (the web server, or ``runserver`` in the demo, serves them), so nothing here needs
an exception for them.
"""

from __future__ import annotations

import pytest
from django.test import Client

from migrations_manager.models import MigrationRun
from tests.admin.helpers import confirm_run
from tests.factories import UserFactory
from tests.reliability.served import SERVED

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def metrics_token(settings):
    """/metrics is open without a token (a system check warns); with one, it is refused too."""
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "METRICS_TOKEN": "t0ken"}


PUBLIC = {"admin:login"}
# What is not there, said in JSON to anyone.
NOT_FOUND = {"api-not-found", "migrations_manager_api:not-found"}
METHODS = ("get", "head", "options", "post", "put", "patch", "delete")
WRITES = ("post", "put", "patch", "delete")
IDS = [name for name, _ in SERVED]


def refused(response) -> bool:
    """401/403, or redirects that end on the admin's login page."""
    if response.redirect_chain:
        return response.request["PATH_INFO"] == "/admin/login/"
    return response.status_code in (401, 403)


def test_the_walk_finds_the_api_the_admin_and_the_panel():
    assert {
        "migrations_manager_api:idempotent-run",
        "migrations_manager_api:idempotent-mark-applied",
        "migrations_manager_api:idempotent-status",
        "migrations_manager_api:history-list",
        "migrations_manager_api:migrations-check",
        "migrations_manager_api:migrations-preview",
        "migrations_manager_api:idempotent-detect-schema",
        "schema",
        "swagger-ui",
        "admin:index",
        "admin:migrations_manager_migration_changelist",
        "admin:migrations_manager_migration_run",
        "admin:migrations_manager_migration_mark_applied",
        "admin:migrations_manager_migration_check",
        "admin:migrations_manager_migration_preview",
        "admin:migrations_manager_migration_detect_schema",
        "admin:migrations_manager_migrationrun_changelist",
        "admin:migrations_manager_migrationrun_change",
    } <= set(IDS)


@pytest.mark.parametrize("name, url", SERVED, ids=IDS)
@pytest.mark.parametrize("method", METHODS)
def test_anonymous_users_are_refused(method, name, url):
    response = getattr(Client(), method)(url, follow=True)
    if name in PUBLIC:  # the login form: shown, or a method it does not take
        assert response.status_code in (200, 405) and not response.redirect_chain
    elif name in NOT_FOUND:
        assert response.status_code == 404 and (method == "head" or "error" in response.json())
    else:
        assert refused(response), (response.status_code, response.redirect_chain)


# ---- CSRF --------------------------------------------------------------------------------------


@pytest.fixture
def session(target_db) -> Client:
    """A superuser's browser session (CSRF checks on) and one pending migration."""
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username="admin", superuser=True))
    return client


def csrf_failure(response) -> bool:
    """Django's CSRF page, or DRF's ``CSRF Failed`` error (in the data of a view that renders
    HTML, such as the Swagger UI): the token, not the permission, refused the request."""
    said = response.content + str(getattr(response, "data", "")).encode()
    return response.status_code == 403 and b"CSRF" in said


@pytest.mark.parametrize("method", WRITES)
def test_a_session_write_without_its_csrf_token_is_refused(session, target_db, method):
    """Every URL, without a token and with a forged one (one target for the whole walk: the
    proof that nothing ran is that its one pending migration is still pending)."""
    form = {"post": "yes", "name": "001_a.sql", "migration": "001_a.sql"}
    accepted = []
    for name, url in SERVED:
        for headers in ({}, {"HTTP_X_CSRFTOKEN": "x" * 32}):
            response = getattr(session, method)(url, form, **headers)
            if name in NOT_FOUND and response.status_code == 404:
                continue  # nothing there to write to
            if not csrf_failure(response):
                accepted.append((name, bool(headers), response.status_code))
    assert accepted == []
    assert not target_db.exists("a") and not target_db.exists("pgmigrations")
    assert not MigrationRun.objects.exists()


def test_the_same_write_with_its_token_goes_through(session, target_db):
    """The refusals above are the token's doing: with it, the admin's confirmation runs."""
    response = confirm_run(session, ["001_a.sql"])
    assert response.status_code == 302 and target_db.exists("a")
    assert MigrationRun.objects.get().outcome == "succeeded"
