"""Atlas (versioned workflow): ``atlas_schema_revisions.atlas_schema_revisions``, a row per file.

Files ``<version>_<description>.sql`` beside ``atlas.sum``; ``version`` is the name up to the
first ``_``. A row is applied when fully executed (``applied = total``), baselined or resolved by
hand (``migrate set``); an error or ``applied < total`` without the resolved flag means the file
failed part-way. ``hash`` is the file's ``atlas.sum`` entry: a running SHA-256 over every file
before it too, so an edited file changes the stored hash of all later ones — only the FIRST
mismatching file is reported modified. The row ``.atlas_cloud_identifier`` names the table, not
a migration. (frameworks.md §4)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import psycopg
from psycopg import sql

from ..analysis.statements import comments
from ..exceptions import UnsupportedMigration
from ..sources import MigrationsDirectory, read_text
from ..types import AppliedRecord, Migration, MigrationStatus, State, TableRef
from .base import INTEGER_TYPES, TEXT_TYPES, TIMESTAMP_TYPES
from .checksums import atlas_sum
from .registry import registry
from .version_rows import VersionedName, VersionRowAdapter

IDENTIFIER_ROW = ".atlas_cloud_identifier"
RESOLVED = 4  # RevisionTypeResolved: marked applied by hand (``atlas migrate set``)
OPERATOR = "Truss migrations manager"  # operator_version says who wrote the row

SELECT_ROWS = sql.SQL(
    "SELECT version, executed_at, hash, type, applied, total, error FROM {table}"
    " WHERE version <> {identifier_row} ORDER BY version"
)
CREATE_TABLE = (
    sql.SQL("CREATE SCHEMA IF NOT EXISTS {schema}"),
    sql.SQL(
        "CREATE TABLE {table} (version character varying NOT NULL,"
        " description character varying NOT NULL, type bigint NOT NULL DEFAULT 2,"
        " applied bigint NOT NULL DEFAULT 0, total bigint NOT NULL DEFAULT 0,"
        " executed_at timestamp with time zone NOT NULL, execution_time bigint NOT NULL,"
        " error text NULL, error_stmt text NULL, hash character varying NOT NULL,"
        " partial_hashes jsonb NULL, operator_version character varying NOT NULL,"
        " PRIMARY KEY (version))"
    ),
)


@lru_cache(maxsize=16)
def _sum_entries(folder: Path, fingerprint: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """``atlas.sum`` entries of ``folder``; ``fingerprint`` (names and SHA-256s) keys the cache."""
    return dict(atlas_sum((name, (folder / name).read_bytes()) for name, _ in fingerprint))


def _failure(kind: int, applied: int, total: int, error: str | None) -> str | None:
    """Why Atlas considers the row unfinished, or None when it is applied."""
    if kind & RESOLVED:
        return None
    if error:
        return f"Atlas recorded an error: {error}"
    if applied < total:
        return f"Atlas applied {applied} of its {total} statements"
    return None


@registry.register
class AtlasAdapter(VersionRowAdapter):
    name = "atlas"
    label = "Atlas"
    table_names = ("atlas_schema_revisions",)
    default_schema = "atlas_schema_revisions"
    signature = {
        "version": TEXT_TYPES,
        "description": TEXT_TYPES,
        "type": INTEGER_TYPES,
        "applied": INTEGER_TYPES,
        "total": INTEGER_TYPES,
        "executed_at": TIMESTAMP_TYPES,
        "execution_time": INTEGER_TYPES,
        "error": TEXT_TYPES,
        "error_stmt": TEXT_TYPES,
        "hash": TEXT_TYPES,
        "partial_hashes": frozenset({"jsonb", "json"}),
        "operator_version": TEXT_TYPES,
    }
    native_command = "atlas migrate apply"
    repair_command = "atlas migrate set VERSION"
    _sums: dict[str, str] = {}  # replaced per instance by discover(), never mutated
    in_order_only = True  # the default linear execution order refuses files added out of order

    def parse_name(self, name: str) -> VersionedName | None:
        if not name.endswith(".sql"):
            return None
        version, _, description = name.removesuffix(".sql").partition("_")
        return VersionedName(version, (name,), description)

    def discover(self, directory: MigrationsDirectory) -> list[Migration]:
        """The ``.sql`` files by name; their ``atlas.sum`` entries are computed once, here."""
        migrations = super().discover(directory)
        fingerprint = tuple((m.name, m.sha256) for m in migrations)
        self._sums = _sum_entries(directory.root, fingerprint)
        return migrations

    def checksum(self, migration: Migration) -> str | None:
        if migration.name not in self._sums:
            self.discover(MigrationsDirectory(migration.path.parent))
        return self._sums.get(migration.name)

    def runs_outside_transaction(self, migration: Migration) -> bool:
        """``-- atlas:txmode none`` asks Atlas to run the file without a transaction."""
        directives = (c.text.split() for c in comments(read_text(migration.path)))
        return super().runs_outside_transaction(migration) or any(
            words[:2] == ["atlas:txmode", "none"] for words in directives
        )

    def read_records(
        self, conn: psycopg.Connection, table: TableRef, migrations: Sequence[Migration]
    ) -> list[AppliedRecord]:
        query = SELECT_ROWS.format(
            table=table.identifier, identifier_row=sql.Literal(IDENTIFIER_ROW)
        )
        records = []
        for version, executed_at, stored, kind, applied, total, error in conn.execute(query):
            failure = _failure(kind, applied, total, error)
            records.append(
                AppliedRecord(version, executed_at, stored, failed=bool(failure), detail=failure)
            )
        return records

    def statuses(
        self, migrations: Sequence[Migration], records: Sequence[AppliedRecord]
    ) -> list[MigrationStatus]:
        """Only the first file whose hash differs is modified: the later differences follow
        from it (the hashes are cumulative)."""
        result, seen_modified = [], False
        for status in super().statuses(migrations, records):
            if status.state is State.MODIFIED and seen_modified:
                status = replace(
                    status,
                    state=State.APPLIED,
                    detail="its atlas.sum hash moved with an earlier modified file",
                )
            seen_modified = seen_modified or status.state is State.MODIFIED
            result.append(status)
        return result

    def row(self, table: TableRef, migration: Migration) -> dict[str, sql.Composable]:
        """What ``atlas migrate set`` writes for a file it marks applied."""
        file_hash = self.checksum(migration)
        if file_hash is None:
            raise UnsupportedMigration(
                f"{migration.name} carries 'atlas:sum ignore': Atlas keeps no hash for it, so "
                "it cannot be recorded as one of its migrations.",
                names=[migration.name],
            )
        return {
            "version": sql.Literal(migration.identifier),
            "description": sql.Literal(self.parsed(migration).description),
            "type": sql.Literal(RESOLVED),
            "applied": sql.Literal(0),
            "total": sql.Literal(0),
            "executed_at": sql.SQL("now()"),
            "execution_time": sql.Literal(0),
            "hash": sql.Literal(file_hash),
            "operator_version": sql.Literal(OPERATOR),
        }

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        return [
            statement.format(schema=sql.Identifier(table.schema), table=table.identifier)
            for statement in CREATE_TABLE
        ]
