"""``idempotent/status``, ``idempotent/run``, ``idempotent/mark-applied``: the seed's bodies and
every status code of the contract, against a real PostgreSQL."""

from __future__ import annotations

import hashlib
import re

import psycopg
import pytest
from psycopg import conninfo

from tests.api.conftest import BASE

pytestmark = pytest.mark.django_db

STATUS = BASE + "idempotent/status"
RUN = BASE + "idempotent/run"
MARK = BASE + "idempotent/mark-applied"
LOCK_KEY = 7241865325823964  # node-pg-migrate's advisory lock
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def sha256(target, name: str) -> str:
    return hashlib.sha256((target.directory / name).read_bytes()).hexdigest()


def hold_lock(target, application: str = "other-runner"):
    """Another session holding the runners' advisory lock, as a second deployment would."""
    holder = target.connect(application_name=application)
    holder.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
    return holder


# ---- status ------------------------------------------------------------------------------------


def test_status_reproduces_the_seed_example(api, seed):
    """One applied, one pending: the seed's body, field for field (plus ``summary.failed`` and
    each file's ``compared_with``: the applied file with the hash this tool recorded)."""
    (seed.directory / "003_create-roles.sql").unlink()
    api.post(RUN, {"migrations": ["001_create-users.sql"]}, format="json")
    response = api.get(STATUS)
    assert response.status_code == 200
    body = response.json()
    applied_at = body["migrations"][0].pop("applied_at")
    assert ISO_UTC.fullmatch(applied_at)
    assert body == {
        "framework": "node-pg-migrate",
        "tracking_table": "public.pgmigrations",
        "detected_tables": [
            {"schema": "public", "table": "pgmigrations", "framework": "node-pg-migrate"}
        ],
        "migrations": [
            {
                "name": "001_create-users.sql",
                "state": "applied",
                "stored_hash": None,
                "file_hash": sha256(seed, "001_create-users.sql"),
                "compared_with": "recorded",
            },
            {
                "name": "002_add-indexes.sql",
                "state": "pending",
                "applied_at": None,
                "stored_hash": None,
                "file_hash": sha256(seed, "002_add-indexes.sql"),
                "compared_with": None,
            },
        ],
        "summary": {"applied": 1, "pending": 1, "modified": 0, "orphaned": 0, "failed": 0},
    }


def test_status_framework_parameter_picks_the_table(api, seed):
    """``?framework=`` uses that framework's table; one that is not registered is a 400."""
    response = api.get(STATUS, {"framework": "node-pg-migrate"})
    assert response.status_code == 200 and response.json()["framework"] == "node-pg-migrate"
    response = api.get(STATUS, {"framework": "liquibase-for-cobol"})
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "framework": ['"liquibase-for-cobol" is not a valid choice.']
    }


def test_status_framework_not_detected_is_a_400(api, seed):
    seed.connect().execute(
        "CREATE TABLE pgmigrations (id serial PRIMARY KEY, name varchar(255) NOT NULL, "
        "run_on timestamp NOT NULL)"
    )
    response = api.get(STATUS, {"framework": "flyway"})
    assert response.status_code == 400
    assert response.json()["error"].startswith("No Flyway tracking table was detected")


# ---- run ---------------------------------------------------------------------------------------


def test_run_reproduces_the_seed_ok_body(api, seed):
    api.post(RUN, {"migrations": ["001_create-users.sql"]}, format="json")
    response = api.post(RUN, {"migrations": ["002_add-indexes.sql"]}, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "ok": True,
        "summary": "Applied 1 migration(s) successfully.",
        "applied": [{"name": "002_add-indexes.sql", "hash": sha256(seed, "002_add-indexes.sql")}],
        "failed": None,
        "framework": "node-pg-migrate",
        "tracking_table": "public.pgmigrations",
        "transaction": "single",
        "note": None,
        "segments": [{"files": ["002_add-indexes.sql"], "mode": "atomic", "outcome": "applied"}],
    }
    assert seed.scalar("SELECT count(*) FROM pgmigrations") == 2


def test_run_with_empty_body_runs_everything_pending(api, seed):
    response = api.post(RUN)
    assert response.status_code == 200
    assert [a["name"] for a in response.json()["applied"]] == sorted(
        p.name for p in seed.directory.iterdir()
    )
    assert seed.exists("roles")


def test_run_failure_is_422_with_the_seed_failure_body(api, seed):
    """A failing migration: 422, the seed's body, nothing of the batch left behind."""
    seed.write("003_bad-query.sql", raw="-- Up Migration\nSELECT * FROM nonexistent;\n")
    (seed.directory / "003_create-roles.sql").unlink()
    response = api.post(RUN)
    assert response.status_code == 422
    body = response.json()
    assert body["failed"].pop("statement") == "    2 | SELECT * FROM nonexistent"
    assert body == {
        "ok": False,
        "summary": 'Migration "003_bad-query.sql" failed — entire batch rolled back.',
        "applied": [],
        "failed": {
            "name": "003_bad-query.sql",
            "error": 'relation "nonexistent" does not exist',
            "line": 2,
            "column": 15,
            "sqlstate": "42P01",
            "kept": [],
            "rolled_back": ["001_create-users.sql", "002_add-indexes.sql", "003_bad-query.sql"],
            "outcome_unknown": False,
        },
        "framework": "node-pg-migrate",
        "tracking_table": "public.pgmigrations",
        "transaction": "single",
        "note": None,
        "segments": [
            {
                "files": ["001_create-users.sql", "002_add-indexes.sql", "003_bad-query.sql"],
                "mode": "atomic",
                "outcome": "rolled back",
            }
        ],
    }
    assert not seed.exists("users") and not seed.exists("pgmigrations")


def test_run_while_another_run_holds_the_lock_is_409(api, seed):
    holder = hold_lock(seed)
    pid = holder.info.backend_pid
    response = api.post(RUN)
    assert response.status_code == 409
    assert response.json() == {
        "ok": False,
        "error": f"Another migration run holds the lock on {seed.name} (pid {pid}, other-runner).",
        "holder": {"pid": pid, "application": "other-runner"},
    }
    assert not seed.exists("users") and not seed.exists("pgmigrations")


@pytest.mark.parametrize(
    "names, message",
    [
        (["001_create-users.sql", "001_create-users.sql"], "listed more than once"),
        (["009_missing.sql"], "Unknown migration '009_missing.sql'."),
        (["../001_create-users.sql"], "path separator"),
    ],
    ids=["repeated", "unknown", "path"],
)
def test_run_with_bad_names_is_400_and_runs_nothing(api, seed, names, message):
    response = api.post(RUN, {"migrations": names}, format="json")
    assert response.status_code == 400 and message in response.json()["error"]
    assert not seed.exists("users")


def test_run_of_a_name_that_is_not_pending_is_400(api, seed):
    api.post(RUN, {"migrations": ["001_create-users.sql"]}, format="json")
    response = api.post(RUN, {"migrations": ["001_create-users.sql"]}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "error": "Migration 001_create-users.sql is not pending (it is applied)."
    }


def test_run_of_a_no_transaction_file_says_so(api, target_db):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    target_db.write(
        "002_idx.sql", raw="-- truss:no-transaction\nCREATE INDEX CONCURRENTLY i ON a (id);\n"
    )
    api.post(RUN, {"migrations": ["001_a.sql"]}, format="json")
    body = api.post(RUN, {"migrations": ["002_idx.sql"]}, format="json").json()
    assert body["ok"] and body["transaction"] == "none"
    assert body["note"].startswith("This migration runs outside a transaction")


def test_run_with_a_syntax_error_is_400_with_line_and_column(api, target_db):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);\nCREATE TABLE b (id int;")
    response = api.post(RUN)
    assert response.status_code == 400
    body = response.json()
    assert body["error"].startswith("Syntax error in 001_a.sql, line 3")
    assert (body["line"], body["column"]) == (3, 23)
    assert not target_db.exists("a")


# ---- mark-applied ------------------------------------------------------------------------------


def test_mark_applied_body_then_already_recorded(api, seed):
    response = api.post(MARK, {"migration": "001_create-users.sql"}, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "ok": True,
        "migration": "001_create-users.sql",
        "framework": "node-pg-migrate",
        "tracking_table": "public.pgmigrations",
        "message": "Recorded 001_create-users.sql as applied in public.pgmigrations "
        "(node-pg-migrate); nothing ran.",
    }
    again = api.post(MARK, {"migration": "001_create-users.sql"}, format="json")
    assert again.status_code == 200 and again.json()["ok"] is True
    assert again.json()["message"] == (
        "001_create-users.sql is already recorded as applied in public.pgmigrations; "
        "nothing was written."
    )
    assert seed.scalar("SELECT count(*) FROM pgmigrations") == 1 and not seed.exists("users")


def test_mark_applied_unknown_file_is_404(api, seed):
    response = api.post(MARK, {"migration": "009_missing.sql"}, format="json")
    assert response.status_code == 404
    assert response.json() == {"error": "No migration file named '009_missing.sql'."}


def test_mark_applied_without_a_name_is_400(api, seed):
    response = api.post(MARK, {}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "error": "migration: This field is required.",
        "fields": {"migration": ["This field is required."]},
    }


def test_mark_applied_while_a_run_holds_the_lock_is_409(api, seed):
    hold_lock(seed)
    response = api.post(MARK, {"migration": "001_create-users.sql"}, format="json")
    assert response.status_code == 409 and response.json()["ok"] is False
    assert not seed.exists("pgmigrations")


# ---- the target -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path, body",
    [("get", STATUS, None), ("post", RUN, {}), ("post", MARK, {"migration": "001_a.sql"})],
    ids=["status", "run", "mark-applied"],
)
def test_unreachable_target_is_503_with_a_sentence(api, target_down, method, path, body):
    target_down.write("001_a.sql", "CREATE TABLE a (id int);")
    response = getattr(api, method)(path, body, format="json")
    assert response.status_code == 503
    assert set(response.json()) == {"error"}
    assert response.json()["error"].startswith(
        "The target database 'truss' on 127.0.0.1 is unreachable"
    )


def test_unreachable_target_names_what_libpq_said(api, target_down, settings):
    """What libpq said, "Connection refused" with the host and the port tried, is kept."""
    port = conninfo.conninfo_to_dict(settings.MIGRATIONS_MANAGER["DATABASE_URL"])["port"]
    error = api.get(STATUS).json()["error"]
    assert "Connection refused" in error
    assert f'"127.0.0.1", port {port} failed' in error


def test_unconfigured_target_is_503(api, target_db, settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "DATABASE_URL": None}
    response = api.get(STATUS)
    assert response.status_code == 503
    assert response.json()["error"].startswith("No target database is configured")


def test_target_refusing_the_app_its_tracking_table_is_503(api, target_db, settings):
    """The target's role may not read the tracking table: the app's own query is refused."""
    target_db.execute(
        "CREATE TABLE pgmigrations (id serial PRIMARY KEY, name varchar(255) NOT NULL,"
        " run_on timestamp NOT NULL); CREATE ROLE truss_limited LOGIN;"
        " REVOKE ALL ON pgmigrations FROM PUBLIC"
    )
    limited = psycopg.conninfo.make_conninfo(target_db.url, user="truss_limited")
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "DATABASE_URL": limited}
    try:
        response = api.get(STATUS)
    finally:
        target_db.execute("DROP OWNED BY truss_limited; DROP ROLE truss_limited")
    assert response.status_code == 503
    body = response.json()
    assert body["sqlstate"] == "42501"
    assert body["error"] == "The target refused a query: permission denied for table pgmigrations"


def test_mark_applied_whose_row_cannot_be_written_is_422(api, seed):
    """The tracking table refuses the row (here: a name column too short): nothing recorded."""
    seed.connect().execute(
        "CREATE TABLE pgmigrations (id serial PRIMARY KEY, name varchar(5) NOT NULL, "
        "run_on timestamp NOT NULL)"
    )
    response = api.post(MARK, {"migration": "001_create-users.sql"}, format="json")
    assert response.status_code == 422
    body = response.json()
    assert (body["ok"], body["failed"]["name"], body["failed"]["sqlstate"]) == (
        False,
        "001_create-users.sql",
        "22001",
    )
    assert body["error"].startswith(
        'Migration "001_create-users.sql" failed: writing the tracking row failed: '
        "value too long for type character varying(5)"
    )
    assert seed.scalar("SELECT count(*) FROM pgmigrations") == 0


def test_marking_out_of_order_is_a_409_refusal(api, seed):
    """A history node-pg-migrate would refuse is a refusal of the plan, not a bad request."""
    response = api.post(MARK, {"migration": "003_create-roles.sql"}, format="json")
    assert response.status_code == 409
    assert response.json()["refused"] == "order" and "in order" in response.json()["error"]
    assert not seed.exists("pgmigrations")


def test_a_copy_from_stdin_is_refused_with_file_and_line_not_a_503(api, target_db):
    target_db.write("001_load.sql", "CREATE TABLE a (id int);\nCOPY a FROM STDIN;")
    response = api.post(RUN, {}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert (body["file"], body["line"]) == ("001_load.sql", 3)
    assert "STDIN" in body["error"] and not target_db.exists("a")
