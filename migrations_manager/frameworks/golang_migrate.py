"""golang-migrate: ``schema_migrations(version bigint, dirty boolean)`` with ONE row.

Files ``<version>_<title>.up.sql`` / ``.down.sql``; the row says "every version up to V is
applied", and ``dirty`` means V failed part-way (the CLI then refuses to run until ``force``).
(frameworks.md §2.2)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import psycopg
from psycopg import sql

from ..sources import MigrationsDirectory, ascii_digits, read_text, sha256_of
from ..types import Migration, Section, TableRef
from .base import INTEGER_TYPES, FrameworkLock, stored_text
from .lock_keys import golang_migrate_keys
from .registry import registry
from .single_version import CurrentVersion, SingleVersionAdapter

SELECT_VERSION = sql.SQL("SELECT version, dirty FROM {table} LIMIT 1")
# SetVersion: the table is emptied and the new version written, in one transaction.
REPLACE_VERSION = (
    sql.SQL("DELETE FROM {table}"),
    sql.SQL("INSERT INTO {table} (version, dirty) VALUES ({version}, false)"),
)
CREATE_TABLE = sql.SQL(
    "CREATE TABLE IF NOT EXISTS {table} "
    "(version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)"
)


def split_file_name(name: str) -> tuple[int, str, str] | None:
    """``0001_add_users.up.sql`` -> (1, "up", "sql"); None for other names."""
    digits, separator, rest = name.partition("_")
    stem, _, extension = rest.rpartition(".")
    title, _, direction = stem.rpartition(".")
    if not (ascii_digits(digits) and separator and title and direction in ("up", "down")):
        return None
    return int(digits), direction, extension


@registry.register
class GolangMigrateAdapter(SingleVersionAdapter):
    name = "golang-migrate"
    label = "golang-migrate"
    table_names = ("schema_migrations",)
    default_schema = None  # current_schema() of the connection
    signature = {"version": INTEGER_TYPES, "dirty": frozenset({"boolean"})}
    exact_columns = True
    native_command = "migrate -path ... -database ... up"
    repair_command = "migrate -path ... -database ... force VERSION"

    def own_lock(self, table: TableRef, database: str) -> FrameworkLock:
        return FrameworkLock(self.label, golang_migrate_keys(table, database))

    def discover(self, directory: MigrationsDirectory) -> list[Migration]:
        ups: dict[int, Path] = {}
        downs: dict[int, Path] = {}
        for path in directory.files(None):
            parts = split_file_name(path.name)
            if parts:
                (ups if parts[1] == "up" else downs)[parts[0]] = path
        return [
            Migration(
                name=path.name,
                identifier=str(version),
                path=path,
                sha256=sha256_of(path),
                sort_key=(version,),
                down_path=downs.get(version),
            )
            for version, path in sorted(ups.items())
        ]

    def down_section(self, migration: Migration) -> Section | None:
        return Section(read_text(migration.down_path), 1) if migration.down_path else None

    def current_version(self, conn: psycopg.Connection, table: TableRef) -> CurrentVersion | None:
        row = conn.execute(SELECT_VERSION.format(table=table.identifier)).fetchone()
        return CurrentVersion(stored_text(row[0]), bool(row[1])) if row else None

    def record(self, table: TableRef, migrations: Sequence[Migration]) -> list[sql.Composable]:
        top = max(int(m.identifier) for m in migrations)
        return [s.format(table=table.identifier, version=sql.Literal(top)) for s in REPLACE_VERSION]

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        return [CREATE_TABLE.format(table=table.identifier)]
