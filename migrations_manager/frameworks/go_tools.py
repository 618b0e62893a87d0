"""Go migration tools whose SQL files carry marker comments: Tern, goose, dbmate, sql-migrate.

- Tern (frameworks.md §3): ``public.schema_version(version int4)``, ONE row holding the number
  of the last applied ``NNN_name.sql``; up and down SQL are divided by the line
  ``---- create above / drop below ----``; ``---- tern: disable-tx ----`` runs without a
  transaction; files are Go templates (``{{ ... }}``), which only Tern can render.
- goose (§18): ``goose_db_version``, a row per apply plus the version-0 row written with the
  table; ``-- +goose Up`` / ``-- +goose Down``; ``-- +goose NO TRANSACTION``.
- dbmate (§17): ``schema_migrations(version varchar)``, a row per version; ``-- migrate:up`` /
  ``-- migrate:down`` blocks, ``transaction:false`` as an up-block option. Its table looks like
  Rails' (≥ 5): Rails keeps ``ar_internal_metadata`` beside it, dbmate does not.
- sql-migrate: ``gorp_migrations(id text PK, applied_at timestamptz)``, a row per file, ``id``
  = the file name with its ``.sql``; files ordered by the number their name starts with, then
  by name (names without one last); ``-- +migrate Up`` / ``-- +migrate Down`` lines (at the
  start of the line, as written), ``notransaction`` as a marker option. No checksum, no lock,
  no order rule: a file older than the last applied one is applied on the next ``up``
  ("catch-up"). Source: rubenv/sql-migrate ``migrate.go``, ``sqlparse/sqlparse.go``.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from psycopg import sql

from ..analysis.statements import parse_statements
from ..exceptions import UnsupportedMigration
from ..sources import MigrationsDirectory, read_text
from ..types import AppliedRecord, Migration, Section, TableRef
from .base import INTEGER_TYPES, TEXT_TYPES, TIMESTAMP_TYPES, TrackingAdapter
from .registry import registry
from .sections import Marker, dashes_stripped, first, markers, section_from
from .single_version import CurrentVersion, SingleVersionAdapter
from .version_rows import VersionedName, VersionRowAdapter, file_migration, numbered

UP_DOWN = ("up", "down")


def _refuse(migration: Migration, problem: str) -> UnsupportedMigration:
    return UnsupportedMigration(f"{migration.name}: {problem}", names=[migration.name])


# ---- Tern ------------------------------------------------------------------------------------

TERN_SELECT = sql.SQL("SELECT version FROM {table} LIMIT 1")
TERN_UPDATE = sql.SQL("UPDATE {table} SET version = {version}")
TERN_CREATE = (
    sql.SQL("CREATE TABLE IF NOT EXISTS {table} (version int4 NOT NULL PRIMARY KEY)"),
    sql.SQL("INSERT INTO {table} (version) SELECT 0 WHERE 0 = (SELECT count(*) FROM {table})"),
)
TERN_MARKERS = {"create above / drop below": "down", "tern: disable-tx": "no-transaction"}


def _tern_markers(text: str) -> list[Marker]:
    return markers(text, lambda comment: TERN_MARKERS.get(dashes_stripped(comment)))


@registry.register
class TernAdapter(SingleVersionAdapter):
    name = "tern"
    label = "Tern"
    table_names = ("schema_version",)
    default_schema = "public"
    signature = {"version": INTEGER_TYPES}
    exact_columns = True
    native_command = "tern migrate"

    def discover(self, directory: MigrationsDirectory) -> list[Migration]:
        found = [
            file_migration(path, parsed)
            for path in directory.files((".sql",))
            if (parsed := numbered(path.name, (".sql",))) and parsed.description
        ]
        return sorted(found, key=lambda m: m.sort_key)

    def current_version(self, conn: psycopg.Connection, table: TableRef) -> CurrentVersion | None:
        row = conn.execute(TERN_SELECT.format(table=table.identifier)).fetchone()
        # Tern creates the table with version 0: nothing applied.
        return CurrentVersion(str(row[0])) if row and row[0] else None

    def up_section(self, migration: Migration) -> Section:
        text = self._text(migration)
        divider = first(_tern_markers(text), "down")
        return Section(text if divider is None else text[: divider.offset], 1)

    def down_section(self, migration: Migration) -> Section | None:
        text = self._text(migration)
        return section_from(text, _tern_markers(text), "down", boundaries=())

    def runs_outside_transaction(self, migration: Migration) -> bool:
        text = read_text(migration.path)
        return super().runs_outside_transaction(migration) or bool(
            first(_tern_markers(text), "no-transaction")
        )

    def _text(self, migration: Migration) -> str:
        text = read_text(migration.path)
        if "{{" in text:
            raise _refuse(
                migration,
                "it uses Tern's Go template syntax ({{ ... }}), which only Tern renders. "
                f"Run it with {self.native_command}.",
            )
        return text

    def record(self, table: TableRef, migrations: Sequence[Migration]) -> list[sql.Composable]:
        top = max(int(m.identifier) for m in migrations)
        return [TERN_UPDATE.format(table=table.identifier, version=sql.Literal(top))]

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        return [statement.format(table=table.identifier) for statement in TERN_CREATE]


# ---- goose -----------------------------------------------------------------------------------

GOOSE_SELECT = sql.SQL("SELECT version_id, is_applied, tstamp FROM {table} ORDER BY id")
GOOSE_CREATE = (
    sql.SQL(
        "CREATE TABLE {table} (id integer PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY,"
        " version_id bigint NOT NULL, is_applied boolean NOT NULL,"
        " tstamp timestamp NOT NULL DEFAULT now())"
    ),
    # goose writes this row with the table, and its Provider refuses a table without it.
    sql.SQL("INSERT INTO {table} (version_id, is_applied) VALUES (0, true)"),
)
GOOSE_MARKERS = {
    "+goose Up": "up",
    "+goose Down": "down",
    "+goose NO TRANSACTION": "no-transaction",
    "+goose ENVSUBST ON": "envsubst",
}


def _goose_markers(text: str) -> list[Marker]:
    return markers(text, GOOSE_MARKERS.get)


@registry.register
class GooseAdapter(VersionRowAdapter):
    name = "goose"
    label = "goose"
    table_names = ("goose_db_version",)
    default_schema = None
    signature = {
        "id": INTEGER_TYPES,
        "version_id": INTEGER_TYPES,
        "is_applied": frozenset({"boolean"}),
        "tstamp": TIMESTAMP_TYPES,
    }
    exact_columns = True
    extensions = (".sql", ".go")
    native_command = "goose up"
    in_order_only = True  # goose refuses a missing (older) migration without -allow-missing
    identifier_column = "version_id"

    def parse_name(self, name: str) -> VersionedName | None:
        if name.endswith("_test.go"):
            return None
        parsed = numbered(name, self.extensions)
        return parsed if parsed and parsed.sort_key[0] >= 1 else None

    def read_records(
        self, conn: psycopg.Connection, table: TableRef, migrations: Sequence[Migration]
    ) -> list[AppliedRecord]:
        """Per version, its newest row decides (old goose wrote ``is_applied = false`` on down)."""
        newest: dict[int, tuple[bool, object]] = {}
        for version, is_applied, tstamp in conn.execute(
            GOOSE_SELECT.format(table=table.identifier)
        ):
            newest.pop(version, None)  # re-inserted in the order of its newest row
            newest[version] = (is_applied, tstamp)
        return [
            AppliedRecord(str(version), applied_at=tstamp)
            for version, (is_applied, tstamp) in newest.items()
            if version != 0 and is_applied
        ]

    def row(self, table: TableRef, migration: Migration) -> dict[str, sql.Composable]:
        version = int(migration.identifier)
        return {"version_id": sql.Literal(version), "is_applied": sql.Literal(True)}

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        return [statement.format(table=table.identifier) for statement in GOOSE_CREATE]

    def up_section(self, migration: Migration) -> Section:
        return self._section(migration, "up")

    def down_section(self, migration: Migration) -> Section | None:
        return self._section(migration, "down")

    def _section(self, migration: Migration, kind: str) -> Section | None:
        self.ensure_executable(migration)
        text = read_text(migration.path)
        found = _goose_markers(text)
        if first(found, "up") is None:
            raise _refuse(migration, "goose requires a '-- +goose Up' annotation.")
        if first(found, "envsubst"):
            raise _refuse(
                migration,
                "it substitutes environment variables (-- +goose ENVSUBST ON), which only "
                f"goose does. Run it with {self.native_command}.",
            )
        return section_from(text, found, kind, boundaries=UP_DOWN)

    def runs_outside_transaction(self, migration: Migration) -> bool:
        if migration.extension != ".sql":
            return False
        text = read_text(migration.path)
        return super().runs_outside_transaction(migration) or bool(
            first(_goose_markers(text), "no-transaction")
        )


# ---- dbmate ----------------------------------------------------------------------------------

DBMATE_CREATE = sql.SQL("CREATE TABLE IF NOT EXISTS {table} (version varchar PRIMARY KEY)")


def _dbmate_marker(comment: str) -> str | None:
    words = comment.split()
    return {"migrate:up": "up", "migrate:down": "down"}.get(words[0]) if words else None


@registry.register
class DbmateAdapter(VersionRowAdapter):
    name = "dbmate"
    label = "dbmate"
    table_names = ("schema_migrations",)
    default_schema = None
    signature = {"version": TEXT_TYPES}
    exact_columns = True
    forbidden_siblings = frozenset({"ar_internal_metadata"})  # that is Rails
    native_command = "dbmate up"
    order_by = ("version",)

    def parse_name(self, name: str) -> VersionedName | None:
        """``^(\\d+).*\\.sql$``: the version is the leading digits, kept as written."""
        digits = name[: len(name) - len(name.lstrip("0123456789"))]
        if not digits or not name.endswith(".sql"):
            return None
        return VersionedName(digits, (name,))

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        return [DBMATE_CREATE.format(table=table.identifier)]

    def up_section(self, migration: Migration) -> Section:
        return self._blocks(migration)[0]

    def down_section(self, migration: Migration) -> Section | None:
        return self._blocks(migration)[1]

    def runs_outside_transaction(self, migration: Migration) -> bool:
        up = first(markers(read_text(migration.path), _dbmate_marker), "up")
        options = up.words[1:] if up else ()
        return super().runs_outside_transaction(migration) or "transaction:false" in options

    def _blocks(self, migration: Migration) -> tuple[Section, Section]:
        """The up and down blocks; refused where dbmate refuses the file (its migration.go)."""
        text = read_text(migration.path)
        found = markers(text, _dbmate_marker)
        up, down = first(found, "up"), first(found, "down")
        if up is None or down is None:
            missing = "-- migrate:up" if up is None else "-- migrate:down"
            raise _refuse(migration, f"dbmate requires a '{missing}' block in every migration.")
        if up.offset > down.offset:
            raise _refuse(migration, "dbmate requires '-- migrate:up' before '-- migrate:down'.")
        if parse_statements(text[: up.offset], name=migration.name):
            raise _refuse(migration, "dbmate refuses statements before '-- migrate:up'.")
        return (
            Section(text[up.offset : down.offset], up.line),
            Section(text[down.offset :], down.line),
        )


# ---- sql-migrate -----------------------------------------------------------------------------

SQL_MIGRATE_PREFIX = "-- +migrate "
SQL_MIGRATE_CREATE = sql.SQL(
    "CREATE TABLE IF NOT EXISTS {table} (id text NOT NULL PRIMARY KEY,"
    " applied_at timestamp with time zone)"
)
SQL_MIGRATE_INSERT = sql.SQL("INSERT INTO {table} (id, applied_at) VALUES ({name}, now())")
SQL_MIGRATE_DELETE = sql.SQL("DELETE FROM {table} WHERE id = {name}")


def _sql_migrate_marker(comment: str) -> str | None:
    words = comment.split()
    if len(words) < 2 or words[0] != "+migrate":
        return None
    return {"Up": "up", "Down": "down"}.get(words[1])


@registry.register
class SqlMigrateAdapter(TrackingAdapter):
    name = "sql-migrate"
    label = "sql-migrate"
    table_names = ("gorp_migrations",)
    default_schema = None  # MigrationSet.SchemaName, else the search_path
    signature = {"id": TEXT_TYPES, "applied_at": TIMESTAMP_TYPES}
    exact_columns = True
    native_command = "sql-migrate up"
    identifier_column = "id"
    applied_at_column = "applied_at"
    order_by = ("id",)

    def identifier_for(self, file_name: str) -> str:
        return file_name

    def sort_key_for(self, file_name: str) -> tuple:
        """Migration.Less: by the leading number (as an int64) when both names have one, names
        with one first, then by name."""
        digits = file_name[: len(file_name) - len(file_name.lstrip("0123456789"))]
        return (0, int(digits), file_name) if digits else (1, 0, file_name)

    def discover(self, directory: MigrationsDirectory) -> list[Migration]:
        return sorted(super().discover(directory), key=lambda m: m.sort_key)

    def up_section(self, migration: Migration) -> Section:
        section = self._section(migration, "up")
        assert section is not None  # _section refuses a file without an Up marker
        return section

    def down_section(self, migration: Migration) -> Section | None:
        return self._section(migration, "down")

    def runs_outside_transaction(self, migration: Migration) -> bool:
        up = first(self._markers(read_text(migration.path)), "up")
        options = up.words[2:] if up else ()
        return super().runs_outside_transaction(migration) or "notransaction" in options

    def _markers(self, text: str) -> list[Marker]:
        """sql-migrate's commands: lines that start with ``-- +migrate `` exactly."""
        return [
            marker
            for marker in markers(text, _sql_migrate_marker)
            if text.startswith(SQL_MIGRATE_PREFIX, marker.offset)
        ]

    def _section(self, migration: Migration, kind: str) -> Section | None:
        self.ensure_executable(migration)
        text = read_text(migration.path)
        found = self._markers(text)
        if first(found, "up") is None:
            raise _refuse(
                migration,
                "sql-migrate requires a '-- +migrate Up' line: without one it runs nothing.",
            )
        if sum(1 for m in found if m.kind == kind) > 1:
            raise _refuse(
                migration,
                f"it has several '-- +migrate {kind.title()}' lines, whose statements "
                f"sql-migrate joins. Run it with {self.native_command}.",
            )
        return section_from(text, found, kind, boundaries=UP_DOWN)

    def record(self, table: TableRef, migrations: Sequence[Migration]) -> list[sql.Composable]:
        return [
            SQL_MIGRATE_INSERT.format(table=table.identifier, name=sql.Literal(m.identifier))
            for m in migrations
        ]

    def unrecord(self, table: TableRef, migrations: Sequence[Migration]) -> list[sql.Composable]:
        return [
            SQL_MIGRATE_DELETE.format(table=table.identifier, name=sql.Literal(m.identifier))
            for m in migrations
        ]

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        return [SQL_MIGRATE_CREATE.format(table=table.identifier)]
