"""Frameworks whose table holds one current version instead of a row per migration.

golang-migrate, Tern (and, per branch, Alembic) record "everything up to version V is applied".
Reading expands V into one record per migration file at or below it; writing replaces V; and
only a contiguous prefix of the files can be expressed, so anything else is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import psycopg

from ..types import AppliedRecord, Migration, TableRef
from .base import TrackingAdapter


@dataclass(frozen=True)
class CurrentVersion:
    version: str
    dirty: bool = False
    applied_at: datetime | None = None


class SingleVersionAdapter(TrackingAdapter):
    """Base for one-current-version frameworks: subclasses read and write that version.

    Only "everything up to V" can be stored, hence ``in_order_only``.
    """

    in_order_only = True

    def current_version(self, conn: psycopg.Connection, table: TableRef) -> CurrentVersion | None:
        raise NotImplementedError

    def version_key(self, identifier: str) -> tuple:
        """How versions compare (numerically by default)."""
        return (int(identifier),)

    def _readable_key(self, version: str) -> tuple | None:
        try:
            return self.version_key(version)
        except ValueError:
            return None

    def read_records(
        self, conn: psycopg.Connection, table: TableRef, migrations: Sequence[Migration]
    ) -> list[AppliedRecord]:
        current = self.current_version(conn, table)
        if current is None:
            return []
        top = self._readable_key(current.version)
        if top is None:
            # NULL or letters: the framework could not have written it, so it covers no file.
            detail = f"{self.label} cannot read this version"
            return [AppliedRecord(current.version, current.applied_at, None, current.dirty, detail)]
        covered = [m for m in migrations if self.version_key(m.identifier) <= top]
        records = [
            AppliedRecord(
                identifier=m.identifier,
                applied_at=current.applied_at,
                failed=current.dirty and m.identifier == current.version,
                detail="dirty: the migration failed part-way" if current.dirty else None,
            )
            for m in covered
        ]
        if not any(m.identifier == current.version for m in covered):
            records.append(AppliedRecord(current.version, current.applied_at, failed=current.dirty))
        return records
