"""Standard mode (create / up / down / redo) against a real PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import (
    GateRefused,
    IrreversibleMigration,
    LockNotAcquired,
    PlanRefused,
    SQLSyntaxError,
    TargetUnavailable,
    UnsupportedMigration,
    UsageError,
)
from migrations_manager.models import MigrationRun
from migrations_manager.types import State

pytestmark = pytest.mark.django_db

ACTOR = Actor(name="tester")


def write_tables(target, *names: str) -> None:
    for index, table in enumerate(names, start=1):
        target.write(
            f"00{index}_create-{table}.sql",
            f"CREATE TABLE {table} (id int);",
            f"DROP TABLE {table};",
        )


def recorded(target) -> list[str]:
    return [row[0] for row in target.query("SELECT name FROM pgmigrations ORDER BY run_on, id")]


def test_up_applies_all_pending_in_name_order_and_records_them(target_db):
    write_tables(target_db, "a", "b", "c")
    report = services.migrate_up(actor=ACTOR)
    assert report.ok
    assert [r.name for r in report.completed] == [
        "001_create-a.sql",
        "002_create-b.sql",
        "003_create-c.sql",
    ]
    assert recorded(target_db) == ["001_create-a", "002_create-b", "003_create-c"]
    assert all(target_db.exists(t) for t in ("a", "b", "c"))


def test_tracking_table_is_created_exactly_as_node_pg_migrate_creates_it(target_db):
    write_tables(target_db, "a")
    services.migrate_up(actor=ACTOR)
    columns = target_db.query(
        "SELECT column_name, data_type, character_maximum_length, is_nullable, column_default"
        " FROM information_schema.columns WHERE table_schema = 'public'"
        " AND table_name = 'pgmigrations' ORDER BY ordinal_position"
    )
    assert columns == [
        ("id", "integer", None, "NO", "nextval('pgmigrations_id_seq'::regclass)"),
        ("name", "character varying", 255, "NO", None),
        ("run_on", "timestamp without time zone", None, "NO", None),
    ]
    assert (
        target_db.scalar(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = 'pgmigrations'::regclass AND contype = 'p'"
        )
        == "PRIMARY KEY (id)"
    )


@pytest.mark.parametrize(
    "target, expected",
    [
        (2, ["001_create-a", "002_create-b"]),
        ("002_create-b.sql", ["001_create-a", "002_create-b"]),
        ("002_create-b", ["001_create-a", "002_create-b"]),
        (1, ["001_create-a"]),
    ],
)
def test_up_with_a_count_or_a_name(target_db, target, expected):
    write_tables(target_db, "a", "b", "c")
    services.migrate_up(target, actor=ACTOR)
    assert recorded(target_db) == expected


def test_up_to_a_name_that_is_not_pending_is_refused(target_db):
    write_tables(target_db, "a")
    with pytest.raises(UsageError, match="not a pending migration"):
        services.migrate_up("009_nope.sql", actor=ACTOR)


def test_down_rolls_back_the_last_ones_in_reverse_order(target_db):
    write_tables(target_db, "a", "b", "c")
    services.migrate_up(actor=ACTOR)
    report = services.migrate_down(actor=ACTOR)
    assert [r.name for r in report.completed] == ["003_create-c.sql"]
    assert not target_db.exists("c") and target_db.exists("b")
    report = services.migrate_down(2, actor=ACTOR)
    assert [r.name for r in report.completed] == ["002_create-b.sql", "001_create-a.sql"]
    assert recorded(target_db) == []
    assert not target_db.exists("a")


def test_redo_rolls_back_and_reapplies(target_db):
    write_tables(target_db, "a", "b")
    services.migrate_up(actor=ACTOR)
    target_db.query("INSERT INTO b VALUES (1) RETURNING id")
    report = services.redo(actor=ACTOR)
    assert [(r.name, r.direction.value) for r in report.completed] == [
        ("002_create-b.sql", "down"),
        ("002_create-b.sql", "up"),
    ]
    assert target_db.scalar("SELECT count(*) FROM b") == 0  # the table was re-created
    assert recorded(target_db) == ["001_create-a", "002_create-b"]


def test_failure_in_the_third_of_five_keeps_the_first_two_and_nothing_of_the_third(target_db):
    write_tables(target_db, "a", "b")
    target_db.write(
        "003_bad.sql", "CREATE TABLE c (id int);\nINSERT INTO c\n  SELECT * FROM nonexistent;"
    )
    target_db.write("004_d.sql", "CREATE TABLE d (id int);")
    target_db.write("005_e.sql", "CREATE TABLE e (id int);")
    report = services.migrate_up(actor=ACTOR)
    assert not report.ok
    assert [r.name for r in report.completed] == ["001_create-a.sql", "002_create-b.sql"]
    failure = report.failure
    assert (failure.name, failure.line, failure.sqlstate) == ("003_bad.sql", 4, "42P01")
    assert failure.error == 'relation "nonexistent" does not exist'
    assert "SELECT * FROM nonexistent" in failure.statement
    assert recorded(target_db) == ["001_create-a", "002_create-b"]
    assert not target_db.exists("c") and not target_db.exists("d")


def test_dry_run_prints_the_plan_and_changes_nothing(target_db):
    write_tables(target_db, "a")
    report = services.migrate_up(actor=ACTOR, dry_run=True)
    assert report.dry_run and [s.migration.name for s in report.plan.steps] == ["001_create-a.sql"]
    lines = report.sql_text.splitlines()
    assert lines[:5] == [
        "-- segment 1 of 1 (atomic: one transaction, with their tracking rows): 001_create-a.sql",
        "BEGIN;",
        'CREATE TABLE IF NOT EXISTS "public"."pgmigrations" (id SERIAL PRIMARY KEY, '
        "name varchar(255) NOT NULL, run_on timestamp NOT NULL);",
        "-- 001_create-a.sql (up)",
        "CREATE TABLE a (id int);",
    ]
    insert, comment, verify, commit = lines[-4:]
    assert (
        insert
        == """INSERT INTO "public"."pgmigrations" (name, run_on) VALUES ('001_create-a', NOW());"""
    )
    assert comment == "-- the run's advisory lock must still be held" and commit == "COMMIT;"
    assert "SELECT EXISTS (SELECT FROM pg_catalog.pg_locks" in verify
    assert not target_db.exists("pgmigrations") and not target_db.exists("a")
    assert MigrationRun.objects.count() == 0


def test_dry_run_of_down_changes_nothing(target_db):
    write_tables(target_db, "a")
    services.migrate_up(actor=ACTOR)
    report = services.migrate_down(actor=ACTOR, dry_run=True)
    assert "DROP TABLE a;" in report.sql_text
    assert """DELETE FROM "public"."pgmigrations" WHERE name = '001_create-a';""" in report.sql_text
    assert target_db.exists("a") and recorded(target_db) == ["001_create-a"]


def test_lock_held_by_another_session_refuses_the_run_and_names_it(target_db):
    write_tables(target_db, "a")
    holder = target_db.connect(application_name="deploy-job-42")
    holder.execute("SELECT pg_advisory_lock(7241865325823964)")
    holder_pid = holder.info.backend_pid
    with pytest.raises(LockNotAcquired) as caught:
        services.migrate_up(actor=ACTOR)
    assert caught.value.pid == holder_pid and caught.value.application == "deploy-job-42"
    assert f"pid {holder_pid}, deploy-job-42" in caught.value.message
    assert not target_db.exists("a")


def test_lock_wait_polls_until_the_holder_releases(target_db, settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "LOCK_WAIT": 5}
    write_tables(target_db, "a")
    holder = target_db.connect()
    holder.execute("SELECT pg_advisory_lock(7241865325823964)")
    release = threading.Timer(0.5, lambda: holder.execute("SELECT pg_advisory_unlock_all()"))
    release.start()
    started = time.monotonic()
    report = services.migrate_up(actor=ACTOR)
    release.join()
    assert report.ok and time.monotonic() - started >= 0.4


def test_audit_log_records_runs_and_their_migrations(target_db):
    write_tables(target_db, "a")
    target_db.write("002_bad.sql", "SELECT * FROM nonexistent;")
    services.migrate_up(actor=ACTOR)
    run = MigrationRun.objects.get()
    assert (run.actor, run.command, run.source, run.outcome) == ("tester", "up", "cli", "failed")
    assert run.files == ["001_create-a.sql", "002_bad.sql"]
    assert run.framework == "node-pg-migrate" and run.tracking_table == "public.pgmigrations"
    assert target_db.name in run.target and run.finished_at is not None
    assert run.failure["sqlstate"] == "42P01"
    events = list(run.events.values_list("name", "direction", "ok"))
    assert events == [("001_create-a.sql", "up", True), ("002_bad.sql", "up", False)]


def test_cjs_migration_without_node_pg_migrate_fails_before_anything_runs(target_db, settings):
    missing = str(target_db.directory.parent / "no-such-dir" / "node-pg-migrate")
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "NODE_PG_MIGRATE": missing}
    write_tables(target_db, "a")
    (target_db.directory / "002_js.cjs").write_text("exports.up = (pgm) => {};\n")
    for dry_run in (True, False):
        with pytest.raises(UnsupportedMigration) as caught:
            services.migrate_up(actor=ACTOR, dry_run=dry_run)
        assert caught.value.message == (
            "002_js.cjs is a JavaScript migration: it needs node-pg-migrate (Node.js and the "
            "node-pg-migrate npm package) to run, and MIGRATIONS_MANAGER['NODE_PG_MIGRATE'] is "
            f"{missing!r}, which is not an executable file. Install Node.js and npm, then run "
            "`make node-tools` (it installs node-pg-migrate into var/node), or set "
            "MIGRATIONS_MANAGER['NODE_PG_MIGRATE'] to a node-pg-migrate executable."
        )
        assert caught.value.names == ("002_js.cjs",)
    assert not target_db.exists("a") and not target_db.exists("pgmigrations")
    # The dry run is not an attempt to change anything; the refused run is recorded as such.
    refused = MigrationRun.objects.get()
    assert (refused.command, refused.outcome) == ("up", "refused")
    assert refused.summary == caught.value.message and not refused.events.exists()
    warning = services.cjs_warning(services.status())
    assert warning is not None and warning.startswith("002_js.cjs is a JavaScript migration")


def test_syntax_error_in_a_later_file_stops_everything_before_it_runs(target_db):
    write_tables(target_db, "a")
    target_db.write("002_typo.sql", "CREATE TABLE b (id int);\nCREAT TABLE c (id int);")
    with pytest.raises(SQLSyntaxError) as caught:
        services.migrate_up(actor=ACTOR)
    assert (caught.value.name, caught.value.line) == ("002_typo.sql", 3)
    assert not target_db.exists("a")


def test_down_of_a_migration_without_down_section_is_refused(target_db):
    target_db.write("001_a.sql", raw="CREATE TABLE a (id int);\n")
    services.migrate_up(actor=ACTOR)
    with pytest.raises(IrreversibleMigration):
        services.migrate_down(actor=ACTOR)
    assert target_db.exists("a")


def test_pending_before_applied_is_refused_like_node_pg_migrate(target_db):
    target_db.write("002_b.sql", "CREATE TABLE b (id int);")
    services.migrate_up(actor=ACTOR)
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    with pytest.raises(PlanRefused, match="Not run migration 001_a.sql is preceding"):
        services.migrate_up(actor=ACTOR)


def test_recorded_migration_without_file_is_refused(target_db):
    write_tables(target_db, "a")
    services.migrate_up(actor=ACTOR)
    (target_db.directory / "001_create-a.sql").unlink()
    assert services.status().migrations[0].state is State.ORPHANED
    with pytest.raises(PlanRefused, match="file is missing"):
        services.migrate_up(actor=ACTOR)


def test_no_transaction_file_runs_concurrent_index(target_db):
    target_db.write("001_t.sql", "CREATE TABLE t (c int);")
    target_db.write(
        "002_i.sql",
        raw="-- truss:no-transaction\n-- Up Migration\n"
        "CREATE INDEX CONCURRENTLY t_c ON t (c);\n"
        "-- Down Migration\nDROP INDEX CONCURRENTLY t_c;\n",
    )
    report = services.migrate_up(actor=ACTOR)
    assert report.ok and target_db.exists("t_c")
    assert not report.plan.steps[1].transactional
    assert services.migrate_down(actor=ACTOR).ok and not target_db.exists("t_c")


def test_progress_reports_each_migration(target_db):
    write_tables(target_db, "a", "b")
    events = []
    services.migrate_up(
        actor=ACTOR, progress=lambda e, step, d: events.append((e, step.migration.name))
    )
    assert events == [
        ("start", "001_create-a.sql"),
        ("done", "001_create-a.sql"),
        ("start", "002_create-b.sql"),
        ("done", "002_create-b.sql"),
    ]


def test_nothing_pending_is_a_successful_empty_run(target_db):
    report = services.migrate_up(actor=ACTOR)
    assert (
        report.ok and not report.completed and services.summarize(report) == "No migrations to run."
    )


def test_unreachable_target_is_a_clear_error(target_db, settings):
    settings.MIGRATIONS_MANAGER = {
        **settings.MIGRATIONS_MANAGER,
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
    }
    with pytest.raises(TargetUnavailable, match="unreachable"):
        services.migrate_up(actor=ACTOR)


def test_lock_timeout_applies_to_migration_statements(target_db, settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "LOCK_TIMEOUT": "200ms"}
    target_db.write("001_t.sql", "CREATE TABLE t (c int);")
    services.migrate_up(actor=ACTOR)
    blocker = target_db.connect()
    blocker.execute("BEGIN")
    blocker.execute("SELECT * FROM t")
    target_db.write("002_alter.sql", "ALTER TABLE t ADD COLUMN d int;")
    with pytest.raises(GateRefused, match="ALTER TABLE t will wait for pid"):
        services.migrate_up(actor=ACTOR)  # the gate sees the blocker first
    report = services.migrate_up(actor=ACTOR, reason="testing lock_timeout")
    assert not report.ok and report.failure.sqlstate == "55P03"
    blocker.execute("ROLLBACK")
    assert (
        target_db.scalar("SELECT count(*) FROM information_schema.columns WHERE table_name = 't'")
        == 1
    )
