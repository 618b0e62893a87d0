"""What a run request must say exactly: no body read as "run everything", no parameter ignored,
and a confirmation bound to the bytes it showed."""

from __future__ import annotations

import hashlib

import pytest

from migrations_manager.models import MigrationRun

from .conftest import BASE, EXAMPLES, SEED_FILES

pytestmark = pytest.mark.django_db

RUN = BASE + "idempotent/run"


def sha256(target, name: str) -> str:
    return hashlib.sha256((target.directory / name).read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "path, body",
    [
        (RUN + "?migrations=001_create-users.sql", None),
        (RUN, {"migratons": ["001_create-users.sql"]}),
        (RUN, {"migrations": ["001_create-users.sql"], "dry_run": True}),
        (BASE + "idempotent/mark-applied", {"migration": "001_create-users.sql", "force": True}),
    ],
    ids=["query-parameter", "misspelt-key", "unknown-key", "mark-unknown-key"],
)
def test_a_parameter_the_endpoint_does_not_read_is_a_400(api, seed, path, body):
    response = api.post(path, body, format="json")
    assert response.status_code == 400
    [unknown] = response.json()["fields"]
    assert unknown in path or unknown in body
    assert not seed.exists("users") and not seed.exists("pgmigrations")


def test_a_query_parameter_of_a_read_is_refused_too(api, seed):
    response = api.get(BASE + "idempotent/status?frameworks=flyway")
    assert response.status_code == 400 and response.json()["fields"] == {
        "frameworks": ["Unknown parameter: not read by this endpoint."]
    }


@pytest.mark.parametrize(
    "meta",
    [
        {"HTTP_TRANSFER_ENCODING": "chunked"},
        {"HTTP_TRANSFER_ENCODING": "chunked", "CONTENT_LENGTH": "0"},
        {"HTTP_TRANSFER_ENCODING": "gzip, chunked", "CONTENT_LENGTH": "0"},
        {"SERVER_PROTOCOL": "HTTP/1.0"},
    ],
    ids=["chunked", "chunked-with-length-0", "gzip-chunked", "http-1.0-without-length"],
)
def test_a_body_the_server_cannot_read_is_a_411_and_runs_nothing(api, seed, meta):
    """A WSGI server hands these bodies over as empty, which would mean "run everything"."""
    response = api.generic("POST", RUN, b"", content_type="application/json", **meta)
    assert response.status_code == 411
    assert "Content-Length" in response.json()["error"]
    assert not seed.exists("users") and not MigrationRun.objects.exists()


def test_no_body_at_all_runs_everything_as_the_seed_says(api, seed):
    """``curl -X POST .../run``: HTTP/1.1 without a length nor a transfer encoding has no
    body (RFC 9112): every pending migration runs."""
    response = api.generic("POST", RUN, b"", content_type="")
    assert response.status_code == 200 and seed.exists("roles")


def test_expect_binds_the_run_to_the_files_confirmed(api, seed):
    expect = {name: sha256(seed, name) for name in SEED_FILES}
    (seed.directory / "002_add-indexes.sql").write_text("-- Up Migration\nDROP TABLE users;\n")
    response = api.post(RUN, {"expect": expect}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["refused"] == "changed" and body["details"] == {
        "changed": ["002_add-indexes.sql"],
        "added": [],
        "gone": [],
    }
    assert not seed.exists("users") and not seed.exists("pgmigrations")
    assert MigrationRun.objects.get().outcome == "refused"

    expect["002_add-indexes.sql"] = sha256(seed, "002_add-indexes.sql")
    (seed.directory / "004_late.sql").write_text("-- Up Migration\nCREATE TABLE late (id int);\n")
    body = api.post(RUN, {"expect": expect}, format="json").json()
    assert body["details"]["added"] == ["004_late.sql"] and not seed.exists("late")


def test_expect_that_matches_runs(api, seed):
    names = ["001_create-users.sql", "002_add-indexes.sql"]
    expect = {name: sha256(seed, name) for name in names}
    response = api.post(RUN, {"migrations": names, "expect": expect}, format="json")
    assert response.status_code == 200 and response.json()["ok"]
    assert seed.exists("users") and not seed.exists("roles")


def test_expect_must_be_sha256_values(api, seed):
    response = api.post(RUN, {"expect": {"001_create-users.sql": "abc"}}, format="json")
    assert response.status_code == 400 and not seed.exists("users")


def test_atomic_refuses_the_demo_plan_of_two_segments(api, seed):
    (seed.directory / "004_index-roles-concurrently.sql").write_bytes(
        (EXAMPLES / "004_index-roles-concurrently.sql").read_bytes()
    )
    response = api.post(RUN, {"atomic": True}, format="json")
    assert response.status_code == 409 and response.json()["refused"] == "atomic"
    assert [segment["mode"] for segment in response.json()["details"]] == [
        "atomic",
        "no-transaction",
    ]
    assert not seed.exists("users")
    response = api.post(RUN)
    assert response.status_code == 200
    assert [(s["mode"], s["outcome"]) for s in response.json()["segments"]] == [
        ("atomic", "applied"),
        ("no-transaction", "applied"),
    ]
    assert response.json()["transaction"] == "segments"
