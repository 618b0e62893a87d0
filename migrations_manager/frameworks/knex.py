"""Knex and Kysely: JavaScript query builders with a migrations table and a lock table beside it.

Knex (frameworks.md §2.6): ``knex_migrations(id serial, name varchar(255), batch integer,
migration_time timestamptz)`` + ``knex_migrations_lock(index serial, is_locked integer)``; ``name``
is the file name WITH its extension; a ``migrate:latest`` run writes all its rows with one batch
number, ``max(batch) + 1``, which ``migrate:rollback`` later undoes together. No order check.
A run holds the lock row (``is_locked = 1``), as Knex does.

Kysely (§2.24): ``kysely_migration(name varchar(255) PK, timestamp varchar(255))`` +
``kysely_migration_lock(id, is_locked)``; ``name`` is the file name without its extension,
``timestamp`` an ISO-8601 UTC string; the executed names, ordered by timestamp then name, must be
the first N files in name order (unless ``allowUnorderedMigrations``).
Sources: knex 3.3.0 ``lib/migrations/migrate/{table-creator,Migrator}.js``; kysely 0.28
``src/migration/{migrator,file-migration-provider}.ts``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import psycopg
from psycopg import sql

from ..types import AppliedRecord, Migration, TableRef
from .base import INTEGER_TYPES, TEXT_TYPES, TIMESTAMP_TYPES, FrameworkLock, numbered_names
from .javascript import ScriptMigrationsAdapter
from .registry import registry

KNEX_CREATE = (
    sql.SQL(
        "CREATE TABLE {table} (id serial PRIMARY KEY, name varchar(255), batch integer,"
        " migration_time timestamptz)"
    ),
    sql.SQL("CREATE TABLE IF NOT EXISTS {lock} (index serial PRIMARY KEY, is_locked integer)"),
    sql.SQL("INSERT INTO {lock} (is_locked) SELECT 0 WHERE NOT EXISTS (SELECT FROM {lock})"),
)
# Knex's own lock (Migrator._lockMigrations / _freeLock): the lock table's row is taken by
# setting is_locked from 0 to 1 and freed by setting it back; while no row is 0, every Knex
# run refuses ("Migration table is already locked") until `knex migrate:unlock`.
KNEX_TAKE_LOCK = sql.SQL("UPDATE {lock} SET is_locked = 1 WHERE is_locked = 0 RETURNING is_locked")
KNEX_RELEASE_LOCK = sql.SQL("UPDATE {lock} SET is_locked = 0 WHERE is_locked = 1")
KNEX_LOCK_HOLDER = sql.SQL(
    "SELECT 'is_locked = ' || coalesce(is_locked::text, 'NULL') FROM {lock}"
    " WHERE NOT EXISTS (SELECT FROM {lock} WHERE is_locked = 0) LIMIT 1"
)
# One statement for the whole batch: Knex gives every migration of a run the same new batch.
KNEX_INSERT = sql.SQL(
    "INSERT INTO {table} (name, batch, migration_time)"
    " SELECT batch.name, (SELECT COALESCE(MAX(batch), 0) + 1 FROM {table}), now()"
    " FROM {names} ORDER BY batch.position"
)

KYSELY_LOCK_TABLE = "kysely_migration_lock"
KYSELY_CREATE = (
    sql.SQL(
        'CREATE TABLE {table} (name varchar(255) NOT NULL PRIMARY KEY, "timestamp" varchar(255)'
        " NOT NULL)"
    ),
    sql.SQL(
        "CREATE TABLE IF NOT EXISTS {lock} (id varchar(255) NOT NULL PRIMARY KEY,"
        " is_locked integer NOT NULL DEFAULT 0)"
    ),
    sql.SQL(
        "INSERT INTO {lock} (id, is_locked) VALUES ('migration_lock', 0) ON CONFLICT DO NOTHING"
    ),
)
# JavaScript's Date.toISOString() in SQL, never earlier than the newest row: Kysely orders the
# executed migrations by this text (then by name) and refuses a history out of file order.
KYSELY_INSERT = sql.SQL(
    'INSERT INTO {table} (name, "timestamp")'
    " SELECT batch.name, GREATEST("
    """to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),"""
    ' (SELECT MAX("timestamp") FROM {table}))'
    " FROM {names} ORDER BY batch.position"
)
# Kysely orders by the text itself; the text is read as a time in Python, where one that is not
# (a row written by hand) cannot fail the whole query.
KYSELY_SELECT = sql.SQL('SELECT name, "timestamp" FROM {table} ORDER BY "timestamp", name')


def _iso_time(text: str) -> datetime | None:
    """The time of a ``Date.toISOString()`` text; None for any other text."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _with_lock(
    statements: Sequence[sql.SQL], table: TableRef, lock: TableRef
) -> list[sql.Composed]:
    return [s.format(table=table.identifier, lock=lock.identifier) for s in statements]


@registry.register
class KnexAdapter(ScriptMigrationsAdapter):
    name = "knex"
    label = "Knex"
    table_names = ("knex_migrations",)
    default_schema = None  # migrations.schemaName, else the search_path
    signature = {
        "id": INTEGER_TYPES,
        "name": TEXT_TYPES,
        "batch": INTEGER_TYPES,
        "migration_time": TIMESTAMP_TYPES,
    }
    exact_columns = True
    key_columns = frozenset({"batch", "migration_time"})  # tableName may be any name
    # DEFAULT_LOAD_EXTENSIONS, matched on path.extname() alone (so x.d.ts is loaded too).
    extensions = (".co", ".coffee", ".eg", ".iced", ".js", ".cjs", ".litcoffee", ".ls", ".ts")
    skips_declarations = False
    native_command = "npx knex migrate:latest"
    identifier_column = "name"
    applied_at_column = "migration_time"
    order_by = ("id",)

    def identifier_for(self, file_name: str) -> str:
        return file_name

    def record(self, table: TableRef, migrations: Sequence[Migration]) -> list[sql.Composable]:
        return [KNEX_INSERT.format(table=table.identifier, names=numbered_names(migrations))]

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        """Both tables, as ``ensureTable`` creates them; the lock table is ``<table>_lock``."""
        return _with_lock(KNEX_CREATE, table, _knex_lock_table(table))

    def own_lock(self, table: TableRef, database: str) -> FrameworkLock:
        # Knex's lock names no owner: the release runs only after this session took it.
        return FrameworkLock.row(
            self.label,
            _knex_lock_table(table),
            take=KNEX_TAKE_LOCK,
            release=KNEX_RELEASE_LOCK,
            holder=KNEX_LOCK_HOLDER,
            release_command="npx knex migrate:unlock",
        )


def _knex_lock_table(table: TableRef) -> TableRef:
    return TableRef(table.schema, f"{table.name}_lock")


@registry.register
class KyselyAdapter(ScriptMigrationsAdapter):
    name = "kysely"
    label = "Kysely"
    table_names = ("kysely_migration",)
    default_schema = None  # migrationTableSchema, else the search_path
    signature = {"name": TEXT_TYPES, "timestamp": TEXT_TYPES}
    exact_columns = True
    extensions = (".js", ".ts", ".mjs", ".mts")  # FileMigrationProvider
    native_command = "Kysely's Migrator (migrator.migrateToLatest(), or kysely migrate:latest)"
    in_order_only = True  # unless allowUnorderedMigrations
    history_is_prefix = True  # ensureMigrationsInOrder: executed[i] must be migrations[i]

    def read_records(
        self, conn: psycopg.Connection, table: TableRef, migrations: Sequence[Migration]
    ) -> list[AppliedRecord]:
        rows = conn.execute(KYSELY_SELECT.format(table=table.identifier)).fetchall()
        return [AppliedRecord(identifier=name, applied_at=_iso_time(at)) for name, at in rows]

    def record(self, table: TableRef, migrations: Sequence[Migration]) -> list[sql.Composable]:
        return [KYSELY_INSERT.format(table=table.identifier, names=numbered_names(migrations))]

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        """Both tables and the lock row, as the Migrator creates them on first use (the lock
        table's name is a separate option, not derived from the table's)."""
        return _with_lock(KYSELY_CREATE, table, TableRef(table.schema, KYSELY_LOCK_TABLE))
