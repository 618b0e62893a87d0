"""yoyo-migrations: ``_yoyo_migration(migration_hash, migration_id, applied_at_utc)`` beside
``_yoyo_log`` and ``_yoyo_version`` (internal schema 2).

Files ``<id>.sql`` (rolled back by ``<id>.rollback.sql``) and ``<id>.py``; ``post-apply*``
files are hooks, not migrations. ``migration_hash`` is the SHA-256 of the id, not of the
content: yoyo keeps no content checksum. ``-- depends: a b`` lines order the run, and marking a
migration marks its pending dependencies first, as ``yoyo mark`` does. A run logs
``apply`` in ``_yoyo_log``, mark-applied logs ``mark``, as yoyo does; a run holds yoyo's
``yoyo_lock`` row. (frameworks.md §2.21)
"""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Sequence
from pathlib import Path

import psycopg
from psycopg import sql

from ..analysis.statements import comments
from ..sources import MigrationsDirectory, read_text, sha256_of
from ..types import AppliedRecord, Migration, MigrationStatus, Section, State, TableRef
from .base import TEXT_TYPES, TIMESTAMP_TYPES, FrameworkLock, TrackingAdapter
from .graph import ancestors, topological
from .registry import registry

LOG_TABLE = "_yoyo_log"
VERSION_TABLE = "_yoyo_version"
ROLLBACK_SUFFIX = ".rollback.sql"

SELECT_ROWS = sql.SQL(
    "SELECT migration_hash, migration_id, applied_at_utc FROM {table} ORDER BY applied_at_utc"
)
INSERT_ROW = sql.SQL(
    "INSERT INTO {table} (migration_hash, migration_id, applied_at_utc)"
    " VALUES ({hash}, {id}, now() AT TIME ZONE 'UTC')"
)
INSERT_LOG = sql.SQL(
    "INSERT INTO {log} (id, migration_hash, migration_id, operation, username, hostname,"
    " created_at_utc) VALUES (gen_random_uuid()::text, {hash}, {id}, {operation}, current_user,"
    " {hostname}, now() AT TIME ZONE 'UTC')"
)
# yoyo's lock (backends/base.py lock()): one row in yoyo_lock, whose primary key lets only one
# in; yoyo waits for it (10 s), then refuses until `yoyo break-lock` deletes it. The row names
# this session's backend pid, so the release deletes only the row this session wrote.
LOCK_TABLE = "yoyo_lock"
TAKE_LOCK = sql.SQL(
    "INSERT INTO {lock} (locked, ctime, pid) VALUES (1, now() AT TIME ZONE 'UTC',"
    " pg_backend_pid()) ON CONFLICT DO NOTHING RETURNING pid"
)
RELEASE_LOCK = sql.SQL("DELETE FROM {lock} WHERE pid = pg_backend_pid()")
LOCK_HOLDER = sql.SQL(
    "SELECT 'process ' || pid || coalesce(' since ' || ctime::text || ' UTC', '') FROM {lock}"
    " LIMIT 1"
)
# yoyo's internal schema version 2 (yoyo/internalmigrations/v2.py); without the version row
# yoyo would take the tables for schema 1 and rebuild them.
CREATE_TABLES = (
    sql.SQL(
        "CREATE TABLE {table} (migration_hash VARCHAR(64), migration_id VARCHAR(255),"
        " applied_at_utc TIMESTAMP, PRIMARY KEY (migration_hash))"
    ),
    sql.SQL(
        "CREATE TABLE IF NOT EXISTS {log} (id VARCHAR(36), migration_hash VARCHAR(64),"
        " migration_id VARCHAR(255), operation VARCHAR(10), username VARCHAR(255),"
        " hostname VARCHAR(255), comment VARCHAR(255), created_at_utc TIMESTAMP,"
        " PRIMARY KEY (id))"
    ),
    sql.SQL(
        "CREATE TABLE IF NOT EXISTS {version} (version INT NOT NULL PRIMARY KEY,"
        " installed_at_utc TIMESTAMP)"
    ),
    sql.SQL(
        "INSERT INTO {version} (version, installed_at_utc)"
        " VALUES (2, now() AT TIME ZONE 'UTC') ON CONFLICT DO NOTHING"
    ),
)


def migration_hash(migration_id: str) -> str:
    """yoyo's ``get_migration_hash``: SHA-256 hex of the id's UTF-8 bytes."""
    return hashlib.sha256(migration_id.encode("utf-8")).hexdigest()


def depends_directive(text: str) -> tuple[str, ...]:
    """The ids named by ``-- depends: a b`` comment lines (several lines add up)."""
    found: list[str] = []
    for comment in comments(text):
        key, colon, value = comment.text.strip().partition(":")
        if not comment.block and colon and key.strip().lower() == "depends":
            found.extend(value.split())
    return tuple(found)


@registry.register
class YoyoAdapter(TrackingAdapter):
    name = "yoyo"
    label = "yoyo-migrations"
    table_names = ("_yoyo_migration",)
    default_schema = None
    signature = {
        "migration_hash": TEXT_TYPES,
        "migration_id": TEXT_TYPES,
        "applied_at_utc": TIMESTAMP_TYPES,
    }
    exact_columns = True
    required_siblings = frozenset({LOG_TABLE})
    extensions = (".sql", ".py")
    native_command = "yoyo apply"

    def discover(self, directory: MigrationsDirectory) -> list[Migration]:
        found = [
            self._migration(path)
            for path in directory.files(self.extensions)
            if not path.name.endswith(ROLLBACK_SUFFIX) and not path.name.startswith("post-apply")
        ]
        return topological(found)

    def _migration(self, path: Path) -> Migration:
        rollback = path.with_name(path.stem + ROLLBACK_SUFFIX)
        is_sql = path.suffix == ".sql"
        return Migration(
            name=path.name,
            identifier=path.stem,
            path=path,
            sha256=sha256_of(path),
            sort_key=(path.name,),
            down_path=rollback if is_sql and rollback.is_file() else None,
            requires=depends_directive(read_text(path)) if is_sql else (),
        )

    def down_section(self, migration: Migration) -> Section | None:
        self.ensure_executable(migration)
        return Section(read_text(migration.down_path), 1) if migration.down_path else None

    def read_records(
        self, conn: psycopg.Connection, table: TableRef, migrations: Sequence[Migration]
    ) -> list[AppliedRecord]:
        # Rows are matched by hash: the id column is informative only.
        ids = {migration_hash(m.identifier): m.identifier for m in migrations}
        rows = conn.execute(SELECT_ROWS.format(table=table.identifier)).fetchall()
        return [
            AppliedRecord(ids.get(row_hash, stored_id or row_hash), applied_at)
            for row_hash, stored_id, applied_at in rows
        ]

    def record(self, table: TableRef, migrations: Sequence[Migration]) -> list[sql.Composable]:
        return self._rows(table, migrations, "apply")

    def record_marked(
        self, table: TableRef, migrations: Sequence[Migration]
    ) -> list[sql.Composable]:
        return self._rows(table, migrations, "mark")

    def _rows(
        self, table: TableRef, migrations: Sequence[Migration], operation: str
    ) -> list[sql.Composable]:
        log = sql.Identifier(table.schema, LOG_TABLE)
        statements: list[sql.Composable] = []
        for migration in migrations:
            values = {
                "hash": sql.Literal(migration_hash(migration.identifier)),
                "id": sql.Literal(migration.identifier),
            }
            statements.append(INSERT_ROW.format(table=table.identifier, **values))
            statements.append(
                INSERT_LOG.format(
                    log=log,
                    operation=sql.Literal(operation),
                    hostname=sql.Literal(socket.getfqdn()[:255]),
                    **values,
                )
            )
        return statements

    def marked_with(
        self, migration: Migration, statuses: Sequence[MigrationStatus]
    ) -> list[Migration]:
        """``yoyo mark -r ID`` marks the migration and every migration it depends on, directly
        or not, that is not applied yet (``ancestors``, then ``to_apply``), dependencies first:
        a mark never leaves a migration applied before what it depends on."""
        known = [s.migration for s in statuses if s.migration is not None]
        requires = {m.identifier: m.requires for m in known}
        wanted = ancestors([migration.identifier], requires) | {migration.identifier}
        pending = [
            s.migration
            for s in statuses
            if s.migration is not None
            and s.state is State.PENDING
            and s.migration.identifier in wanted
        ]
        return topological(pending)

    def own_lock(self, table: TableRef, database: str) -> FrameworkLock:
        return FrameworkLock.row(
            self.label,
            TableRef(table.schema, LOCK_TABLE),
            take=TAKE_LOCK,
            release=RELEASE_LOCK,
            holder=LOCK_HOLDER,
            release_command="yoyo break-lock",
        )

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        names = {
            "table": table.identifier,
            "log": sql.Identifier(table.schema, LOG_TABLE),
            "version": sql.Identifier(table.schema, VERSION_TABLE),
        }
        return [statement.format(**names) for statement in CREATE_TABLES]
