"""node-pg-migrate's own ``.cjs`` migrations, executed by the real node-pg-migrate CLI.

Our runner orders, locks, records and reports; node-pg-migrate executes each ``.cjs`` file and
writes its own ``pgmigrations`` row.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from io import StringIO

import pytest
from django.core.management import call_command

from migrations_manager import services
from migrations_manager.api.serializers import IdempotentRunSerializer
from migrations_manager.audit import Actor
from migrations_manager.exceptions import InvalidMigrationName, PlanRefused
from migrations_manager.models import MigrationRun
from migrations_manager.types import Direction, State

pytestmark = [pytest.mark.django_db, pytest.mark.realfw]

ACTOR = Actor(name="tester")
LOCK_KEY = 7241865325823964
NODE_SESSION = "truss-migrations:node-pg-migrate"

CREATE_B = """\
exports.shorthands = undefined;

exports.up = (pgm) => {
  pgm.createTable('b', { id: 'id', a_id: { type: 'integer', references: 'a' } });
  pgm.sql('INSERT INTO b (a_id) SELECT id FROM a');
};

exports.down = (pgm) => {
  pgm.dropTable('b');
};
"""

INDEX_B = """\
exports.up = (pgm) => {
  pgm.createIndex('b', 'note');
};

exports.down = (pgm) => {
  pgm.dropIndex('b', 'note');
};
"""


def cjs(target, name: str, text: str) -> None:
    (target.directory / name).write_text(text, encoding="utf-8")


def write_mixed(target) -> None:
    """.sql and .cjs files, each depending on the one before it."""
    target.write(
        "001_a.sql",
        "CREATE TABLE a (id int PRIMARY KEY);\nINSERT INTO a VALUES (1);",
        "DROP TABLE a;",
    )
    cjs(target, "002_b.cjs", CREATE_B)
    target.write(
        "003_note.sql", "ALTER TABLE b ADD COLUMN note text;", "ALTER TABLE b DROP COLUMN note;"
    )
    cjs(target, "004_index.cjs", INDEX_B)


def recorded(target) -> list[tuple[int, str]]:
    return target.query("SELECT id, name FROM pgmigrations ORDER BY run_on, id")


def public_columns(target) -> list[tuple]:
    return target.query(
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns"
        " WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
    )


def test_a_mixed_directory_goes_up_down_and_redo_each_file_through_its_executor(
    target_db, app_node
):
    write_mixed(target_db)

    report = services.migrate_up(actor=ACTOR)
    assert report.ok
    assert [(r.name, r.executor) for r in report.completed] == [
        ("001_a.sql", None),
        ("002_b.cjs", "node-pg-migrate"),
        ("003_note.sql", None),
        ("004_index.cjs", "node-pg-migrate"),
    ]
    assert [name for _, name in recorded(target_db)] == ["001_a", "002_b", "003_note", "004_index"]
    assert target_db.scalar("SELECT a_id FROM b") == 1 and target_db.exists("b_note_index")

    report = services.migrate_down(2, actor=ACTOR)
    assert [(r.name, r.direction.value) for r in report.completed] == [
        ("004_index.cjs", "down"),
        ("003_note.sql", "down"),
    ]
    assert not target_db.exists("b_note_index")
    assert [name for _, name in recorded(target_db)] == ["001_a", "002_b"]

    target_db.query("DELETE FROM b RETURNING id")
    report = services.redo(actor=ACTOR)
    assert [(r.name, r.direction.value) for r in report.completed] == [
        ("002_b.cjs", "down"),
        ("002_b.cjs", "up"),
    ]
    assert target_db.scalar("SELECT count(*) FROM b") == 1  # re-created by its up function

    assert services.migrate_up(actor=ACTOR).ok
    assert {m.state for m in services.status().migrations} == {State.APPLIED}
    assert services.cjs_warning(services.status()) is None  # node-pg-migrate is installed


def test_pgmigrations_rows_are_those_node_pg_migrate_writes_alone(
    target_db, second_db, app_node, node_pg_migrate
):
    write_mixed(target_db)
    assert services.migrate_up(actor=ACTOR).ok
    node_pg_migrate("up", target=second_db)

    assert recorded(target_db) == recorded(second_db)
    assert [name for _, name in recorded(target_db)] == ["001_a", "002_b", "003_note", "004_index"]
    assert public_columns(target_db) == public_columns(second_db)
    # and each tool takes over from the other: node-pg-migrate rolls back our .cjs step
    node_pg_migrate("down", "2")
    assert [name for _, name in recorded(target_db)] == ["001_a", "002_b"]
    assert services.migrate_up(actor=ACTOR).ok and target_db.exists("b_note_index")


def test_a_failing_cjs_migration_leaves_nothing_of_itself_and_earlier_ones_stay(
    target_db, app_node
):
    write_mixed(target_db)
    cjs(
        target_db,
        "003_bad.cjs",
        "exports.up = (pgm) => {\n"
        "  pgm.createTable('c', { id: 'id' });\n"
        "  pgm.sql('INSERT INTO c\\n  SELECT * FROM nonexistent');\n"
        "};\n",
    )
    (target_db.directory / "003_note.sql").rename(target_db.directory / "005_note.sql")

    report = services.migrate_up(actor=ACTOR)

    assert not report.ok
    assert [r.name for r in report.completed] == ["001_a.sql", "002_b.cjs"]
    failure = report.failure
    assert (failure.name, failure.error, failure.sqlstate, failure.line) == (
        "003_bad.cjs",
        'relation "nonexistent" does not exist',
        "42P01",
        None,
    )
    assert "SELECT * FROM nonexistent" in failure.statement
    assert [name for _, name in recorded(target_db)] == ["001_a", "002_b"]
    assert not target_db.exists("c") and target_db.exists("b")
    assert services.summarize(report) == (
        'Migration "003_bad.cjs" failed — 2 earlier migration(s) stay applied.'
    )


def test_audit_rows_name_the_cjs_steps(target_db, app_node):
    write_mixed(target_db)
    services.migrate_up(actor=ACTOR)
    run = MigrationRun.objects.get()
    assert (run.command, run.outcome, run.framework) == ("up", "succeeded", "node-pg-migrate")
    assert run.files == ["001_a.sql", "002_b.cjs", "003_note.sql", "004_index.cjs"]
    assert list(run.events.order_by("id").values_list("name", "direction", "ok")) == [
        ("001_a.sql", "up", True),
        ("002_b.cjs", "up", True),
        ("003_note.sql", "up", True),
        ("004_index.cjs", "up", True),
    ]


def test_dry_run_shows_the_command_and_the_sql_of_node_pg_migrate_and_changes_nothing(
    target_db, app_node
):
    write_mixed(target_db)
    report = services.migrate_up(2, actor=ACTOR, dry_run=True)

    lines = report.sql_text.splitlines()
    step = lines[lines.index("-- 002_b.cjs (up)") :]
    assert step[1] == "-- executed by node-pg-migrate, in its own session:"
    assert step[2].startswith(f"--   {app_node} up 002_b --migrations-dir ")
    assert "--no-lock --no-single-transaction" in step[2]
    assert step[3:11] == [
        "BEGIN;",
        'CREATE TABLE "b" (',
        '  "id" serial PRIMARY KEY,',
        '  "a_id" integer REFERENCES "a"',
        ");",
        "INSERT INTO b (a_id) SELECT id FROM a;",
        """INSERT INTO "public"."pgmigrations" (name, run_on) VALUES ('002_b', NOW());""",
        "COMMIT;",
    ]
    assert report.plan.steps[1].external is not None and len(report.plan.steps[1].statements) == 2
    assert not target_db.exists("pgmigrations") and not target_db.exists("a")
    assert MigrationRun.objects.count() == 0


def test_dry_run_of_down_and_redo_of_a_cjs_migration(target_db, app_node):
    write_mixed(target_db)
    services.migrate_up(2, actor=ACTOR)
    report = services.redo(actor=ACTOR, dry_run=True)
    text = report.sql_text
    assert 'DROP TABLE "b";' in text and 'CREATE TABLE "b" (' in text
    assert """DELETE FROM "public"."pgmigrations" WHERE name = '002_b';""" in text
    assert """INSERT INTO "public"."pgmigrations" (name, run_on) VALUES ('002_b', NOW());""" in text
    assert [name for _, name in recorded(target_db)] == ["001_a", "002_b"]
    assert target_db.scalar("SELECT count(*) FROM b") == 1


def test_preview_sql_of_a_cjs_file_comes_from_node_pg_migrate(target_db, app_node):
    write_mixed(target_db)
    text = services.cjs_sql("004_index.cjs")
    assert 'CREATE INDEX "b_note_index" ON "b" ("note");' in text
    # Its down SQL shows before it is applied too: node-pg-migrate's Migration builds it.
    assert 'DROP INDEX "b_note_index";' in services.cjs_sql("004_index.cjs", Direction.DOWN)
    services.migrate_up(actor=ACTOR)
    assert 'DROP INDEX "b_note_index";' in services.cjs_sql("004_index.cjs", Direction.DOWN)
    assert 'CREATE INDEX "b_note_index"' in services.cjs_sql("004_index.cjs")  # applied: still
    for name in ("001_a.sql", "../004_index.cjs"):
        with pytest.raises(InvalidMigrationName):
            services.cjs_sql(name)


def closed_gate(target):
    """Apply a ``gate`` table, then lock it from another session, which is returned; the pending
    ``.cjs`` migration that inserts into it then waits for that session's transaction."""
    target.write("001_gate.sql", "CREATE TABLE gate (id int);")
    cjs(
        target,
        "002_wait.cjs",
        "exports.up = (pgm) => { pgm.sql('INSERT INTO gate VALUES (1)'); };\n",
    )
    services.migrate_up(1, actor=ACTOR)
    gatekeeper = target.connect()
    gatekeeper.execute("BEGIN")
    gatekeeper.execute("LOCK TABLE gate IN ACCESS EXCLUSIVE MODE")
    return gatekeeper


def test_our_lock_is_held_while_node_pg_migrate_runs(target_db, app_node, settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "LOCK_TIMEOUT": "60s"}
    gatekeeper = closed_gate(target_db)
    seen: dict[str, object] = {}

    def observe_then_open_the_gate() -> None:
        third = target_db.connect()
        try:
            seen["node_waiting"] = wait_for_node_session_to_wait(third)
            seen["third_got_lock"] = third.execute(
                "SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)
            ).fetchone()[0]
            seen["holder"] = third.execute(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
                " WHERE l.locktype = 'advisory' AND l.granted AND l.objid::bigint = %s",
                (LOCK_KEY & 0xFFFFFFFF,),
            ).fetchone()
        finally:
            gatekeeper.execute("COMMIT")

    observer = threading.Thread(target=observe_then_open_the_gate)
    observer.start()
    report = services.migrate_up(actor=ACTOR)
    observer.join()

    assert seen == {
        "node_waiting": True,
        "third_got_lock": False,
        "holder": ("truss-migrations:up",),
    }
    assert report.ok and target_db.scalar("SELECT count(*) FROM gate") == 1


def wait_for_node_session_to_wait(conn, deadline_seconds: float = 30) -> bool:
    """Whether node-pg-migrate's session came to wait on a lock before the deadline."""
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        waiting = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name = %s AND wait_event_type = 'Lock'",
            (NODE_SESSION,),
        ).fetchone()[0]
        if waiting:
            return True
        time.sleep(0.05)
    return False


def test_lock_timeout_applies_to_node_pg_migrate_statements(target_db, app_node, settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "LOCK_TIMEOUT": "200ms"}
    closed_gate(target_db)
    report = services.migrate_up(actor=ACTOR)
    assert not report.ok
    assert (report.failure.name, report.failure.sqlstate) == ("002_wait.cjs", "55P03")
    assert [name for _, name in recorded(target_db)] == ["001_gate"]


def test_the_cjs_template_is_node_pg_migrate_s_and_node_pg_migrate_loads_it(
    target_db, app_node, node_pg_migrate
):
    path = services.create_migration("add-nothing", cjs=True)
    keys = subprocess.run(
        ["node", "-e", f"console.log(Object.keys(require({str(path)!r})).join(','))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert keys == "shorthands,up,down"
    node_pg_migrate("up")
    assert [name for _, name in recorded(target_db)] == [path.stem]
    report = services.migrate_down(actor=ACTOR)
    assert report.ok and recorded(target_db) == []


def test_a_js_migration_and_one_outside_a_transaction_run_through_node_pg_migrate(
    target_db, app_node
):
    target_db.write("001_t.sql", "CREATE TABLE t (c int);")
    cjs(
        target_db,
        "002_concurrently.js",
        "exports.up = (pgm) => {\n"
        "  pgm.noTransaction();\n"
        "  pgm.createIndex('t', 'c', { concurrently: true });\n"
        "};\n"
        "exports.down = (pgm) => {\n"
        "  pgm.noTransaction();\n"
        "  pgm.dropIndex('t', 'c', { concurrently: true });\n"
        "};\n",
    )
    dry = services.migrate_up(actor=ACTOR, dry_run=True)
    assert not dry.plan.steps[1].transactional
    assert [s.text for s in dry.plan.steps[1].statements] == [
        'CREATE INDEX CONCURRENTLY "t_c_index" ON "t" ("c")'
    ]
    assert services.migrate_up(actor=ACTOR).ok and target_db.exists("t_c_index")
    assert services.migrate_down(actor=ACTOR).ok and not target_db.exists("t_c_index")


def test_pgmigrate_prints_progress_and_plan_of_cjs_steps(target_db, app_node):
    write_mixed(target_db)
    out = StringIO()
    call_command("pgmigrate", "up", "--dry-run", stdout=out)
    assert "  segment 2 of 4 (external):\n    Applying 002_b.cjs (2 statement(s))" in (
        out.getvalue()
    )
    out = StringIO()
    call_command("pgmigrate", "up", stdout=out)
    lines = out.getvalue().rstrip().splitlines()
    assert re.fullmatch(r"  Applying 002_b\.cjs\.\.\. OK \(\d+\.\d{3}s\)", lines[1])
    assert lines[-1] == "Applied 4 migration(s) successfully."
    out = StringIO()
    call_command("pgmigrate", "down", "--json", stdout=out)
    body = json.loads(out.getvalue())
    assert body["applied"][0]["name"] == "004_index.cjs"
    assert body["applied"][0]["executor"] == "node-pg-migrate"
    assert body["plan"][0]["executor"] == "node-pg-migrate"


def test_run_all_pending_runs_a_mixed_directory_segment_after_segment(target_db, app_node):
    """ "Run all pending" on .sql and .cjs files: the .sql files share transactions, each .cjs
    file runs through node-pg-migrate between them, in node-pg-migrate's order; with
    ``atomic``, the same plan is refused before anything runs."""
    write_mixed(target_db)
    with pytest.raises(PlanRefused, match="cannot run in one transaction"):
        services.run_pending(actor=ACTOR, atomic=True)
    assert not target_db.exists("a") and not target_db.exists("b")
    report = services.run_pending(actor=ACTOR)
    assert report.ok
    assert [(s.mode.value, s.names) for s in report.plan.segments] == [
        ("atomic", ("001_a.sql",)),
        ("external", ("002_b.cjs",)),
        ("atomic", ("003_note.sql",)),
        ("external", ("004_index.cjs",)),
    ]
    assert [name for _, name in recorded(target_db)] == ["001_a", "002_b", "003_note", "004_index"]
    assert IdempotentRunSerializer(report).data["transaction"] == "segments"


def test_idempotent_run_delegates_cjs_files_to_node_pg_migrate_and_says_so(target_db, app_node):
    write_mixed(target_db)
    services.run_pending(["001_a.sql"], actor=ACTOR)
    report = services.run_pending(["002_b.cjs"], actor=ACTOR)
    assert report.ok and report.completed[0].executor == "node-pg-migrate"
    body = IdempotentRunSerializer(report).data
    assert body["transaction"] == "node-pg-migrate" and "node-pg-migrate's" in body["note"]
    assert [name for _, name in recorded(target_db)] == ["001_a", "002_b"]
    assert MigrationRun.objects.filter(command="run", outcome="succeeded").count() == 2
