"""Typed helpers over ``queries``: each takes a connection and returns plain data."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import psycopg
from psycopg.rows import class_row

from . import queries


@dataclass(frozen=True)
class ServerInfo:
    database: str
    user: str
    server_version: str
    server_version_num: int
    current_schema: str | None
    search_path: list[str]


@dataclass(frozen=True)
class LockHolder:
    pid: int
    application_name: str | None


@dataclass(frozen=True)
class CatalogTable:
    """A table found in the catalog, with its columns and their ``format_type`` spellings."""

    schema: str
    name: str
    columns: dict[str, str]


def server_info(conn: psycopg.Connection) -> ServerInfo:
    with conn.cursor(row_factory=class_row(ServerInfo)) as cur:
        row = cur.execute(queries.SERVER_INFO).fetchone()
    assert row is not None
    return row


def backend_pid(conn: psycopg.Connection) -> int:
    row = conn.execute(queries.BACKEND_PID).fetchone()
    assert row is not None
    return int(row[0])


def try_advisory_lock(conn: psycopg.Connection, key: int) -> bool:
    row = conn.execute(queries.ADVISORY_TRY_LOCK, (key,)).fetchone()
    return bool(row and row[0])


def advisory_unlock(conn: psycopg.Connection, key: int) -> None:
    conn.execute(queries.ADVISORY_UNLOCK, (key,))


def advisory_lock_holder(conn: psycopg.Connection, key: int) -> LockHolder | None:
    with conn.cursor(row_factory=class_row(LockHolder)) as cur:
        return cur.execute(queries.ADVISORY_LOCK_HOLDER, (key, key)).fetchone()


def tables_named(conn: psycopg.Connection, names: Iterable[str]) -> list[CatalogTable]:
    """Every ordinary or partitioned table called one of ``names``, in any user schema."""
    rows = conn.execute(queries.TABLES_NAMED, (sorted(set(names)),)).fetchall()
    return [
        CatalogTable(schema, name, dict(zip(columns, types, strict=True)))
        for schema, name, columns, types in rows
    ]


def relation_exists(conn: psycopg.Connection, qualified_name: str) -> bool:
    row = conn.execute(queries.RELATION_EXISTS, (qualified_name,)).fetchone()
    return bool(row and row[0])
