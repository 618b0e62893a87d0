"""Live control on a real server: following a run, cancelling it, ending a session in its way.

A run held at a lock another session keeps is followed through ``GET runs/{id}`` (its file, its
statement, an index build's phase) and its page in the admin, cancelled through ``POST
runs/{id}/cancel`` (its segment rolls back, the log says ``cancelled``); a session the safety
check lists as a blocker is ended through ``POST sessions/{pid}/terminate``, with a reason.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import UsageError
from migrations_manager.introspection.activity import cancel_backend
from migrations_manager.models import MigrationRun
from tests.api.conftest import token_client
from tests.factories import MigrationRunFactory, UserFactory
from tests.utils import wait_until

pytestmark = pytest.mark.django_db(transaction=True)

ACTOR = Actor(name="tester")
RUNS = "/api/migrations/runs/"
SESSIONS = "/api/migrations/sessions/"


def running_run() -> MigrationRun | None:
    return MigrationRun.objects.filter(outcome="running").first()


@pytest.fixture
def held_run(target_db, gate):
    """A run of two files whose second statement waits at a gate another session holds (the
    gate fixture makes the lock_timeout long). Yields (thread, reports, gate)."""
    entry = gate("entry")
    target_db.write("001_a.sql", "CREATE TABLE a (id int);\nINSERT INTO entry VALUES (1);")
    entry.close()
    reports: list = []
    thread = threading.Thread(target=lambda: reports.append(services.run_pending(actor=ACTOR)))
    thread.start()
    entry.wait_for("truss-migrations:run")
    yield thread, reports, entry
    if entry.holder is not None and not entry.holder.closed:
        entry.holder.execute("ROLLBACK")
    thread.join(30)


def test_a_running_run_is_followed_and_cancelled_through_the_api(held_run, target_db):
    thread, reports, _ = held_run
    api = token_client(UserFactory(username="ops", superuser=True))
    run = running_run()
    wait_until(lambda: api.get(f"{RUNS}{run.pk}").json()["current"] == "001_a.sql", "progress")
    body = api.get(f"{RUNS}{run.pk}").json()
    assert body["outcome"] == "running" and body["files"] == ["001_a.sql"]
    assert body["live"]["query"] == "INSERT INTO entry VALUES (1)"
    assert body["live"]["waitEvent"].startswith("Lock")
    cancelled = api.post(f"{RUNS}{run.pk}/cancel")
    assert cancelled.status_code == 200
    thread.join(30)
    [report] = reports
    assert report.failure.sqlstate == "57014" and "cancelled" in report.failure.explanation
    run.refresh_from_db()
    assert run.outcome == "cancelled" and run.events.filter(direction="cancel").exists()
    assert not target_db.exists("a")  # its segment rolled back
    assert api.get(f"{RUNS}{run.pk}").json()["live"] is None
    assert api.post(f"{RUNS}{run.pk}/cancel").status_code == 400  # not running any more


def test_cancelling_needs_the_run_permission(held_run):
    viewer = token_client(UserFactory(username="viewer", permissions=["view_migration"]))
    run = running_run()
    assert viewer.get(f"{RUNS}{run.pk}").status_code == 200
    assert viewer.post(f"{RUNS}{run.pk}/cancel").status_code == 403
    assert running_run() is not None


def test_the_admin_page_of_a_running_run_refreshes_and_cancels(held_run, target_db):
    thread, _, _ = held_run
    client = Client()
    client.force_login(UserFactory(username="admin-ops", superuser=True))
    run = running_run()
    page = client.get(reverse("admin:migrations_manager_migrationrun_change", args=[run.pk]))
    content = page.content.decode()
    assert '<meta http-equiv="refresh" content="2">' in content
    assert "INSERT INTO entry VALUES (1)" in content and 'value="Cancel the run"' in content
    client.post(reverse("admin:migrations_manager_migrationrun_cancel", args=[run.pk]))
    thread.join(30)
    run.refresh_from_db()
    assert run.outcome == "cancelled"
    done = client.get(reverse("admin:migrations_manager_migrationrun_change", args=[run.pk]))
    assert 'http-equiv="refresh"' not in done.content.decode()


def test_an_index_build_shows_its_phase(target_db, gate):
    """A CREATE INDEX CONCURRENTLY waiting for a writer: pg_stat_progress_create_index says
    which phase it is in; cancelled, its INVALID index is dropped."""
    gate("busy")
    target_db.write(
        "001_index.sql",
        raw="-- truss:no-transaction\nCREATE INDEX CONCURRENTLY busy_x ON busy (x);\n",
    )
    writer = target_db.connect()
    writer.execute("BEGIN")
    writer.execute("INSERT INTO busy VALUES (1)")  # the build waits for this writer
    reports: list = []
    thread = threading.Thread(target=lambda: reports.append(services.run_pending(actor=ACTOR)))
    thread.start()
    try:
        wait_until(lambda: running_run() is not None, "the run starts")
        run = running_run()
        wait_until(
            lambda: (p := services.run_progress(run.pk)).live is not None and p.live.phase,
            "the build reports a phase",
        )
        assert "waiting" in services.run_progress(run.pk).live.phase
        services.cancel_run(run.pk, actor=ACTOR)
        thread.join(30)
    finally:
        writer.execute("ROLLBACK")
        thread.join(30)
    [report] = reports
    assert report.failure.sqlstate == "57014"
    assert not target_db.exists("busy_x")  # the INVALID index the cancelled build left: dropped


@pytest.fixture
def blocker(target_db):
    target_db.execute("CREATE TABLE users (id int)")
    target_db.write("001_note.sql", "ALTER TABLE users ADD COLUMN note text;")
    reader = target_db.connect(application_name="forgotten-console")
    reader.execute("BEGIN")
    reader.execute("SELECT * FROM users")
    return reader


def test_a_blocker_is_ended_with_a_reason_and_audited(blocker, target_db):
    api = token_client(UserFactory(username="dba", permissions=["terminate_sessions"]))
    pid = blocker.info.backend_pid
    assert api.post(f"{SESSIONS}{pid}/terminate", {}, format="json").status_code == 400
    answer = api.post(
        f"{SESSIONS}{pid}/terminate", {"reason": "INC-9: idle console"}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["terminated"] and body["blocker"]["pid"] == pid
    wait_until(
        lambda: (
            not target_db.scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,))
        ),
        "the session ends",
    )
    row = MigrationRun.objects.get(command="terminate")
    assert (row.outcome, row.reason) == ("succeeded", "INC-9: idle console")
    assert row.summary.startswith(f"Ended session {pid}")
    assert services.check().blockers == ()


def test_only_a_listed_blocker_can_be_ended(blocker, target_db):
    api = token_client(UserFactory(username="dba", permissions=["terminate_sessions"]))
    bystander = target_db.connect(application_name="bystander")
    pid = bystander.info.backend_pid
    answer = api.post(f"{SESSIONS}{pid}/terminate", {"reason": "why not"}, format="json")
    assert (
        answer.status_code == 400
        and "blocks none of the pending migrations" in answer.json()["error"]
    )
    assert target_db.scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)) == 1
    runner = token_client(UserFactory(username="runner", permissions=["run_migrations"]))
    own = blocker.info.backend_pid
    assert (
        runner.post(f"{SESSIONS}{own}/terminate", {"reason": "x"}, format="json").status_code == 403
    )


def test_the_check_page_offers_to_end_a_blocker(blocker, target_db):
    client = Client()
    client.force_login(UserFactory(username="dba", superuser=True))
    check = client.get(reverse("admin:migrations_manager_migration_check")).content.decode()
    pid = blocker.info.backend_pid
    url = reverse("admin:migrations_manager_migration_terminate", args=[pid])
    assert f'href="{url}"' in check
    page = client.get(url).content.decode()
    assert 'value="End the session"' in page and "SELECT * FROM users" in page
    client.post(url, {"post": "yes", "reason": "INC-9"})
    wait_until(
        lambda: (
            not target_db.scalar("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,))
        ),
        "the session ends",
    )
    assert MigrationRun.objects.get(command="terminate").reason == "INC-9"


def test_a_session_holding_the_table_exclusively_is_named_and_can_be_ended(target_db):
    """The blocker that most needs ending holds ACCESS EXCLUSIVE: the check that names it must
    not queue behind it (sizes come from the statistics, not pg_relation_size)."""
    target_db.execute("CREATE TABLE users (id int); INSERT INTO users VALUES (1)")
    target_db.write("001_note.sql", "ALTER TABLE users ADD COLUMN note text;")
    other = target_db.connect(application_name="half-done-deploy")
    other.execute("BEGIN")
    other.execute("ALTER TABLE users ADD COLUMN other int")
    pid = other.info.backend_pid
    api = token_client(UserFactory(username="dba", superuser=True))
    refused = api.post("/api/migrations/idempotent/run", {}, format="json")
    assert refused.status_code == 409, refused.json()
    [error] = refused.json()["gate"]["errors"]
    assert error["kind"] == "blocker" and str(pid) in error["message"]
    check = Client()
    check.force_login(UserFactory(username="admin-dba", superuser=True))
    page = check.get(reverse("admin:migrations_manager_migration_check"))
    assert page.status_code == 200
    assert reverse("admin:migrations_manager_migration_terminate", args=[pid]) in (
        page.content.decode()
    )
    ended = api.post(f"{SESSIONS}{pid}/terminate", {"reason": "INC-3: stuck"}, format="json")
    assert ended.status_code == 200 and ended.json()["terminated"]


def test_a_run_of_this_tool_is_never_ended_as_a_blocker(target_db, gate):
    """While a run holds its table, the check lists its session in the way of the file it is
    running: ending that session from here would kill the run; it is cancelled instead."""
    entry = gate("entry")
    target_db.execute("CREATE TABLE t (id int)")
    target_db.write("001_t.sql", "ALTER TABLE t ADD COLUMN x int;\nINSERT INTO entry VALUES (1);")
    entry.close()
    reports: list = []
    thread = threading.Thread(target=lambda: reports.append(services.run_pending(actor=ACTOR)))
    thread.start()
    try:
        entry.wait_for("truss-migrations:run")
        run = running_run()
        [own] = [b for b in services.check().blockers if b.pid == run.backend_pid]
        assert own.application_name == "truss-migrations:run"
        with pytest.raises(UsageError, match="cancelling it"):
            services.terminate_session(run.backend_pid, actor=ACTOR, reason="in the way")
        client = Client()
        client.force_login(UserFactory(username="dba", superuser=True))
        page = client.get(reverse("admin:migrations_manager_migration_check")).content.decode()
        url = reverse("admin:migrations_manager_migration_terminate", args=[run.backend_pid])
        assert url not in page and "a run of this tool" in page
    finally:
        entry.holder.execute("ROLLBACK")
        thread.join(30)
    [report] = reports
    assert report.ok


def test_a_reused_pid_is_neither_shown_nor_cancelled(held_run):
    """A run whose process died stays ``running`` with its session's pid; once that pid is
    another session's, the dead run's page must not show it, nor its cancel reach it."""
    thread, reports, entry = held_run
    live = running_run()
    started = live.backend_start
    assert started is not None
    dead = MigrationRunFactory(
        running=True,
        command="run",
        target=live.target,
        actor="killed",
        backend_pid=live.backend_pid,
        backend_start=started - timedelta(hours=1),
    )
    assert services.run_progress(dead.pk).live is None
    with pytest.raises(UsageError, match="no session"):
        services.cancel_run(dead.pk, actor=ACTOR)
    dead.refresh_from_db()
    assert not dead.cancel_requested
    entry.holder.execute("ROLLBACK")
    thread.join(30)
    [report] = reports
    assert report.ok  # the live run was not cancelled


def test_a_cancel_reaches_only_the_session_that_started_when_the_run_says(target_db):
    """The cancel names the session by pid and start: a pid another session took since is
    left alone even between the look at it and the cancel."""
    other = target_db.connect(application_name="other")
    pid = other.info.backend_pid
    [(started,)] = target_db.query(
        "SELECT backend_start FROM pg_stat_activity WHERE pid = %s", (pid,)
    )
    with target_db.connect() as conn:
        assert not cancel_backend(conn, pid, started - timedelta(seconds=1))
        assert cancel_backend(conn, pid, started)


def test_a_run_id_in_other_digits_is_not_found(target_db):
    client = Client()
    client.force_login(UserFactory(username="admin", superuser=True))
    for odd in ("%C2%B2", "%D9%A3"):  # "²" and the Arabic-Indic 3
        page = client.get(f"/admin/migrations_manager/migrationrun/{odd}/change/")
        assert page.status_code in (302, 404)
