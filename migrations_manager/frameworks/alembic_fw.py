"""Alembic: ``alembic_version(version_num varchar(32) PK)`` holds one row per current HEAD.

The migrations directory is Alembic's script location (revisions are its ``versions/*.py``
files) or that ``versions/`` folder itself (a folder without a ``versions`` subfolder: its own
``*.py`` files). They are read with ``ast`` (``revision``, ``down_revision`` — a tuple for a
merge — and ``depends_on``), never imported. Applied = the stored heads and all their
ancestors. Recording a revision replaces the heads that are its ancestors (through
``down_revision`` and ``depends_on``) by it, as ``alembic stamp`` does; its ancestors must
already be applied, otherwise it is refused.
(frameworks.md §2.9)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import psycopg
from psycopg import sql

from ..sources import MigrationsDirectory, sha256_of
from ..types import AppliedRecord, Migration, TableRef
from .base import TEXT_TYPES
from .graph import DependencyGraphAdapter, ancestors, topological
from .native_code import NativeCodeAdapter
from .python_files import literal_assignments, parse_module, strings
from .registry import registry

VERSIONS_FOLDER = "versions"
SELECT_HEADS = sql.SQL("SELECT version_num FROM {table} ORDER BY version_num")
DELETE_HEADS = sql.SQL("DELETE FROM {table} WHERE version_num IN ({parents})")
INSERT_HEAD = sql.SQL("INSERT INTO {table} (version_num) VALUES ({revision})")
CREATE_TABLE = sql.SQL(
    "CREATE TABLE {table} (version_num VARCHAR(32) NOT NULL, CONSTRAINT {pk} PRIMARY KEY"
    " (version_num))"
)


def revision_fields(path: Path, sha256: str) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
    """(revision, down revisions, depends_on) of a revision script; None if it declares none."""
    module = parse_module(path, sha256)
    if module is None:
        return None
    fields = literal_assignments(module.body, ["revision", "down_revision", "depends_on"])
    revision = fields.get("revision")
    if not isinstance(revision, str) or not revision:
        return None
    return revision, strings(fields.get("down_revision")), strings(fields.get("depends_on"))


@registry.register
class AlembicAdapter(DependencyGraphAdapter, NativeCodeAdapter):
    name = "alembic"
    label = "Alembic"
    language = "Python"
    table_names = ("alembic_version",)
    default_schema = None
    signature = {"version_num": TEXT_TYPES}
    exact_columns = True
    extensions = (".py",)
    native_command = "alembic upgrade head"

    def discover(self, directory: MigrationsDirectory) -> list[Migration]:
        found = []
        under = VERSIONS_FOLDER if directory.child(VERSIONS_FOLDER).is_dir() else ""
        for path in directory.files((".py",), under=under):
            digest = sha256_of(path)
            fields = revision_fields(path, digest)
            if fields is not None:
                revision, down, depends = fields
                found.append(
                    Migration(
                        name=path.name,
                        identifier=revision,
                        path=path,
                        sha256=digest,
                        sort_key=(path.name,),
                        requires=down + depends,
                    )
                )
        ordered = topological(sorted(found, key=lambda m: m.sort_key))
        # Positions in the graph order, so that "before" means "closer to the base".
        return [
            Migration(m.name, m.identifier, m.path, m.sha256, (position,), requires=m.requires)
            for position, m in enumerate(ordered)
        ]

    def read_records(
        self, conn: psycopg.Connection, table: TableRef, migrations: Sequence[Migration]
    ) -> list[AppliedRecord]:
        heads = [row[0] for row in conn.execute(SELECT_HEADS.format(table=table.identifier))]
        requires = {m.identifier: m.requires for m in migrations}
        applied = set(heads) | ancestors(heads, requires)
        records = [AppliedRecord(m.identifier) for m in migrations if m.identifier in applied]
        known = {m.identifier for m in migrations}
        unknown_heads = [
            AppliedRecord(head, detail="a head of alembic_version with no revision file")
            for head in heads
            if head not in known
        ]
        return records + unknown_heads

    def record(self, table: TableRef, migrations: Sequence[Migration]) -> list[sql.Composable]:
        if not migrations:
            return []
        requires = self._graph_of(migrations[0])
        statements: list[sql.Composable] = []
        for migration in sorted(migrations, key=lambda m: m.sort_key):
            # `alembic stamp` replaces every head in the revision's lineage, the heads it
            # depends on (depends_on) as well as its parents: never a head and its ancestor.
            lineage = sorted(ancestors([migration.identifier], requires))
            if lineage:
                statements.append(
                    DELETE_HEADS.format(
                        table=table.identifier,
                        parents=sql.SQL(", ").join(map(sql.Literal, lineage)),
                    )
                )
            revision = sql.Literal(migration.identifier)
            statements.append(INSERT_HEAD.format(table=table.identifier, revision=revision))
        return statements

    def _graph_of(self, migration: Migration) -> dict[str, tuple[str, ...]]:
        """Every revision's parents and dependencies, from the folder holding ``migration``
        (``versions/``: read as a migrations directory, it is its own revisions)."""
        versions = MigrationsDirectory(migration.path.parent)
        return {m.identifier: m.requires for m in self.discover(versions)}

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        return [CREATE_TABLE.format(table=table.identifier, pk=sql.Identifier(f"{table.name}_pkc"))]
