"""postgres-migrations (npm): ``migrations(id integer PK, name varchar(100), hash varchar(40),
executed_at timestamp)``, SHA-1 of file name + SQL.

Files ``<id>[_-]<name>.sql|.js`` with consecutive ids from 1; the library's own migration 0
(``create-migrations-table``) creates the table and is always its first row. Rows are matched to
files by POSITION in ``ORDER BY id`` (``appliedMigrations[migration.id]`` over the array of
rows), so only a contiguous prefix can be recorded. ``.js`` migrations produce their SQL with
``generateSql()``: we neither run nor checksum them. (frameworks.md §2.32; postgres-migrations
5.3 ``dist/{migrate,files-loader,file-name-parser,migration-file,run-migration}.js``.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import psycopg
from psycopg import sql

from ..exceptions import UnsupportedMigration, framework_refusal
from ..sources import MigrationsDirectory, sha256_of
from ..types import AppliedRecord, Migration, MigrationStatus, TableRef
from .base import INTEGER_TYPES, TEXT_TYPES, TIMESTAMP_TYPES, TrackingAdapter
from .checksums import postgres_migrations_sha1
from .registry import registry

# parseFileName: /^(-?\d+)[-_]?(.*).(sql|js)$/i, the name falling back to the whole file name.
FILE_NAME = re.compile(r"^(-?\d+)[-_]?(.*).(sql|js)$", re.IGNORECASE | re.DOTALL)

# The library's migration 0, byte for byte as shipped (dist/migrations/0_create-migrations-
# table.sql): its row's hash covers this text, and the library checks that hash on every run.
OWN_MIGRATION_FILE = "0_create-migrations-table.sql"
OWN_MIGRATION_SQL = (
    "CREATE TABLE IF NOT EXISTS migrations (\n"
    "  id integer PRIMARY KEY,\n"
    "  name varchar(100) UNIQUE NOT NULL,\n"
    "  hash varchar(40) NOT NULL, -- sha1 hex encoded hash of the file name and contents, to"
    " ensure it hasn't been altered since applying the migration\n"
    "  executed_at timestamp DEFAULT current_timestamp\n"
    ");\n"
)
CREATE_TABLE = sql.SQL(
    "CREATE TABLE IF NOT EXISTS {table} (id integer PRIMARY KEY, name varchar(100) UNIQUE NOT NULL,"
    " hash varchar(40) NOT NULL, executed_at timestamp DEFAULT current_timestamp)"
)
INSERT_ROW = sql.SQL('INSERT INTO {table} ("id", "name", "hash") VALUES ({id}, {name}, {hash})')
SELECT_ROWS = sql.SQL("SELECT id, executed_at, hash FROM {table} WHERE id <> 0 ORDER BY id")


def parse_file_name(file_name: str) -> tuple[int, str] | None:
    """``1_create-users.sql`` -> (1, "create-users"); None when the library would not load it."""
    match = FILE_NAME.match(file_name)
    if not match or not file_name.lower().endswith((".sql", ".js")):
        return None
    return int(match.group(1)), match.group(2) or file_name


@registry.register
class PostgresMigrationsAdapter(TrackingAdapter):
    name = "postgres-migrations"
    label = "postgres-migrations"
    table_names = ("migrations",)
    default_schema = None  # unqualified: the search_path
    signature = {
        "id": INTEGER_TYPES,
        "name": TEXT_TYPES,
        "hash": TEXT_TYPES,
        "executed_at": TIMESTAMP_TYPES,
    }
    exact_columns = True
    extensions = (".sql", ".js")
    native_command = "postgres-migrations' migrate() in your Node.js code"
    in_order_only = True
    modified_blocks = True  # validateMigrationHashes, before anything runs

    def discover(self, directory: MigrationsDirectory) -> list[Migration]:
        found = []
        for path in directory.files(self.extensions):
            parsed = parse_file_name(path.name)
            if parsed and parsed[0] > 0:  # id 0 is the library's own migration
                found.append(self._migration(path, parsed[0]))
        return sorted(found, key=lambda m: m.sort_key)

    def _migration(self, path: Path, migration_id: int) -> Migration:
        return Migration(
            name=path.name,
            identifier=str(migration_id),
            path=path,
            sha256=sha256_of(path),
            sort_key=(migration_id,),
        )

    def checksum(self, migration: Migration) -> str | None:
        if migration.extension != ".sql":
            return None
        return postgres_migrations_sha1(migration.name, _as_node_reads_it(migration.path))

    def read_records(
        self, conn: psycopg.Connection, table: TableRef, migrations: Sequence[Migration]
    ) -> list[AppliedRecord]:
        rows = conn.execute(SELECT_ROWS.format(table=table.identifier)).fetchall()
        return [AppliedRecord(str(row_id), at, stored) for row_id, at, stored in rows]

    def check_record(
        self, statuses: Sequence[MigrationStatus], migrations: Sequence[Migration]
    ) -> None:
        """Its hash needs the SQL a ``.js`` migration generates, which only Node.js can produce;
        and the library loads no folder whose ids are not consecutive."""
        _check_consecutive(statuses)
        for migration in migrations:
            if self.checksum(migration) is None:
                raise UnsupportedMigration(
                    f"{migration.name} is a JavaScript migration: postgres-migrations stores the "
                    "hash of the SQL its generateSql() returns, which this tool cannot compute. "
                    f"Run it with {self.native_command}.",
                    names=[migration.name],
                )
        super().check_record(statuses, migrations)

    def record(self, table: TableRef, migrations: Sequence[Migration]) -> list[sql.Composable]:
        return [
            INSERT_ROW.format(
                table=table.identifier,
                id=sql.Literal(int(m.identifier)),
                name=sql.Literal(_stored_name(m)),
                hash=sql.Literal(self.checksum(m)),
            )
            for m in migrations
        ]

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        """The table and the row of the library's migration 0, with the hash it checks."""
        return [
            CREATE_TABLE.format(table=table.identifier),
            INSERT_ROW.format(
                table=table.identifier,
                id=sql.Literal(0),
                name=sql.Literal("create-migrations-table"),
                hash=sql.Literal(postgres_migrations_sha1(OWN_MIGRATION_FILE, OWN_MIGRATION_SQL)),
            ),
        ]


def _check_consecutive(statuses: Sequence[MigrationStatus]) -> None:
    """validateMigrationOrdering: sorted by id after its own migration 0, the n-th file must
    have id n. The library refuses the whole folder otherwise, whatever is pending."""
    files = sorted(
        (s.migration for s in statuses if s.migration is not None), key=lambda m: m.sort_key
    )
    for expected, migration in enumerate(files, start=1):
        if int(migration.identifier) != expected:
            raise framework_refusal(
                "postgres-migrations",
                "consecutive-ids",
                [migration.name],
                f"postgres-migrations refuses this folder: migration ids must be consecutive "
                f"from 1, and {migration.name} has id {migration.identifier} where "
                f"{expected} is expected. Number the files without gaps or repeats.",
            )


def _stored_name(migration: Migration) -> str:
    parsed = parse_file_name(migration.name)
    assert parsed is not None  # discover() only yields parseable names
    return parsed[1]


def _as_node_reads_it(path: Path) -> str:
    """The file as ``fs.readFile(path, "utf8")`` gives it: a BOM is kept, bad bytes -> U+FFFD."""
    return path.read_bytes().decode("utf-8", errors="replace")
