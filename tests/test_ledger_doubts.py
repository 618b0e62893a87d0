"""A ledger this tool does not read, and a directory with no migrations while the ledger has
rows: status says so (the command line exits 1 for the second), and a run or a mark is never
taken as the first on an empty database."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import PlanRefused
from tests.api.conftest import token_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ACTOR = Actor(name="tester")
# A home-grown ledger: no framework this tool reads keeps one of this name.
UNKNOWN = (
    "CREATE TABLE deploy_migrations (id text PRIMARY KEY, applied_at timestamptz);"
    "INSERT INTO deploy_migrations VALUES ('001_a.sql', now())"
)


def test_an_unknown_ledger_is_a_warning_and_refuses_writes(target_db):
    target_db.execute(UNKNOWN)
    target_db.execute("CREATE TABLE a (id int)")
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    report = services.status()
    [warning] = report.warnings
    assert warning.kind == "unknown-ledger" and "public.deploy_migrations" in warning.message
    with pytest.raises(PlanRefused) as refused:
        services.run_pending(actor=ACTOR, reason="a reason does not make it a known ledger")
    assert refused.value.kind == "ledger"
    with pytest.raises(PlanRefused):
        services.mark_applied("001_a.sql", actor=ACTOR)
    assert not target_db.exists("pgmigrations")
    check = services.check()
    assert not check.safe and any("deploy_migrations" in w for w in check.warnings)


def test_naming_the_framework_is_the_way_past_an_unknown_ledger(target_db, settings):
    target_db.execute(UNKNOWN)
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "FRAMEWORK": "node-pg-migrate"}
    assert services.status().warnings == ()
    assert services.run_pending(actor=ACTOR).ok and target_db.exists("a")


def test_a_table_that_only_sounds_like_a_ledger_is_not_one(target_db):
    target_db.execute("CREATE TABLE migration_notes (body text)")  # no key, no time
    target_db.execute("CREATE TABLE bird_migrations (id serial, species text, seen_on date)")
    target_db.execute("CREATE TABLE user_migrations (id serial, user_id int, created_at date)")
    target_db.execute(
        "CREATE TABLE product_changelog (id int, product_id int, body text, changed_at date)"
    )
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    assert services.status().warnings == ()
    target_db.execute("CREATE TABLE app_migrations_log (migration text, ran timestamptz)")
    [warning] = services.status().warnings
    assert "public.app_migrations_log" in warning.message


def test_a_directory_without_migrations_beside_a_ledger_with_rows(target_db):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    services.run_pending(actor=ACTOR)
    (target_db.directory / "001_a.sql").unlink()
    [warning] = services.status().warnings
    assert warning.kind == "no-migrations" and str(target_db.directory) in warning.message
    err = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("pgmigrate", "status", stdout=StringIO(), stderr=err)
    assert failed.value.returncode == 1 and "TRUSS_MIGRATIONS_DIR" in err.getvalue()
    body = token_client(UserFactory(username="ops", superuser=True)).get(
        "/api/migrations/idempotent/status"
    )
    assert [w["kind"] for w in body.json()["warnings"]] == ["no-migrations"]


def test_a_fresh_database_and_directory_have_nothing_to_warn_of(target_db):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    assert services.status().warnings == ()
    out = StringIO()
    call_command("pgmigrate", "status", stdout=out, stderr=StringIO())
    assert "pending: 1" in out.getvalue()


@pytest.mark.parametrize(
    "ledger",
    [
        "CREATE TABLE migrations (id serial, migration text, batch int, ran_at timestamptz)",
        "CREATE TABLE schema_migrations (filename text, applied_at timestamptz)",
        "CREATE TABLE schema_version (version bigint, dirty boolean)",
    ],
)
def test_a_known_name_in_another_shape_is_an_unknown_ledger(target_db, ledger):
    target_db.execute(ledger)
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    assert [w.kind for w in services.status().warnings] == ["unknown-ledger"]
    with pytest.raises(PlanRefused):
        services.run_pending(actor=ACTOR)
    assert not target_db.exists("a")


def test_application_tables_do_not_stop_a_first_run(target_db):
    target_db.execute("CREATE TABLE user_migrations (id serial, user_id int, created_at date)")
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    assert services.run_pending(actor=ACTOR).ok and target_db.exists("a")


KNEX = (
    "CREATE TABLE knex_migrations (id serial PRIMARY KEY, name varchar(255), batch integer,"
    " migration_time timestamptz);"
    "CREATE TABLE knex_migrations_lock (index serial PRIMARY KEY, is_locked integer);"
    "INSERT INTO knex_migrations (name, batch, migration_time) VALUES ('x.js', 1, now())"
)


def test_a_second_ledger_does_not_take_over_the_project_s(target_db):
    """A knex ledger with one row of its own appears beside the project's pgmigrations: the
    directory's files still designate pgmigrations."""
    for index in range(1, 4):
        target_db.write(f"00{index}_t{index}.sql", f"CREATE TABLE t{index} (id int);")
    services.run_pending(["001_t1.sql", "002_t2.sql"], actor=ACTOR)
    target_db.execute(KNEX)
    report = services.status()
    assert report.framework == "node-pg-migrate" and report.warnings == ()
    assert {d.framework for d in report.detected_tables} == {"knex", "node-pg-migrate"}
    assert services.run_pending(actor=ACTOR).ok and target_db.exists("t3")


def test_ledgers_the_files_do_not_tell_apart_refuse_writes_until_they_do(target_db, settings):
    target_db.execute(KNEX)
    target_db.execute(
        "CREATE TABLE pgmigrations (id serial PRIMARY KEY, name varchar(255) NOT NULL,"
        " run_on timestamp NOT NULL)"
    )
    warnings = {w.kind: w for w in services.status().warnings}  # no file: neither is ours
    warning = warnings["ambiguous-ledger"]
    assert "knex_migrations" in warning.message and "pgmigrations" in warning.message
    with pytest.raises(PlanRefused):
        services.run_pending(actor=ACTOR)
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "FRAMEWORK": "knex"}
    assert services.status().warnings[0].kind == "no-migrations"  # pinned: no doubt of choice
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "FRAMEWORK": None}
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")  # node-pg-migrate's file
    assert services.status().framework == "node-pg-migrate"
    assert services.run_pending(actor=ACTOR).ok and target_db.exists("a")
