"""The safety gate on every surface, the check that knows the live schema, and lock retries.

The same unsafe plan is refused by the admin, the API (409) and the command line (exit 3), and
runs on all three with a reason, which the audit log keeps with what it overrode. The check
finds statements sure to fail against the live schema, sees a plan as a whole, and a lock
timeout is retried, on a real server, while the application's readers never wait longer than
the lock_timeout.
"""

from __future__ import annotations

import json
import threading
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import GateRefused
from migrations_manager.models import MigrationRun
from tests.admin.helpers import RUN_URL, hidden_fields, messages_of
from tests.api.conftest import token_client
from tests.factories import UserFactory
from tests.reliability.test_framework_ledgers import lay_out

pytestmark = pytest.mark.django_db

ACTOR = Actor(name="tester")
REASON = "INC-7: sessions was created by hand, the file adds its index"


@pytest.fixture
def sure_to_fail(target_db):
    """``sessions`` exists; the pending file creates it again: 42P07 at run time."""
    target_db.execute("CREATE TABLE sessions (id bigint PRIMARY KEY)")
    target_db.write("001_users.sql", "CREATE TABLE users (id bigint PRIMARY KEY);")
    target_db.write(
        "002_sessions.sql",
        "CREATE TABLE sessions (id bigint PRIMARY KEY);\nCREATE INDEX ON users (id);",
    )
    return target_db


def test_a_statement_sure_to_fail_makes_the_check_unsafe(sure_to_fail):
    report = services.check()
    assert not report.safe
    [error] = report.errors
    assert (error.kind, error.file, error.line) == ("will-fail", "002_sessions.sql", 2)
    assert error.message == "CREATE TABLE will fail: public.sessions already exists."
    assert "mark it as applied" in error.hint
    assert "002_sessions.sql, line 2: CREATE TABLE will fail" in " ".join(report.warnings)


def test_the_api_refuses_with_409_and_runs_with_a_reason(sure_to_fail):
    api = token_client(UserFactory(username="ops", superuser=True))
    response = api.post("/api/migrations/idempotent/run", {}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["ok"] is False and body["gate"]["refused"] is True
    assert [e["kind"] for e in body["gate"]["errors"]] == ["will-fail"]
    assert not sure_to_fail.exists("users")
    refused = MigrationRun.objects.get()
    assert refused.outcome == "refused" and refused.failure["gate"]["errors"]
    response = api.post(
        "/api/migrations/idempotent/run",
        {"migrations": ["001_users.sql"], "reason": REASON},
        format="json",
    )
    assert response.status_code == 200 and sure_to_fail.exists("users")
    ran = MigrationRun.objects.filter(outcome="succeeded").get()
    assert ran.reason == REASON and ran.overridden == []  # 001 alone is fine: nothing overridden


def test_the_command_line_exits_3_and_runs_with_a_reason(sure_to_fail):
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("pgmigrate", "up", stdout=out, stderr=err)
    assert refused.value.returncode == 3
    assert "[will-fail] 002_sessions.sql, line 2: CREATE TABLE will fail" in err.getvalue()
    assert not sure_to_fail.exists("users")
    with pytest.raises(CommandError) as failed:  # overridden: the statement does fail
        call_command("pgmigrate", "up", "--reason", REASON, stdout=StringIO(), stderr=StringIO())
    assert failed.value.returncode == 1
    run = MigrationRun.objects.filter(reason=REASON).get()
    assert run.overridden[0]["message"] == "CREATE TABLE will fail: public.sessions already exists."
    assert sure_to_fail.exists("users")  # 001 committed in its own transaction (up)


def test_the_command_lines_json_carries_the_gate(sure_to_fail):
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("pgmigrate", "run", "--json", stdout=out, stderr=StringIO())
    body = json.loads(out.getvalue())
    assert body["gate"]["refused"] and body["gate"]["errors"][0]["line"] == 2


def test_the_admin_asks_a_reason_and_runs_with_it(sure_to_fail):
    client = Client()
    client.force_login(UserFactory(username="admin-ops", superuser=True))
    page = client.get(RUN_URL)
    content = page.content.decode()
    assert "The safety gate refuses this run" in content and 'name="reason"' in content
    refused = client.post(RUN_URL, {"post": "yes", **hidden_fields(page)})
    assert refused.status_code == 200 and refused.context["reason_error"]
    assert not sure_to_fail.exists("users")
    ran = client.post(RUN_URL, {"post": "yes", "reason": REASON, **hidden_fields(page)})
    assert ran.status_code == 302
    [(level, text)] = messages_of(ran)
    assert level == "error" and "entire batch rolled back" in text  # it ran, failed as foretold
    run = MigrationRun.objects.filter(reason=REASON).get()
    assert run.overridden and run.outcome == "failed"


def test_warn_mode_runs_and_records_what_it_would_have_refused(sure_to_fail, settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "GATE": "warn"}
    report = services.run_pending(["001_users.sql"], actor=ACTOR)
    assert report.ok
    report = services.run_pending(actor=ACTOR)
    assert report.failure.sqlstate == "42P07"
    run = MigrationRun.objects.filter(outcome="failed").get()
    assert run.reason == "" and run.overridden[0]["kind"] == "will-fail"


# ---- the check knows the live schema, and the plan as a whole ------------------------------------

WILL_FAIL = {
    "add-existing-column": (
        "CREATE TABLE t (c int)",
        "ALTER TABLE t ADD COLUMN c int;",
        "ALTER TABLE will fail: public.t.c already exists.",
    ),
    "alter-missing-table": (
        "",
        "ALTER TABLE nowhere ADD COLUMN c int;",
        "ALTER TABLE will fail: nowhere does not exist.",
    ),
    "drop-missing-index": ("", "DROP INDEX gone;", "DROP INDEX will fail: gone does not exist."),
    "foreign-key-to-missing": (
        "",
        "CREATE TABLE child (id int REFERENCES parent (id));",
        "CREATE TABLE will fail: parent does not exist.",
    ),
    "existing-type": (
        "CREATE TYPE mood AS ENUM ('ok')",
        "CREATE TYPE mood AS ENUM ('ok');",
        "CREATE TYPE will fail: public.mood already exists.",
    ),
    "existing-function": (
        "CREATE FUNCTION f(a int) RETURNS int AS 'SELECT a' LANGUAGE sql",
        "CREATE FUNCTION f(b integer) RETURNS int AS 'SELECT b' LANGUAGE sql;",
        "CREATE FUNCTION will fail: public.f(integer) already exists.",
    ),
}


@pytest.mark.parametrize("before, body, message", WILL_FAIL.values(), ids=WILL_FAIL.keys())
def test_statements_sure_to_fail(target_db, before, body, message):
    if before:
        target_db.execute(before)
    target_db.write("001_m.sql", body)
    assert [error.message for error in services.check().errors] == [message]


SURE_TO_WORK = {
    "if-not-exists": ("CREATE TABLE t (c int)", "CREATE TABLE IF NOT EXISTS t (c int);"),
    "or-replace": (
        "CREATE FUNCTION f() RETURNS int AS 'SELECT 1' LANGUAGE sql",
        "CREATE OR REPLACE FUNCTION f() RETURNS int AS 'SELECT 2' LANGUAGE sql;",
    ),
    "drop-if-exists": ("", "DROP TABLE IF EXISTS gone;"),
    "other-overload": (
        "CREATE FUNCTION f(a int) RETURNS int AS 'SELECT a' LANGUAGE sql",
        "CREATE FUNCTION f(a text) RETURNS text AS 'SELECT a' LANGUAGE sql;",
    ),
    "other-schema": ("CREATE SCHEMA app; CREATE TABLE app.t (c int)", "CREATE TABLE t (c int);"),
    # The file's own search_path decides where its unqualified names are.
    "own-search-path": (
        "CREATE SCHEMA app; CREATE TABLE app.t (c int)",
        "SET search_path = app;\nALTER TABLE t ADD COLUMN d int;",
    ),
}


@pytest.mark.parametrize("before, body", SURE_TO_WORK.values(), ids=SURE_TO_WORK.keys())
def test_statements_that_will_not_fail_are_not_errors(target_db, before, body):
    if before:
        target_db.execute(before)
    target_db.write("001_m.sql", body)
    assert services.check().errors == ()
    assert services.run_pending(actor=ACTOR).ok


def test_the_check_sees_the_plan_as_a_whole(target_db):
    """002 indexes and alters the table 001 creates: no lint noise, nothing 'missing'; and
    003 creating it again would fail because of 001."""
    target_db.write("001_users.sql", "CREATE TABLE users (id bigint PRIMARY KEY, name text);")
    target_db.write(
        "002_index.sql",
        "CREATE INDEX users_name ON users (name);\nALTER TABLE users ADD COLUMN x int;",
    )
    report = services.check()
    assert report.errors == () and [f.rule for f in report.lint] == []
    target_db.write("003_again.sql", "CREATE TABLE users (id int);")
    [error] = services.check().errors
    assert (error.file, error.message) == (
        "003_again.sql",
        "CREATE TABLE will fail: public.users already exists.",
    )


def test_an_error_level_lint_finding_refuses_the_run_before_its_first_file(target_db):
    """``pgmigrate lint`` reports MM010 on 002; ``up`` used to run 001 then fail on 002."""
    target_db.execute("CREATE TABLE accounts (id int); INSERT INTO accounts VALUES (1)")
    target_db.execute("ANALYZE accounts")
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    target_db.write("002_b.sql", "ALTER TABLE accounts ADD COLUMN owner int NOT NULL;")
    with pytest.raises(GateRefused) as refused:
        services.migrate_up(actor=ACTOR)
    assert [(e.kind, e.rule) for e in refused.value.errors] == [("lint", "MM010")]
    assert not target_db.exists("a")


def test_a_silenced_lint_finding_does_not_refuse(target_db):
    target_db.execute("CREATE TABLE accounts (id int)")
    target_db.write(
        "001_b.sql",
        "-- truss:ignore MM010\nALTER TABLE accounts ADD COLUMN owner int NOT NULL;",
    )
    assert services.check().errors == ()


def test_the_gate_checks_what_a_down_runs(target_db):
    target_db.write("001_t.sql", "CREATE TABLE t (id int);", "DROP TABLE t;\nDROP TABLE t;")
    assert services.migrate_up(actor=ACTOR).ok
    with pytest.raises(GateRefused, match="DROP TABLE will fail: t does not exist"):
        services.migrate_down(actor=ACTOR)
    assert target_db.exists("t")


def test_mark_applied_past_a_dirty_ledger_needs_a_reason(target_db):
    lay_out(target_db, "golang-migrate", "INSERT INTO {schema}.{table} VALUES (2, true)")
    with pytest.raises(GateRefused, match="golang-migrate records 002_conf_two.up.sql as failed"):
        services.mark_applied("003_conf_three.up.sql", actor=ACTOR)
    result = services.mark_applied(
        "003_conf_three.up.sql", actor=ACTOR, reason="repaired 2 by hand"
    )
    assert result.written
    assert target_db.query("SELECT version, dirty FROM schema_migrations") == [(3, False)]
    assert MigrationRun.objects.filter(outcome="succeeded").get().overridden[0]["kind"] == "ledger"


# ---- lock timeouts are retried -------------------------------------------------------------------


def hold_access_share(target, table: str, seconds: float) -> threading.Thread:
    """A session reading ``table`` in a transaction it keeps open for ``seconds``."""
    holder = target.connect(application_name="long-reader")
    holder.execute("BEGIN")
    holder.execute(f"SELECT * FROM {table}")

    def release() -> None:
        time.sleep(seconds)
        holder.execute("ROLLBACK")

    thread = threading.Thread(target=release)
    thread.start()
    return thread


def reader_waits(target, table: str, stop: threading.Event, waits: list[float]) -> threading.Thread:
    """The application: SELECTs on ``table`` one after another, each one's wait recorded."""
    conn = target.connect(application_name="app-reader")

    def read() -> None:
        while not stop.is_set():
            started = time.monotonic()
            conn.execute(f"SELECT count(*) FROM {table}")
            waits.append(time.monotonic() - started)
            time.sleep(0.05)

    thread = threading.Thread(target=read)
    thread.start()
    return thread


@pytest.fixture
def busy_table(target_db, settings):
    settings.MIGRATIONS_MANAGER = {
        **settings.MIGRATIONS_MANAGER,
        "LOCK_TIMEOUT": "1s",
        "LOCK_RETRY_BACKOFF": 0.5,
    }
    target_db.execute("CREATE TABLE busy (id int)")
    target_db.write("001_alter.sql", "ALTER TABLE busy ADD COLUMN note text;")
    return target_db


@pytest.mark.django_db(transaction=True)
def test_a_lock_timeout_is_retried_until_the_reader_is_gone(busy_table):
    holder = hold_access_share(busy_table, "busy", 3)
    stop, waits = threading.Event(), []
    reader = reader_waits(busy_table, "busy", stop, waits)
    try:
        report = services.migrate_up(actor=ACTOR, reason="retry test", lock_retries=3)
    finally:
        stop.set()
        holder.join(10)
        reader.join(10)
    assert report.ok, report.failure
    assert (
        busy_table.scalar(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'busy'"
        )
        == 2
    )
    retries = MigrationRun.objects.get().events.filter(direction="retry")
    assert 1 <= retries.count() <= 3
    assert all("long-reader" in event.error or "pid" in event.error for event in retries)
    assert waits and max(waits) < 1 + 0.9  # a reader never waits past the lock_timeout (1 s)


@pytest.mark.django_db(transaction=True)
def test_a_lock_held_too_long_fails_after_the_last_attempt(busy_table):
    holder = busy_table.connect(application_name="long-reader")
    holder.execute("BEGIN")
    holder.execute("SELECT * FROM busy")
    report = services.migrate_up(actor=ACTOR, reason="retry test", lock_retries=2)
    holder.execute("ROLLBACK")
    assert report.failure.sqlstate == "55P03"
    assert len(report.failure.attempts) == 2
    assert len(report.failure.as_dict()["attempts"]) == 2
    assert MigrationRun.objects.get().events.filter(direction="retry").count() == 2
    columns = busy_table.query(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'busy'"
    )
    assert columns == [("id",)]


# ---- what the gate and the retries must never do ----------------------------------------------


@pytest.mark.parametrize("value", ["Enforce", "off", "", "warn "])
def test_a_gate_mode_it_does_not_know_enforces(sure_to_fail, settings, value):
    """The command line runs no system checks: a mistyped mode must fail closed, not open."""
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "GATE": value}
    with pytest.raises(CommandError) as refused:
        call_command("pgmigrate", "run", stdout=StringIO(), stderr=StringIO())
    assert refused.value.returncode == 3
    assert not sure_to_fail.exists("users")


@pytest.mark.parametrize("reason", ["   ", "\u200b", "\u200b \t", "-", "..."])
def test_a_reason_without_a_word_is_no_reason(sure_to_fail, reason):
    with pytest.raises(GateRefused):
        services.run_pending(actor=ACTOR, reason=reason)
    assert not sure_to_fail.exists("users")


def test_a_resumed_file_is_checked_from_where_it_resumes(target_db):
    """Its first index exists because the failed run built it: the resumed run does not build
    it again, so the gate must not call it sure to fail."""
    target_db.execute("CREATE TABLE t (a int, b int); INSERT INTO t VALUES (1, 1), (2, 1)")
    target_db.write(
        "001_indexes.sql",
        raw="-- truss:no-transaction\nCREATE INDEX CONCURRENTLY a_i ON t (a);\n"
        "CREATE UNIQUE INDEX CONCURRENTLY b_u ON t (b);\n",
    )
    assert services.run_pending(actor=ACTOR).failure.sqlstate == "23505"
    target_db.execute("DELETE FROM t WHERE a = 2")
    assert services.check().errors == ()
    assert services.run_pending(actor=ACTOR).ok
    assert target_db.exists("a_i") and target_db.exists("b_u")


@pytest.fixture
def fast_retries(target_db, settings):
    settings.MIGRATIONS_MANAGER = {
        **settings.MIGRATIONS_MANAGER,
        "LOCK_TIMEOUT": "1s",
        "LOCK_RETRY_BACKOFF": 0.2,
    }
    return target_db


def invalid_indexes(target, table: str) -> list[str]:
    return [
        name
        for (name,) in target.query(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " WHERE i.indrelid = %s::regclass AND NOT i.indisvalid ORDER BY 1",
            (table,),
        )
    ]


def snapshot_holder(target, release_after: float) -> threading.Thread:
    """A REPEATABLE READ transaction: a concurrent index build waits for its snapshot."""
    holder = target.connect(application_name="old-snapshot")
    holder.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    holder.execute("SELECT 1")
    thread = threading.Thread(target=lambda: (time.sleep(release_after), holder.rollback()))
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "statement",
    ["CREATE INDEX CONCURRENTLY ON t (a)", "REINDEX INDEX CONCURRENTLY t_i"],
    ids=["unnamed-index", "reindex"],
)
def test_a_concurrent_build_that_cannot_clean_up_after_itself_is_not_retried(
    fast_retries, statement
):
    """Each attempt would leave one more INVALID index (a new name each time, or another
    ``_ccnew`` copy): one attempt, one leftover, reported."""
    fast_retries.execute("CREATE TABLE t (a int); CREATE INDEX t_i ON t (a)")
    fast_retries.execute("INSERT INTO t SELECT generate_series(1, 100)")
    fast_retries.write("001_index.sql", raw=f"-- truss:no-transaction\n{statement};\n")
    holder = snapshot_holder(fast_retries, 6)
    try:
        report = services.run_pending(actor=ACTOR, reason="a snapshot in the way", lock_retries=3)
    finally:
        holder.join(10)
    assert report.failure.sqlstate == "55P03" and report.failure.attempts == ()
    assert len(invalid_indexes(fast_retries, "t")) == 1


@pytest.mark.django_db(transaction=True)
def test_a_named_concurrent_index_is_retried_once_its_leftover_is_dropped(fast_retries):
    fast_retries.execute("CREATE TABLE t (a int); INSERT INTO t SELECT generate_series(1, 100)")
    fast_retries.write(
        "001_index.sql", raw="-- truss:no-transaction\nCREATE INDEX CONCURRENTLY t_a ON t (a);\n"
    )
    holder = snapshot_holder(fast_retries, 2)
    try:
        report = services.run_pending(actor=ACTOR, reason="a snapshot in the way", lock_retries=5)
    finally:
        holder.join(10)
    assert report.ok, report.failure
    assert invalid_indexes(fast_retries, "t") == [] and fast_retries.exists("t_a")
    retries = MigrationRun.objects.get(outcome="succeeded").events.filter(direction="retry")
    assert retries and all("t_a" in event.error for event in retries)  # what its cleanup did


@pytest.mark.django_db(transaction=True)
def test_a_run_dying_between_attempts_keeps_its_resume_point(fast_retries):
    """Statement 1 ran in an earlier run; this one resumes at 2 and a lock stops it. Whenever
    the process dies from then on, the next run must still resume at 2."""
    fast_retries.execute(
        "CREATE TABLE counters (n int); INSERT INTO counters VALUES (0);"
        " CREATE TABLE t (a int); INSERT INTO t VALUES (1), (1)"
    )
    fast_retries.write(
        "001_count.sql",
        raw="-- truss:no-transaction\nUPDATE counters SET n = n + 1;\n"
        "CREATE UNIQUE INDEX CONCURRENTLY t_u ON t (a);\n",
    )
    assert services.run_pending(actor=ACTOR, reason="duplicates").failure.sqlstate == "23505"
    fast_retries.execute("DELETE FROM t WHERE ctid = (SELECT max(ctid) FROM t)")
    locker = fast_retries.connect(application_name="locker")
    locker.execute("BEGIN")
    locker.execute("LOCK TABLE t IN SHARE UPDATE EXCLUSIVE MODE")
    seen: list[int] = []

    def between_attempts(event: str, step, detail: dict) -> None:
        if event == "retry":  # what a run started now, after a kill, would resume at
            seen.append(services.plan_run().plan.steps[0].resumed_from)

    report = services.run_pending(
        actor=ACTOR, reason="a lock in the way", progress=between_attempts, lock_retries=1
    )
    locker.execute("ROLLBACK")
    assert report.failure.sqlstate == "55P03" and seen == [1]
    assert services.run_pending(actor=ACTOR).ok
    assert fast_retries.query("SELECT n FROM counters") == [(1,)]


@pytest.mark.django_db(transaction=True)
def test_a_set_up_stopped_by_a_lock_is_retried_with_it(fast_retries):
    """The tracking table does not exist yet and another session is creating one: the set-up
    waits, times out, and the next attempt must create it again before the file runs."""
    fast_retries.execute("CREATE TABLE t (a int)")
    fast_retries.write(
        "001_index.sql", raw="-- truss:no-transaction\nCREATE INDEX CONCURRENTLY t_a ON t (a);\n"
    )
    creator = fast_retries.connect(application_name="creator")
    creator.execute("BEGIN")
    creator.execute("CREATE TABLE pgmigrations (x int)")
    release = threading.Timer(1.5, creator.rollback)
    release.start()
    try:
        report = services.run_pending(actor=ACTOR, reason="a table in the way", lock_retries=3)
    finally:
        release.join(10)
    assert report.ok, report.failure
    assert fast_retries.query("SELECT name FROM pgmigrations") == [("001_index",)]


@pytest.mark.django_db(transaction=True)
def test_a_cancel_while_the_run_waits_to_try_again_stops_it(fast_retries, settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "LOCK_RETRY_BACKOFF": 4.0}
    fast_retries.execute("CREATE TABLE t (a int)")
    fast_retries.write("001_alter.sql", "ALTER TABLE t ADD COLUMN x int;")
    reader = fast_retries.connect(application_name="reader")
    reader.execute("BEGIN")
    reader.execute("SELECT * FROM t")
    waiting = threading.Event()
    reports: list = []

    def progress(event: str, step, detail: dict) -> None:
        if event == "retry":
            waiting.set()

    thread = threading.Thread(
        target=lambda: reports.append(
            services.run_pending(actor=ACTOR, reason="reader", progress=progress)
        )
    )
    thread.start()
    assert waiting.wait(30)
    run = MigrationRun.objects.get(outcome="running")
    services.cancel_run(run.pk, actor=ACTOR)
    reader.execute("ROLLBACK")  # the way is free now: only the cancel may stop the run
    thread.join(30)
    [report] = reports
    assert report.failure.sqlstate == "57014" and "cancelled" in report.failure.explanation
    run.refresh_from_db()
    assert run.outcome == "cancelled"
    columns = fast_retries.query(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 't'"
    )
    assert columns == [("a",)]


@pytest.mark.django_db(transaction=True)
def test_the_command_line_says_failed_only_once_no_attempt_is_left(busy_table):
    holder = hold_access_share(busy_table, "busy", 2)
    out = StringIO()
    try:
        call_command(
            "pgmigrate", "up", "--reason", "retry", "--lock-retries", "5", stdout=out, stderr=out
        )
    finally:
        holder.join(10)
    printed = out.getvalue()
    assert "attempt 1 stopped" in printed and "FAILED" not in printed
