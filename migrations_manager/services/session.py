"""One session per request: the connection, the server's facts, the locks, the tracking table.

A command that changes the target opens ONE session and does everything on it, in this order:
connect, take the run's advisory lock (waiting up to ``LOCK_WAIT``), find the tracking table,
take that framework's own lock, and only then read the applied set and plan. A second run that
started at the same moment therefore plans after the first one committed, never from what it
saw before (two first runs would otherwise both create the table and apply everything).

    with session(framework=None, suffix=":run") as current:
        status_of(current.conn, current.tracking)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import psycopg

from .. import db
from ..conf import app_settings
from ..exceptions import LockNotAcquired, PlanRefused
from ..executor import SessionSettings
from ..frameworks.base import FrameworkLock
from ..frameworks.detection import Tracking
from ..introspection import catalog
from ..types import GateFinding
from .common import ambiguous_ledgers, resolve_tracking, target_key, unknown_ledger

LOCK_POLL_INTERVAL = 0.2


@dataclass(frozen=True)
class Session:
    """The request's connection and what was established on it.

    ``lock_key`` is the run's advisory lock (held, unless the session only reads or plans);
    ``target_key`` names the target for resume points: the server's system identifier, the
    database and the tracking table.
    """

    conn: psycopg.Connection
    info: catalog.ServerInfo
    tracking: Tracking
    lock_key: int
    target_key: str

    @property
    def settings(self) -> SessionSettings:
        return run_settings()


def run_settings() -> SessionSettings:
    """The settings every migration statement runs under (restored after each migration)."""
    values = {
        "lock_timeout": app_settings.LOCK_TIMEOUT,
        "statement_timeout": app_settings.STATEMENT_TIMEOUT,
    }
    return SessionSettings(
        tuple((name, str(value)) for name, value in values.items() if value is not None)
    )


@contextmanager
def session(
    *,
    framework: str | None = None,
    standard: bool = False,
    suffix: str,
    lock: bool = True,
) -> Iterator[Session]:
    """Open the request's session; with ``lock``, hold the run's lock and the framework's.

    Raises:
        LockNotAcquired: another run (of ours, or of the framework) holds a lock.
        TargetUnavailable / ConfigurationError: the target cannot be reached.
        UsageError / LedgerUnreadable: the tracking table cannot be chosen or read.
    """
    with db.connection(application_suffix=suffix, read_only=not lock) as conn, ExitStack() as held:
        info = catalog.server_info(conn)
        key = int(app_settings.ADVISORY_LOCK_KEY)
        if lock:
            held.enter_context(_advisory_lock(conn, key, float(app_settings.LOCK_WAIT)))
        tracking = resolve_tracking(conn, framework=framework, standard=standard, info=info)
        if lock and tracking.unknown:
            raise PlanRefused(unknown_ledger(tracking.unknown[0]), kind="ledger")
        if lock and tracking.ambiguous:
            raise PlanRefused(ambiguous_ledgers(tracking), kind="ledger")
        if lock:
            own = tracking.adapter.own_lock(tracking.table, info.database)
            if own is not None:
                held.enter_context(_framework_lock(conn, own, tracking))
            # Runs first on the way out: locks are released outside any transaction an
            # interruption left open (a release inside an aborted one would be lost).
            held.callback(_end_transaction, conn)
        yield Session(conn, info, tracking, key, target_key(conn, info, tracking))


@contextmanager
def _advisory_lock(conn: psycopg.Connection, key: int, wait: float) -> Iterator[None]:
    """Hold the session advisory lock ``key`` for the block, or raise ``LockNotAcquired``.

    The lock is tried without blocking and retried until ``wait`` runs out: a waiter never sits
    in a transaction, so it can never deadlock with a CREATE INDEX CONCURRENTLY of the holder.
    """
    deadline = time.monotonic() + wait
    while not catalog.try_advisory_lock(conn, key):
        if time.monotonic() >= deadline:
            raise _refused(conn, key, "Another migration run holds the lock")
        time.sleep(LOCK_POLL_INTERVAL)
    try:
        yield
    finally:
        if not conn.closed and not conn.broken:
            catalog.advisory_unlock(conn, key)


def _refused(conn: psycopg.Connection, key: int, what: str) -> LockNotAcquired:
    holder = catalog.advisory_lock_holder(conn, key)
    message = f"{what} on {conn.info.dbname}"
    if holder is None:
        return LockNotAcquired(message + ".")
    application = f", {holder.application_name}" if holder.application_name else ""
    return LockNotAcquired(
        f"{message} (pid {holder.pid}{application}).",
        pid=holder.pid,
        application=holder.application_name or None,
    )


@contextmanager
def _framework_lock(
    conn: psycopg.Connection, lock: FrameworkLock, tracking: Tracking
) -> Iterator[None]:
    """Hold the lock ``lock``'s framework takes for its own runs, for the whole block."""
    with ExitStack() as held:
        for key in lock.advisory_keys:
            if not catalog.try_advisory_lock(conn, key):
                raise _refused(conn, key, f"{lock.label} holds its own migration lock")
            held.callback(_unlock, conn, key)
        if lock.take is not None and tracking.exists and _has_lock_table(conn, lock):
            held.enter_context(_lock_row(conn, lock))
        yield


def _has_lock_table(conn: psycopg.Connection, lock: FrameworkLock) -> bool:
    """Whether the lock row's table is there: the framework creates it on its next run, so
    an absent one holds no lock (and a query on it would fail the whole request)."""
    return lock.table is None or catalog.relation_exists(
        conn, lock.table.identifier.as_string(conn)
    )


@contextmanager
def _lock_row(conn: psycopg.Connection, lock: FrameworkLock) -> Iterator[None]:
    """Hold a framework's lock row. Once taken, the release runs whatever happens; a take that
    an interruption cut off is released too (the server may have committed it). A lock taken by
    someone else is never released here: some frameworks' rows do not say whose they are."""
    assert lock.take is not None and lock.release is not None and lock.holder is not None
    try:
        taken = catalog.take_lock_row(conn, lock.take)
    except BaseException:
        _release_lock_row(conn, lock)
        raise
    if not taken:
        holder = catalog.lock_row_holder(conn, lock.holder)
        if holder is not None:
            raise LockNotAcquired(lock_taken_sentence(lock, holder))
        # No lock row at all: the framework writes it on its next run; nothing to hold.
        yield
        return
    try:
        yield
    finally:
        _release_lock_row(conn, lock)


def lock_taken_sentence(lock: FrameworkLock, holder: str) -> str:
    """Why a framework's taken lock refuses a run, and how to clear one a dead run left."""
    return (
        f"{lock.label}'s lock is taken ({holder}): a {lock.label} run is in "
        f"progress, or one died holding it, and {lock.label} itself refuses to run meanwhile. "
        + release_advice(lock)
    )


def release_advice(lock: FrameworkLock) -> str:
    command = f"`{lock.release_command}`" if lock.release_command else f"{lock.label}'s tools"
    return f"If no {lock.label} run is in progress, release it with {command}, then run again."


def _release_lock_row(conn: psycopg.Connection, lock: FrameworkLock) -> None:
    if lock.release is not None and not conn.closed and not conn.broken:
        catalog.release_lock_row(conn, lock.release)


def framework_lock_findings(
    conn: psycopg.Connection, tracking: Tracking, database: str
) -> list[GateFinding]:
    """The framework's own lock, when someone holds it now (read, never taken): a run and a
    mark-applied would be refused for it, as the framework refuses its own runs."""
    lock = tracking.adapter.own_lock(tracking.table, database) if tracking.exists else None
    if lock is None:
        return []
    holders = [_advisory_holder(conn, key) for key in lock.advisory_keys]
    if lock.holder is not None and _has_lock_table(conn, lock):
        holders.append(catalog.lock_row_holder(conn, lock.holder))
    return [
        GateFinding("lock", lock_taken_sentence(lock, holder), hint=release_advice(lock))
        for holder in holders
        if holder is not None
    ]


def _advisory_holder(conn: psycopg.Connection, key: int) -> str | None:
    holder = catalog.advisory_lock_holder(conn, key)
    if holder is None:
        return None
    application = f", {holder.application_name}" if holder.application_name else ""
    return f"pid {holder.pid}{application}"


def _end_transaction(conn: psycopg.Connection) -> None:
    if not conn.closed and not conn.broken:
        conn.rollback()  # sends nothing when no transaction is open


def _unlock(conn: psycopg.Connection, key: int) -> None:
    if not conn.closed and not conn.broken:
        catalog.advisory_unlock(conn, key)
