"""The run path under hostile migrations: transaction control and session state inside files,
resume points on another database, a ledger with a column added, two first runs at once.

Each test reproduces a way the run broke its promise (a batch split by a file's own COMMIT, a
`SET` that reached the next migration, a resume point taken on another database, a ledger read
as "no ledger", a migration applied twice) and shows it kept now, on a real PostgreSQL.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import threading
import uuid
from pathlib import Path

import pytest

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import LedgerUnreadable, PlanRefused, UnsupportedMigration
from migrations_manager.models import MigrationRun
from tests.realfw.conftest import require_tool
from tests.reliability.conftest import PGMIGRATIONS_DDL
from tests.utils import fresh_database, wait_until

pytestmark = pytest.mark.django_db

ACTOR = Actor(name="tester")
EXAMPLES = Path(__file__).resolve().parents[2] / "truss" / "examples"
RUN_LOCK = "SELECT pg_try_advisory_lock(7241865325823964)"


def recorded(target) -> list[str]:
    if not target.exists("pgmigrations"):
        return []
    return [name for (name,) in target.query("SELECT name FROM pgmigrations ORDER BY id")]


def polling_for_the_lock(target) -> bool:
    """Whether a run's session is trying for the run's lock (it tries every 0.2 s)."""
    return bool(
        target.scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s AND query LIKE %s",
            ("truss-migrations:run", "%pg_try_advisory_lock%"),
        )
    )


# ---- 1. "Run all pending" on the demo's own files -------------------------------------------


def test_the_demo_examples_run_with_one_call(target_db):
    """Three transactional files and a CREATE INDEX CONCURRENTLY: one run, two segments."""
    for example in EXAMPLES.iterdir():
        shutil.copy(example, target_db.directory)
    report = services.run_pending(actor=ACTOR)
    assert report.ok, report.failure
    assert [(s.mode.value, len(s.steps)) for s in report.plan.segments] == [
        ("atomic", 3),
        ("no-transaction", 1),
    ]
    assert recorded(target_db) == [p.stem for p in sorted(EXAMPLES.iterdir())]
    assert target_db.exists("idx_roles_kind")


def test_a_concurrent_index_without_the_directive_runs_outside_a_transaction(target_db):
    """PostgreSQL refuses CONCURRENTLY in a transaction: the parser finds it, no directive
    needed, and the file becomes a segment of its own."""
    target_db.write("001_t.sql", "CREATE TABLE t (c int);")
    target_db.write("002_i.sql", "CREATE INDEX CONCURRENTLY t_c ON t (c);")
    report = services.run_pending(actor=ACTOR)
    assert report.ok and [s.mode.value for s in report.plan.segments] == [
        "atomic",
        "no-transaction",
    ]
    assert target_db.exists("t_c")


def test_a_failure_rolls_back_its_segment_and_says_what_stays(target_db):
    target_db.write("001_t.sql", "CREATE TABLE t (c int);")
    target_db.write("002_i.sql", "CREATE INDEX CONCURRENTLY t_c ON t (c);")
    target_db.write("003_u.sql", "CREATE TABLE u (c int);")
    target_db.write("004_bad.sql", "SELECT * FROM nowhere;")
    report = services.run_pending(actor=ACTOR)
    failure = report.failure
    assert failure.kept == ("001_t.sql", "002_i.sql")
    assert failure.rolled_back == ("003_u.sql", "004_bad.sql")
    assert services.summarize(report) == (
        'Migration "004_bad.sql" failed — its transaction was rolled back (003_u.sql, '
        "004_bad.sql); 2 earlier migration(s) stay applied."
    )
    assert [report.segment_outcome(i) for i in range(3)] == ["applied", "applied", "rolled back"]
    assert recorded(target_db) == ["001_t", "002_i"] and not target_db.exists("u")


def test_atomic_refuses_a_plan_of_several_segments_before_anything_runs(target_db):
    target_db.write("001_t.sql", "CREATE TABLE t (c int);")
    target_db.write("002_i.sql", "CREATE INDEX CONCURRENTLY t_c ON t (c);")
    with pytest.raises(PlanRefused, match="cannot run in one transaction") as refused:
        services.run_pending(actor=ACTOR, atomic=True)
    assert refused.value.kind == "atomic"
    assert not target_db.exists("t") and not target_db.exists("pgmigrations")
    assert MigrationRun.objects.get().outcome == "refused"


# ---- 2. Transaction control inside a file ----------------------------------------------------

REFUSED_CONTROL = {
    "commit-in-the-middle": ("CREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);", 3),
    "rollback": ("CREATE TABLE a (id int);\nROLLBACK;", 3),
    "begin-without-commit": ("BEGIN;\nCREATE TABLE a (id int);", 2),
    "savepoint": ("SAVEPOINT s;\nCREATE TABLE a (id int);\nRELEASE s;", 2),
    "prepare-transaction": ("CREATE TABLE a (id int);\nPREPARE TRANSACTION 'x';", 3),
    "commit-and-chain": ("BEGIN;\nCREATE TABLE a (id int);\nCOMMIT AND CHAIN;", 4),
    "begin-with-isolation": ("BEGIN ISOLATION LEVEL SERIALIZABLE;\nSELECT 1;\nCOMMIT;", 2),
    "discard-all": ("CREATE TABLE a (id int);\nDISCARD ALL;", 3),
    "unlock-all": ("SELECT pg_catalog.pg_advisory_unlock_all();", 2),
    "concurrently-inside-own-wrapper": (
        "BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (c);\nCOMMIT;",
        3,
    ),
}


@pytest.mark.parametrize("body, line", REFUSED_CONTROL.values(), ids=REFUSED_CONTROL.keys())
def test_transaction_control_is_refused_with_its_line_before_anything_runs(target_db, body, line):
    target_db.write("001_first.sql", "CREATE TABLE first (id int);")
    target_db.write("002_control.sql", body)  # line 1 is "-- Up Migration"
    with pytest.raises(UnsupportedMigration) as refused:
        services.run_pending(actor=ACTOR)
    assert refused.value.line == line and refused.value.names == ("002_control.sql",)
    assert f"002_control.sql, line {line}:" in refused.value.message
    assert not target_db.exists("first") and not target_db.exists("pgmigrations")
    assert MigrationRun.objects.get().outcome == "refused"


CLIENT_COPIES = {
    "from-stdin": ("CREATE TABLE a (id int);\nCOPY a (id) FROM STDIN;", 3),
    "to-stdout": ("COPY (SELECT 1) TO STDOUT WITH (FORMAT csv);", 2),
    "from-stdin-lower-case": ("copy public.first from stdin with csv;", 2),
}


@pytest.mark.parametrize("body, line", CLIENT_COPIES.values(), ids=CLIENT_COPIES.keys())
def test_a_copy_through_the_client_is_refused_with_its_line_before_anything_runs(
    target_db, body, line
):
    """psql sends COPY's data; a run has none to send: refused, rather than the session left
    waiting for data (every later command: "another command is already in progress")."""
    target_db.write("001_first.sql", "CREATE TABLE first (id int);")
    target_db.write("002_copy.sql", body)
    with pytest.raises(UnsupportedMigration, match="STDIN or STDOUT") as refused:
        services.run_pending(actor=ACTOR)
    assert refused.value.line == line and refused.value.names == ("002_copy.sql",)
    assert f"002_copy.sql, line {line}:" in refused.value.message
    assert not target_db.exists("first") and not target_db.exists("pgmigrations")


def test_a_copy_from_a_server_file_is_not_refused(target_db):
    target_db.write("001_copy.sql", "CREATE TABLE a (id int);\nCOPY a FROM '/nonexistent';")
    report = services.run_pending(actor=ACTOR)
    assert report.failure is not None and report.failure.sqlstate == "58P01"


@pytest.mark.parametrize(
    "wrapper",
    [("BEGIN;", "COMMIT;"), ("START TRANSACTION;", "END;"), ("begin;", "commit;")],
    ids=["begin-commit", "start-end", "lower-case"],
)
def test_a_self_wrapped_file_joins_the_batch_and_rolls_back_with_it(target_db, wrapper):
    """golang-migrate and goose users wrap files in BEGIN … COMMIT: absorbed, the file's
    work belongs to the batch's transaction, and a later failure undoes it too."""
    opening, closing = wrapper
    target_db.write("001_wrapped.sql", f"{opening}\nCREATE TABLE wrapped (id int);\n{closing}")
    target_db.write("002_bad.sql", "SELECT * FROM nowhere;")
    report = services.run_pending(actor=ACTOR)
    assert report.plan.steps[0].absorbed == (2, 4)
    assert report.failure.name == "002_bad.sql" and report.plan.atomic
    assert not target_db.exists("wrapped") and not target_db.exists("pgmigrations")
    (target_db.directory / "002_bad.sql").unlink()
    assert services.run_pending(actor=ACTOR).ok and target_db.exists("wrapped")


# ---- 3. Session state never leaks into the next migration --------------------------------------

LEAKS = {
    "set": "SET lock_timeout = 0;",
    "reset-all": "RESET ALL;",
    "set-config": "SELECT set_config('lock_timeout', '0', false);",
    "set-statement-and-lock": "SET statement_timeout = 0; SET lock_timeout = '1h';",
}


@pytest.mark.parametrize("leak", LEAKS.values(), ids=LEAKS.keys())
@pytest.mark.parametrize("separate", [False, True], ids=["same-segment", "next-segment"])
def test_a_migrations_session_settings_never_reach_the_next_one(
    target_db, settings, leak, separate
):
    """002 waits behind a lock another session holds: it must give up at the run's
    lock_timeout whatever 001 set. (The holder ends itself after 20 s, so a leak fails the
    test instead of hanging it.)"""
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "LOCK_TIMEOUT": "300ms"}
    target_db.execute("CREATE TABLE busy (id int)")
    directive = "-- truss:no-transaction\n" if separate else ""
    target_db.write("001_leak.sql", raw=f"{directive}{leak}\n")
    target_db.write("002_alter.sql", "ALTER TABLE busy ADD COLUMN note text;")
    holder = target_db.connect(options="-c idle_in_transaction_session_timeout=20s")
    holder.execute("BEGIN")
    holder.execute("SELECT * FROM busy")
    # The gate sees the holder; told to go on, the run meets it at 002.
    report = services.run_pending(actor=ACTOR, reason="the lock_timeout is what is tested")
    assert report.failure is not None and report.failure.name == "002_alter.sql"
    assert report.failure.sqlstate == "55P03"  # lock_timeout, not a wait that never ends


def test_a_role_set_by_a_migration_does_not_own_the_next_ones_objects(target_db):
    role = f"truss_test_role_{uuid.uuid4().hex[:8]}"
    target_db.execute(f"CREATE ROLE {role}; GRANT ALL ON SCHEMA public TO {role}")
    try:
        target_db.write("001_role.sql", f"SET ROLE {role};\nCREATE TABLE by_role (id int);")
        target_db.write("002_next.sql", "CREATE TABLE by_runner (id int);")
        assert services.run_pending(actor=ACTOR).ok
        owners = dict(
            target_db.query(
                "SELECT relname, pg_get_userbyid(relowner) FROM pg_class"
                " WHERE relname IN ('by_role', 'by_runner')"
            )
        )
        runner = target_db.scalar("SELECT current_user")
        assert owners == {"by_role": role, "by_runner": runner}
    finally:
        target_db.execute(
            f"DROP TABLE IF EXISTS by_role; REVOKE ALL ON SCHEMA public FROM {role};"
            f" DROP ROLE {role}"
        )


@pytest.mark.parametrize("no_transaction", [False, True], ids=["atomic", "no-transaction"])
def test_a_migration_that_releases_the_runs_lock_is_stopped(target_db, no_transaction):
    """``pg_advisory_unlock`` of the run's own key (which no parser can tell from another key
    in general) is caught by the lock check: nothing of an atomic segment commits, and a
    no-transaction file stops right after, not recorded."""
    directive = "-- truss:no-transaction\n" if no_transaction else ""
    target_db.write(
        "001_unlock.sql",
        raw=f"{directive}CREATE TABLE before_unlock (id int);\n"
        "SELECT pg_advisory_unlock(7241865325823964);\nCREATE TABLE after_unlock (id int);\n",
    )
    report = services.run_pending(actor=ACTOR)
    assert "advisory lock was released" in report.failure.explanation
    assert report.failure.completed_statements == (2 if no_transaction else None)
    assert target_db.exists("before_unlock") is no_transaction
    assert not target_db.exists("after_unlock")
    assert recorded(target_db) == []


# ---- 4. A resume point belongs to its database -------------------------------------------------


def test_a_resume_point_never_crosses_to_another_database(target_db, pg_admin_url, settings):
    """A no-transaction file failed at statement 2 on database A: on database B, with the same
    file, it starts at statement 1 (statement 1 never ran there)."""
    file = target_db.write(
        "001_steps.sql",
        raw="-- truss:no-transaction\nCREATE TABLE first (id int);\n"
        "CREATE INDEX CONCURRENTLY t_c ON t (c);\n",
    )
    failed = services.run_pending(actor=ACTOR, reason="t is created later, by hand")
    assert failed.failure.completed_statements == 1
    with fresh_database(pg_admin_url, target_db.directory) as other:
        other.execute("CREATE TABLE t (c int)")
        settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "DATABASE_URL": other.url}
        assert services.plan_run().plan.steps[0].resumed_from == 0
        assert services.run_pending(actor=ACTOR).ok
        assert other.exists("first") and other.exists("t_c")
    assert file.exists()


# ---- 6. A ledger with a column added is still the ledger -----------------------------------------


def test_a_ledger_with_an_extra_column_is_still_read(target_db):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);\nINSERT INTO a VALUES (1);")
    assert services.migrate_up(actor=ACTOR).ok
    target_db.execute("ALTER TABLE pgmigrations ADD COLUMN note text")
    target_db.write("002_b.sql", "CREATE TABLE b (id int);")
    assert [s.state.value for s in services.status().migrations] == ["applied", "pending"]
    report = services.migrate_up(actor=ACTOR)
    assert report.ok and [step.name for step in report.plan.steps] == ["002_b.sql"]
    assert target_db.scalar("SELECT count(*) FROM a") == 1 and recorded(target_db) == [
        "001_a",
        "002_b",
    ]


def test_a_ledger_missing_its_columns_is_refused_never_taken_for_none(target_db):
    target_db.execute("CREATE TABLE pgmigrations (id serial PRIMARY KEY, title text)")
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    for call in (services.status, lambda: services.run_pending(actor=ACTOR)):
        with pytest.raises(LedgerUnreadable, match="public.pgmigrations exists, but its columns"):
            call()
    assert not target_db.exists("a")


# ---- 7. Two first runs at once -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_first_runs_apply_everything_once(target_db, settings, gate):
    """No tracking table yet; the second run starts while the first holds the lock, waits
    (LOCK_WAIT), then plans from what the first one committed: nothing left to run."""
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "LOCK_WAIT": 30}
    entry = gate("entry")
    target_db.write("001_a.sql", "INSERT INTO entry VALUES (1);\nCREATE TABLE a (id int);")
    target_db.write("002_b.sql", "CREATE TABLE b (id int);")
    entry.close()
    reports = []
    first = threading.Thread(target=lambda: reports.append(services.run_pending(actor=ACTOR)))
    first.start()
    entry.wait_for("truss-migrations:run")
    second = threading.Thread(target=lambda: reports.append(services.run_pending(actor=ACTOR)))
    second.start()
    wait_until(lambda: polling_for_the_lock(target_db), "the second run waits for the lock")
    entry.open()
    first.join(60)
    second.join(60)
    assert sorted(len(report.plan.steps) for report in reports) == [0, 2]
    assert all(report.ok for report in reports)
    assert recorded(target_db) == ["001_a", "002_b"]
    assert target_db.scalar("SELECT count(*) FROM entry") == 1


@pytest.mark.django_db(transaction=True)
def test_the_tracking_table_is_found_after_the_lock_is_taken(target_db, settings):
    """Another tool holds the lock, and creates the tracking table while our run waits for it:
    the run reads that table, not the "no table" it would have seen before the lock."""
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "LOCK_WAIT": 30}
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    holder = target_db.connect()
    holder.execute(RUN_LOCK)
    reports = []
    waiter = threading.Thread(target=lambda: reports.append(services.run_pending(actor=ACTOR)))
    waiter.start()
    wait_until(lambda: polling_for_the_lock(target_db), "the run waits for the lock")
    holder.execute(PGMIGRATIONS_DDL)
    holder.execute("INSERT INTO pgmigrations (name, run_on) VALUES ('001_a', now())")
    holder.execute("SELECT pg_advisory_unlock_all()")
    waiter.join(60)
    [report] = reports
    assert report.ok and report.plan.steps == () and not target_db.exists("a")
    assert recorded(target_db) == ["001_a"]


# ---- 10. A body the server cannot read --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_chunked_request_through_a_real_server_is_411_and_runs_nothing(live_api, target_db):
    """Sent chunked (no Content-Length), the body ``{"migrations": ["001_a.sql"]}`` reaches a
    WSGI app empty: answered 411, it never becomes "run every pending migration"."""
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    target_db.write("002_b.sql", "CREATE TABLE b (id int);")
    connection = http.client.HTTPConnection(live_api.host, live_api.port, timeout=60)
    try:
        connection.request(
            "POST",
            "/api/migrations/idempotent/run",
            body=iter([b'{"migrations": ', b'["001_a.sql"]}']),
            headers={
                "Authorization": f"Token {live_api.token}",
                "Content-Type": "application/json",
            },
            encode_chunked=True,
        )
        response = connection.getresponse()
        body = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 411 and "Content-Length" in body["error"]
    assert not target_db.exists("a") and not target_db.exists("b")


# ---- found by review: redo after a failed down, interruptions, unreadable bodies ----------------


def test_redo_after_a_failed_down_starts_the_up_from_its_first_statement(target_db):
    """A failed down leaves a resume point of its own kind: it is never taken for the up."""
    target_db.execute("CREATE SCHEMA app")
    target_db.write(
        "001_f.sql",
        raw="-- truss:no-transaction\n-- Up Migration\nSET search_path = app;\n"
        "CREATE TABLE t2 (x int);\nCREATE INDEX CONCURRENTLY t2i ON t2 (x);\n"
        "-- Down Migration\nSET search_path = app;\nDROP INDEX CONCURRENTLY t2i;\nDROP TABLE t2;\n",
    )
    assert services.migrate_up(actor=ACTOR).ok
    target_db.execute("DROP INDEX app.t2i")
    down = services.migrate_down(actor=ACTOR, reason="the failure is what is tested")
    assert down.failure.completed_statements == 1
    assert "still recorded as applied" in down.failure.explanation
    assert "resumes" not in down.failure.explanation
    target_db.execute("CREATE INDEX t2i ON app.t2 (x)")
    assert services.redo(actor=ACTOR, dry_run=True).plan.steps[1].resumed_from == 0
    assert services.redo(actor=ACTOR).ok
    assert target_db.exists("app.t2") and target_db.exists("app.t2i")
    assert not target_db.exists("public.t2")


def interrupt_when(target, condition: str) -> threading.Thread:
    """A thread that sends this process SIGINT (a Ctrl-C) once ``condition`` (a query) holds."""

    def interrupt() -> None:
        wait_until(lambda: bool(target.scalar(condition)), condition)
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=interrupt)
    thread.start()
    return thread


RUN_WAITS = (  # the run's session queued for a lock (at the statement the test blocks)
    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'truss-migrations:run'"
    " AND wait_event_type IN ('Lock', 'Timeout') AND state = 'active'"
)


def test_ctrl_c_in_a_no_transaction_file_records_where_it_stopped(target_db):
    """Interrupted while its CREATE INDEX CONCURRENTLY waits: the INSERT before it stays and is
    recorded as completed, the INVALID index the build left is named (it cannot be dropped
    while the old snapshot it waited for lives), and the next run resumes after the INSERT (it
    never runs twice)."""
    target_db.execute("CREATE TABLE events (n int); CREATE TABLE big (x int)")
    target_db.write(
        "001_a.sql",
        raw="-- truss:no-transaction\nINSERT INTO events VALUES (1);\n"
        "CREATE INDEX CONCURRENTLY big_x ON big (x);\n",
    )
    snapshot = target_db.connect()
    snapshot.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    snapshot.execute("SELECT count(*) FROM big")  # an old snapshot: the build waits for it
    interrupter = interrupt_when(target_db, RUN_WAITS)
    with pytest.raises(KeyboardInterrupt):
        services.run_pending(actor=ACTOR)
    interrupter.join(10)
    snapshot.execute("ROLLBACK")
    run = MigrationRun.objects.get()
    assert run.outcome == "failed" and run.failure["completed_statements"] == 1
    assert "KeyboardInterrupt" in run.failure["error"]
    assert '"public"."big_x"' in run.failure["cleanup"]
    target_db.execute("DROP INDEX IF EXISTS big_x")  # as the cleanup sentence asks
    assert services.plan_run().plan.steps[0].resumed_from == 1
    assert services.run_pending(actor=ACTOR).ok
    assert target_db.scalar("SELECT count(*) FROM events") == 1 and target_db.exists("big_x")


def test_ctrl_c_in_an_atomic_segment_releases_every_lock(target_db):
    """Interrupted mid-transaction: nothing of the segment stays, and the locks (ours and the
    framework's lock row) are released, not left to block the next run."""
    from tests.reliability.test_framework_ledgers import lay_out

    lay_out(target_db, "liquibase")
    target_db.execute("CREATE TABLE busy (id int)")
    holder = target_db.connect()
    holder.execute("BEGIN")
    holder.execute("LOCK TABLE busy IN ACCESS EXCLUSIVE MODE")
    first = target_db.directory / "001_conf_one.sql"
    first.write_text(first.read_text() + "SELECT * FROM busy;\n")
    interrupter = interrupt_when(target_db, RUN_WAITS)
    with pytest.raises(KeyboardInterrupt):
        services.run_pending(actor=ACTOR, reason="the wait is what is interrupted")
    interrupter.join(10)
    holder.execute("ROLLBACK")
    assert not target_db.exists("conf_one")
    assert target_db.query("SELECT locked, lockedby FROM databasechangeloglock") == [(False, None)]
    assert target_db.scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == 0
    assert services.run_pending(actor=ACTOR).ok


def test_the_dry_run_is_the_script_the_run_sends(target_db, pg_admin_url, tmp_path):
    """The rendered command stream, run by psql on another database, leaves what the run
    leaves: same tables, same tracking rows (a statement ending in a comment included)."""
    psql = require_tool("psql", "psql (Debian package postgresql-client)")
    for example in EXAMPLES.iterdir():
        shutil.copy(example, target_db.directory)
    target_db.write("005_commented.sql", "CREATE TABLE commented (id int) -- the last one")
    script = tmp_path / "plan.sql"
    script.write_text(services.plan_run().sql_text)
    with fresh_database(pg_admin_url, target_db.directory) as other:
        subprocess.run(
            [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", other.url, "-f", str(script)],
            check=True,
            capture_output=True,
        )
        assert services.run_pending(actor=ACTOR).ok
        assert tables(other) == tables(target_db)
        assert recorded(other) == recorded(target_db)


def tables(target) -> list[str]:
    rows = target.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
    return [name for (name,) in rows]
