"""Application frameworks with a row per migration class file: Rails, Laravel, Phinx, Doctrine
Migrations 3, Entity Framework Core (frameworks.md §2.11, §2.13, §2.26, §2.27, §2.34).

Their migrations are Ruby, PHP or C# code: status and mark-applied only. Each class says where
the files are, how a file name becomes the stored identifier, and the row the framework writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from psycopg import sql

from ..sources import MigrationsDirectory, ascii_digits, read_text, sha256_of
from ..types import Migration, TableRef
from .base import INTEGER_TYPES, TEXT_TYPES, TIMESTAMP_TYPES, numbered_names
from .native_code import NativeCodeAdapter
from .registry import registry

BOOLEAN_TYPES = frozenset({"boolean"})


class ClassFileAdapter(NativeCodeAdapter):
    """A row per migration file; subclasses map a file to its identifier and write the row."""

    def discover(self, directory: MigrationsDirectory) -> list[Migration]:
        found = []
        for path in self.layout_files(directory):
            identifier = self.identifier_of(path)
            if identifier is not None:
                found.append(
                    Migration(path.name, identifier, path, sha256_of(path), self.sort_key(path))
                )
        return sorted(found, key=lambda m: m.sort_key)

    def identifier_of(self, path: Path) -> str | None:
        """What the framework stores for this file; ``None``: not one of its migrations."""
        raise NotImplementedError

    def sort_key(self, path: Path) -> tuple:
        return (path.name,)

    def record(self, table: TableRef, migrations: Sequence[Migration]) -> list[sql.Composable]:
        return [self.insert_row(table, m) for m in migrations]

    def insert_row(self, table: TableRef, migration: Migration) -> sql.Composable:
        raise NotImplementedError


def leading_digits(name: str) -> str | None:
    """``20240101120000_create_users.rb`` -> ``20240101120000``; None without ``<digits>_``."""
    digits, separator, rest = name.partition("_")
    return digits if ascii_digits(digits) and separator and rest else None


def php_class_name(path: Path, short_name: str) -> str:
    """The fully qualified name of the class ``short_name`` declared in the PHP file ``path``:
    its ``namespace X\\Y;`` declaration (the first statement of a PSR-4 file), if any."""
    for line in read_text(path).splitlines():
        words = line.strip().rstrip(";").split()
        if len(words) == 2 and words[0] == "namespace" and line.strip().endswith(";"):
            return f"{words[1].strip(chr(92))}\\{short_name}"
    return short_name


@registry.register
class RailsAdapter(ClassFileAdapter):
    """``schema_migrations(version varchar PK)`` beside ``ar_internal_metadata``."""

    name = "rails"
    label = "Rails ActiveRecord"
    language = "Ruby"
    table_names = ("schema_migrations",)
    default_schema = None
    signature = {"version": TEXT_TYPES}
    exact_columns = True
    # The sibling tells Rails from dbmate, whose table has the very same single column.
    required_siblings = frozenset({"ar_internal_metadata"})
    extensions = (".rb",)
    project_folder = "db/migrate"
    native_command = "bin/rails db:migrate"
    identifier_column = "version"

    def identifier_of(self, path: Path) -> str | None:
        digits = leading_digits(path.name)
        # Rails keeps the version as an integer: "001_x.rb" is stored as "1".
        return str(int(digits)) if digits else None

    def sort_key(self, path: Path) -> tuple:
        return (int(leading_digits(path.name) or 0), path.name)

    def insert_row(self, table: TableRef, migration: Migration) -> sql.Composable:
        return sql.SQL("INSERT INTO {table} (version) VALUES ({version})").format(
            table=table.identifier, version=sql.Literal(migration.identifier)
        )


@registry.register
class LaravelAdapter(ClassFileAdapter):
    """``migrations(id serial, migration varchar(255), batch integer)``: a batch per run."""

    name = "laravel"
    label = "Laravel"
    language = "PHP"
    table_names = ("migrations",)
    default_schema = None
    signature = {"id": INTEGER_TYPES, "migration": TEXT_TYPES, "batch": INTEGER_TYPES}
    exact_columns = True
    extensions = (".php",)
    project_folder = "database/migrations"
    native_command = "php artisan migrate"
    identifier_column = "migration"
    order_by = ("batch", "migration")

    def identifier_of(self, path: Path) -> str | None:
        return path.stem if "_" in path.stem else None  # Laravel globs *_*.php

    def record(self, table: TableRef, migrations: Sequence[Migration]) -> list[sql.Composable]:
        # One batch number for the whole run, computed once: max(batch) + 1.
        return [
            sql.SQL(
                "INSERT INTO {table} (migration, batch)"
                " SELECT batch.name, next.batch FROM {names},"
                " (SELECT COALESCE(MAX(batch), 0) + 1 AS batch FROM {table}) AS next"
                " ORDER BY batch.position"
            ).format(table=table.identifier, names=numbered_names(migrations))
        ]

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        return [
            sql.SQL(
                "CREATE TABLE {table} (id serial PRIMARY KEY,"
                " migration varchar(255) NOT NULL, batch integer NOT NULL)"
            ).format(table=table.identifier)
        ]


@registry.register
class PhinxAdapter(ClassFileAdapter):
    """``phinxlog(version bigint PK, migration_name, start_time, end_time, breakpoint)``."""

    name = "phinx"
    label = "Phinx"
    language = "PHP"
    table_names = ("phinxlog",)
    default_schema = "public"
    signature = {
        "version": INTEGER_TYPES,
        "migration_name": TEXT_TYPES,
        "start_time": TIMESTAMP_TYPES,
        "end_time": TIMESTAMP_TYPES,
        "breakpoint": BOOLEAN_TYPES,
    }
    exact_columns = True
    extensions = (".php",)
    project_folder = "db/migrations"
    native_command = "vendor/bin/phinx migrate"
    identifier_column = "version"
    applied_at_column = "end_time"
    order_by = ("version",)

    def identifier_of(self, path: Path) -> str | None:
        digits = leading_digits(path.name)
        return str(int(digits)) if digits else None

    def sort_key(self, path: Path) -> tuple:
        return (int(leading_digits(path.name) or 0), path.name)

    @staticmethod
    def class_name(path: Path) -> str:
        """Phinx's Util::mapFileNameToClassName: ``..._create_user_table`` -> CreateUserTable."""
        words = path.stem.partition("_")[2].split("_")
        return php_class_name(path, "".join(word[:1].upper() + word[1:] for word in words))

    def insert_row(self, table: TableRef, migration: Migration) -> sql.Composable:
        return sql.SQL(
            "INSERT INTO {table} (version, migration_name, start_time, end_time, breakpoint)"
            " VALUES ({version}, {name}, LOCALTIMESTAMP(0), LOCALTIMESTAMP(0), false)"
        ).format(
            table=table.identifier,
            version=sql.Literal(int(migration.identifier)),
            name=sql.Literal(self.class_name(migration.path)[:100]),
        )

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        return [
            sql.SQL(
                "CREATE TABLE {table} (version bigint NOT NULL,"
                " migration_name character varying(100) NULL, start_time timestamp NULL,"
                " end_time timestamp NULL, breakpoint boolean NOT NULL DEFAULT false,"
                " CONSTRAINT {pk} PRIMARY KEY (version))"
            ).format(table=table.identifier, pk=sql.Identifier(f"{table.name}_pkey"))
        ]


@registry.register
class DoctrineAdapter(ClassFileAdapter):
    """``doctrine_migration_versions(version varchar(191) PK, executed_at, execution_time)``."""

    name = "doctrine"
    label = "Doctrine Migrations"
    language = "PHP"
    table_names = ("doctrine_migration_versions",)
    default_schema = None
    signature = {
        "version": TEXT_TYPES,
        "executed_at": TIMESTAMP_TYPES,
        "execution_time": INTEGER_TYPES,
    }
    exact_columns = True
    extensions = (".php",)
    project_folder = "migrations"
    native_command = "vendor/bin/doctrine-migrations migrate"
    identifier_column = "version"
    applied_at_column = "executed_at"

    def identifier_of(self, path: Path) -> str | None:
        # The stored version is the class's fully qualified name (Version20240101120000).
        return php_class_name(path, path.stem) if path.stem.startswith("Version") else None

    def sort_key(self, path: Path) -> tuple:
        return (path.stem,)

    def insert_row(self, table: TableRef, migration: Migration) -> sql.Composable:
        # What `doctrine:migrations:version --add` writes: no execution time.
        return sql.SQL(
            "INSERT INTO {table} (version, executed_at, execution_time)"
            " VALUES ({version}, LOCALTIMESTAMP(0), NULL)"
        ).format(table=table.identifier, version=sql.Literal(migration.identifier))

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        return [
            sql.SQL(
                "CREATE TABLE {table} (version VARCHAR(191) NOT NULL,"
                " executed_at TIMESTAMP(0) WITHOUT TIME ZONE DEFAULT NULL,"
                " execution_time INT DEFAULT NULL, PRIMARY KEY(version))"
            ).format(table=table.identifier)
        ]


@registry.register
class EntityFrameworkAdapter(ClassFileAdapter):
    """``"__EFMigrationsHistory"("MigrationId" varchar(150) PK, "ProductVersion" varchar(32))``."""

    name = "efcore"
    label = "Entity Framework Core"
    language = "C#"
    table_names = ("__EFMigrationsHistory",)
    default_schema = None
    signature = {"MigrationId": TEXT_TYPES, "ProductVersion": TEXT_TYPES}
    exact_columns = True
    extensions = (".cs",)
    project_folder = "Migrations"
    native_command = "dotnet ef database update"
    identifier_column = "MigrationId"

    def identifier_of(self, path: Path) -> str | None:
        # <14-digit timestamp>_<Name>.cs; its .Designer.cs and the model snapshot are not
        # migrations of their own.
        digits = leading_digits(path.stem)
        if digits is None or len(digits) != 14 or "." in path.stem:
            return None
        return path.stem

    def insert_row(self, table: TableRef, migration: Migration) -> sql.Composable:
        return sql.SQL(
            'INSERT INTO {table} ("MigrationId", "ProductVersion") VALUES ({id}, {version})'
        ).format(
            table=table.identifier,
            id=sql.Literal(migration.identifier),
            version=self.product_version(table, migration),
        )

    @staticmethod
    def product_version(table: TableRef, migration: Migration) -> sql.Composable:
        """The EF Core version the migration's designer file was generated with, else the one
        of the newest row (EF Core stores it for information only)."""
        designer = migration.path.with_name(f"{migration.path.stem}.Designer.cs")
        if designer.is_file():
            marker = '"ProductVersion", "'
            text = read_text(designer)
            start = text.find(marker)
            if start != -1:
                start += len(marker)
                return sql.Literal(text[start : text.find('"', start)][:32])
        return sql.SQL(
            """COALESCE((SELECT "ProductVersion" FROM {table} ORDER BY "MigrationId" DESC"""
            " LIMIT 1), '')"
        ).format(table=table.identifier)

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        return [
            sql.SQL(
                'CREATE TABLE {table} ("MigrationId" character varying(150) NOT NULL,'
                ' "ProductVersion" character varying(32) NOT NULL,'
                ' CONSTRAINT {pk} PRIMARY KEY ("MigrationId"))'
            ).format(table=table.identifier, pk=sql.Identifier(f"PK_{table.name}"))
        ]
