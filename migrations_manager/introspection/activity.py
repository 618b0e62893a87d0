"""Live activity of the target database: waiting locks, open transactions, who locks what.

Each function is one query, whatever the number of sessions or relations.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg.rows import class_row

from . import queries

QUERY_EXCERPT_LENGTH = 200


@dataclass(frozen=True)
class ActivitySummary:
    lock_count: int
    active_tx_count: int


@dataclass(frozen=True)
class RelationLock:
    """A lock another session holds (``granted``) or waits for on a relation.

    ``requested`` is the name the caller asked about; ``relation`` the schema-qualified name it
    resolved to; ``mode`` is pg_locks' spelling (``AccessShareLock``...).
    """

    requested: str
    relation: str
    pid: int
    mode: str
    granted: bool
    state: str | None
    waiting_seconds: float | None
    xact_seconds: float | None
    state_seconds: float | None
    query: str | None
    application_name: str | None


def activity_summary(conn: psycopg.Connection) -> ActivitySummary:
    with conn.cursor(row_factory=class_row(ActivitySummary)) as cur:
        row = cur.execute(queries.ACTIVITY_SUMMARY).fetchone()
    assert row is not None
    return row


def relation_locks(
    conn: psycopg.Connection, names: Iterable[str], *, server_version: int
) -> list[RelationLock]:
    """Locks of other sessions on the relations ``names`` resolve to (search_path applies)."""
    wanted = sorted(set(names))
    if not wanted:
        return []
    wait_start = queries.WAIT_START if server_version >= 140000 else queries.WAIT_START_BEFORE_14
    query = queries.RELATION_LOCKS.format(wait_start=wait_start)
    with conn.cursor(row_factory=class_row(RelationLock)) as cur:
        return cur.execute(query, (QUERY_EXCERPT_LENGTH, wanted)).fetchall()


@dataclass(frozen=True)
class SessionProgress:
    """What a session does now: its state and query, and, while it builds an index, the phase
    and the blocks and tuples done (``pg_stat_progress_create_index``)."""

    pid: int
    backend_start: datetime | None
    state: str | None
    wait_event_type: str | None
    wait_event: str | None
    application_name: str | None
    query_seconds: float | None
    query: str | None
    phase: str | None
    blocks_total: int | None
    blocks_done: int | None
    tuples_total: int | None
    tuples_done: int | None


def session_progress(conn: psycopg.Connection, pid: int) -> SessionProgress | None:
    with conn.cursor(row_factory=class_row(SessionProgress)) as cur:
        return cur.execute(queries.SESSION_PROGRESS, (QUERY_EXCERPT_LENGTH, pid)).fetchone()


def cancel_backend(conn: psycopg.Connection, pid: int, started: datetime | None) -> bool:
    """Cancel the statement session ``pid`` runs (``pg_cancel_backend``), if it is the session
    that started at ``started`` (when known) and not a later one the pid went to."""
    row = conn.execute(queries.CANCEL_BACKEND, (pid, started, started)).fetchone()
    return bool(row and row[0])


def terminate_backend(conn: psycopg.Connection, pid: int) -> bool:
    """End session ``pid`` (``pg_terminate_backend``): its transaction rolls back."""
    row = conn.execute(queries.TERMINATE_BACKEND, (pid,)).fetchone()
    return bool(row and row[0])
