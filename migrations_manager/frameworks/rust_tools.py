"""Rust SQL migrators with content checksums: SQLx and refinery.

- SQLx (frameworks.md §8): ``_sqlx_migrations``, a row per version with ``success`` and the
  SHA-384 of the up file (``bytea``). Files ``<version>_<description>.sql`` or reversible
  ``.up.sql`` / ``.down.sql``; a file starting with ``-- no-transaction`` runs without one.
- refinery (§28): ``refinery_schema_history``, a row per version with the SipHash-1-3 checksum
  of (name, version, SQL) as decimal text. Files ``V<n>__<name>.sql`` (``U`` for unversioned);
  ``.rs`` migrations are compiled into the application and never run here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import psycopg
from psycopg import sql

from ..sources import MigrationsDirectory, ascii_digits
from ..types import AppliedRecord, Migration, TableRef
from .base import INTEGER_TYPES, TEXT_TYPES, TIMESTAMP_TYPES
from .checksums import refinery_checksum, sqlx_sha384
from .registry import registry
from .version_rows import VersionedName, VersionRowAdapter, file_migration, numbered

# ---- SQLx ------------------------------------------------------------------------------------

SQLX_SELECT = sql.SQL(
    "SELECT version, installed_on, checksum, success FROM {table} ORDER BY version"
)
SQLX_CREATE = sql.SQL(
    "CREATE TABLE IF NOT EXISTS {table} (version BIGINT PRIMARY KEY, description TEXT NOT NULL,"
    " installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL,"
    " checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL)"
)
SQLX_UP_SUFFIXES = (".up.sql", ".sql")  # longest first: ``x.up.sql`` is reversible, not ``x.up``


def _sqlx_detail(success: bool, checksum: bytes | None) -> str | None:
    if not success:
        return "SQLx marks it partially applied (success = false)"
    # SQLx itself cannot read such a row; the file is then not compared with anything.
    return "SQLx recorded no checksum" if checksum is None else None


@registry.register
class SqlxAdapter(VersionRowAdapter):
    name = "sqlx"
    label = "SQLx"
    table_names = ("_sqlx_migrations",)
    default_schema = None
    signature = {
        "version": INTEGER_TYPES,
        "description": TEXT_TYPES,
        "installed_on": TIMESTAMP_TYPES,
        "success": frozenset({"boolean"}),
        "checksum": frozenset({"bytea"}),
        "execution_time": INTEGER_TYPES,
    }
    exact_columns = True
    native_command = "sqlx migrate run"
    repair_command = "sqlx migrate revert, or deleting the failed row by hand"

    def parse_name(self, name: str) -> VersionedName | None:
        """``<version>_<description>.sql``; the description's ``_`` read as spaces."""
        if name.endswith(".down.sql"):
            return None
        parsed = numbered(name, SQLX_UP_SUFFIXES)
        if parsed is None or parsed.sort_key[0] < 1:
            return None
        description = parsed.description.replace("_", " ")
        return VersionedName(parsed.identifier, parsed.sort_key, description)

    def discover(self, directory: MigrationsDirectory) -> list[Migration]:
        found = []
        for path in directory.files((".sql",)):
            parsed = self.parse_name(path.name)
            if parsed is not None:
                down = path.with_name(path.name.removesuffix(".up.sql") + ".down.sql")
                reversible = path.name.endswith(".up.sql") and down.is_file()
                down_path = down if reversible and directory.contains(down) else None
                found.append(file_migration(path, parsed, down_path=down_path))
        return sorted(found, key=lambda m: m.sort_key)

    def checksum(self, migration: Migration) -> str | None:
        return sqlx_sha384(migration.path.read_bytes()).hex()

    def checksum_matches(self, migration: Migration, stored: str | None) -> bool:
        """Verbatim, or without carriage returns (``ignored-chars = ["\\r"]``, the documented
        use of that sqlx.toml setting)."""
        data = migration.path.read_bytes()
        variants = {sqlx_sha384(data).hex(), sqlx_sha384(data, "\r").hex()}
        return stored is None or stored in variants

    def runs_outside_transaction(self, migration: Migration) -> bool:
        """SQLx reads ``-- no-transaction`` only as the very first bytes of the file."""
        starts = migration.path.read_bytes().startswith(b"-- no-transaction")
        return starts or super().runs_outside_transaction(migration)

    def read_records(
        self, conn: psycopg.Connection, table: TableRef, migrations: Sequence[Migration]
    ) -> list[AppliedRecord]:
        return [
            AppliedRecord(
                str(version),
                applied_at=installed_on,
                stored_hash=None if checksum is None else bytes(checksum).hex(),
                failed=not success,
                detail=_sqlx_detail(success, checksum),
            )
            for version, installed_on, checksum, success in conn.execute(
                SQLX_SELECT.format(table=table.identifier)
            )
        ]

    def row(self, table: TableRef, migration: Migration) -> dict[str, sql.Composable]:
        """SQLx's insert: ``execution_time`` -1 until SQLx measures it (it never does here)."""
        return {
            "version": sql.Literal(int(migration.identifier)),
            "description": sql.Literal(self.parsed(migration).description),
            "success": sql.Literal(True),
            "checksum": sql.Literal(sqlx_sha384(migration.path.read_bytes())),
            "execution_time": sql.Literal(-1),
        }

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        return [SQLX_CREATE.format(table=table.identifier)]


# ---- refinery --------------------------------------------------------------------------------

REFINERY_SELECT = sql.SQL("SELECT version, applied_on, checksum FROM {table} ORDER BY version")
REFINERY_CREATE = sql.SQL(
    "CREATE TABLE IF NOT EXISTS {table} (version INT4 PRIMARY KEY, name VARCHAR(255),"
    " applied_on VARCHAR(255), checksum VARCHAR(255))"
)
# The checksum hashes the version as i32, or as i64 with the ``int8-versions`` feature, which
# also makes the column int8: the column's type tells which one refinery will compare.
REFINERY_CHECKSUM = sql.SQL(
    "CASE (SELECT a.atttypid FROM pg_catalog.pg_attribute a"
    " JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = {schema} AND c.relname = {table} AND a.attname = 'version')"
    " WHEN 'pg_catalog.int8'::pg_catalog.regtype THEN {int8} ELSE {int4} END"
)
RFC3339_NOW = sql.SQL(
    "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
)


def _rfc3339(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


@registry.register
class RefineryAdapter(VersionRowAdapter):
    name = "refinery"
    label = "refinery"
    table_names = ("refinery_schema_history",)
    default_schema = None
    signature = {
        "version": INTEGER_TYPES,
        "name": TEXT_TYPES,
        "applied_on": TEXT_TYPES,
        "checksum": TEXT_TYPES,
    }
    exact_columns = True
    extensions = (".sql", ".rs")
    native_command = "your application's refinery runner (embed_migrations!)"
    in_order_only = True  # abort_missing (on by default) refuses a skipped older version

    def parse_name(self, name: str) -> VersionedName | None:
        """``[UV]<n>__<name>.<ext>`` (refinery_core/src/util.rs)."""
        prefix, rest = name[:1], name[1:]
        digits, separator, stem = rest.partition("__")
        stem, _, extension = stem.rpartition(".")
        valid = prefix in ("U", "V") and separator and ascii_digits(digits)
        if not (valid and stem and all(char.isalnum() or char == "_" for char in stem)):
            return None
        if "." + extension not in self.extensions:
            return None
        return VersionedName(str(int(digits)), (int(digits),), stem)

    def _checksums(self, migration: Migration) -> tuple[str, str]:
        """(i32, i64) checksums of the file text as refinery reads it (BOM kept)."""
        text = migration.path.read_bytes().decode("utf-8")
        name, version = self.parsed(migration).description, int(migration.identifier)
        return refinery_checksum(name, version, text), refinery_checksum(
            name, version, text, int8=True
        )

    def checksum(self, migration: Migration) -> str | None:
        return self._checksums(migration)[0]

    def checksum_matches(self, migration: Migration, stored: str | None) -> bool:
        return stored is None or stored in self._checksums(migration)

    def read_records(
        self, conn: psycopg.Connection, table: TableRef, migrations: Sequence[Migration]
    ) -> list[AppliedRecord]:
        return [
            AppliedRecord(str(version), applied_at=_rfc3339(applied_on), stored_hash=checksum)
            for version, applied_on, checksum in conn.execute(
                REFINERY_SELECT.format(table=table.identifier)
            )
        ]

    def row(self, table: TableRef, migration: Migration) -> dict[str, sql.Composable]:
        int4, int8 = self._checksums(migration)
        return {
            "version": sql.Literal(int(migration.identifier)),
            "name": sql.Literal(self.parsed(migration).description),
            "applied_on": RFC3339_NOW,
            "checksum": REFINERY_CHECKSUM.format(
                schema=sql.Literal(table.schema),
                table=sql.Literal(table.name),
                int8=sql.Literal(int8),
                int4=sql.Literal(int4),
            ),
        }

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        return [REFINERY_CREATE.format(table=table.identifier)]
