"""The safety check against a real server with real sessions holding and waiting for locks."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import psycopg
import pytest

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import UsageError
from migrations_manager.services.safety import duration
from tests.utils import RoundTrips, Target, wait_until

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(target_db: Target) -> Target:
    target_db.execute("CREATE TABLE users (id bigint PRIMARY KEY, email text)")
    target_db.execute("CREATE TABLE orders (id bigint PRIMARY KEY)")
    return target_db


def open_transaction(target: Target, statement: str) -> psycopg.Connection:
    """A session left idle in a transaction after ``statement``."""
    conn = target.connect()
    conn.execute("BEGIN")
    conn.execute(statement)
    return conn


def sessions_in_state(target: Target, state: str) -> int:
    return target.scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND state = %s AND pid <> pg_backend_pid()",
        (state,),
    )


class Background:
    """Statements running in other sessions, each in its own thread, until stopped."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.conns: list[psycopg.Connection] = []
        self.threads: list[threading.Thread] = []

    def start(self, *statements: str) -> psycopg.Connection:
        conn = self.target.connect()
        conn.execute("BEGIN")
        thread = threading.Thread(target=self._run, args=(conn, statements), daemon=True)
        self.conns.append(conn)
        self.threads.append(thread)
        thread.start()
        return conn

    @staticmethod
    def _run(conn: psycopg.Connection, statements: tuple[str, ...]) -> None:
        try:
            for statement in statements:
                conn.execute(statement)
        except psycopg.errors.QueryCanceled:
            pass

    def stop(self) -> None:
        for conn in self.conns:
            conn.cancel_safe()
        for thread in self.threads:
            thread.join(timeout=30)


@pytest.fixture
def background(target_db: Target) -> Iterator[Background]:
    running = Background(target_db)
    yield running
    running.stop()


# ---- the seed's fields ------------------------------------------------------------------------


def test_seed_fields_for_a_quiet_database(users):
    users.write("001_add-created.sql", "ALTER TABLE users ADD COLUMN created_at timestamptz;")
    report = services.check()
    assert (report.database, report.user) == (users.name, users.scalar("SELECT current_user"))
    assert report.pending_files == ("001_add-created.sql",) and report.pending_count == 1
    assert (report.lock_count, report.active_tx_count) == (0, 0)
    assert report.warnings == () and report.safe is True
    assert report.server_version == users.scalar("SHOW server_version")
    assert report.blockers == ()


def test_pending_is_what_the_tracking_table_says(users):
    users.write("001_a.sql", "CREATE TABLE a (id int);")
    users.write("002_b.sql", "CREATE TABLE b (id int);")
    services.migrate_up(1, actor=Actor(name="tester"))
    report = services.check()
    assert report.pending_files == ("002_b.sql",) and report.pending_count == 1


def test_nothing_pending_is_a_warning(users):
    report = services.check()
    assert report.warnings == ("No pending migrations: nothing to do.",)
    assert report.safe is False


def test_waiting_lock_raises_lock_count(users, background):
    users.write("001_add.sql", "ALTER TABLE orders ADD COLUMN note text;")
    holder = open_transaction(users, "LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
    background.start("SELECT * FROM users")
    wait_until(
        lambda: users.scalar("SELECT count(*) FROM pg_locks WHERE NOT granted") == 1,
        "the reader waits for the lock",
    )
    report = services.check()
    assert report.lock_count == 1
    assert "1 waiting lock(s) in pg_locks: migrations may deadlock or queue behind them." in (
        report.warnings
    )
    holder.rollback()


@pytest.mark.parametrize(("sessions", "warned"), [(3, False), (4, True)])
def test_more_active_transactions_than_the_threshold_is_a_warning(
    users, background, sessions, warned
):
    users.write("001_add.sql", "ALTER TABLE orders ADD COLUMN note text;")
    running = 2
    for _ in range(running):
        background.start("SELECT pg_sleep(300)")
    for _ in range(sessions - running):
        open_transaction(users, "SELECT 1")
    wait_until(lambda: sessions_in_state(users, "active") == running, "the sleepers run")
    report = services.check()
    assert report.active_tx_count == sessions
    sentence = f"{sessions} active transactions (more than 3): consider running during low traffic."
    assert (sentence in report.warnings) is warned


def test_threshold_is_a_setting(users, settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "ACTIVE_TX_THRESHOLD": 0}
    users.write("001_add.sql", "ALTER TABLE orders ADD COLUMN note text;")
    open_transaction(users, "SELECT 1")
    report = services.check()
    assert report.warnings == (
        "1 active transactions (more than 0): consider running during low traffic.",
    )


def test_idle_sessions_and_our_own_are_not_active(users):
    users.write("001_add.sql", "ALTER TABLE orders ADD COLUMN note text;")
    users.connect().execute("SELECT 1")  # idle, outside a transaction
    assert services.check().active_tx_count == 0


def test_named_migrations_are_checked_alone(users):
    """A run of some pending files is checked for those files: the others' blockers and
    findings are theirs; the database's counts stay the database's."""
    users.write("001_orders.sql", "ALTER TABLE orders ADD COLUMN note text;")
    users.write("002_users.sql", "ALTER TABLE users ADD COLUMN name text NOT NULL;")
    open_transaction(users, "SELECT * FROM users")
    report = services.check(["001_orders.sql"])
    assert report.pending_files == ("001_orders.sql",) and report.pending_count == 1
    assert report.blockers == ()
    assert {finding.file for finding in report.lint} == {"001_orders.sql"}
    assert report.active_tx_count == 1
    everything = services.check()
    assert [blocker.file for blocker in everything.blockers] == ["002_users.sql"]


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["009_nope.sql"], "Unknown migration '009_nope.sql'."),
        (["001_orders.sql", "001_orders.sql"], "listed more than once"),
    ],
    ids=["unknown", "repeated"],
)
def test_named_migrations_must_be_pending_files(users, names, message):
    users.write("001_orders.sql", "ALTER TABLE orders ADD COLUMN note text;")
    with pytest.raises(UsageError, match=re.escape(message)):
        services.check(names)


# ---- blockers ---------------------------------------------------------------------------------


def test_idle_in_transaction_reader_blocks_an_alter_table(users):
    users.write("001_add-name.sql", "SELECT 1;\n\nALTER TABLE users ADD COLUMN name text;")
    reader = open_transaction(users, "SELECT * FROM users")
    report = services.check()
    [blocker] = report.blockers
    assert blocker.pid == reader.info.backend_pid
    assert (blocker.relation, blocker.lock_mode, blocker.granted) == (
        "public.users",
        "ACCESS SHARE",
        True,
    )
    assert blocker.state == "idle in transaction"
    assert (blocker.file, blocker.line, blocker.statement, blocker.required_mode) == (
        "001_add-name.sql",
        4,
        "ALTER TABLE users",
        "ACCESS EXCLUSIVE",
    )
    assert blocker.query == "SELECT * FROM users"
    assert blocker.waiting_seconds is None and blocker.xact_seconds >= 0
    assert any(
        re.fullmatch(
            rf"ALTER TABLE users will wait for pid {blocker.pid}, idle in transaction for \d+ s "
            r"\(holds ACCESS SHARE on public\.users\)\.",
            warning,
        )
        for warning in report.warnings
    )
    assert report.safe is False


def test_writer_blocks_create_index_with_the_strongest_mode_it_holds(users):
    users.write("001_index.sql", "CREATE INDEX users_email ON users (email);")
    writer = open_transaction(users, "INSERT INTO users VALUES (1, 'a@b.c')")
    writer.execute("SELECT * FROM users")  # ACCESS SHARE too; ROW EXCLUSIVE is the one that bites
    [blocker] = services.check().blockers
    assert (blocker.pid, blocker.lock_mode, blocker.required_mode) == (
        writer.info.backend_pid,
        "ROW EXCLUSIVE",
        "SHARE",
    )


@pytest.mark.parametrize(
    ("migration", "holder"),
    [
        pytest.param(
            "ALTER TABLE orders ADD COLUMN note text;", "SELECT * FROM users", id="other-table"
        ),
        pytest.param(
            "-- truss:no-transaction\nCREATE INDEX CONCURRENTLY users_email ON users (email);",
            "INSERT INTO users VALUES (1, 'x')",
            id="concurrently-vs-writer",
        ),
        pytest.param(
            "CREATE INDEX users_email ON users (email);",
            "SELECT * FROM users",
            id="share-vs-reader",
        ),
        pytest.param(
            "CREATE TABLE users_archive (id bigint);", "SELECT * FROM users", id="new-table"
        ),
    ],
)
def test_sessions_without_a_conflicting_lock_are_not_blockers(users, migration, holder):
    users.write("001_m.sql", migration)
    open_transaction(users, holder)
    assert services.check().blockers == ()


def test_a_session_queued_for_a_lock_is_a_blocker_too(users, background):
    users.write("001_add.sql", "ALTER TABLE users ADD COLUMN name text;")
    holder = open_transaction(users, "INSERT INTO users VALUES (1, 'x')")
    waiter = background.start("LOCK TABLE users IN SHARE MODE")
    wait_until(
        lambda: users.scalar("SELECT count(*) FROM pg_locks WHERE NOT granted") == 1,
        "the LOCK TABLE waits",
    )
    blockers = {blocker.pid: blocker for blocker in services.check().blockers}
    assert set(blockers) == {holder.info.backend_pid, waiter.info.backend_pid}
    queued = blockers[waiter.info.backend_pid]
    assert (queued.granted, queued.lock_mode, queued.state) == (False, "SHARE", "active")
    assert queued.waiting_seconds is not None and queued.waiting_seconds >= 0
    holder.rollback()


def test_unqualified_names_resolve_through_the_search_path(users):
    users.execute("CREATE SCHEMA app; CREATE TABLE app.users (id int)")
    users.execute(f"ALTER DATABASE {users.name} SET search_path = app, public")
    users.write("001_add.sql", "ALTER TABLE users ADD COLUMN name text;")
    open_transaction(users, "SELECT * FROM public.users")
    assert services.check().blockers == ()
    app_reader = open_transaction(users, "SELECT * FROM app.users")
    [blocker] = services.check().blockers
    assert (blocker.pid, blocker.relation) == (app_reader.info.backend_pid, "app.users")


# ---- lint inside the check --------------------------------------------------------------------


def test_lint_findings_of_pending_files_and_errors_as_warnings(users):
    users.execute("INSERT INTO users VALUES (1, 'a@b.c')")
    users.write("001_flag.sql", "ALTER TABLE users ADD COLUMN flag boolean NOT NULL;")
    report = services.check()
    [error] = [finding for finding in report.lint if finding.rule == "MM010"]
    assert (error.file, error.line, error.severity) == ("001_flag.sql", 2, "error")
    assert f"001_flag.sql, line 2: {error.message} [MM010]" in report.warnings
    assert report.safe is False


def test_a_pending_file_that_does_not_parse_is_an_error_finding(users):
    users.write("001_bad.sql", "ALTER TABLE users ADD COLUMN;")
    report = services.check()
    [finding] = report.lint
    assert (finding.rule, finding.severity, finding.line) == ("MM000", "error", 2)
    assert "syntax error" in finding.message
    assert report.safe is False


def test_lint_severity_uses_the_real_table_size(users):
    users.execute("INSERT INTO users SELECT n, 'u' || n FROM generate_series(1, 20000) AS n")
    users.execute("ANALYZE users")
    users.write("001_index.sql", "SET lock_timeout = '2s';\nCREATE INDEX ix ON users (email);")
    [finding] = services.check().lint
    assert (finding.rule, finding.severity) == ("MM001", "error")
    assert "about 20,000 rows" in finding.message


# ---- cost -------------------------------------------------------------------------------------


def test_round_trips_do_not_grow_with_sessions(users, monkeypatch, tmp_path):
    users.write("001_a.sql", "ALTER TABLE users ADD COLUMN a text;")
    users.write("002_b.sql", "ALTER TABLE orders ADD COLUMN b text;\nCREATE INDEX ON users (a);")
    trips = RoundTrips(tmp_path).install(monkeypatch)
    services.check()
    quiet = trips.count
    trips.forget()
    for _ in range(12):
        open_transaction(users, "SELECT * FROM users, orders")
    report = services.check()
    assert len(report.blockers) == 24  # each session reads both tables
    assert trips.count == quiet <= 8, trips.statements


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.4, "0 s"),
        (59, "59 s"),
        (60, "1 min"),
        (719, "11 min"),
        (3600, "1 h 00 min"),
        (3 * 3600 + 5 * 60, "3 h 05 min"),
    ],
)
def test_durations_read_as_a_person_says_them(seconds, text):
    assert duration(seconds) == text
