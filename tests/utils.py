"""Helpers shared by the tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
from psycopg import conninfo


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
        params = conninfo.conninfo_to_dict(self.url)
        host = params.get("host", "")
        user = params.get("user", "postgres")
        password = f":{quote(str(params['password']), safe='')}" if params.get("password") else ""
        port = params.get("port")
        if str(host).startswith("/"):
            port_part = f"&port={port}" if port else ""
            socket = quote(str(host), safe="")
            return f"postgresql://{user}{password}@/{self.name}?host={socket}{port_part}"
        netloc = f"{host}:{port}" if port else host
        return f"postgresql://{user}{password}@{netloc}/{self.name}"

    def close(self) -> None:
        for conn in self._connections:
            conn.close()
        self._connections.clear()
