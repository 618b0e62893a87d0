"""Idempotent mode services: run (one transaction, native rows) and mark-applied."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import (
    InvalidMigrationName,
    LockNotAcquired,
    MigrationNotFound,
    PlanRefused,
    UnsupportedMigration,
    UsageError,
)
from migrations_manager.models import MigrationRun

pytestmark = pytest.mark.django_db

ACTOR = Actor(name="tester")


@pytest.fixture
def three(target_db):
    for index, table in enumerate(("a", "b", "c"), start=1):
        target_db.write(f"00{index}_{table}.sql", f"CREATE TABLE {table} (id int);")
    return target_db


def states() -> list[str]:
    return [m.state.value for m in services.status().migrations]


def test_run_all_pending_in_one_transaction_with_rows(three):
    report = services.run_pending(actor=ACTOR)
    assert report.ok and report.plan.atomic
    assert services.summarize(report) == "Applied 3 migration(s) successfully."
    assert three.query("SELECT name FROM pgmigrations ORDER BY id") == [
        ("001_a",),
        ("002_b",),
        ("003_c",),
    ]


def test_run_selected_names_only(three):
    services.run_pending(["001_a.sql", "002_b.sql"], actor=ACTOR)
    assert states() == ["applied", "applied", "pending"]


@pytest.mark.parametrize(
    "names, error, match",
    [
        (["001_a.sql", "001_a.sql"], UsageError, "more than once"),
        (["009_nope.sql"], UsageError, "Unknown migration"),
        (["../001_a.sql"], InvalidMigrationName, "path separator"),
    ],
    ids=["repeated", "unknown", "traversal"],
)
def test_run_refuses_bad_names_before_anything_runs(three, names, error, match):
    with pytest.raises(error, match=match):
        services.run_pending(names, actor=ACTOR)
    assert states() == ["pending"] * 3 and not three.exists("a")


def test_run_refuses_names_that_are_not_pending(three):
    services.run_pending(["001_a.sql"], actor=ACTOR)
    with pytest.raises(UsageError, match="not pending"):
        services.run_pending(["001_a.sql"], actor=ACTOR)


def test_failure_rolls_back_the_entire_batch(three):
    three.write("004_bad.sql", "CREATE TABLE d (id int);\nSELECT * FROM nonexistent;")
    report = services.run_pending(actor=ACTOR)
    assert not report.ok and report.completed == ()
    assert (
        services.summarize(report) == 'Migration "004_bad.sql" failed — entire batch rolled back.'
    )
    assert (report.failure.line, report.failure.sqlstate) == (3, "42P01")
    assert not any(three.exists(t) for t in "abcd") and not three.exists("pgmigrations")
    run = MigrationRun.objects.get()
    assert run.command == "run" and run.outcome == "failed"


def test_a_no_transaction_file_is_a_segment_of_its_own_in_run_all(three):
    """Run all pending: the transactional files share one transaction, the no-transaction
    file runs after them, statement by statement; one call applies all four."""
    three.write(
        "004_idx.sql", raw="-- truss:no-transaction\nCREATE INDEX CONCURRENTLY i ON a (id);\n"
    )
    report = services.run_pending(actor=ACTOR)
    assert report.ok and not report.plan.atomic and three.exists("i")
    assert [(s.mode, s.names) for s in report.plan.segments] == [
        ("atomic", ("001_a.sql", "002_b.sql", "003_c.sql")),
        ("no-transaction", ("004_idx.sql",)),
    ]
    assert states() == ["applied"] * 4


def test_run_refused_while_another_run_holds_the_lock(three):
    holder = three.connect(application_name="other-runner")
    holder.execute("SELECT pg_try_advisory_lock(7241865325823964)")
    with pytest.raises(LockNotAcquired, match="other-runner"):
        services.run_pending(actor=ACTOR)
    assert not three.exists("a")


def test_unexecutable_file_is_refused_before_anything_runs(three, settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "NODE_PG_MIGRATE": "/nowhere"}
    (three.directory / "004_js.cjs").write_text("exports.up = () => {};\n")
    with pytest.raises(UnsupportedMigration):
        services.run_pending(actor=ACTOR)
    assert not three.exists("a")


def test_plan_run_shows_the_exact_sql_without_running(three):
    report = services.plan_run(["001_a.sql"])
    assert report.dry_run and not three.exists("pgmigrations")
    assert report.sql_text.splitlines()[1:4] == [
        "BEGIN;",
        'CREATE TABLE IF NOT EXISTS "public"."pgmigrations" (id SERIAL PRIMARY KEY, '
        "name varchar(255) NOT NULL, run_on timestamp NOT NULL);",
        "-- 001_a.sql (up)",
    ]
    assert 'INSERT INTO "public"."pgmigrations" (name, run_on) VALUES (\'001_a\', NOW());' in (
        report.sql_text
    )


def test_mark_applied_writes_the_row_once_and_runs_nothing(three):
    first = services.mark_applied("001_a.sql", actor=ACTOR)
    assert first.written and first.tracking_table == "public.pgmigrations"
    second = services.mark_applied("001_a.sql", actor=ACTOR)
    assert second.ok and not second.written
    assert three.scalar("SELECT count(*) FROM pgmigrations") == 1 and not three.exists("a")
    again, marked = MigrationRun.objects.filter(command="mark-applied")  # newest first
    assert marked.outcome == "succeeded" and list(
        marked.events.values_list("direction", flat=True)
    ) == ["mark"]
    # The second attempt is recorded too: a success that wrote nothing, without an event.
    assert again.outcome == "succeeded" and not again.events.exists()
    assert again.summary == second.message


def test_mark_applied_unknown_file_is_not_found(three):
    with pytest.raises(MigrationNotFound):
        services.mark_applied("009_nope.sql", actor=ACTOR)


def test_mark_applied_out_of_order_is_refused_for_node_pg_migrate(three):
    with pytest.raises(PlanRefused, match="in order"):
        services.mark_applied("003_c.sql", actor=ACTOR)


def test_command_run_and_mark_applied_json(three):
    out = StringIO()
    call_command("pgmigrate", "mark-applied", "001_a.sql", "--json", stdout=out)
    assert json.loads(out.getvalue())["ok"] is True
    out = StringIO()
    call_command("pgmigrate", "run", "--json", stdout=out)
    body = json.loads(out.getvalue())
    assert body["ok"] and [a["name"] for a in body["applied"]] == ["002_b.sql", "003_c.sql"]
    assert body["failed"] is None and len(body["applied"][0]["hash"]) == 64
