"""Targets through every surface: ``?target=`` on the API (absent: default; unknown: a JSON
404 only an authenticated user sees), ``--target`` and ``targets``/``fleet`` on the command,
the admin's switch, fleet view and Target admin; passwords refused everywhere."""

from __future__ import annotations

import json
from io import StringIO

import psycopg
import pytest
from django.core.management import CommandError, call_command
from psycopg import conninfo
from rest_framework.test import APIClient

from migrations_manager import services, targets
from migrations_manager.models import FleetRun, MigrationRun, Target
from tests.api.conftest import token_client
from tests.factories import UserFactory
from tests.observability.receiver import closed_port
from tests.utils import wait_until

from .conftest import ledger_rows

pytestmark = pytest.mark.django_db(transaction=True)

VIEWER = {"permissions": ["view_migration"]}
RUNNER = {"permissions": ["view_migration", "run_migrations"]}


def pgmigrate(*arguments: str) -> str:
    out = StringIO()
    call_command("pgmigrate", *arguments, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_api_reads_the_target_named_and_the_default_without_one(target_db, fleet, settings):
    [other] = fleet(1, "api")
    target_db.write("001_default_only.sql", "CREATE TABLE d (id int);")
    client = token_client(UserFactory(username="viewer", **VIEWER))
    default = client.get("/api/migrations/idempotent/status").json()
    named = client.get("/api/migrations/idempotent/status?target=api-00").json()
    assert [m["name"] for m in default["migrations"]] == ["001_default_only.sql"]
    assert [m["name"] for m in named["migrations"]] == ["001_widgets.sql"]
    assert client.get("/api/migrations/check?target=default").status_code == 405  # POST only


def test_an_unknown_target_is_a_json_404_after_authentication(target_db):
    anonymous = APIClient()
    assert anonymous.get("/api/migrations/idempotent/status?target=nope").status_code == 401
    client = token_client(UserFactory(username="viewer", **VIEWER))
    answer = client.get("/api/migrations/idempotent/status?target=nope")
    assert answer.status_code == 404
    assert answer.json() == {"error": "No target named 'nope'."}


def test_a_run_through_the_api_on_a_target_is_audited_under_its_name(target_db, fleet):
    [other] = fleet(1, "api")
    client = token_client(UserFactory(username="runner", **RUNNER))
    answer = client.post("/api/migrations/idempotent/run?target=api-00", {}, format="json")
    assert answer.status_code == 200, answer.json()
    assert ledger_rows(other) == 1
    run = MigrationRun.objects.get()
    assert run.target_name == "api-00"
    history = client.get("/api/migrations/history?target=api-00").json()["results"]
    assert [row["id"] for row in history] == [run.pk]
    assert client.get("/api/migrations/history?target=default").json()["results"] == []


def test_fleet_endpoints_need_their_permissions_and_report(target_db, fleet):
    databases = fleet(3, "eu")
    viewer = token_client(UserFactory(username="viewer", **VIEWER))
    runner = token_client(UserFactory(username="runner", **RUNNER))
    rows = viewer.get("/api/migrations/fleet/status?tag=eu").json()
    assert [(r["target"], r["counts"]["pending"], r["pending"]) for r in rows] == [
        (f"eu-0{n}", 1, ["001_widgets.sql"]) for n in range(3)
    ]
    assert (
        viewer.post("/api/migrations/fleet/runs", {"tag": "eu"}, format="json").status_code == 403
    )
    started = runner.post("/api/migrations/fleet/runs", {"tag": "eu", "canary": 1}, format="json")
    assert started.status_code == 202, started.json()
    fleet_id = started.json()["id"]

    def over() -> bool:
        return runner.get(f"/api/migrations/fleet/runs/{fleet_id}").json()["status"] != "running"

    wait_until(over, "the fleet run ended", timeout=120)
    body = runner.get(f"/api/migrations/fleet/runs/{fleet_id}").json()
    assert body["ok"] and body["counts"]["succeeded"] == 3
    assert [ledger_rows(db) for db in databases] == [1, 1, 1]
    assert runner.get("/api/migrations/fleet/runs/999999").status_code == 404
    assert runner.get("/api/migrations/fleet/runs/x").status_code == 404


def test_the_fleet_view_shows_an_unreachable_target_with_its_error(target_db, settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "FLEET_STATUS_TIMEOUT": 2}
    port = closed_port()
    services.add_target("dead", url=f"postgresql://postgres@127.0.0.1:{port}/x", tags=["z"])
    rows = services.fleet_status()
    by_name = {row.target: row for row in rows}
    assert by_name["default"].reachable and by_name["default"].framework
    assert not by_name["dead"].reachable and "unreachable" in by_name["dead"].error
    assert [row.target for row in services.fleet_status(which="unreachable")] == ["dead"]
    assert [row.target for row in services.fleet_status("z")] == ["dead"]


def test_the_command_manages_targets_and_refuses_a_password(target_db, fleet):
    with pytest.raises(CommandError, match="holds a password") as refused:
        pgmigrate("targets", "add", "x", "--url", "postgresql://u:secret@h/db")
    assert refused.value.returncode == 2 and not Target.objects.exists()
    pgmigrate("targets", "add", "x", "--url", "host=h dbname=db", "--tag", "a", "--tag", "b")
    listed = json.loads(pgmigrate("targets", "list", "--json"))
    assert [(t["name"], t["tags"]) for t in listed] == [("default", []), ("x", ["a", "b"])]
    shown = json.loads(pgmigrate("targets", "show", "x", "--json"))
    assert shown["connection"]["ok"] is False and shown["connection"]["error"]
    with pytest.raises(CommandError, match="exists already"):
        pgmigrate("targets", "add", "x", "--url", "host=h")
    pgmigrate("targets", "remove", "x")
    with pytest.raises(CommandError, match="No target named 'x'") as unknown:
        pgmigrate("status", "--target", "x")
    assert unknown.value.returncode == 2


def test_the_default_targets_password_is_never_shown(target_db, settings):
    url = conninfo.make_conninfo(target_db.url, password="env-secret")
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "DATABASE_URL": url}
    for output in (pgmigrate("targets", "list"), pgmigrate("targets", "show", "default", "--json")):
        assert "env-secret" not in output and "***" in output


def test_the_command_runs_on_the_target_named(target_db, fleet):
    [other] = fleet(1, "cli")
    target_db.write("001_d.sql", "CREATE TABLE d (id int);")
    pgmigrate("run", "--target", "cli-00")
    assert ledger_rows(other) == 1 and not target_db.exists("public.pgmigrations")
    assert MigrationRun.objects.get().target_name == "cli-00"
    statuses = json.loads(pgmigrate("fleet", "status", "--tag", "cli", "--json"))
    assert [(s["target"], s["counts"]["applied"]) for s in statuses] == [("cli-00", 1)]


def test_fleet_run_from_the_command_exits_1_with_a_failed_target(target_db, fleet):
    databases = fleet(2, "cmd")
    databases[1].execute("CREATE TABLE other (id int); CREATE INDEX widgets_pkey ON other (id)")
    with pytest.raises(CommandError) as failed:
        pgmigrate("fleet", "run", "--tag", "cmd", "--json")
    assert failed.value.returncode == 1
    databases[1].execute("DROP TABLE other")
    fleet_id = FleetRun.objects.get().pk
    report = json.loads(pgmigrate("fleet", "retry", str(fleet_id), "--json"))
    assert report["ok"] and [ledger_rows(db) for db in databases] == [1, 1]


def test_a_password_in_the_environment_reaches_the_server(target_db, pg_admin_url, monkeypatch):
    """A target whose role has a password: given only as the name of a variable, it reaches
    the connection and is never shown."""
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        admin.execute("DROP ROLE IF EXISTS truss_fleet_pw")
        admin.execute("CREATE ROLE truss_fleet_pw LOGIN PASSWORD 'pw-in-env'")
    try:
        params = conninfo.conninfo_to_dict(target_db.url)
        params.pop("password", None)
        url = conninfo.make_conninfo(**{**params, "user": "truss_fleet_pw"})
        services.add_target("pw", url=url, password_env="TRUSS_FLEET_PW")
        monkeypatch.setenv("TRUSS_FLEET_PW", "pw-in-env")
        assert services.test_connection("pw").ok
        assert "pw-in-env" in targets.resolve("pw").connection_url()
        assert "pw-in-env" not in pgmigrate("targets", "show", "pw", "--json")
        assert Target.objects.filter(url__contains="pw-in-env").count() == 0
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as admin:
            admin.execute("DROP ROLE IF EXISTS truss_fleet_pw")
