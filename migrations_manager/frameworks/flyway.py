"""Flyway: ``flyway_schema_history``, a row per execution, CRC-32 checksums, ``success`` flag.

Versioned SQL files ``V<version>__<description>.sql`` (``_`` in the version means ``.``, in the
description a space). Applied = successful versioned rows, later ``DELETE`` rows (repair) cancel
a version, a ``BASELINE`` row covers every version up to it. (frameworks.md §2.15)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from ..sources import MigrationsDirectory, ascii_digits, sha256_of
from ..types import AppliedRecord, Migration, TableRef
from .base import INTEGER_TYPES, TEXT_TYPES, TIMESTAMP_TYPES, FrameworkLock, TrackingAdapter
from .checksums import flyway_crc32
from .lock_keys import flyway_key
from .registry import registry

SELECT_ROWS = sql.SQL(
    "SELECT version, installed_on, checksum, success, type FROM {table}"
    " WHERE version IS NOT NULL ORDER BY installed_rank"
)
INSERT_ROW = sql.SQL(
    "INSERT INTO {table} (installed_rank, version, description, type, script, checksum,"
    " installed_by, execution_time, success)"
    " VALUES ((SELECT COALESCE(MAX(installed_rank), 0) + 1 FROM {table}), {version},"
    " {description}, 'SQL', {script}, {checksum}, current_user, 0, true)"
)
CREATE_TABLE = (
    sql.SQL(
        "CREATE TABLE {table} (installed_rank INT NOT NULL, version VARCHAR(50),"
        " description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL,"
        " script VARCHAR(1000) NOT NULL, checksum INTEGER, installed_by VARCHAR(100) NOT NULL,"
        " installed_on TIMESTAMP NOT NULL DEFAULT now(), execution_time INTEGER NOT NULL,"
        " success BOOLEAN NOT NULL)"
    ),
    sql.SQL("ALTER TABLE {table} ADD CONSTRAINT {pk} PRIMARY KEY (installed_rank)"),
    sql.SQL("CREATE INDEX {index} ON {table} (success)"),
)


@dataclass(frozen=True)
class VersionedName:
    """What Flyway reads from ``V1_2__add_users.sql``: version "1.2", description "add users"."""

    version: str
    description: str

    @classmethod
    def parse(cls, file_name: str) -> VersionedName | None:
        if not (file_name.startswith("V") and file_name.endswith(".sql")):
            return None
        version, separator, description = file_name[1:-4].partition("__")
        parts = version.replace("_", ".").split(".")
        if not separator or not all(ascii_digits(part) for part in parts):
            return None
        return cls(".".join(parts), description.replace("_", " "))


def version_key(version: str) -> tuple[int, ...]:
    """Flyway compares versions numerically part by part; trailing zero parts do not count."""
    parts = [int(part) for part in version.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def stored_key(version: str) -> tuple[int, ...] | None:
    """``version_key`` of a stored version, None when it is not one Flyway writes (letters,
    empty parts: a row written by hand)."""
    parts = version.split(".")
    return version_key(version) if all(ascii_digits(part) for part in parts) else None


def identifier_of(version: str) -> str:
    """The identifier of a stored version; one that is not Flyway's is kept as it is, matches
    no file and so shows as orphaned."""
    key = stored_key(version)
    return version if key is None else ".".join(map(str, key))


@registry.register
class FlywayAdapter(TrackingAdapter):
    name = "flyway"
    label = "Flyway"
    table_names = ("flyway_schema_history", "schema_version")
    default_schema = None
    signature = {
        "installed_rank": INTEGER_TYPES,
        "version": TEXT_TYPES,
        "description": TEXT_TYPES,
        "type": TEXT_TYPES,
        "script": TEXT_TYPES,
        "checksum": INTEGER_TYPES,
        "installed_by": TEXT_TYPES,
        "installed_on": TIMESTAMP_TYPES,
        "execution_time": INTEGER_TYPES,
        "success": frozenset({"boolean"}),
    }
    native_command = "flyway migrate"
    repair_command = "flyway repair"
    in_order_only = True  # validate refuses a resolved migration left behind an applied one

    def own_lock(self, table: TableRef, database: str) -> FrameworkLock:
        return FrameworkLock(self.label, (flyway_key(table),))

    def discover(self, directory: MigrationsDirectory) -> list[Migration]:
        found = []
        for path in directory.files((".sql",)):
            parsed = VersionedName.parse(path.name)
            if parsed:
                found.append(self._migration(path, parsed))
        return sorted(found, key=lambda m: m.sort_key)

    def _migration(self, path: Path, parsed: VersionedName) -> Migration:
        return Migration(
            name=path.name,
            identifier=identifier_of(parsed.version),
            path=path,
            sha256=sha256_of(path),
            sort_key=version_key(parsed.version),
        )

    def checksum(self, migration: Migration) -> str | None:
        return str(flyway_crc32(migration.path.read_bytes()))

    def read_records(
        self, conn: psycopg.Connection, table: TableRef, migrations: Sequence[Migration]
    ) -> list[AppliedRecord]:
        latest: dict[str, AppliedRecord] = {}
        baseline: tuple[int, ...] | None = None
        rows = conn.execute(SELECT_ROWS.format(table=table.identifier)).fetchall()
        for version, installed_on, checksum, success, kind in rows:
            identifier = identifier_of(version)
            if kind == "DELETE":
                latest.pop(identifier, None)
                continue
            key = stored_key(version)
            # A NULL type (the column is NOT NULL in Flyway's DDL) reads as a plain SQL row.
            if (kind or "").endswith("BASELINE") and key is not None:
                baseline = max(baseline or (), key)
            latest[identifier] = AppliedRecord(
                identifier,
                applied_at=installed_on,
                stored_hash=None if checksum is None else str(checksum),
                failed=not success,
                detail=None if success else "Flyway recorded this migration as failed",
            )
        if baseline is not None:
            for migration in migrations:
                if migration.sort_key <= baseline and migration.identifier not in latest:
                    latest[migration.identifier] = AppliedRecord(migration.identifier)
        return list(latest.values())

    def record(self, table: TableRef, migrations: Sequence[Migration]) -> list[sql.Composable]:
        statements = []
        for migration in migrations:
            parsed = VersionedName.parse(migration.path.name)
            assert parsed is not None  # discover() only yields parseable names
            statements.append(
                INSERT_ROW.format(
                    table=table.identifier,
                    version=sql.Literal(parsed.version),
                    description=sql.Literal(parsed.description),
                    script=sql.Literal(migration.path.name),
                    checksum=sql.Literal(flyway_crc32(migration.path.read_bytes())),
                )
            )
        return statements

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        return [
            statement.format(
                table=table.identifier,
                pk=sql.Identifier(f"{table.name}_pk"),
                index=sql.Identifier(f"{table.name}_s_idx"),
            )
            for statement in CREATE_TABLE
        ]
