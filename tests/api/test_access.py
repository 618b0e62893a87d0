"""Who may call what: the permissions matrix, token and session authentication, CSRF."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.api.conftest import BASE, ROLES, token_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# endpoint -> (method, path, body, the role that holds its permission)
ENDPOINTS = {
    "check": ("post", BASE + "check", None, "viewer"),
    "preview": ("get", BASE + "preview/001_a.sql", None, "viewer"),
    "status": ("get", BASE + "idempotent/status", None, "viewer"),
    "detect-schema": (
        "post",
        BASE + "idempotent/detect-schema",
        {"sql": "CREATE TABLE a (id int);"},
        "viewer",
    ),
    "history": ("get", BASE + "history", None, "viewer"),
    "drift": ("get", BASE + "drift", None, "viewer"),
    "run": ("post", BASE + "idempotent/run", {}, "runner"),
    "mark-applied": (
        "post",
        BASE + "idempotent/mark-applied",
        {"migration": "001_a.sql"},
        "marker",
    ),
}


def call(client: APIClient, endpoint: str):
    method, path, body, _ = ENDPOINTS[endpoint]
    return getattr(client, method)(path, body, format="json")


def expected_status(role: str, endpoint: str) -> int:
    if role == "anonymous":
        return 401
    return 200 if role in ("superuser", ENDPOINTS[endpoint][3]) else 403


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("role", ["anonymous", *ROLES])
def test_permissions_matrix(client_as, target_db, role, endpoint):
    """Each endpoint answers the role holding its permission (and superusers); anonymous
    requests get 401, users lacking the permission 403, and then nothing happens."""
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    client = APIClient() if role == "anonymous" else client_as(role)
    response = call(client, endpoint)
    assert response.status_code == expected_status(role, endpoint), response.json()
    if response.status_code != 200:
        assert not target_db.exists("pgmigrations")


def test_anonymous_gets_401_with_the_token_challenge(db, target_db):
    response = APIClient().get(BASE + "idempotent/status")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"error": "Authentication credentials were not provided."}


def test_lacking_the_permission_names_it(client_as, target_db):
    response = client_as("viewer").post(BASE + "idempotent/run")
    assert response.status_code == 403
    assert response.json() == {
        "error": "Running migrations needs the permission migrations_manager.run_migrations."
    }


def test_history_is_readable_with_the_runs_view_permission(db, target_db):
    """As in the admin: ``view_migrationrun`` reads the audit log, and nothing else."""
    reader = token_client(UserFactory(username="auditor", permissions=["view_migrationrun"]))
    assert reader.get(BASE + "history").status_code == 200
    response = reader.get(BASE + "idempotent/status")
    assert response.status_code == 403
    assert response.json() == {
        "error": "Viewing migrations needs the permission migrations_manager.view_migration."
    }
    anyone = token_client(UserFactory(username="nobody"))
    assert anyone.get(BASE + "history").json() == {
        "error": "Viewing the migration history needs the permission "
        "migrations_manager.view_migration or migrations_manager.view_migrationrun."
    }


def test_invalid_or_inactive_token_is_401(db, target_db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert client.get(BASE + "idempotent/status").json() == {"error": "Invalid token."}
    user = UserFactory(superuser=True, is_active=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    response = client.get(BASE + "idempotent/status")
    assert response.status_code == 401
    assert response.json() == {"error": "User inactive or deleted."}


@pytest.fixture
def session_client(db) -> APIClient:
    """A browser-like client: the admin's session cookie, CSRF checks on."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(UserFactory(superuser=True))
    return client


def test_session_reads_need_no_csrf_token(session_client, target_db):
    assert session_client.get(BASE + "idempotent/status").status_code == 200


def test_session_write_without_csrf_token_is_refused(session_client, target_db):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    response = session_client.post(BASE + "idempotent/run")
    assert response.status_code == 403
    assert response.json() == {"error": "CSRF Failed: CSRF cookie not set."}
    assert not target_db.exists("a")


def csrf_token(session_client: APIClient) -> str:
    session_client.get("/admin/")  # an admin page (its logout form) sets the CSRF cookie
    return session_client.cookies["csrftoken"].value


def test_session_write_with_csrf_token_runs(session_client, target_db):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    token = csrf_token(session_client)
    response = session_client.post(BASE + "idempotent/run", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200 and target_db.exists("a")
    wrong = session_client.post(BASE + "idempotent/run", HTTP_X_CSRFTOKEN="x" * 32)
    assert wrong.status_code == 403 and wrong.json()["error"].startswith("CSRF Failed")


@pytest.mark.parametrize("endpoint", ["check", "detect-schema"])
def test_session_posts_that_only_read_need_the_csrf_token_too(session_client, target_db, endpoint):
    """check and detect-schema change nothing, but they are POSTs: CSRF applies."""
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    _, path, body, _ = ENDPOINTS[endpoint]
    refused = session_client.post(path, body, format="json")
    assert refused.status_code == 403
    assert refused.json() == {"error": "CSRF Failed: CSRF cookie not set."}
    token = csrf_token(session_client)
    response = session_client.post(path, body, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
