"""Migrators that ship with an ORM and keep a bare row per version: Diesel, Ecto, SeaORM.

- Diesel (frameworks.md §19): ``__diesel_schema_migrations(version varchar(50), run_on)``;
  directories ``<YYYY-MM-DD-HHMMSS>_<name>/up.sql`` (+ ``down.sql``, ``metadata.toml`` where
  ``run_in_transaction = false`` runs it without a transaction); version = the directory name up
  to the first ``_`` without its dashes.
- Ecto (§20): ``schema_migrations(version bigint, inserted_at timestamp(0))``; Elixir files
  ``<version>_<name>.exs`` (``priv/repo/migrations``), never executed here; ``inserted_at`` is
  UTC, whole seconds.
- SeaORM (§29): ``seaql_migrations(version varchar, applied_at bigint)``; Rust modules
  ``m<date>_<seq>_<name>.rs`` (``migration/src``), version = the module name; never executed.
"""

from __future__ import annotations

import tomllib

from psycopg import sql

from ..exceptions import UnsupportedMigration
from ..sources import ascii_digits
from ..types import Migration, TableRef
from .base import INTEGER_TYPES, TEXT_TYPES, TIMESTAMP_TYPES
from .native_code import NativeCodeAdapter
from .registry import registry
from .version_rows import DirectoryLayoutAdapter, VersionedName, VersionRowAdapter, numbered

DIESEL_CREATE = sql.SQL(
    "CREATE TABLE IF NOT EXISTS {table} (version VARCHAR(50) PRIMARY KEY NOT NULL,"
    " run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)"
)
ECTO_CREATE = sql.SQL(
    "CREATE TABLE IF NOT EXISTS {table} (version bigint PRIMARY KEY, inserted_at timestamp(0))"
)
ECTO_NOW = sql.SQL("date_trunc('second', now() AT TIME ZONE 'UTC')")  # NaiveDateTime.utc_now
SEAORM_CREATE = sql.SQL(
    "CREATE TABLE IF NOT EXISTS {table} (version varchar NOT NULL PRIMARY KEY,"
    " applied_at bigint NOT NULL)"
)
SEAORM_NOW = sql.SQL("extract(epoch FROM now())::bigint")


def _diesel_metadata(migration: Migration) -> dict[str, object]:
    """The migration's ``metadata.toml`` ({} without one).

    Raises:
        UnsupportedMigration: it does not parse; Diesel refuses to run the migration too.
    """
    metadata = migration.path.with_name("metadata.toml")
    if not metadata.is_file():
        return {}
    try:
        return tomllib.loads(metadata.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise UnsupportedMigration(
            f"{migration.name}/metadata.toml is not valid TOML ({error}); Diesel refuses to "
            "run it too. Correct the file and run again.",
            names=[migration.name],
        ) from error


@registry.register
class DieselAdapter(DirectoryLayoutAdapter):
    name = "diesel"
    label = "Diesel"
    table_names = ("__diesel_schema_migrations",)
    default_schema = None
    signature = {"version": TEXT_TYPES, "run_on": TIMESTAMP_TYPES}
    exact_columns = True
    native_command = "diesel migration run"
    applied_at_column = "run_on"
    order_by = ("version",)

    def parse_name(self, name: str) -> VersionedName | None:
        """``2024-01-01-120000_create_users`` -> ``20240101120000`` (migrations_internals)."""
        version = name.partition("_")[0].replace("-", "")
        return VersionedName(version, (version, name)) if version else None

    def runs_outside_transaction(self, migration: Migration) -> bool:
        settings = _diesel_metadata(migration)
        return settings.get("run_in_transaction") is False or super().runs_outside_transaction(
            migration
        )

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        return [DIESEL_CREATE.format(table=table.identifier)]


@registry.register
class EctoAdapter(NativeCodeAdapter, VersionRowAdapter):
    name = "ecto"
    label = "Ecto"
    table_names = ("schema_migrations",)
    default_schema = None
    signature = {"version": INTEGER_TYPES, "inserted_at": TIMESTAMP_TYPES}
    exact_columns = True
    extensions = (".exs",)
    native_command = "mix ecto.migrate"
    language = "Elixir"
    project_folder = "priv/repo/migrations"
    applied_at_column = "inserted_at"
    order_by = ("version",)

    def parse_name(self, name: str) -> VersionedName | None:
        return numbered(name, self.extensions)

    def row(self, table: TableRef, migration: Migration) -> dict[str, sql.Composable]:
        return {"version": sql.Literal(int(migration.identifier)), "inserted_at": ECTO_NOW}

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        return [ECTO_CREATE.format(table=table.identifier)]


@registry.register
class SeaOrmAdapter(NativeCodeAdapter, VersionRowAdapter):
    name = "seaorm"
    label = "SeaORM"
    table_names = ("seaql_migrations",)
    default_schema = None
    signature = {"version": TEXT_TYPES, "applied_at": INTEGER_TYPES}
    exact_columns = True
    extensions = (".rs",)
    native_command = "sea-orm-cli migrate up"
    language = "Rust"
    project_folder = "migration/src"
    order_by = ("version",)

    def parse_name(self, name: str) -> VersionedName | None:
        """Migration modules are named ``m<digits>...``; lib.rs and main.rs are not migrations."""
        stem = name.removesuffix(".rs")
        if stem == name or not (stem[:1] == "m" and ascii_digits(stem[1:2])):
            return None
        return VersionedName(stem, (stem,))

    def row(self, table: TableRef, migration: Migration) -> dict[str, sql.Composable]:
        return {"version": sql.Literal(migration.identifier), "applied_at": SEAORM_NOW}

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        return [SEAORM_CREATE.format(table=table.identifier)]
