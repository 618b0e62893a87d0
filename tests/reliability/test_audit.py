"""Every attempt to change the target leaves exactly one row in the audit log, whatever the
front-end (REST API, admin, command line) and however it ends: refused before anything ran (the
lock held, a name refused, a mark the framework cannot express), failed on the target, or
succeeded. And a log that cannot be written never turns a migration that ran into an error.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from psycopg import conninfo

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import UsageError
from migrations_manager.models import MigrationRun
from tests.admin.helpers import confirm_run, mark_url
from tests.api.conftest import BASE, token_client
from tests.factories import UserFactory
from tests.reliability.conftest import RUN, LiveApi, simultaneously

ADVISORY_LOCK = "SELECT pg_try_advisory_lock(7241865325823964)"


@dataclass(frozen=True)
class FrontEnd:
    """One way in: how it asks for a run and a mark, and the ``source`` the log records."""

    source: str
    run: Callable[[list[str] | None], object]
    mark: Callable[[str], object]


def api_front_end() -> FrontEnd:
    client = token_client(UserFactory(username="api-user", superuser=True))
    return FrontEnd(
        "api",
        lambda names: client.post(
            BASE + "idempotent/run", {"migrations": names} if names else None, format="json"
        ),
        lambda name: client.post(
            BASE + "idempotent/mark-applied", {"migration": name}, format="json"
        ),
    )


def admin_front_end() -> FrontEnd:
    client = Client()
    client.force_login(UserFactory(username="admin-user", superuser=True))
    return FrontEnd(
        "admin",
        lambda names: confirm_run(client, names),
        lambda name: client.post(mark_url(name), {"post": "yes"}),
    )


def command(*args: str) -> None:
    with suppress(CommandError):  # the exit code is the command's business, not the log's
        call_command("pgmigrate", *args)


def cli_front_end() -> FrontEnd:
    return FrontEnd(
        "cli",
        lambda names: command("run", *(names or [])),
        lambda name: command("mark-applied", name),
    )


FRONT_ENDS = {"api": api_front_end, "admin": admin_front_end, "cli": cli_front_end}


@pytest.fixture(params=FRONT_ENDS)
def front_end(request, db) -> FrontEnd:
    return FRONT_ENDS[request.param]()


@pytest.fixture
def three(target_db):
    for index, table in enumerate("abc", start=1):
        target_db.write(f"00{index}_{table}.sql", f"CREATE TABLE {table} (id int);")
    return target_db


# (command, argument, holds the lock, what the recorded summary says)
REFUSALS = {
    "run-while-locked": ("run", None, True, "holds the lock"),
    "run-unknown": ("run", ["009_nope.sql"], False, "Unknown migration '009_nope.sql'"),
    "run-invalid-name": ("run", ["..\\outside.sql"], False, "Invalid migration name"),
    "run-repeated": ("run", ["001_a.sql", "001_a.sql"], False, "listed more than once"),
    "mark-while-locked": ("mark-applied", "001_a.sql", True, "holds the lock"),
    "mark-unknown": ("mark-applied", "009_nope.sql", False, "No migration file named"),
    "mark-invalid-name": ("mark-applied", "..\\outside.sql", False, "Invalid migration name"),
    "mark-out-of-order": ("mark-applied", "002_b.sql", False, "in order"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_a_refused_attempt_is_recorded_once(front_end, three, case):
    command_name, argument, locked, said = REFUSALS[case]
    if locked:
        three.connect(application_name="other-runner").execute(ADVISORY_LOCK)
    if command_name == "run":
        front_end.run(argument)
    else:
        front_end.mark(argument)

    run = MigrationRun.objects.get()
    assert (run.command, run.source, run.outcome) == (command_name, front_end.source, "refused")
    expected_files = [argument] if command_name == "mark-applied" else argument or []
    if front_end.source == "admin" and argument is None:  # the confirmation names them all
        expected_files = ["001_a.sql", "002_b.sql", "003_c.sql"]
    assert run.files == expected_files and said in run.summary
    assert run.failure["error"] == run.summary and run.finished_at is not None
    assert not run.events.exists()
    if locked:
        assert run.failure["holder"]["application"] == "other-runner"
    assert not three.exists("pgmigrations") and not three.exists("a")


@pytest.mark.parametrize("command_name", ["run", "mark-applied"])
def test_an_unreachable_target_is_a_failed_attempt(front_end, three, settings, command_name):
    missing = conninfo.make_conninfo(three.url, dbname="truss_no_such_database")
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "DATABASE_URL": missing}
    if command_name == "run":
        front_end.run(None)
    else:
        front_end.mark("001_a.sql")
    run = MigrationRun.objects.get()
    assert (run.command, run.source, run.outcome) == (command_name, front_end.source, "failed")
    assert "is unreachable" in run.summary and "truss_no_such_database" in run.target


def test_succeeded_attempts_are_one_row_each(front_end, three):
    front_end.mark("001_a.sql")
    front_end.mark("001_a.sql")  # already recorded: a success that writes nothing
    front_end.run(None)
    rows = list(MigrationRun.objects.order_by("id").values_list("command", "outcome", "source"))
    assert rows == [
        ("mark-applied", "succeeded", front_end.source),
        ("mark-applied", "succeeded", front_end.source),
        ("run", "succeeded", front_end.source),
    ]
    first, again, ran = MigrationRun.objects.order_by("id")
    assert [e.direction for e in first.events.all()] == ["mark"] and not again.events.exists()
    assert [e.name for e in ran.events.all()] == ["002_b.sql", "003_c.sql"]


HOSTILE_NAMES = {
    "nul": ("001\x00.sql", "001\\x00.sql"),
    "lone-surrogate": ("\ud800.sql", "\\ud800.sql"),
    "too-long": ("x" * 300 + ".sql", "x" * 255),
}


@pytest.mark.parametrize("name, stored", HOSTILE_NAMES.values(), ids=HOSTILE_NAMES.keys())
def test_a_hostile_name_is_recorded_as_inert_text(db, three, name, stored):
    """What PostgreSQL would refuse in Django's database (NUL, a lone surrogate) is written as
    an escape: a refusal is recorded whatever database holds the log."""
    actor = Actor(name="tester")
    with pytest.raises(UsageError):
        services.run_pending([name], actor=actor)
    run = MigrationRun.objects.get()
    assert run.outcome == "refused" and run.files == [stored]
    assert "\x00" not in run.summary


def test_refused_attempts_are_listed_by_the_history_endpoint(db, three):
    three.connect().execute(ADVISORY_LOCK)
    client = token_client(UserFactory(username="reader", superuser=True))
    assert client.post(BASE + "idempotent/run").status_code == 409
    body = client.get(BASE + "history", {"outcome": "refused"}).json()
    [entry] = body["results"]
    assert entry["command"] == "run" and entry["failure"]["holder"]["pid"] is not None


# ---- the log itself failing ---------------------------------------------------------------------

needs_sqlite = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="Django's own database is not SQLite here"
)


@contextmanager
def sqlite_session() -> Iterator[sqlite3.Connection]:
    """Another client of Django's SQLite database (a backup job, a second server...)."""
    other = sqlite3.connect(connection.settings_dict["NAME"], timeout=0, isolation_level=None)
    try:
        yield other
    finally:
        other.close()


@needs_sqlite
@pytest.mark.django_db(transaction=True)
def test_an_open_reader_of_the_log_never_holds_its_writers_up(target_db):
    """Someone reads the log in a long transaction: the runs meanwhile are recorded at once,
    because SQLite's write-ahead log lets readers and a writer pass each other."""
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    with sqlite_session() as reader:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM migrations_manager_migrationrun").fetchone()
        report = services.run_pending(actor=Actor(name="reliability"))
    assert report.ok
    run = MigrationRun.objects.get()
    assert run.outcome == "succeeded" and run.events.get().name == "001_a.sql"


@pytest.fixture
def short_sqlite_timeout(monkeypatch) -> None:
    """New connections to Django's database wait 1 s for its write lock (20 s otherwise)."""
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 1)


@needs_sqlite
@pytest.mark.django_db(transaction=True)
def test_a_log_that_fails_after_the_run_never_turns_it_into_an_error(
    live_api: LiveApi, gated, short_sqlite_timeout, caplog
):
    """The run's row is written, then another client holds the log's write lock while the
    migrations run: the log's closing write fails, the client still hears of the success."""
    gate = gated.gates["first-statement"]
    gate.close()
    pool, [running] = simultaneously([lambda: live_api.post(RUN)])
    with pool, sqlite_session() as writer:
        gate.wait_for("truss-migrations:run")
        writer.execute("BEGIN IMMEDIATE")  # the write lock, held until the answer came
        gate.open()
        answer = running.result(timeout=60)
        writer.execute("ROLLBACK")

    assert answer.status == 200 and answer.body["ok"] is True
    gated.assert_all_applied()
    assert MigrationRun.objects.get().outcome == "running"  # what the log could not record
    assert "Could not record the finish of run" in caplog.text


@needs_sqlite
@pytest.mark.django_db(transaction=True)
def test_a_log_that_cannot_be_written_stops_the_run_before_anything_runs(
    live_api: LiveApi, gated, short_sqlite_timeout
):
    with sqlite_session() as writer:
        writer.execute("BEGIN IMMEDIATE")
        answer = live_api.post(RUN)
        writer.execute("ROLLBACK")
    assert answer.status == 503
    assert answer.body["error"].startswith("The audit log cannot be written (database is locked)")
    gated.assert_nothing_applied()
    assert live_api.post(RUN).status == 200
    assert MigrationRun.objects.get().outcome == "succeeded"
