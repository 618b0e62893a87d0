"""Helpers shared by the tests."""

from __future__ import annotations

import importlib.machinery
import itertools
import os
import socket
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import conninfo, sql

from migrations_manager import db


@dataclass
class Target:
    """The test's own target database and migrations directory."""

    url: str
    name: str
    directory: Path
    _connections: list[psycopg.Connection] = field(default_factory=list)

    def connect(self, **options: Any) -> psycopg.Connection:
        """An extra autocommit connection (closed at the end of the test)."""
        conn = psycopg.connect(self.url, autocommit=True, **options)
        self._connections.append(conn)
        return conn

    def query(self, query: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(query, params).fetchall()

    def execute(self, statements: str) -> None:
        """Run SQL that returns no rows (DDL, several statements...) in its own session."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(statements)

    def scalar(self, query: str, params: tuple = ()) -> Any:
        rows = self.query(query, params)
        return rows[0][0] if rows else None

    def exists(self, relation: str) -> bool:
        return bool(self.scalar("SELECT to_regclass(%s) IS NOT NULL", (relation,)))

    def write(
        self, name: str, up: str = "", down: str | None = None, *, raw: str | None = None
    ) -> Path:
        """Write a migration file in node-pg-migrate's SQL layout (or ``raw`` text as is)."""
        path = self.directory / name
        if raw is None:
            raw = f"-- Up Migration\n{up}\n"
            if down is not None:
                raw += f"\n-- Down Migration\n{down}\n"
        path.write_text(raw, encoding="utf-8")
        return path

    def as_url(self) -> str:
        """The target as a postgresql:// URL (for tools that take no key=value conninfo)."""
        return db.as_url(self.url)

    def close(self) -> None:
        for conn in self._connections:
            conn.close()
        self._connections.clear()


@contextmanager
def fresh_database(admin_url: str, directory: Path) -> Iterator[Target]:
    """A new empty database on the server of ``admin_url``, dropped afterwards."""
    name = f"truss_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    target = Target(
        url=conninfo.make_conninfo(admin_url, dbname=name), name=name, directory=directory
    )
    try:
        yield target
    finally:
        target.close()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Poll ``predicate`` until it holds (another session reaching a state); fail after
    ``timeout`` seconds saying ``what`` never happened."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.02)


@dataclass
class RoundTrips:
    """The round trips of every target connection the app opens while installed, read from
    libpq's protocol trace of those real connections: each simple ``Query`` or extended-protocol
    ``Sync`` the client sends is one round trip.

    Connection set-up (the session settings ``db.connect`` applies) is not counted.
    """

    directory: Path
    traces: list[tuple[Path, Any]] = field(default_factory=list)
    _numbers: Iterator[int] = field(default_factory=itertools.count)

    def install(self, monkeypatch) -> RoundTrips:
        real_connect = db.connect

        def traced_connect(*args: Any, **kwargs: Any) -> psycopg.Connection:
            conn = real_connect(*args, **kwargs)
            path = self.directory / f"trace-{next(self._numbers)}.txt"
            sink = path.open("w")  # read back through the path: libpq writes through the fd
            conn.pgconn.trace(sink.fileno())
            self.traces.append((path, sink))
            return conn

        monkeypatch.setattr(db, "connect", traced_connect)
        return self

    def _sent(self) -> list[str]:
        lines = []
        for path, _ in self.traces:
            lines.extend(line for line in path.read_text().splitlines() if "\tF\t" in line)
        return lines

    @property
    def count(self) -> int:
        return sum(1 for line in self._sent() if "\tQuery\t" in line or line.endswith("\tSync"))

    @property
    def statements(self) -> list[str]:
        """The SQL text of each statement sent (simple ``Query`` or extended ``Parse``)."""
        found = []
        for line in self._sent():
            if "\tQuery\t" in line:
                found.append(line.split("\tQuery\t", 1)[1].strip()[1:-1])
            elif "\tParse\t" in line:  # Parse "statement name" "query" ...
                found.append(line.split('" "', 1)[1].rsplit('"', 1)[0])
        return found

    def forget(self) -> None:
        """Stop counting what was sent so far (the traces of closed connections)."""
        for _, sink in self.traces:
            sink.close()
        self.traces.clear()


# ---- files opened -------------------------------------------------------------------------------

_watches: list[list[Path]] = []
_INSTALLATION = tuple({Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)})
_MODULES = (*importlib.machinery.all_suffixes(), ".pyc")


def _record_open(event: str, args: tuple) -> None:
    if event != "open" or not _watches or not isinstance(args[0], str | bytes):
        return
    try:
        path = Path(os.fsdecode(args[0])).resolve()
    except (ValueError, OSError):  # a path open() itself refuses
        return
    for watch in _watches:
        watch.append(path)


sys.addaudithook(_record_open)  # hooks cannot be removed: this one records only when asked


@contextmanager
def files_opened() -> Iterator[list[Path]]:
    """Every path Python opens in the block (``open`` audit events), resolved."""
    opened: list[Path] = []
    _watches.append(opened)
    try:
        yield opened
    finally:
        _watches.remove(opened)


def is_python_code(path: Path) -> bool:
    """Python's own installation, or a module imported on first use."""
    return path.suffix in _MODULES or any(path.is_relative_to(root) for root in _INSTALLATION)


def use_broker(app: Any, url: str) -> None:
    """Point Celery ``app`` at ``url`` for what it sends next: its connection and producer
    pools are made once, on the broker it first used, so they are dropped."""
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


def unavailable(reason: str) -> None:
    """A service or tool a test needs is missing: the test fails under CI (which has them all)
    and skips with ``reason`` elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def require_listener(port: int, what: str) -> None:
    """Something answers on 127.0.0.1:``port`` (a broker), or the test is ``unavailable``."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError as error:
        unavailable(f"no {what} on 127.0.0.1:{port} ({error}): the test needs it")
