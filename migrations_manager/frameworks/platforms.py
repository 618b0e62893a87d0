"""Platform CLIs that keep their history in their own schema: Hasura (v1) and Supabase.

- Hasura CLI ≤ v1.3 / config v2 (frameworks.md §30): ``hdb_catalog.schema_migrations(version
  bigint, dirty boolean)`` — golang-migrate's columns, but a row per applied version, and only in
  ``hdb_catalog``. Directories ``<version>_<name>/up.sql`` (``up.yaml`` holds metadata actions,
  which only the Hasura CLI applies). ``dirty`` marks a version that failed part-way.
- Supabase CLI (§31): ``supabase_migrations.schema_migrations(version text, statements text[],
  name text)``; files ``<version>_<name>.sql``; ``statements`` is the file cut after each
  statement's semicolon, each piece trimmed (the CLI's ``parser.SplitAndTrim``).
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg import sql

from ..analysis.statements import cut_after_semicolons
from ..sources import read_text
from ..types import AppliedRecord, Migration, TableRef
from .base import INTEGER_TYPES, TEXT_TYPES
from .registry import registry
from .version_rows import DirectoryLayoutAdapter, VersionedName, VersionRowAdapter, split_number

CREATE_SCHEMA = sql.SQL("CREATE SCHEMA IF NOT EXISTS {schema}")

# ---- Hasura ----------------------------------------------------------------------------------

HASURA_SELECT = sql.SQL("SELECT version, dirty FROM {table} ORDER BY version")
HASURA_CREATE = sql.SQL(
    "CREATE TABLE IF NOT EXISTS {table} (version bigint NOT NULL PRIMARY KEY,"
    " dirty boolean NOT NULL)"
)


@registry.register
class HasuraAdapter(DirectoryLayoutAdapter):
    name = "hasura"
    label = "Hasura CLI"
    table_names = ("schema_migrations",)
    default_schema = "hdb_catalog"
    only_schemas = frozenset({"hdb_catalog"})
    signature = {"version": INTEGER_TYPES, "dirty": frozenset({"boolean"})}
    exact_columns = True
    # An up.yaml (metadata actions) makes the whole migration the Hasura CLI's to run.
    up_files = ("up.yaml", "up.sql")
    native_command = "hasura migrate apply"
    repair_command = "hasura migrate apply --version VERSION --type down (or delete the dirty row)"

    def parse_name(self, name: str) -> VersionedName | None:
        parts = split_number(name)
        return VersionedName(str(int(parts[0])), (int(parts[0]),), parts[1]) if parts else None

    def read_records(
        self, conn: psycopg.Connection, table: TableRef, migrations: Sequence[Migration]
    ) -> list[AppliedRecord]:
        return [
            AppliedRecord(
                str(version),
                failed=dirty,
                detail="dirty: Hasura stopped part-way through it" if dirty else None,
            )
            for version, dirty in conn.execute(HASURA_SELECT.format(table=table.identifier))
        ]

    def row(self, table: TableRef, migration: Migration) -> dict[str, sql.Composable]:
        return {"version": sql.Literal(int(migration.identifier)), "dirty": sql.Literal(False)}

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        return [
            CREATE_SCHEMA.format(schema=sql.Identifier(table.schema)),
            HASURA_CREATE.format(table=table.identifier),
        ]


# ---- Supabase --------------------------------------------------------------------------------

SUPABASE_CREATE = sql.SQL(
    "CREATE TABLE IF NOT EXISTS {table} (version text NOT NULL PRIMARY KEY, statements text[],"
    " name text)"
)


def supabase_statements(text: str) -> list[str]:
    """The ``statements`` the Supabase CLI stores for a migration file."""
    pieces = (piece.rstrip(";").strip() for piece in cut_after_semicolons(text))
    return [piece for piece in pieces if piece]


@registry.register
class SupabaseAdapter(VersionRowAdapter):
    name = "supabase"
    label = "Supabase CLI"
    table_names = ("schema_migrations",)
    default_schema = "supabase_migrations"
    only_schemas = frozenset({"supabase_migrations"})
    signature = {"version": TEXT_TYPES, "statements": frozenset({"text[]"}), "name": TEXT_TYPES}
    native_command = "supabase migration up"
    in_order_only = True  # the CLI refuses local files older than the last applied one
    order_by = ("version",)

    def parse_name(self, name: str) -> VersionedName | None:
        """``^([0-9]+)_(.*)\\.sql$``: version and name as written."""
        parts = split_number(name)
        if parts is None or not parts[1].endswith(".sql"):
            return None
        return VersionedName(parts[0], (name,), parts[1].removesuffix(".sql"))

    def row(self, table: TableRef, migration: Migration) -> dict[str, sql.Composable]:
        statements = supabase_statements(read_text(migration.path))
        return {
            "version": sql.Literal(migration.identifier),
            "name": sql.Literal(self.parsed(migration).description),
            "statements": sql.SQL("{}::text[]").format(sql.Literal(statements)),
        }

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        return [
            CREATE_SCHEMA.format(schema=sql.Identifier(table.schema)),
            SUPABASE_CREATE.format(table=table.identifier),
        ]
