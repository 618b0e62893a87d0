"""Sequelize, TypeORM, MikroORM and db-migrate: a row per JavaScript migration, no checksum.

- Sequelize (frameworks.md §2.14): ``"SequelizeMeta"(name varchar(255) PK)``, ``name`` = file name
  WITH extension; with ``migrationTimestamps`` the table also has ``"createdAt"``/``"updatedAt"``.
- TypeORM (§2.12): ``migrations(id serial, "timestamp" bigint, name varchar)``, ``name`` = the
  migration CLASS name, ``timestamp`` = its last 13 characters; migrations run by timestamp.
- MikroORM (§2.25): ``mikro_orm_migrations(id serial, name varchar(255), executed_at timestamptz
  DEFAULT now)``, ``name`` = file name without ``.js``/``.ts`` (older releases kept it: stripped
  on reading, as MikroORM does).
- db-migrate (§2.33): ``migrations(id serial, name varchar(255), run_on timestamp)`` — the columns
  of node-pg-migrate's table — with ``name`` = ``<scope>/<14 digits>-<title>``: a leading ``/``
  for the default (empty) scope; rows of other scopes belong to their sub-folder.

None of them refuses a pending migration older than an applied one. Sources: sequelize-cli 6.6
``lib/helpers/umzug-helper.js`` + umzug 2.3 ``lib/storages/SequelizeStorage.js``; typeorm 1.1
``migration/MigrationExecutor.js``; @mikro-orm/migrations 6.6 ``MigrationStorage.js``; db-migrate
0.11 ``lib/{migration,migrator,skeleton}.js``, db-migrate-pg 1.5 ``index.js``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import psycopg
from psycopg import sql

from ..sources import MigrationsDirectory, read_text, sha256_of
from ..types import AppliedRecord, Migration, TableRef
from .base import INTEGER_TYPES, TEXT_TYPES, TIMESTAMP_TYPES, stored_text
from .javascript import ScriptMigrationsAdapter
from .registry import registry

# Model.create() of a model with or without timestamps: the record's keys that are no column of
# the table are ignored, so one statement writes exactly Sequelize's row in both shapes.
SEQUELIZE_INSERT = sql.SQL(
    "INSERT INTO {table} SELECT * FROM jsonb_populate_record(NULL::{table},"
    " jsonb_build_object('name', {name}::text, 'createdAt', now(), 'updatedAt', now()))"
)
SEQUELIZE_CREATE = sql.SQL(
    'CREATE TABLE IF NOT EXISTS {table} ("name" VARCHAR(255) NOT NULL UNIQUE, PRIMARY KEY ("name"))'
)
TYPEORM_INSERT = sql.SQL('INSERT INTO {table} ("timestamp", name) VALUES ({timestamp}, {name})')
MIKRO_ORM_INSERT = sql.SQL("INSERT INTO {table} (name) VALUES ({name})")
MIKRO_ORM_CREATE = sql.SQL(
    "CREATE TABLE {table} (id serial PRIMARY KEY, name varchar(255),"
    " executed_at timestamptz DEFAULT CURRENT_TIMESTAMP)"
)
DB_MIGRATE_INSERT = sql.SQL("INSERT INTO {table} (name, run_on) VALUES ({name}, now())")
DB_MIGRATE_CREATE = sql.SQL(
    'CREATE TABLE IF NOT EXISTS {table} ("id" SERIAL PRIMARY KEY NOT NULL,'
    ' "name" VARCHAR (255) NOT NULL, "run_on" TIMESTAMP NOT NULL)'
)
DB_MIGRATE_SELECT = sql.SQL("SELECT name, run_on FROM {table} ORDER BY run_on, name")

# TypeORM identifies a migration by its class; the class name ends with a 13-digit JS timestamp.
JS_CLASS = re.compile(r"\bclass\s+([A-Za-z_$][\w$]*?(\d{13}))\b")
DB_MIGRATE_NAME = re.compile(r"\d{14}-[^.]+")


def _one_row(template: sql.SQL, table: TableRef, **values: object) -> sql.Composed:
    return template.format(
        table=table.identifier, **{key: sql.Literal(value) for key, value in values.items()}
    )


@registry.register
class SequelizeAdapter(ScriptMigrationsAdapter):
    name = "sequelize"
    label = "Sequelize"
    table_names = ("SequelizeMeta",)
    default_schema = None  # migrationStorageTableSchema, else the search_path
    signature = {"name": TEXT_TYPES}  # plus "createdAt"/"updatedAt" with migrationTimestamps
    extensions = (".cjs", ".js", ".cts", ".ts")
    native_command = "npx sequelize-cli db:migrate"

    def identifier_for(self, file_name: str) -> str:
        return file_name

    def record(self, table: TableRef, migrations: Sequence[Migration]) -> list[sql.Composable]:
        return [_one_row(SEQUELIZE_INSERT, table, name=m.identifier) for m in migrations]

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        return [SEQUELIZE_CREATE.format(table=table.identifier)]


@registry.register
class TypeORMAdapter(ScriptMigrationsAdapter):
    name = "typeorm"
    label = "TypeORM"
    table_names = ("migrations",)
    default_schema = None  # the DataSource's schema, else the search_path
    signature = {"id": INTEGER_TYPES, "timestamp": INTEGER_TYPES, "name": TEXT_TYPES}
    exact_columns = True
    # No key_columns: (id, timestamp, name) is an application's table as often as a ledger; a
    # renamed ledger (migrationsTableName) is found from the data source (project_config).
    extensions = (".js", ".cjs", ".mjs", ".ts", ".cts", ".mts")
    native_command = "npx typeorm migration:run -d <your data source>"
    order_by = ("id",)

    def discover(self, directory: MigrationsDirectory) -> list[Migration]:
        found = []
        for file in super().discover(directory):
            class_name = self._class_name(file.path)
            if class_name:
                found.append(self._migration(file.path, class_name))
        return sorted(found, key=lambda m: m.sort_key)

    def _class_name(self, path: Path) -> str | None:
        """The first class whose name ends with 13 digits: files without one are not TypeORM
        migrations (TypeORM would refuse them)."""
        match = JS_CLASS.search(read_text(path))
        return match.group(1) if match else None

    def _migration(self, path: Path, class_name: str) -> Migration:
        return Migration(
            name=path.name,
            identifier=class_name,
            path=path,
            sha256=sha256_of(path),
            sort_key=(int(class_name[-13:]), class_name),
        )

    def record(self, table: TableRef, migrations: Sequence[Migration]) -> list[sql.Composable]:
        return [
            _one_row(TYPEORM_INSERT, table, timestamp=int(m.identifier[-13:]), name=m.identifier)
            for m in migrations
        ]


@registry.register
class MikroORMAdapter(ScriptMigrationsAdapter):
    name = "mikro-orm"
    label = "MikroORM"
    table_names = ("mikro_orm_migrations",)
    default_schema = "public"  # the config's schema, else the platform's default
    signature = {"id": INTEGER_TYPES, "name": TEXT_TYPES, "executed_at": TIMESTAMP_TYPES}
    exact_columns = True
    extensions = (".js", ".ts", ".cjs")  # migrations.glob '!(*.d).{js,ts,cjs}'
    native_command = "npx mikro-orm migration:up"
    applied_at_column = "executed_at"
    order_by = ("id",)

    def identifier_for(self, file_name: str) -> str:
        stem, dot, extension = file_name.rpartition(".")
        return stem if dot and extension in ("js", "ts") else file_name

    def read_records(
        self, conn: psycopg.Connection, table: TableRef, migrations: Sequence[Migration]
    ) -> list[AppliedRecord]:
        return [
            AppliedRecord(self.identifier_for(record.identifier), record.applied_at)
            for record in super().read_records(conn, table, migrations)
        ]

    def record(self, table: TableRef, migrations: Sequence[Migration]) -> list[sql.Composable]:
        return [_one_row(MIKRO_ORM_INSERT, table, name=m.identifier) for m in migrations]

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        return [MIKRO_ORM_CREATE.format(table=table.identifier)]


@registry.register
class DbMigrateAdapter(ScriptMigrationsAdapter):
    name = "db-migrate"
    label = "db-migrate"
    table_names = ("migrations",)
    default_schema = None  # the search_path (db-migrate-pg may set it to a configured schema)
    signature = {"id": INTEGER_TYPES, "name": TEXT_TYPES, "run_on": TIMESTAMP_TYPES}
    exact_columns = True
    extensions = (".js",)
    native_command = "npx db-migrate up"

    def discover(self, directory: MigrationsDirectory) -> list[Migration]:
        return [m for m in super().discover(directory) if DB_MIGRATE_NAME.match(m.name)]

    def identifier_for(self, file_name: str) -> str:
        """``20240101120000-add-users.js`` -> ``/20240101120000-add-users`` (default scope)."""
        match = DB_MIGRATE_NAME.match(file_name)
        return "/" + (match.group(0) if match else file_name)

    def read_records(
        self, conn: psycopg.Connection, table: TableRef, migrations: Sequence[Migration]
    ) -> list[AppliedRecord]:
        rows = conn.execute(DB_MIGRATE_SELECT.format(table=table.identifier)).fetchall()
        rows = [(stored_text(name), run_on) for name, run_on in rows]
        return [
            # Before scopes, names had no slash: db-migrate still reads them as the default scope.
            AppliedRecord(name if name.startswith("/") else "/" + name, run_on)
            for name, run_on in rows
            if name.rfind("/") <= 0  # the default scope's rows
        ]

    def record(self, table: TableRef, migrations: Sequence[Migration]) -> list[sql.Composable]:
        return [_one_row(DB_MIGRATE_INSERT, table, name=m.identifier) for m in migrations]

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        return [DB_MIGRATE_CREATE.format(table=table.identifier)]
