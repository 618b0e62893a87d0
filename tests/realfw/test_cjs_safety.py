"""A ``.cjs`` migration's code: run once by a run, never by a dry run's writes, never for a user
who may only read, and never with the server's secrets in its environment."""

from __future__ import annotations

import threading

import pytest

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import MigrationFailed
from migrations_manager.models import MigrationRun
from tests.api.conftest import token_client
from tests.factories import UserFactory
from tests.realfw.conftest import require_tool
from tests.realfw.test_cjs_migrations import cjs
from tests.utils import wait_until

pytestmark = [pytest.mark.django_db, pytest.mark.realfw]

ACTOR = Actor(name="tester")

WRITES_WHILE_BUILDING = """\
exports.up = async (pgm) => {
  await pgm.db.query('INSERT INTO log VALUES (1)');
  pgm.sql('CREATE TABLE after_log (id int)');
};
"""


def test_a_dry_run_cannot_write_and_the_run_writes_once(target_db, app_node):
    """The function's own query writes during the run only: a dry run of it fails, read-only."""
    target_db.execute("CREATE TABLE log (n int)")
    cjs(target_db, "001_log.cjs", WRITES_WHILE_BUILDING)
    with pytest.raises(MigrationFailed) as refused:
        services.migrate_up(actor=ACTOR, dry_run=True)
    assert refused.value.failure.sqlstate == "25006"
    assert "dry run's session is read-only, so nothing was written" in refused.value.message
    with pytest.raises(MigrationFailed):
        services.plan_run()
    assert target_db.scalar("SELECT count(*) FROM log") == 0
    report = services.migrate_up(actor=ACTOR)
    assert report.ok, report.failure
    assert target_db.scalar("SELECT count(*) FROM log") == 1 and target_db.exists("after_log")


def test_the_program_sees_no_secret_of_the_server(target_db, app_node, monkeypatch):
    monkeypatch.setenv("TRUSS_TEST_SECRET", "hunter2")
    cjs(
        target_db,
        "001_env.cjs",
        "exports.up = (pgm) => {\n"
        "  const seen = process.env.TRUSS_TEST_SECRET || 'absent';\n"
        "  const path = process.env.PATH ? 'path' : 'no path';\n"
        "  pgm.sql(`CREATE TABLE env_seen AS SELECT '${seen}' AS secret, '${path}' AS path`);\n"
        "};\n",
    )
    assert "absent" in services.plan_run().sql_text  # the dry run's program
    assert services.run_pending(actor=ACTOR).ok  # the run's program
    assert target_db.query("SELECT secret, path FROM env_seen") == [("absent", "path")]


def test_a_user_who_may_only_read_never_makes_a_files_code_run(target_db, app_node, tmp_path):
    require_tool(app_node, "node-pg-migrate for the app (var/node)")
    witness = tmp_path / "code-ran"
    cjs(
        target_db,
        "001_witness.cjs",
        f"require('fs').writeFileSync({str(witness)!r}, 'ran');\n"
        "exports.up = (pgm) => { pgm.sql('SELECT 1'); };\n",
    )
    viewer = token_client(UserFactory(username="viewer", permissions=["view_migration"]))
    body = viewer.get("/api/migrations/preview/001_witness.cjs").json()
    assert body["sql"] is None and body["sql_withheld"] is True
    assert not witness.exists()
    runner = token_client(
        UserFactory(username="runner", permissions=["view_migration", "run_migrations"])
    )
    body = runner.get("/api/migrations/preview/001_witness.cjs").json()
    assert "SELECT 1" in body["sql"] and "sql_withheld" not in body
    assert witness.exists()  # the same request with the permission does run it (read-only)


@pytest.mark.django_db(transaction=True)
def test_a_cancelled_cjs_step_stops_its_program_and_records_nothing(target_db, app_node):
    """node-pg-migrate runs the step on its own connection, out of pg_cancel_backend's reach
    of the run's session: the program itself is stopped, its transaction never commits."""
    cjs(
        target_db,
        "001_slow.cjs",
        "exports.up = (pgm) => {\n"
        "  pgm.createTable('slow', { id: 'id' });\n"
        "  pgm.sql('SELECT pg_sleep(3)');\n"
        "};\n",
    )
    reports: list = []
    thread = threading.Thread(target=lambda: reports.append(services.run_pending(actor=ACTOR)))
    thread.start()
    wait_until(
        lambda: target_db.scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(3)%%'"
        ),
        "node-pg-migrate runs the step",
    )
    run = MigrationRun.objects.get(outcome="running")
    services.cancel_run(run.pk, actor=ACTOR)
    thread.join(30)
    [report] = reports
    assert report.failure.sqlstate == "57014" and "cancelled" in report.failure.explanation
    run.refresh_from_db()
    assert run.outcome == "cancelled"
    wait_until(
        lambda: (
            not target_db.scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(3)%%'"
            )
        ),
        "the program's session ends",
    )
    assert not target_db.exists("slow")
    assert target_db.scalar("SELECT count(*) FROM pgmigrations") == 0


NEVER_CALLS_BACK = """\
// Two parameters: node-pg-migrate takes it for a callback-style migration and waits for run().
exports.up = (pgm, run) => {
  pgm.sql('CREATE TABLE never (id int)');
};
"""


def test_a_dry_run_of_a_function_that_never_finishes_says_so(target_db, app_node):
    """Sequelize's ``up(queryInterface, Sequelize)`` looks like a callback migration to
    node-pg-migrate, which then waits for ever: the dry run says why, rather than "failed"."""
    cjs(target_db, "001_never.cjs", NEVER_CALLS_BACK)
    with pytest.raises(MigrationFailed) as stopped:
        services.plan_run()
    assert "never finishes" in stopped.value.message
    assert not target_db.exists("never")


def test_a_dry_run_that_never_ends_is_stopped(target_db, app_node, settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "NODE_DRY_RUN_TIMEOUT": 3}
    cjs(target_db, "001_loop.cjs", "exports.up = (pgm) => { for (;;) {} };\n")
    with pytest.raises(MigrationFailed) as stopped:
        services.plan_run()
    assert "within 3 s" in stopped.value.message


def test_a_run_that_never_ends_is_stopped_when_a_timeout_is_set(target_db, app_node, settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "NODE_RUN_TIMEOUT": 3}
    cjs(target_db, "001_never.cjs", NEVER_CALLS_BACK)
    report = services.run_pending(actor=ACTOR)
    assert not report.ok and "within 3 s" in report.failure.explanation
    assert not target_db.exists("never")
    assert MigrationRun.objects.get().outcome == "failed"
    assert target_db.scalar("SELECT count(*) FROM pgmigrations") == 0
