"""node-pg-migrate: ``pgmigrations(id serial, name varchar(255), run_on timestamp)``.

The standard mode's own bookkeeping. Name = file name without extension; applied order is
``run_on, id``; no checksum. Files, their order and the ``-- Up Migration`` /
``-- Down Migration`` sections of SQL files are read as node-pg-migrate 9 reads them
(``node_pg_migrate_files``). (frameworks.md §2.1)
"""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import sql

from ..exceptions import UnsupportedMigration
from ..sources import MigrationsDirectory, read_text
from ..types import Migration, Section, TableRef
from . import node_pg_migrate_files as files
from .base import INTEGER_TYPES, TEXT_TYPES, TIMESTAMP_TYPES, TrackingAdapter
from .registry import registry

CREATE_TABLE = sql.SQL(
    "CREATE TABLE IF NOT EXISTS {table} ("
    "id SERIAL PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL)"
)
INSERT_ROWS = sql.SQL("INSERT INTO {table} (name, run_on) VALUES {rows}")
ROW = sql.SQL("({name}, NOW())")
DELETE_ROW = sql.SQL("DELETE FROM {table} WHERE name = {name}")


@registry.register
class NodePgMigrateAdapter(TrackingAdapter):
    name = "node-pg-migrate"
    label = "node-pg-migrate"
    table_names = ("pgmigrations",)
    default_schema = "public"
    signature = {"id": INTEGER_TYPES, "name": TEXT_TYPES, "run_on": TIMESTAMP_TYPES}
    exact_columns = True
    extensions = files.EXTENSIONS
    executable_extensions = (".sql",)
    cli_extensions = tuple(e for e in files.EXTENSIONS if e != ".sql")  # node_pg_migrate_cli
    native_command = "node-pg-migrate up"
    identifier_column = "name"
    applied_at_column = "run_on"
    order_by = ("run_on", "id")
    in_order_only = True  # node-pg-migrate's checkOrder (on by default)
    history_is_prefix = True  # checkOrder: runNames[i] must be migrations[i].name

    def discover(self, directory: MigrationsDirectory) -> list[Migration]:
        found = [self.migration_for(path) for path in directory.files(self.extensions)]
        return sorted(found, key=lambda migration: migration.sort_key)

    def sort_key_for(self, file_name: str) -> tuple:
        return files.order_key(file_name)

    def up_section(self, migration: Migration) -> Section:
        self.ensure_executable(migration)
        return files.sections(read_text(migration.path))[0]

    def down_section(self, migration: Migration) -> Section | None:
        self.ensure_executable(migration)
        return files.sections(read_text(migration.path))[1]

    def ensure_executable(self, migration: Migration) -> None:
        if migration.extension in self.cli_extensions:
            raise UnsupportedMigration(
                f"{migration.name} is a JavaScript migration: it needs node-pg-migrate "
                "(Node.js and the node-pg-migrate npm package) to run.",
                names=[migration.name],
            )
        super().ensure_executable(migration)

    def record(self, table: TableRef, migrations: Sequence[Migration]) -> list[sql.Composable]:
        """One INSERT for the batch: rows get their ids in the given order, as one by one."""
        rows = sql.SQL(", ").join(ROW.format(name=sql.Literal(m.identifier)) for m in migrations)
        return [INSERT_ROWS.format(table=table.identifier, rows=rows)]

    def unrecord(self, table: TableRef, migrations: Sequence[Migration]) -> list[sql.Composable]:
        return [
            DELETE_ROW.format(table=table.identifier, name=sql.Literal(m.identifier))
            for m in migrations
        ]

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        return [CREATE_TABLE.format(table=table.identifier)]
