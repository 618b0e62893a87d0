"""Fixtures of the reliability suites: the app behind a real HTTP server, gates that stop a run
at a chosen statement, and the target's sessions seen from outside."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql
from rest_framework.authtoken.models import Token

from tests.factories import UserFactory
from tests.utils import Target, wait_until

API = "/api/migrations/"
RUN = API + "idempotent/run"
MARK = API + "idempotent/mark-applied"


@dataclass(frozen=True)
class Answer:
    """An HTTP answer of the live server: status and JSON body."""

    status: int
    body: Any


@dataclass(frozen=True)
class LiveApi:
    """A token-authenticated client of the live server: one TCP connection per request, as
    separate clients would open."""

    host: str
    port: int
    token: str

    def post(self, path: str, body: Any = None) -> Answer:
        return self.request("POST", path, body)

    def request(self, method: str, path: str, body: Any = None) -> Answer:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            raw = b"" if body is None else json.dumps(body).encode()
            connection.request(
                method,
                path,
                raw,
                {"Authorization": f"Token {self.token}", "Content-Type": "application/json"},
            )
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        kind = response.getheader("Content-Type", "")
        assert kind.startswith("application/json"), (response.status, content[:500])
        return Answer(response.status, json.loads(content))


@pytest.fixture
def live_api(live_server, transactional_db) -> LiveApi:
    """A superuser's token client of the app served by a threaded WSGI server (a thread per
    request, each with its own connection to Django's database)."""
    user = UserFactory(username="operator", superuser=True)
    address = urlsplit(live_server.url)
    return LiveApi(address.hostname, address.port, Token.objects.create(user=user).key)


def simultaneously(
    calls: Sequence[Callable[[], Answer]],
) -> tuple[ThreadPoolExecutor, list[Future[Answer]]]:
    """Start ``calls`` in threads released together by a barrier; use the pool as a context
    manager, which waits for them all."""
    barrier = threading.Barrier(len(calls))

    def released(call: Callable[[], Answer]) -> Answer:
        barrier.wait(timeout=60)
        return call()

    pool = ThreadPoolExecutor(len(calls))
    return pool, [pool.submit(released, call) for call in calls]


def backend_pid(target: Target, application: str, *, waiting_on: str) -> int | None:
    """The pid of the app's session called ``application`` once it waits on ``waiting_on``
    (``Lock`` behind a gate, ``Timeout`` in pg_sleep...)."""
    return target.scalar(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND application_name = %s AND wait_event_type = %s",
        (application, waiting_on),
    )


@dataclass
class Gate:
    """A table another session locks so that a migration writing to it waits there."""

    target: Target
    table: str
    holder: psycopg.Connection | None = None

    def close(self, mode: str = "SHARE") -> None:
        """Lock the table: in SHARE mode readers pass and the runner's INSERT waits; in ACCESS
        EXCLUSIVE mode even reading it waits."""
        self.holder = self.target.connect(application_name="gatekeeper")
        self.holder.execute("BEGIN")
        self.holder.execute(
            sql.SQL("LOCK TABLE {} IN {} MODE").format(sql.Identifier(self.table), sql.SQL(mode))
        )

    def open(self) -> None:
        assert self.holder is not None
        self.holder.execute("ROLLBACK")

    def wait_for(self, application: str) -> int:
        """The pid of ``application``'s session once it queues at the gate."""
        wait_until(
            lambda: backend_pid(self.target, application, waiting_on="Lock") is not None,
            f"{application} waits at the gate {self.table}",
        )
        pid = backend_pid(self.target, application, waiting_on="Lock")
        assert pid is not None
        return pid


@pytest.fixture
def gate(target_db, settings) -> Callable[[str], Gate]:
    """``gate("t")``: a gate on table ``t`` (created when missing). The lock_timeout is long,
    so that only the test ends a wait there. These suites study runs that wait at a lock: the
    safety gate, which refuses a plan a live session is in the way of, warns instead."""
    settings.MIGRATIONS_MANAGER = {
        **settings.MIGRATIONS_MANAGER,
        "LOCK_TIMEOUT": "60s",
        "GATE": "warn",
    }

    def make(table: str) -> Gate:
        statement = sql.SQL("CREATE TABLE IF NOT EXISTS {} (x int)").format(sql.Identifier(table))
        target_db.connect().execute(statement)
        return Gate(target_db, table)

    return make


# node-pg-migrate's tracking table, as it creates it.
PGMIGRATIONS_DDL = (
    "CREATE TABLE pgmigrations (id SERIAL PRIMARY KEY, name varchar(255) NOT NULL,"
    " run_on timestamp NOT NULL)"
)
# Where a killed connection is tried: at the first, a middle and the last statement of a batch
# of three files, and at the tracking rows' INSERT after them.
KILL_POINTS = ("first-statement", "middle", "last-statement", "tracking-insert")
BATCH_OBJECTS = ("a1", "a2", "b1", "c1")


@dataclass
class GatedBatch:
    """Three pending migrations and a gate at each kill point."""

    target: Target
    gates: dict[str, Gate]

    def assert_nothing_applied(self) -> None:
        assert not any(self.target.exists(name) for name in BATCH_OBJECTS)
        assert self.target.scalar("SELECT count(*) FROM pgmigrations") == 0

    def assert_all_applied(self) -> None:
        assert all(self.target.exists(name) for name in BATCH_OBJECTS)
        assert self.target.scalar("SELECT count(*) FROM pgmigrations") == 3


@pytest.fixture
def gated(target_db, gate) -> GatedBatch:
    target_db.execute(PGMIGRATIONS_DDL)
    tables = ("gate_first", "gate_middle", "gate_last", "pgmigrations")
    gates = {point: gate(table) for point, table in zip(KILL_POINTS, tables, strict=True)}
    target_db.write(
        "001_a.sql",
        "INSERT INTO gate_first VALUES (1);\nCREATE TABLE a1 (id int);\nCREATE TABLE a2 (id int);",
    )
    target_db.write("002_b.sql", "CREATE TABLE b1 (id int);\nINSERT INTO gate_middle VALUES (1);")
    target_db.write("003_c.sql", "CREATE TABLE c1 (id int);\nINSERT INTO gate_last VALUES (1);")
    return GatedBatch(target_db, gates)
