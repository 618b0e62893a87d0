"""Frameworks that keep one row per applied migration, keyed by a version read from its name.

dbmate, goose, SQLx, refinery, Diesel, Ecto, SeaORM, Hasura, Supabase... differ in how a file
(or directory) name maps to the stored version and in the columns they fill; discovery, ordering
and the INSERT are shared here. A subclass gives ``parse_name`` and, when it writes more than the
version, ``row``:

    class EctoAdapter(VersionRowAdapter):
        def parse_name(self, name):
            return numbered(name, (".exs",))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from psycopg import sql

from ..sources import MigrationsDirectory, ascii_digits, sha256_of
from ..types import Migration, TableRef
from .base import TrackingAdapter

INSERT_ROW = sql.SQL("INSERT INTO {table} ({columns}) VALUES ({values})")


@dataclass(frozen=True)
class VersionedName:
    """What a framework reads from a migration's name: the stored identifier, the order it
    applies migrations in, and the free-text part (description, name) some frameworks store."""

    identifier: str
    sort_key: tuple
    description: str = ""


def split_number(name: str, separator: str = "_") -> tuple[str, str] | None:
    """``0042_add_users.sql`` -> ("0042", "add_users.sql"); None without digits + separator."""
    digits, found, rest = name.partition(separator)
    if not (found and ascii_digits(digits)):
        return None
    return digits, rest


def numbered(name: str, suffixes: tuple[str, ...]) -> VersionedName | None:
    """``<integer>_<description><suffix>`` with the version stored as an integer (goose, SQLx,
    Ecto, Tern...): identifier ``str(int)``, ordered numerically."""
    parts = split_number(name)
    suffix = next((s for s in suffixes if parts and parts[1].endswith(s)), None)
    if parts is None or suffix is None:
        return None
    number = int(parts[0])
    return VersionedName(str(number), (number,), parts[1].removesuffix(suffix))


def file_migration(
    path: Path, parsed: VersionedName, *, name: str | None = None, down_path: Path | None = None
) -> Migration:
    """The ``Migration`` for ``path``, named after the file unless ``name`` is given."""
    return Migration(
        name=name or path.name,
        identifier=parsed.identifier,
        path=path,
        sha256=sha256_of(path),
        sort_key=parsed.sort_key,
        down_path=down_path,
    )


def insert_row(table: TableRef, values: Mapping[str, sql.Composable]) -> sql.Composed:
    return INSERT_ROW.format(
        table=table.identifier,
        columns=sql.SQL(", ").join(map(sql.Identifier, values)),
        values=sql.SQL(", ").join(values.values()),
    )


class VersionRowAdapter(TrackingAdapter):
    """A row per applied migration; the identifier is the version the name starts with."""

    identifier_column = "version"

    def parse_name(self, name: str) -> VersionedName | None:
        """The version (and description) the framework reads from a file or directory name."""
        raise NotImplementedError

    def parsed(self, migration: Migration) -> VersionedName:
        parsed = self.parse_name(migration.name)
        assert parsed is not None  # discover() only yields names it parsed
        return parsed

    def layout_files(self, directory: MigrationsDirectory) -> list[Path]:
        """The files that may be migrations (``NativeCodeAdapter`` also looks in the
        framework's conventional folder)."""
        return directory.files(self.extensions)

    def discover(self, directory: MigrationsDirectory) -> list[Migration]:
        found = []
        for path in self.layout_files(directory):
            parsed = self.parse_name(path.name)
            if parsed is not None:
                found.append(file_migration(path, parsed))
        return sorted(found, key=lambda m: m.sort_key)

    def row(self, table: TableRef, migration: Migration) -> dict[str, sql.Composable]:
        """The columns the framework fills when it records ``migration`` in ``table``."""
        return {self.identifier_column: sql.Literal(migration.identifier)}

    def record(self, table: TableRef, migrations: Sequence[Migration]) -> list[sql.Composable]:
        return [insert_row(table, self.row(table, migration)) for migration in migrations]


class DirectoryLayoutAdapter(VersionRowAdapter):
    """Migrations as directories ``<version>_<name>/`` holding the up script (Diesel, Hasura).

    The migration's name is the directory's; its path is the first of ``up_files`` present.
    """

    up_files: tuple[str, ...] = ("up.sql",)
    down_file = "down.sql"

    def discover(self, directory: MigrationsDirectory) -> list[Migration]:
        found = []
        for folder in directory.folders():
            parsed = self.parse_name(folder.name)
            up = self._inside(directory, folder, *self.up_files)
            if parsed is not None and up is not None:
                down = self._inside(directory, folder, self.down_file)
                found.append(file_migration(up, parsed, name=folder.name, down_path=down))
        return sorted(found, key=lambda m: m.sort_key)

    @staticmethod
    def _inside(directory: MigrationsDirectory, folder: Path, *names: str) -> Path | None:
        """The first of ``names`` that is a regular file inside ``folder`` (no symlink out)."""
        for name in names:
            path = folder / name
            if path.is_file() and directory.contains(path):
                return path
        return None
