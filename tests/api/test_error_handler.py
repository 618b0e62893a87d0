"""The one exception handler: each domain error's status and body, whatever view raised it."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from migrations_manager.api.exceptions import domain_error_response
from migrations_manager.exceptions import (
    AuditUnavailable,
    BodyTooLarge,
    ConfigurationError,
    InvalidMigrationName,
    IrreversibleMigration,
    LockNotAcquired,
    MigrationFailed,
    MigrationNotFound,
    MigrationsManagerError,
    SQLSyntaxError,
    TargetError,
    TargetUnavailable,
    UnsupportedMigration,
    UsageError,
)
from migrations_manager.types import Failure

FAILED = MigrationFailed(
    Failure("003_bad.sql", "boom", statement="    1 | x", line=1, column=2, sqlstate="42601")
)

CASES = [
    (BodyTooLarge(size=2_000_000, limit=1_048_576), 413, {"limit": 1_048_576}),
    (InvalidMigrationName("Invalid migration name: x."), 400, {}),
    (UsageError("Migration a.sql is not pending."), 400, {}),
    (
        SQLSyntaxError("syntax error", name="a.sql", line=3, column=7, position=20),
        400,
        {"line": 3, "column": 7},
    ),
    (UnsupportedMigration("a.py cannot run here.", names=["a.py"]), 400, {}),
    (IrreversibleMigration("a.sql has no down section."), 400, {}),
    (MigrationNotFound("No migration file named 'a.sql'."), 404, {}),
    (
        LockNotAcquired("Another run holds the lock.", pid=7, application="x"),
        409,
        {"ok": False, "holder": {"pid": 7, "application": "x"}},
    ),
    (FAILED, 422, {"ok": False, "failed": FAILED.as_dict()}),
    (TargetUnavailable("The target is unreachable."), 503, {}),
    (ConfigurationError("No target database is configured."), 503, {}),
    (
        TargetError("The target refused a query: denied", sqlstate="42501"),
        503,
        {"sqlstate": "42501"},
    ),
    (AuditUnavailable("The audit log cannot be written: nothing was run."), 503, {}),
    (MigrationsManagerError("Something the request asked cannot be done."), 400, {}),
]


@pytest.mark.parametrize(
    "error, status, extra", CASES, ids=[type(error).__name__ for error, _, _ in CASES]
)
def test_domain_errors_map_to_status_and_body(error, status, extra):
    response = domain_error_response(error)
    assert response.status_code == status
    assert response.data == {**extra, "error": error.message}


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/migrations/idempotent/status/"),
        ("post", "/api/migrations/idempotent/run/"),
        ("get", "/api/migrations/nowhere"),
        ("get", "/api/nowhere/at/all"),
    ],
    ids=["trailing-slash", "post-trailing-slash", "unknown-endpoint", "outside-the-app"],
)
@pytest.mark.django_db
def test_unknown_api_paths_answer_a_json_404(method, path):
    """Whoever calls, anonymous or not, an API path that names no endpoint is a JSON 404, like
    every other error of the API, never Django's HTML page or a redirect."""
    for client in (APIClient(), APIClient(enforce_csrf_checks=True)):
        response = getattr(client, method)(path)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert path in response.json()["error"]


@pytest.mark.django_db
def test_a_trailing_slash_is_named_in_the_404():
    error = APIClient().get("/api/migrations/idempotent/status/").json()["error"]
    assert "/api/migrations/idempotent/status" in error and "trailing slash" in error
