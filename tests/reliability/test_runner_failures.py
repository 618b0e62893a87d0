"""What a run leaves behind when the world fails it: a killed connection, a lock it cannot get,
a concurrent index build that breaks, a migration outside a transaction that stops half-way.

Nothing of a batch may stay half-applied, no tracking row may lie, and the next run must work.
"""

from __future__ import annotations

import threading
import time

import pytest

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import GateRefused
from migrations_manager.models import MigrationEvent, MigrationRun
from tests.reliability.conftest import KILL_POINTS, backend_pid
from tests.utils import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

ACTOR = Actor(name="reliability")
RUNNER = "truss-migrations:run"


def runner_backend(target, *, waiting_on: str) -> int | None:
    """The pid of our runner's session once it waits (for a lock, or in pg_sleep)."""
    return backend_pid(target, RUNNER, waiting_on=waiting_on)


def run_in_background(**kwargs) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["report"] = services.run_pending(actor=ACTOR, **kwargs)
        except Exception as error:  # the test inspects whatever happened
            outcome["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    return thread, outcome


@pytest.mark.parametrize("point", KILL_POINTS, ids=KILL_POINTS)
def test_killed_connection_leaves_nothing_of_the_batch_and_the_next_run_succeeds(gated, point):
    gate = gated.gates[point]
    gate.close()
    thread, outcome = run_in_background()
    killer = gated.target.connect()
    killer.execute("SELECT pg_terminate_backend(%s)", (gate.wait_for(RUNNER),))
    gate.open()
    thread.join(30)

    assert "error" not in outcome, outcome.get("error")
    report = outcome["report"]
    assert not report.ok and report.failure.sqlstate == "57P01"
    assert "terminating connection" in report.failure.error
    gated.assert_nothing_applied()
    assert MigrationRun.objects.filter(command="run").latest("id").outcome == "failed"
    assert services.run_pending(actor=ACTOR).ok
    gated.assert_all_applied()


def test_connection_lost_at_commit_says_the_outcome_is_unknown(target_db, settings):
    """A deferred trigger makes COMMIT itself slow; the backend is killed during it."""
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "LOCK_TIMEOUT": "60s"}
    target_db.execute(
        "CREATE TABLE slow (x int);"
        " CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN PERFORM pg_sleep(30); RETURN NULL; END $$;"
        " CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON slow"
        " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit()"
    )
    target_db.write("001_a.sql", "CREATE TABLE a1 (id int);\nINSERT INTO slow VALUES (1);")
    thread, outcome = run_in_background()
    wait_until(lambda: runner_backend(target_db, waiting_on="Timeout"), "COMMIT sleeps")
    target_db.connect().execute(
        "SELECT pg_terminate_backend(%s)", (runner_backend(target_db, waiting_on="Timeout"),)
    )
    thread.join(30)

    failure = outcome["report"].failure
    assert failure.name == "001_a.sql" and "whether it committed is unknown" in failure.explanation
    assert not target_db.exists("a1")  # killed before the commit completed
    assert MigrationRun.objects.get().outcome == "failed"


def test_blocked_ddl_fails_within_lock_timeout_naming_the_blocker(target_db, settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "LOCK_TIMEOUT": "1s"}
    target_db.execute("CREATE TABLE users (id int); INSERT INTO users VALUES (1)")
    target_db.write("001_alter.sql", "ALTER TABLE users ADD COLUMN name text;")
    holder = target_db.connect(application_name="report-job")
    holder.execute("BEGIN")
    holder.execute("SELECT * FROM users")  # idle in transaction, holding ACCESS SHARE
    with pytest.raises(GateRefused, match="pid"):  # the gate sees the blocker first
        services.run_pending(actor=ACTOR)
    thread, outcome = run_in_background(reason="what the blocker does to a run, studied")
    wait_until(lambda: runner_backend(target_db, waiting_on="Lock"), "the ALTER queues")
    reader = target_db.connect()
    reader.execute("SET statement_timeout = '20s'")
    started = time.monotonic()
    assert reader.execute("SELECT count(*) FROM users").fetchone() == (1,)
    waited = time.monotonic() - started
    thread.join(30)

    failure = outcome["report"].failure
    assert failure.sqlstate == "55P03"
    assert f"waited for pid {holder.info.backend_pid}, idle in transaction" in failure.explanation
    assert failure.blockers and failure.blockers[0]["pid"] == holder.info.backend_pid
    # The reader queued behind the ALTER at most until lock_timeout cancelled it.
    assert waited < 10
    holder.execute("ROLLBACK")
    assert (
        target_db.scalar(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users'"
        )
        == 1
    )


def test_failed_concurrent_index_leaves_no_invalid_index(target_db):
    target_db.execute("CREATE TABLE t (c int); INSERT INTO t VALUES (1), (1)")
    target_db.write(
        "001_unique.sql",
        raw="-- truss:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY t_c_key ON t (c);\n",
    )
    report = services.run_pending(actor=ACTOR)
    assert not report.ok and report.failure.sqlstate == "23505"
    assert "was dropped" in report.failure.cleanup
    assert not target_db.exists("t_c_key")
    assert report.failure.as_dict()["cleanup"] == report.failure.cleanup


def test_concurrent_index_name_taken_is_not_dropped(target_db):
    target_db.execute("CREATE TABLE t (c int); CREATE INDEX t_c ON t (c)")
    target_db.write(
        "001_index.sql", raw="-- truss:no-transaction\nCREATE INDEX CONCURRENTLY t_c ON t (c);\n"
    )
    with pytest.raises(GateRefused, match="t_c already exists"):
        services.run_pending(actor=ACTOR)
    report = services.run_pending(actor=ACTOR, reason="what the executor leaves, studied")
    assert report.failure.sqlstate == "42P07" and report.failure.cleanup is None
    assert target_db.exists("t_c")


def test_no_transaction_file_failing_at_statement_2_of_3_resumes_safely(target_db):
    """Statement 2 fails for a reason outside the file (its table is missing); once that is
    fixed, the same file resumes at statement 2: statement 1 never runs twice."""
    target_db.execute("CREATE TABLE log (n int)")
    target_db.write(
        "001_steps.sql",
        raw="-- truss:no-transaction\n"
        "INSERT INTO log VALUES (1);\n"
        "CREATE INDEX CONCURRENTLY t_c ON t (c);\n"
        "INSERT INTO log VALUES (3);\n",
    )
    report = services.run_pending(actor=ACTOR, reason="the missing table, studied")
    failure = report.failure
    assert (failure.completed_statements, failure.total_statements) == (1, 3)
    assert "statement 1 of 3 completed and stay" in failure.explanation
    assert "resumes at statement 2 if the file is unchanged" in failure.explanation
    assert target_db.query("SELECT n FROM log") == [(1,)]
    assert services.status().migrations[0].state.value == "pending"
    event = MigrationEvent.objects.get(ok=False)
    assert event.completed_statements == 1

    target_db.execute("CREATE TABLE t (c int)")  # the cause, fixed outside the file
    plan = services.plan_run()
    assert plan.plan.steps[0].resumed_from == 1
    assert "-- resumes at statement 2" in plan.sql_text
    assert "INSERT INTO log VALUES (1);" not in plan.sql_text
    assert services.run_pending(actor=ACTOR).ok
    assert target_db.query("SELECT n FROM log ORDER BY n") == [(1,), (3,)]
    assert target_db.exists("t_c")
    assert services.status().migrations[0].state.value == "applied"


def test_a_file_changed_after_a_partial_failure_starts_over(target_db):
    """A resume point belongs to the bytes that failed: fixed, the file runs from statement 1
    (it is the fixed file's own business to be re-runnable, e.g. with IF NOT EXISTS)."""
    target_db.execute("CREATE TABLE log (n int); CREATE TABLE t (c int)")
    file = target_db.write(
        "001_steps.sql",
        raw="-- truss:no-transaction\nINSERT INTO log VALUES (1);\n"
        "CREATE INDEX CONCURRENTLY t_missing ON t (missing);\n",
    )
    assert services.run_pending(actor=ACTOR).failure.completed_statements == 1
    file.write_text(file.read_text().replace("(missing)", "(c)"))
    assert services.plan_run().plan.steps[0].resumed_from == 0
    assert services.run_pending(actor=ACTOR).ok
    assert target_db.query("SELECT n FROM log ORDER BY n") == [(1,), (1,)]


def test_a_changed_first_statement_starts_over(target_db):
    target_db.execute("CREATE TABLE log (n int)")
    file = target_db.write(
        "001_steps.sql",
        raw="-- truss:no-transaction\nINSERT INTO log VALUES (1);\nSELECT 1/0;\n",
    )
    services.run_pending(actor=ACTOR)
    file.write_text("-- truss:no-transaction\nINSERT INTO log VALUES (10);\nSELECT 1;\n")
    assert services.plan_run().plan.steps[0].resumed_from == 0
    assert services.run_pending(actor=ACTOR).ok
    assert target_db.query("SELECT n FROM log ORDER BY n") == [(1,), (10,)]


def test_psycopg_error_never_escapes_a_run(target_db):
    """Even a statement that kills its own session ends as a reported failure."""
    target_db.write("001_suicide.sql", "SELECT pg_terminate_backend(pg_backend_pid());")
    report = services.run_pending(actor=ACTOR)
    assert not report.ok and report.failure.sqlstate == "57P01"
    assert "terminating connection" in report.failure.error
    assert MigrationRun.objects.get().outcome == "failed"
