"""The OpenAPI schema (``/api/schema/``), its Swagger UI (``/api/docs/``), and the API tested
against its own schema by schemathesis: generated requests, no 5xx, answers as documented."""

from __future__ import annotations

import re
from io import StringIO

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import token_client
from tests.factories import UserFactory


def test_schema_generates_without_warnings(db):
    """drf-spectacular finds every body and parameter: no guess, no warning."""
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    assert out.getvalue().startswith("openapi: 3.0.3")


@pytest.mark.django_db
def test_schema_documents_the_contract_paths(api):
    paths = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    assert {
        "/api/migrations/check": {"post"},
        "/api/migrations/preview/{filename}": {"get"},
        "/api/migrations/drift": {"get"},
        "/api/migrations/idempotent/status": {"get"},
        "/api/migrations/idempotent/detect-schema": {"post"},
        "/api/migrations/idempotent/run": {"post"},
        "/api/migrations/idempotent/mark-applied": {"post"},
        "/api/migrations/history": {"get"},
        "/api/migrations/runs/{id}": {"get"},
        "/api/migrations/runs/{id}/cancel": {"post"},
        "/api/migrations/sessions/{pid}/terminate": {"post"},
        "/api/migrations/requests": {"get", "post"},
        "/api/migrations/requests/{id}": {"get"},
        "/api/migrations/requests/{id}/approve": {"post"},
        "/api/migrations/requests/{id}/reject": {"post"},
        "/api/migrations/requests/{id}/execute": {"post"},
        "/api/migrations/fleet/status": {"get"},
        "/api/migrations/fleet/runs": {"post"},
        "/api/migrations/fleet/runs/{run_id}": {"get"},
    } == {path: set(operations) for path, operations in paths.items()}


@pytest.mark.django_db
def test_swagger_ui_is_served_from_the_installed_package(api):
    """No CDN: every script and stylesheet of the page is a static file of the project."""
    page = api.get("/api/docs/").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', page)
    assert assets and not [url for url in assets if not url.startswith("/static/")]
    for url in assets:
        assert finders.find(url.removeprefix("/static/")), url
    assert "https://" not in page


# ---- schemathesis ------------------------------------------------------------------------------

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.mark.django_db(transaction=True)  # plain WSGI closes Django's connections per request
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_conforms_to_its_schema(target_db, mode):
    """Requests generated from the live schema (valid ones, then invalid ones) as a superuser,
    against a directory of three pending migrations: every answer is documented, none is 5xx."""
    for name in ("001_a.sql", "002_b.sql", "003_c.sql"):
        target_db.write(name, f"CREATE TABLE t{name[:3]} (id int);")
    client = token_client(UserFactory(username="schemathesis", superuser=True))
    headers = {"Authorization": client._credentials["HTTP_AUTHORIZATION"]}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler(), headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 20

    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=40,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def conforms(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        conforms()
