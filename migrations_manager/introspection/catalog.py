"""Typed helpers over ``queries``: each takes a connection and returns plain data."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import class_row

from .. import snapshot as model
from . import queries


@dataclass(frozen=True)
class ServerInfo:
    database: str
    user: str
    server_version: str
    server_version_num: int
    current_schema: str | None
    search_path: list[str]
    #: When this session started: with its pid, it names the session (a pid is reused).
    backend_start: datetime | None = None


@dataclass(frozen=True)
class LockHolder:
    pid: int
    application_name: str | None
    #: How long the holder's session has existed (a run opens one session per run).
    session_seconds: float | None = None


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


def system_identifier(conn: psycopg.Connection) -> str | None:
    """The server's system identifier; None where ``pg_control_system()`` is not granted."""
    try:
        row = conn.execute(queries.SYSTEM_IDENTIFIER).fetchone()
    except psycopg.errors.InsufficientPrivilege:
        return None
    return str(row[0]) if row else None


def try_advisory_lock(conn: psycopg.Connection, key: int) -> bool:
    row = conn.execute(queries.ADVISORY_TRY_LOCK, (key,)).fetchone()
    return bool(row and row[0])


def advisory_unlock(conn: psycopg.Connection, key: int) -> None:
    conn.execute(queries.ADVISORY_UNLOCK, (key,))


def take_lock_row(conn: psycopg.Connection, take: sql.Composable) -> bool:
    """Run a framework's lock-row UPDATE (``take``, which returns a row when it took it)."""
    return conn.execute(take).fetchone() is not None


def lock_row_holder(conn: psycopg.Connection, holder: sql.Composable) -> str | None:
    """Who holds a framework's lock row (``holder`` returns one text), None when nobody."""
    row = conn.execute(holder).fetchone()
    return str(row[0]) if row else None


def release_lock_row(conn: psycopg.Connection, release: sql.Composable) -> None:
    conn.execute(release)


def advisory_lock_holder(conn: psycopg.Connection, key: int) -> LockHolder | None:
    with conn.cursor(row_factory=class_row(LockHolder)) as cur:
        return cur.execute(queries.ADVISORY_LOCK_HOLDER, (key, key)).fetchone()


def tables_like(conn: psycopg.Connection, patterns: Iterable[str]) -> list[CatalogTable]:
    """Every ordinary or partitioned table whose name matches one of the ILIKE ``patterns``."""
    return _tables(conn, queries.TABLES_LIKE, patterns)


def tables_named(conn: psycopg.Connection, names: Iterable[str]) -> list[CatalogTable]:
    """Every ordinary or partitioned table called one of ``names``, in any user schema."""
    return _tables(conn, queries.TABLES_NAMED, names)


def tables_named_or_keyed(
    conn: psycopg.Connection, names: Iterable[str], key_columns: Iterable[str]
) -> list[CatalogTable]:
    """Every table called one of ``names``, and every small table (8 columns at most) with a
    column called one of ``key_columns``, in any user schema."""
    return _tables(conn, queries.TABLES_NAMED_OR_KEYED, names, key_columns)


def _tables(
    conn: psycopg.Connection, query: sql.Composable, *values: Iterable[str]
) -> list[CatalogTable]:
    rows = conn.execute(query, tuple(sorted(set(v)) for v in values)).fetchall()
    return [
        CatalogTable(schema, name, dict(zip(columns, types, strict=True)))
        for schema, name, columns, types in rows
    ]


def relation_exists(conn: psycopg.Connection, qualified_name: str) -> bool:
    row = conn.execute(queries.RELATION_EXISTS, (qualified_name,)).fetchone()
    return bool(row and row[0])


@dataclass(frozen=True)
class ColumnShape:
    """A column as the catalog has it: ``format_type`` spelling and NOT NULL."""

    type: str
    not_null: bool


@dataclass(frozen=True)
class TableShape:
    """What the lint reads of a live relation: its kind (``pg_class.relkind``: ``r`` a table,
    ``p`` a partitioned one...), its columns, and its validated CHECK constraints as
    ``pg_get_constraintdef`` prints them (none read while the table is locked out)."""

    relkind: str
    columns: dict[str, ColumnShape]
    checks: tuple[str, ...] = ()


@dataclass(frozen=True)
class RelationSize:
    """What the catalog knows of a relation's size (``reltuples`` is -1 before the first
    VACUUM / ANALYZE on PostgreSQL 14+, 0 on older servers), and its shape."""

    reltuples: float
    heap_bytes: int | None  # None: unknown (the table is locked out, never analysed)
    shape: TableShape

    @property
    def estimated_rows(self) -> int | None:
        """The planner's row estimate; 0 for an empty heap; None when the table has pages but
        no estimate (never analysed: ``reltuples`` -1, or 0 on servers before 14)."""
        if self.reltuples > 0:
            return int(self.reltuples)
        return 0 if self.heap_bytes == 0 else None


def relation_sizes(conn: psycopg.Connection, names: Iterable[str]) -> dict[str, RelationSize]:
    """Sizes and shapes by name as given (``users``, ``app."Orders"``), in one query; unknown
    names absent."""
    rows = conn.execute(queries.RELATION_SIZES, (sorted(set(names)),)).fetchall()
    return {
        name: RelationSize(reltuples, heap, _shape(relkind, columns, checks))
        for name, reltuples, heap, relkind, columns, checks in rows
    }


def _shape(relkind: str, columns: dict[str, list] | None, checks: list[str] | None) -> TableShape:
    found = {column: ColumnShape(*shape) for column, shape in (columns or {}).items()}
    return TableShape(relkind, found, tuple(checks or ()))


def planned_rows(conn: psycopg.Connection, statements: Sequence[str]) -> list[int | None]:
    """The planner's row estimate of each statement (None where it cannot be planned: an object
    an earlier migration creates, a lock it could not get at once...), in one transaction rolled
    back; nothing is executed."""
    found: list[int | None] = []
    with conn.transaction(force_rollback=True):
        conn.execute(queries.EXPLAIN_GUARDS)
        for text in statements:
            try:
                with conn.transaction():
                    query = queries.EXPLAIN.format(statement=sql.SQL(text))  # type: ignore[arg-type]
                    row = conn.execute(query).fetchone()
            except psycopg.Error:
                found.append(None)
                continue
            found.append(_rows_written(row[0][0]["Plan"]) if row else None)
    return found


def _rows_written(plan: dict) -> int:
    # The ModifyTable node estimates the rows it returns (none without RETURNING); the rows it
    # writes are those of the scan under it.
    if plan.get("Node Type") == "ModifyTable" and plan.get("Plans"):
        plan = plan["Plans"][0]
    return int(plan["Plan Rows"])


def invalid_index(conn: psycopg.Connection, qualified_name: str) -> tuple[str, str] | None:
    """(schema, name) of the index ``qualified_name`` when it exists and is INVALID."""
    row = conn.execute(queries.INVALID_INDEX, (qualified_name,)).fetchone()
    return (row[0], row[1]) if row else None


def snapshot(conn: psycopg.Connection) -> model.Snapshot:
    """The user schemas of the target as one ``Snapshot``, in one round trip whatever their
    size (``queries.SNAPSHOT`` is one statement per kind of object, sent together)."""
    cursor = conn.execute(queries.SNAPSHOT)
    results = [cursor.fetchall()]
    while cursor.nextset():
        results.append(cursor.fetchall())
    schemas, tables, columns, constraints, indexes, views, routines = results[:7]
    types, sequences, extensions, triggers, policies, grants = results[7:]
    parts = {
        "columns": _parts(columns, model.Column),
        "constraints": _parts(constraints, model.Constraint, columns=tuple),
        "indexes": _parts(indexes, model.Index),
        "triggers": _parts(triggers, model.Trigger),
        "policies": _parts(policies, model.Policy, roles=tuple),
    }
    return model.Snapshot(
        schemas=frozenset(row[0] for row in schemas),
        tables={row[0]: _table(row, parts) for row in tables},
        views={
            name: model.View(name, materialized, definition, parts["indexes"].get(name, {}))
            for name, materialized, definition in views
        },
        routines={(routine := model.Routine(*row)).signature: routine for row in routines},
        types={
            row[0]: model.Type(*row[:2], tuple(row[2]), tuple(row[3]), *row[4:7], tuple(row[7]))
            for row in types
        },
        sequences={row[0]: model.Sequence(*row) for row in sequences},
        extensions={row[0]: model.Extension(*row) for row in extensions},
        grants=frozenset(model.Grant(*row) for row in grants),
    )


def _parts(rows: Iterable[tuple], make: type, **converters: type) -> dict[str, dict[str, Any]]:
    """Rows of (table, name, fields...) as {table: {name: make(name, fields...)}}."""
    names = [item.name for item in fields(make)]
    found: dict[str, dict[str, Any]] = {}
    for table, *values in rows:
        arguments = dict(zip(names, values, strict=True))
        for key, convert in converters.items():
            arguments[key] = convert(arguments[key])
        found.setdefault(table, {})[values[0]] = make(**arguments)
    return found


def _table(row: tuple, parts: dict[str, dict[str, dict[str, Any]]]) -> model.Table:
    name, persistence, partitioning, parent, bound, row_security = row
    return model.Table(
        name,
        persistence,
        partitioning,
        parent,
        bound,
        row_security,
        **{kind: found.get(name, {}) for kind, found in parts.items()},
    )


def create_database(conn: psycopg.Connection, name: str) -> None:
    """``CREATE DATABASE name`` (``conn`` in autocommit: it cannot run in a transaction)."""
    conn.execute(queries.CREATE_DATABASE.format(sql.Identifier(name)))


def drop_database(conn: psycopg.Connection, name: str) -> None:
    conn.execute(queries.DROP_DATABASE.format(sql.Identifier(name)))
