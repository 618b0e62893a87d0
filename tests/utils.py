"""Helpers shared by the tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import conninfo, sql

from migrations_manager import db


@dataclass
class Target:
    """The test's own target database and migrations directory."""

    url: str
    name: str
    directory: Path
    _connections: list[psycopg.Connection] = field(default_factory=list)

    def connect(self, **options: Any) -> psycopg.Connection:
        """An extra autocommit connection (closed at the end of the test)."""
        conn = psycopg.connect(self.url, autocommit=True, **options)
        self._connections.append(conn)
        return conn

    def query(self, query: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(query, params).fetchall()

    def scalar(self, query: str, params: tuple = ()) -> Any:
        rows = self.query(query, params)
        return rows[0][0] if rows else None

    def exists(self, relation: str) -> bool:
        return bool(self.scalar("SELECT to_regclass(%s) IS NOT NULL", (relation,)))

    def write(
        self, name: str, up: str = "", down: str | None = None, *, raw: str | None = None
    ) -> Path:
        """Write a migration file in node-pg-migrate's SQL layout (or ``raw`` text as is)."""
        path = self.directory / name
        if raw is None:
            raw = f"-- Up Migration\n{up}\n"
            if down is not None:
                raw += f"\n-- Down Migration\n{down}\n"
        path.write_text(raw, encoding="utf-8")
        return path

    def as_url(self) -> str:
        """The target as a postgresql:// URL (for tools that take no key=value conninfo)."""
        return db.as_url(self.url)

    def close(self) -> None:
        for conn in self._connections:
            conn.close()
        self._connections.clear()


@contextmanager
def fresh_database(admin_url: str, directory: Path) -> Iterator[Target]:
    """A new empty database on the server of ``admin_url``, dropped afterwards."""
    name = f"truss_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    target = Target(
        url=conninfo.make_conninfo(admin_url, dbname=name), name=name, directory=directory
    )
    try:
        yield target
    finally:
        target.close()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
