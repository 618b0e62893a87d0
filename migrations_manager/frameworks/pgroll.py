"""pgroll: ``pgroll.migrations``, a row per migration per target schema, the file stored as JSON.

Migrations are JSON or YAML files of operations (``<name>.json``), never executed here: pgroll
runs them in expand/contract phases with versioned view schemas. A row with ``done = false`` is
a migration pgroll started and did not complete; ``inferred`` rows are DDL pgroll captured from
outside, not files. There is no checksum: the stored ``migration`` document is compared with the
file, both read the way Go decodes them (absent and zero-valued fields are the same). The target
schema is pgroll's default, ``public``. (frameworks.md §35)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql

from ..exceptions import UnreadableMigration
from ..sources import read_text
from ..types import AppliedRecord, Migration, TableRef
from .base import TEXT_TYPES
from .native_code import NativeCodeAdapter
from .registry import registry
from .version_rows import VersionedName, VersionRowAdapter

TARGET_SCHEMA = "public"
SELECT_ROWS = sql.SQL(
    "SELECT name, updated_at, migration, done FROM {table} AS m WHERE schema = {target}"
    # migration_type arrived in later pgroll versions: read it without naming the column.
    " AND (to_jsonb(m) ->> 'migration_type') IS DISTINCT FROM 'inferred'"
    " ORDER BY created_at, name"
)
# What pgroll's start + complete leave: parent = the latest migration, the resulting schema read
# by pgroll's own function (the next ``pgroll start`` builds on it).
STATE_FUNCTION = "{state}.{function}({target})"
SUFFIXES = (".json", ".yaml", ".yml")
ZERO_VALUES = (None, False, 0, "", [], {})


def _without_zero_values(value: Any) -> Any:
    """The document as Go's decoder sees it: null, false, 0, "", [] and {} fields are absent."""
    if isinstance(value, dict):
        cleaned = {key: _without_zero_values(item) for key, item in value.items()}
        return {key: item for key, item in cleaned.items() if item not in ZERO_VALUES}
    if isinstance(value, list):
        return [_without_zero_values(item) for item in value]
    return value


def canonical(document: Any) -> str:
    """Compact JSON with sorted keys, zero values and the top-level ``name`` dropped."""
    if isinstance(document, dict):
        document = {key: item for key, item in document.items() if key != "name"}
    return json.dumps(_without_zero_values(document), sort_keys=True, separators=(",", ":"))


@registry.register
class PgrollAdapter(NativeCodeAdapter, VersionRowAdapter):
    name = "pgroll"
    label = "pgroll"
    table_names = ("migrations",)
    default_schema = "pgroll"
    signature = {
        "schema": frozenset({"name"}),
        "name": TEXT_TYPES,
        "migration": frozenset({"jsonb"}),
        "parent": TEXT_TYPES,
        "done": frozenset({"boolean"}),
        "resulting_schema": frozenset({"jsonb"}),
    }
    extensions = SUFFIXES
    native_command = "pgroll migrate"
    repair_command = "pgroll complete (or pgroll rollback)"
    language = "pgroll (JSON operations)"
    in_order_only = True  # the history is a linear chain of parents

    def parse_name(self, name: str) -> VersionedName | None:
        suffix = next((s for s in SUFFIXES if name.endswith(s)), None)
        stem = name.removesuffix(suffix) if suffix else ""
        return VersionedName(stem, (stem,)) if stem else None

    def document(self, migration: Migration) -> Any:
        import yaml  # here, not at import: every process registers this adapter, few read YAML

        text = read_text(migration.path)
        try:
            return json.loads(text) if migration.extension == ".json" else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError) as error:
            raise UnreadableMigration(
                f"{migration.name} is not a readable pgroll migration: {error}"
            ) from None

    def checksum(self, migration: Migration) -> str | None:
        """The file as pgroll would store it; an unreadable file differs from any stored one."""
        try:
            return canonical(self.document(migration))
        except UnreadableMigration:
            return f"unreadable file {migration.sha256}"

    def read_records(
        self, conn: psycopg.Connection, table: TableRef, migrations: Sequence[Migration]
    ) -> list[AppliedRecord]:
        query = SELECT_ROWS.format(table=table.identifier, target=sql.Literal(TARGET_SCHEMA))
        return [
            AppliedRecord(
                name,
                applied_at=updated_at,
                stored_hash=canonical(document),
                failed=not done,
                detail=None if done else "pgroll started it and has not completed it",
            )
            for name, updated_at, document, done in conn.execute(query)
        ]

    def row(self, table: TableRef, migration: Migration) -> dict[str, sql.Composable]:
        def state_function(function: str) -> sql.Composable:
            return sql.SQL(STATE_FUNCTION).format(
                state=sql.Identifier(table.schema),
                function=sql.Identifier(function),
                target=sql.Literal(TARGET_SCHEMA),
            )

        return {
            "schema": sql.Literal(TARGET_SCHEMA),
            "name": sql.Literal(migration.identifier),
            "migration": sql.SQL("{}::jsonb").format(
                sql.Literal(json.dumps(self.document(migration)))
            ),
            "parent": state_function("latest_migration"),
            "done": sql.Literal(True),
            "resulting_schema": state_function("read_schema"),
        }
