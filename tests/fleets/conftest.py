"""Fleets of real databases on the test server: each a stored target whose password (if the
server needs one) comes from an environment variable, as a deployment's would."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from psycopg import conninfo

from migrations_manager import services
from tests.utils import Target, fresh_database

PASSWORD_ENV = "TRUSS_TEST_FLEET_PASSWORD"
MIGRATION = "-- Up Migration\nCREATE TABLE widgets (id int CONSTRAINT widgets_pkey PRIMARY KEY);\n"


@pytest.fixture
def fleet(pg_admin_url: str, tmp_path: Path, monkeypatch) -> Iterator[Callable[..., list[Target]]]:
    """``fleet(count, tag)``: ``count`` new databases, stored as targets ``{tag}-NN`` (in that
    order) carrying ``tag``, sharing one migrations directory with one pending migration."""
    params = conninfo.conninfo_to_dict(pg_admin_url)
    password = params.pop("password", None)
    if password:
        monkeypatch.setenv(PASSWORD_ENV, str(password))
    directory = tmp_path / "fleet-migrations"
    directory.mkdir()
    (directory / "001_widgets.sql").write_text(MIGRATION)
    with ExitStack() as stack:

        def make(count: int, tag: str) -> list[Target]:
            made = []
            for number in range(count):
                target = stack.enter_context(fresh_database(pg_admin_url, directory))
                url = conninfo.make_conninfo(conninfo.make_conninfo(**params), dbname=target.name)
                services.add_target(
                    f"{tag}-{number:02d}",
                    url=url,
                    password_env=PASSWORD_ENV if password else "",
                    migrations_dir=str(directory),
                    tags=[tag],
                )
                made.append(target)
            return made

        yield make


def ledger_rows(target: Target) -> int:
    if not target.exists("public.pgmigrations"):
        return 0
    return target.scalar("SELECT count(*) FROM public.pgmigrations WHERE name = '001_widgets'")


def conflicting(target: Target) -> None:
    """An index made by hand with the name the migration's primary key takes: the safety gate
    sees no table in the way, and the migration fails on the server with 42P07."""
    target.execute("CREATE TABLE other (id int); CREATE INDEX widgets_pkey ON other (id)")


def fix(target: Target) -> None:
    target.execute("DROP TABLE other")
