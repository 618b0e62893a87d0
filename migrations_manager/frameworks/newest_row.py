"""Drizzle and graphile-migrate: a row per migration, but only the NEWEST row decides.

Drizzle (frameworks.md §2.7, drizzle-orm 0.x): ``drizzle.__drizzle_migrations(id serial, hash
text, created_at bigint)``. Migrations are listed in ``meta/_journal.json`` (``entries[]`` with
``tag`` and ``when``), SQL in ``<tag>.sql``; a row stores the entry's ``when`` as ``created_at``
and the SHA-256 of the file, no name. ``migrate()`` reads the row with the greatest
``created_at`` and runs every entry whose ``when`` is greater: older ones count as applied.
(Source: drizzle-orm 0.45 ``migrator.js``, ``pg-core/dialect.js``.)

graphile-migrate (§2.23): ``graphile_migrate.migrations(hash text PK, previous_hash text
REFERENCES migrations, filename text, date timestamptz)`` next to ``graphile_migrate.current``.
Committed files ``committed/<NNNNNN>[-slug].sql`` carry ``--! Previous`` / ``--! Hash``
headers forming a chain; ``filename`` = ``<NNNNNN>.sql``; ``migrate`` runs the files whose
filename sorts after the newest row's. (Source: graphile-migrate 1.4 ``dist/migration.js``.)

Both are "everything up to V" frameworks for reading, hence ``SingleVersionAdapter``; each row
still carries its own migration's hash, used for ``modified``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import ClassVar

import psycopg
from psycopg import sql

from ..exceptions import InvalidMigrationName, MigrationNotFound, UnreadableMigration
from ..sources import MigrationsDirectory, read_text, sha256_of
from ..types import AppliedRecord, Migration, Section, TableRef
from .base import INTEGER_TYPES, TEXT_TYPES, TIMESTAMP_TYPES
from .checksums import drizzle_sha256
from .graphile_files import GraphileMigrationFile, parse_graphile_migration
from .registry import registry
from .single_version import CurrentVersion, SingleVersionAdapter


class NewestRowAdapter(SingleVersionAdapter):
    """Only the row the framework reads as newest says what is applied; rows keep hashes."""

    #: ``(version, applied at)`` of the row the framework reads, with the framework's ORDER BY.
    select_newest: ClassVar[sql.SQL]
    #: ``(version, stored hash, applied at)`` of every row.
    select_rows: ClassVar[sql.SQL]
    #: How the framework reads its table, opening the refusal of an out-of-order record.
    reading_rule: ClassVar[str]

    def out_of_order_refusal(self, recorded: Migration, pending: Migration) -> str:
        return (
            f"{self.reading_rule}: recording {recorded.name} while {pending.name} is pending "
            f"would count {pending.name} as applied without running it. Include {pending.name}, "
            "or record it first."
        )

    def current_version(self, conn: psycopg.Connection, table: TableRef) -> CurrentVersion | None:
        row = conn.execute(self.select_newest.format(table=table.identifier)).fetchone()
        if row is None or row[0] is None:
            return None  # no row, or one the framework reads as "nothing applied yet"
        return CurrentVersion(str(row[0]), applied_at=row[1])

    def read_records(
        self, conn: psycopg.Connection, table: TableRef, migrations: Sequence[Migration]
    ) -> list[AppliedRecord]:
        rows = conn.execute(self.select_rows.format(table=table.identifier)).fetchall()
        stored = {str(version): (digest, at) for version, digest, at in rows}
        return [
            replace(record, stored_hash=digest, applied_at=at or record.applied_at)
            for record in super().read_records(conn, table, migrations)
            for digest, at in [stored.get(record.identifier, (None, None))]
        ]


DRIZZLE_INSERT = sql.SQL('INSERT INTO {table} ("hash", "created_at") VALUES ({hash}, {created_at})')
DRIZZLE_CREATE = (
    sql.SQL("CREATE SCHEMA IF NOT EXISTS {schema}"),
    sql.SQL(
        "CREATE TABLE IF NOT EXISTS {table} (id SERIAL PRIMARY KEY, hash text NOT NULL,"
        " created_at bigint)"
    ),
)


@registry.register
class DrizzleAdapter(NewestRowAdapter):
    name = "drizzle"
    label = "Drizzle"
    table_names = ("__drizzle_migrations",)
    default_schema = "drizzle"
    signature = {"id": INTEGER_TYPES, "hash": TEXT_TYPES, "created_at": INTEGER_TYPES}
    native_command = "npx drizzle-kit migrate"
    reading_rule = "Drizzle reads only its newest row"
    # Drizzle's own query: DESC puts a NULL created_at first, which reruns everything.
    select_newest = sql.SQL("SELECT created_at, NULL FROM {table} ORDER BY created_at DESC LIMIT 1")
    select_rows = sql.SQL("SELECT created_at, hash, NULL FROM {table} ORDER BY id")

    def discover(self, directory: MigrationsDirectory) -> list[Migration]:
        found = []
        for position, (tag, when) in enumerate(_journal_entries(directory)):
            try:
                path = directory.lookup(f"{tag}.sql", (".sql",))
            except (InvalidMigrationName, MigrationNotFound):
                continue  # drizzle-kit would fail on it; it is no migration of ours
            found.append(Migration(path.name, str(when), path, sha256_of(path), (position,)))
        return found

    def checksum(self, migration: Migration) -> str | None:
        return drizzle_sha256(migration.path.read_bytes())

    def checksum_matches(self, migration: Migration, stored: str | None) -> bool:
        data = migration.path.read_bytes()
        return not stored or stored in (
            drizzle_sha256(data),
            drizzle_sha256(data, normalize_crlf=True),
        )

    def record(self, table: TableRef, migrations: Sequence[Migration]) -> list[sql.Composable]:
        return [
            DRIZZLE_INSERT.format(
                table=table.identifier,
                hash=sql.Literal(self.checksum(m)),
                created_at=sql.Literal(int(m.identifier)),
            )
            for m in migrations
        ]

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        schema = sql.Identifier(table.schema)
        return [s.format(schema=schema, table=table.identifier) for s in DRIZZLE_CREATE]


def _journal_entries(directory: MigrationsDirectory) -> list[tuple[str, int]]:
    """``(tag, when)`` of each ``meta/_journal.json`` entry, in journal order."""
    journal = directory.child("meta", "_journal.json")
    if not journal.is_file():
        return []
    try:
        entries = json.loads(journal.read_text(encoding="utf-8")).get("entries", [])
        return [(str(entry["tag"]), int(entry["when"])) for entry in entries]
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise UnreadableMigration(f"meta/_journal.json is not a Drizzle journal: {error}") from None


# VALID_FILE_REGEX of graphile-migrate's current.js.
GRAPHILE_FILE = re.compile(r"^([0-9]+)(-[-_a-zA-Z0-9]*)?\.sql$")
GRAPHILE_INSERT = sql.SQL(
    "INSERT INTO {table} (hash, previous_hash, filename) VALUES ({hash}, {previous}, {filename})"
)
GRAPHILE_CREATE = (
    sql.SQL("CREATE SCHEMA IF NOT EXISTS {schema}"),
    sql.SQL(
        "CREATE TABLE IF NOT EXISTS {table} (hash text PRIMARY KEY, previous_hash text REFERENCES"
        " {table}, filename text NOT NULL, date timestamptz NOT NULL DEFAULT now())"
    ),
    sql.SQL(
        "CREATE TABLE IF NOT EXISTS {current} (filename text PRIMARY KEY DEFAULT 'current.sql',"
        " content text NOT NULL, date timestamptz NOT NULL DEFAULT now())"
    ),
)


@registry.register
class GraphileMigrateAdapter(NewestRowAdapter):
    name = "graphile-migrate"
    label = "graphile-migrate"
    table_names = ("migrations",)
    default_schema = "graphile_migrate"  # fixed
    signature = {
        "hash": TEXT_TYPES,
        "previous_hash": TEXT_TYPES,
        "filename": TEXT_TYPES,
        "date": TIMESTAMP_TYPES,
    }
    exact_columns = True
    required_siblings = frozenset({"current"})
    native_command = "npx graphile-migrate migrate"
    reading_rule = "graphile-migrate reads only its newest row and chains each file to the last"
    select_newest = sql.SQL("SELECT filename, date FROM {table} ORDER BY filename DESC LIMIT 1")
    select_rows = sql.SQL("SELECT filename, hash, date FROM {table} ORDER BY filename")

    def discover(self, directory: MigrationsDirectory) -> list[Migration]:
        found = []
        for path in directory.files((".sql",), under="committed"):
            match = GRAPHILE_FILE.match(path.name)
            if match:
                identifier = f"{match.group(1)}.sql"
                found.append(Migration(path.name, identifier, path, sha256_of(path), (identifier,)))
        return sorted(found, key=lambda m: m.sort_key)

    def version_key(self, identifier: str) -> tuple:
        return (identifier,)  # graphile-migrate compares filenames as strings

    def parsed(self, migration: Migration) -> GraphileMigrationFile:
        try:
            return parse_graphile_migration(read_text(migration.path))
        except ValueError as error:
            raise UnreadableMigration(f"committed/{migration.name} is invalid: {error}.") from None

    def checksum(self, migration: Migration) -> str | None:
        """What the row holds: the header's hash, which graphile-migrate checks against the
        body unless ``--! AllowInvalidHash`` (then only the header is known)."""
        parsed = self.parsed(migration)
        return parsed.hash if parsed.allow_invalid_hash else parsed.computed_hash()

    def up_section(self, migration: Migration) -> Section:
        text = read_text(migration.path)
        body = self.parsed(migration).body
        start = text.find(body.strip()) if body.strip() else -1
        return Section(body, text.count("\n", 0, start) + 1 if start >= 0 else 1)

    def record(self, table: TableRef, migrations: Sequence[Migration]) -> list[sql.Composable]:
        statements = []
        for migration in migrations:
            parsed = self.parsed(migration)
            statements.append(
                GRAPHILE_INSERT.format(
                    table=table.identifier,
                    hash=sql.Literal(parsed.hash),
                    previous=sql.Literal(parsed.previous_hash),
                    filename=sql.Literal(migration.identifier),
                )
            )
        return statements

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        current = TableRef(table.schema, "current")
        return [
            s.format(
                schema=sql.Identifier(table.schema),
                table=table.identifier,
                current=current.identifier,
            )
            for s in GRAPHILE_CREATE
        ]
