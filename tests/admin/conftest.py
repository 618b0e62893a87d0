"""Fixtures of the admin tests: clients of staff users holding exactly the permissions a test
needs (``tests.factories.UserFactory``), and targets in known states."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from migrations_manager.frameworks.checksums import flyway_crc32
from migrations_manager.types import TableRef
from tests.factories import UserFactory
from tests.frameworks.specs.core import FLYWAY


@pytest.fixture
def login() -> Callable[..., Client]:
    """A test client logged in as a new staff user holding the app's permissions ``codenames``."""

    def log_in(*codenames: str) -> Client:
        client = Client()
        username = "_".join(("user", *codenames))  # the audit log's actor: tests read it
        client.force_login(UserFactory(username=username, permissions=codenames))
        return client

    return log_in


@pytest.fixture
def reader(login) -> Client:
    return login("view_migration")


@pytest.fixture
def runner(login) -> Client:
    return login("view_migration", "run_migrations")


@pytest.fixture
def marker(login) -> Client:
    return login("view_migration", "mark_migrations")


@pytest.fixture
def three(target_db):
    """Three pending migrations creating tables a, b and c."""
    for index, table in enumerate(("a", "b", "c"), start=1):
        target_db.write(f"00{index}_{table}.sql", f"CREATE TABLE {table} (id int);")
    return target_db


FLYWAY_TABLE = TableRef("public", "flyway_schema_history")
FLYWAY_ROW = (
    "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script,"
    " checksum, installed_by, execution_time, success) VALUES (%s, %s, %s, 'SQL', %s, %s,"
    " 'flyway', 3, %s)"
)


@pytest.fixture
def five_states(target_db):
    """A Flyway history holding one migration in each of the five states.

    V1 applied, V2 modified (stored checksum differs), V3 failed (``success = false``),
    V4 and V5 pending, and the row of V9, whose file is gone: orphaned.
    """
    conn = target_db.connect()
    for statement in FLYWAY.render(FLYWAY.ddl, FLYWAY_TABLE):
        conn.execute(statement)
    for version, table in enumerate(("one", "two", "three", "four", "five"), start=1):
        target_db.write(f"V{version}__{table}.sql", raw=f"CREATE TABLE {table} (id int);\n")
    v1 = flyway_crc32((target_db.directory / "V1__one.sql").read_bytes())
    rows = [
        (1, "1", "one", "V1__one.sql", v1, True),
        (2, "2", "two", "V2__two.sql", 42, True),
        (3, "3", "three", "V3__three.sql", None, False),
        (4, "9", "gone", "V9__gone.sql", 7, True),
    ]
    for row in rows:
        conn.execute(FLYWAY_ROW, row)
    return target_db


@pytest.fixture
def blocked(target_db):
    """A pending ``ALTER TABLE users`` (line 3 of its file) and, in a second real session, a
    reader of ``users`` left idle in its transaction: the safety check is not safe.

    Returns the target and that session (its ``info.backend_pid`` is the blocker's pid).
    """
    target_db.execute("CREATE TABLE users (id bigint PRIMARY KEY, email text)")
    target_db.write("001_add-name.sql", "\nALTER TABLE users ADD COLUMN name text;")
    reader = target_db.connect(application_name="report-job")
    reader.execute("BEGIN")
    reader.execute("SELECT * FROM users")
    return target_db, reader
