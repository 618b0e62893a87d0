"""Ledgers a framework's config file names, in the migrations directory's project.

Knex (``migrations.tableName`` / ``schemaName`` in its knexfile), Sequelize
(``migrationStorageTableName`` / ``migrationStorageTableSchema`` in ``config/config.json``) and
TypeORM (``migrationsTableName`` in its data source or ``ormconfig``) let a project rename its
ledger; detection by name then finds nothing, and the directory would be read as the default
framework's. The project is the migrations directory and the folders above it, up to the one
holding ``package.json`` (at most ``LEVELS_UP`` levels).

Config files are never run (they are code, and a status is open to read-only users): JSON is
parsed, JavaScript/TypeScript read for literal settings only (``js_literals``). A config file
found without a table setting still tells whose files the directory holds, with the
framework's default table.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .js_literals import string_settings

LEVELS_UP = 3
MAX_BYTES = 256 * 1024  # a config file is small; a larger one is not read
PROJECT_MARKER = "package.json"
SCRIPT_SUFFIXES = (".js", ".cjs", ".mjs", ".ts", ".cts", ".mts")


@dataclass(frozen=True)
class ConfigKind:
    """One framework's config files: their paths from the project's folder, the keys naming the
    table and its schema, and a key or name the file must hold to be that framework's."""

    framework: str
    paths: tuple[str, ...]
    table_key: str
    schema_key: str | None
    marker: str | None = None  # a name in the file (``DataSource``, ``dialect``)


KINDS = (
    ConfigKind(
        "knex",
        tuple(f"knexfile{s}" for s in (*SCRIPT_SUFFIXES, ".json")),
        "tableName",
        "schemaName",
    ),
    ConfigKind(
        "sequelize",
        ("config/config.json", "config/config.js", "config/database.json", "config.json"),
        "migrationStorageTableName",
        "migrationStorageTableSchema",
        marker="dialect",
    ),
    ConfigKind(
        "typeorm",
        (
            "ormconfig.json",
            *(f"ormconfig{s}" for s in SCRIPT_SUFFIXES),
            *(f"{folder}data-source{s}" for folder in ("", "src/") for s in SCRIPT_SUFFIXES),
        ),
        "migrationsTableName",
        None,
        marker="type",
    ),
)


@dataclass(frozen=True)
class ConfiguredLedger:
    """A tracking table a framework's config names (``table`` None: its default name)."""

    framework: str
    table: str | None
    schema: str | None
    source: Path


def configured_ledgers(directory: Path) -> tuple[ConfiguredLedger, ...]:
    """What the config files of ``directory``'s project name, nearest folder first."""
    found: list[ConfiguredLedger] = []
    for folder in _project_folders(directory):
        for kind in KINDS:
            for relative in kind.paths:
                path = folder / relative
                if path.is_file():
                    found.extend(_read(kind, path))
    return tuple(found)


def _project_folders(directory: Path) -> Iterator[Path]:
    folder = directory
    for _ in range(LEVELS_UP + 1):
        yield folder
        if (folder / PROJECT_MARKER).is_file() or folder.parent == folder:
            return
        folder = folder.parent


def _read(kind: ConfigKind, path: Path) -> list[ConfiguredLedger]:
    try:
        if path.stat().st_size > MAX_BYTES:
            return []
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    keys = [k for k in (kind.table_key, kind.schema_key, kind.marker) if k]
    settings = _json_settings(text, keys) if path.suffix == ".json" else string_settings(text, keys)
    if settings is None or (kind.marker and kind.marker not in settings):
        return []
    schemas = settings.get(kind.schema_key or "", [])
    schema = schemas[0] if len(set(schemas)) == 1 else None
    tables = list(dict.fromkeys(settings.get(kind.table_key, []))) or [None]
    return [ConfiguredLedger(kind.framework, table, schema, path) for table in tables]


def _json_settings(text: str, keys: list[str]) -> dict[str, list[str]] | None:
    """The string values of ``keys`` anywhere in the document; None: not JSON."""
    try:
        document = json.loads(text)
    except ValueError:
        return None
    found: dict[str, list[str]] = {}
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if key in keys and isinstance(item, str):
                    found.setdefault(key, []).append(item)
                pending.append(item)
        elif isinstance(value, list):
            pending.extend(value)
    return found
