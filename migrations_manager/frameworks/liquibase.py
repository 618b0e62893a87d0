"""Liquibase: ``databasechangelog`` (+ ``databasechangeloglock``), a row per changeset.

Formatted SQL changelogs: a ``.sql`` file whose first line is ``--liquibase formatted sql``
holds changesets, each opened by ``--changeset author:id [attribute:value ...]``. A changeset
is named ``<file>::<id>::<author>`` (Liquibase's own notation) and identified by (filename, id,
author), ``filename`` being the changelog's path as Liquibase was given it (the file name
relative to the migrations directory, or ``logicalFilePath``); rows are matched on its base
name. Applied: ``EXECUTED``, ``RERAN``, ``MARK_RAN``; ``FAILED`` is a failure. ``md5sum`` is
compared when it is a version-9 value; we WRITE it NULL, which Liquibase accepts and fills in
on its next run, because which lines form the checksummed body is not certain for every
directive. (frameworks.md §2.16)
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import psycopg
from psycopg import sql

from ..exceptions import UnsupportedMigration
from ..sources import MigrationsDirectory, read_text, sha256_of
from ..types import AppliedRecord, Migration, Section, TableRef
from .base import (
    INTEGER_TYPES,
    NULL_IDENTIFIER,
    TEXT_TYPES,
    TIMESTAMP_TYPES,
    FrameworkLock,
    TrackingAdapter,
    stored_text,
)
from .checksums import liquibase_formatted_sql_body, liquibase_v9
from .native_code import plain_name
from .registry import registry

RAN = ("EXECUTED", "RERAN", "MARK_RAN")
SELECT_ROWS = sql.SQL(
    "SELECT id, author, filename, dateexecuted, md5sum, exectype FROM {table}"
    " ORDER BY orderexecuted, dateexecuted"
)
# What `changelog-sync` / an update writes; one deployment id for the batch (the transaction's
# now() in ms, 10 digits as Liquibase makes it), orderexecuted = max + 1 per row.
INSERT_ROW = sql.SQL(
    "INSERT INTO {table} (id, author, filename, dateexecuted, orderexecuted, exectype, md5sum,"
    " description, comments, tag, liquibase, contexts, labels, deployment_id)"
    " VALUES ({id}, {author}, {filename}, LOCALTIMESTAMP,"
    " (SELECT COALESCE(MAX(orderexecuted), 0) + 1 FROM {table}), 'EXECUTED', NULL, 'sql',"
    " {comments}, NULL, NULL, {contexts}, {labels},"
    " right((floor(extract(epoch FROM now()) * 1000))::bigint::text, 10))"
)

LOCK_TABLE = "databasechangeloglock"
# Liquibase's own lock (StandardLockService): the row id 1 of databasechangeloglock, taken by
# setting locked when it is not, released by clearing it; Liquibase waits while it is taken.
TAKE_LOCK = sql.SQL(
    "UPDATE {lock} SET locked = TRUE, lockgranted = NOW(), lockedby = {who}"
    " WHERE id = 1 AND locked = FALSE RETURNING id"
)
RELEASE_LOCK = sql.SQL(
    "UPDATE {lock} SET locked = FALSE, lockgranted = NULL, lockedby = NULL"
    " WHERE id = 1 AND lockedby = {who}"
)
LOCK_HOLDER = sql.SQL(
    "SELECT coalesce(lockedby, 'someone') || coalesce(' since ' || lockgranted::text, '')"
    " FROM {lock} WHERE id = 1 AND locked"
)


@dataclass(frozen=True)
class ChangeSet:
    """One ``--changeset`` of a formatted SQL changelog and the lines that follow it."""

    author: str
    id: str
    filename: str
    first_line: int  # file line of the first body line
    lines: tuple[str, ...]
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return plain_name(f"{self.filename}::{self.id}::{self.author}")

    @property
    def comments(self) -> str | None:
        for line in self.lines:
            words = _directive(line)
            if words and words.lower().startswith(("comment:", "comment ")):
                return words[len("comment") :].lstrip(": ").strip()[:255] or None
        return None


def _directive(line: str) -> str | None:
    """The text after ``--`` of a line comment, stripped; None for other lines."""
    stripped = line.strip()
    return stripped[2:].strip() if stripped.startswith("--") else None


def _changeset_header(line: str) -> tuple[str, str, dict[str, str]] | None:
    """(author, id, attributes) of a ``--changeset author:id key:value...`` line."""
    words = _directive(line)
    if not words or words[:9].lower() != "changeset" or not words[9:10].isspace():
        return None
    rest = words[9:].strip()
    if rest.startswith('"'):
        author, _, rest = rest[1:].partition('"')
        rest = rest.removeprefix(":")
    else:
        author, colon, rest = rest.partition(":")
        if not colon:
            return None
    rest = rest.strip()
    if rest.startswith('"'):
        changeset_id, _, rest = rest[1:].partition('"')
    else:
        changeset_id, _, rest = rest.partition(" ")
    attributes = dict(token.partition(":")[::2] for token in rest.split() if ":" in token)
    return author.strip(), changeset_id, {k.lower(): v for k, v in attributes.items()}


def parse_changelog(path: Path, filename: str) -> list[ChangeSet]:
    """The changesets of a formatted SQL changelog; [] for any other file."""
    lines = read_text(path).splitlines()
    first = next((line for line in lines if line.strip()), "")
    header = (_directive(first) or "").lower().replace(" ", "")
    if not header.startswith("liquibaseformatted"):
        return []
    logical = dict(t.partition(":")[::2] for t in first.split() if ":" in t).get("logicalFilePath")
    starts = [(n, _changeset_header(line)) for n, line in enumerate(lines)]
    starts = [(n, parsed) for n, parsed in starts if parsed]
    found = []
    for index, (number, (author, changeset_id, attributes)) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else len(lines)
        found.append(
            ChangeSet(
                author=author,
                id=changeset_id,
                filename=attributes.get("logicalfilepath", logical or filename),
                first_line=number + 2,
                lines=tuple(lines[number + 1 : end]),
                attributes=attributes,
            )
        )
    return found


def applies_to_postgresql(changeset: ChangeSet) -> bool:
    """Whether the changeset's ``dbms:`` list lets it run on PostgreSQL."""
    dbms = [d.strip().lower() for d in changeset.attributes.get("dbms", "").split(",") if d]
    if not dbms or "all" in dbms:
        return "!postgresql" not in dbms
    return "postgresql" in dbms


def stored_filename_key(filename: str) -> str:
    """Rows match files by base name: ``classpath:db/changelog/001.sql`` -> ``001.sql``."""
    return PurePosixPath(filename.removeprefix("classpath:").replace("\\", "/")).name


@registry.register
class LiquibaseAdapter(TrackingAdapter):
    name = "liquibase"
    label = "Liquibase"
    table_names = ("databasechangelog",)
    default_schema = None
    signature = {
        "id": TEXT_TYPES,
        "author": TEXT_TYPES,
        "filename": TEXT_TYPES,
        "dateexecuted": TIMESTAMP_TYPES,
        "orderexecuted": INTEGER_TYPES,
        "exectype": TEXT_TYPES,
        "md5sum": TEXT_TYPES,
    }
    required_siblings = frozenset({"databasechangeloglock"})
    native_command = "liquibase update"
    repair_command = "liquibase clear-checksums / changelog-sync after a manual fix"

    def own_lock(self, table: TableRef, database: str) -> FrameworkLock:
        who = sql.Literal(f"{socket.gethostname()}#truss-migrations (pid {os.getpid()})")
        return FrameworkLock.row(
            self.label,
            TableRef(table.schema, LOCK_TABLE),
            take=TAKE_LOCK,
            release=RELEASE_LOCK,
            holder=LOCK_HOLDER,
            release_command="liquibase release-locks",
            who=who,
        )

    def discover(self, directory: MigrationsDirectory) -> list[Migration]:
        found = []
        for path in directory.files((".sql",)):
            digest = sha256_of(path)
            for position, changeset in enumerate(parse_changelog(path, path.name)):
                if applies_to_postgresql(changeset):
                    found.append(self._migration(path, digest, position, changeset))
        return found

    @staticmethod
    def _migration(path: Path, digest: str, position: int, changeset: ChangeSet) -> Migration:
        return Migration(
            name=changeset.name,
            identifier=f"{stored_filename_key(changeset.filename)}::{changeset.id}::"
            f"{changeset.author}",
            path=path,
            sha256=digest,
            sort_key=(path.name, position),
        )

    def changeset(self, migration: Migration) -> ChangeSet:
        position = migration.sort_key[1]
        return parse_changelog(migration.path, migration.path.name)[position]

    def checksum(self, migration: Migration) -> str | None:
        return liquibase_v9(liquibase_formatted_sql_body(self.changeset(migration).lines))

    def checksum_matches(self, migration: Migration, stored: str | None) -> bool:
        # Only a version-9 value can be recomputed; 7 and 8 (older Liquibase) are trusted.
        if stored is None or not stored.startswith("9:"):
            return True
        return stored == self.checksum(migration)

    def up_section(self, migration: Migration) -> Section:
        changeset = self.changeset(migration)
        self._ensure_plain(migration, changeset)
        return Section("\n".join(changeset.lines), changeset.first_line)

    def _ensure_plain(self, migration: Migration, changeset: ChangeSet) -> None:
        """Refuse what only Liquibase evaluates: properties, preconditions, ignored lines,
        custom delimiters, changesets outside a transaction."""
        body = "\n".join(changeset.lines)
        directives = [(_directive(line) or "").lower() for line in changeset.lines]
        reason = (
            "${...} properties"
            if "${" in body
            else "preconditions"
            if any(d.startswith("precondition") for d in directives)
            else "ignoreLines"
            if any(d.startswith("ignore") for d in directives)
            else "an endDelimiter"
            if "enddelimiter" in changeset.attributes
            else "runInTransaction:false"
            if changeset.attributes.get("runintransaction", "").lower() == "false"
            else None
        )
        if reason:
            raise UnsupportedMigration(
                f"{migration.name} uses {reason}, which only Liquibase evaluates. "
                f"Run it with `{self.native_command}`.",
                names=[migration.name],
            )

    def read_records(
        self, conn: psycopg.Connection, table: TableRef, migrations: Sequence[Migration]
    ) -> list[AppliedRecord]:
        records: dict[str, AppliedRecord] = {}
        rows = conn.execute(SELECT_ROWS.format(table=table.identifier)).fetchall()
        for changeset_id, author, filename, executed, md5sum, exectype in rows:
            file_key = NULL_IDENTIFIER if filename is None else stored_filename_key(filename)
            identifier = f"{file_key}::{stored_text(changeset_id)}::{stored_text(author)}"
            kind = (exectype or "").upper()
            if kind in RAN or kind == "FAILED":
                failed = kind == "FAILED"
                records[identifier] = AppliedRecord(
                    identifier,
                    executed,
                    md5sum,
                    failed=failed,
                    detail="Liquibase recorded this changeset as FAILED" if failed else None,
                )
        return list(records.values())

    def record(self, table: TableRef, migrations: Sequence[Migration]) -> list[sql.Composable]:
        statements = []
        for migration in migrations:
            changeset = self.changeset(migration)
            statements.append(
                INSERT_ROW.format(
                    table=table.identifier,
                    id=sql.Literal(changeset.id),
                    author=sql.Literal(changeset.author),
                    filename=sql.Literal(changeset.filename),
                    comments=sql.Literal(changeset.comments),
                    contexts=sql.Literal(changeset.attributes.get("context")),
                    labels=sql.Literal(changeset.attributes.get("labels")),
                )
            )
        return statements
