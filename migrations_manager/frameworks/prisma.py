"""Prisma Migrate: ``_prisma_migrations``, a row per ATTEMPT, SHA-256 checksums.

Migrations are directories ``<YYYYMMDDHHMMSS>_<name>/migration.sql`` (the name is the directory);
a row is applied when ``finished_at`` is set and ``rolled_back_at`` is not, failed when neither is
set (``migrate deploy`` then stops with P3009); rolled-back rows are history. The checksum is the
SHA-256 of ``migration.sql``, compared as Prisma does (line endings, legacy unpadded hex).
(frameworks.md §2.5; prisma-engines ``sql_migration_persistence.rs``, ``flavour/postgres.rs``.)
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg import sql

from ..sources import MigrationsDirectory, sha256_of
from ..types import AppliedRecord, Migration, TableRef
from .base import INTEGER_TYPES, TEXT_TYPES, TIMESTAMP_TYPES, FrameworkLock, TrackingAdapter
from .checksums import prisma_checksum_matches, prisma_sha256
from .lock_keys import PRISMA_KEY
from .registry import registry

SCRIPT = "migration.sql"
SELECT_ROWS = sql.SQL(
    "SELECT migration_name, finished_at, rolled_back_at, checksum, logs FROM {table}"
    " ORDER BY started_at, finished_at NULLS LAST"
)
# The row of `prisma migrate resolve --applied` (mark_migration_applied_impl): started and
# finished at the same instant, empty logs, no step counted. The id is a random UUID v4.
INSERT_ROW = sql.SQL(
    "INSERT INTO {table} (id, checksum, logs, started_at, finished_at, migration_name)"
    " VALUES (gen_random_uuid()::text, {checksum}, '', now(), now(), {name})"
)
CREATE_TABLE = sql.SQL(
    "CREATE TABLE {table} ("
    "id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ,"
    " migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at TIMESTAMPTZ,"
    " started_at TIMESTAMPTZ NOT NULL DEFAULT now(),"
    " applied_steps_count INTEGER NOT NULL DEFAULT 0)"
)
FAILED = "Prisma recorded this migration as started and never finished (migrate deploy: P3009)"


@registry.register
class PrismaAdapter(TrackingAdapter):
    name = "prisma"
    label = "Prisma"
    table_names = ("_prisma_migrations",)
    default_schema = None  # ?schema= of the datasource URL, else the search_path
    signature = {
        "id": TEXT_TYPES,
        "checksum": TEXT_TYPES,
        "finished_at": TIMESTAMP_TYPES,
        "migration_name": TEXT_TYPES,
        "logs": TEXT_TYPES,
        "rolled_back_at": TIMESTAMP_TYPES,
        "started_at": TIMESTAMP_TYPES,
        "applied_steps_count": INTEGER_TYPES,
    }
    native_command = "npx prisma migrate deploy"
    repair_command = "npx prisma migrate resolve --rolled-back NAME (or --applied NAME)"

    def own_lock(self, table: TableRef, database: str) -> FrameworkLock:
        return FrameworkLock(self.label, (PRISMA_KEY,))

    def discover(self, directory: MigrationsDirectory) -> list[Migration]:
        found = []
        for folder in directory.folders():
            script = folder / SCRIPT
            if script.is_file() and directory.contains(script):
                found.append(
                    Migration(
                        name=folder.name,
                        identifier=folder.name,
                        path=script,
                        sha256=sha256_of(script),
                        sort_key=(folder.name,),
                    )
                )
        return found

    def checksum(self, migration: Migration) -> str | None:
        return prisma_sha256(migration.path.read_bytes())

    def checksum_matches(self, migration: Migration, stored: str | None) -> bool:
        return not stored or prisma_checksum_matches(stored, migration.path.read_bytes())

    def read_records(
        self, conn: psycopg.Connection, table: TableRef, migrations: Sequence[Migration]
    ) -> list[AppliedRecord]:
        """One record per migration name: its finished attempt if any, else its unfinished one;
        an attempt marked rolled back is history and counts for nothing."""
        chosen: dict[str, AppliedRecord] = {}
        rows = conn.execute(SELECT_ROWS.format(table=table.identifier)).fetchall()
        for name, finished_at, rolled_back_at, checksum, logs in rows:
            if rolled_back_at is not None:
                continue
            if finished_at is None:
                failed = AppliedRecord(name, None, checksum, failed=True, detail=_detail(logs))
                chosen.setdefault(name, failed)
            elif chosen.get(name) is None or chosen[name].failed:
                chosen[name] = AppliedRecord(name, finished_at, checksum)
        return list(chosen.values())

    def record(self, table: TableRef, migrations: Sequence[Migration]) -> list[sql.Composable]:
        return [
            INSERT_ROW.format(
                table=table.identifier,
                checksum=sql.Literal(self.checksum(m)),
                name=sql.Literal(m.identifier),
            )
            for m in migrations
        ]

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        return [CREATE_TABLE.format(table=table.identifier)]


def _detail(logs: str | None) -> str:
    return f"{FAILED}: {logs.strip()}" if logs and logs.strip() else FAILED
