"""Odd contents of a tracking table are reported, never raised.

A row another tool (or a human) wrote with a NULL where the framework never leaves one, a
version that is not a number, a file that is not UTF-8, a ``metadata.toml`` that does not
parse: the status shows such a row as orphaned, failed or with a note, and the admin's list
still renders.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import UnsupportedMigration
from tests.frameworks.helpers import create_table
from tests.frameworks.specs import SPECS

pytestmark = pytest.mark.django_db

FLYWAY_ROW = (
    "INSERT INTO {schema}.{table} (installed_rank, version, description, type, script,"
    " checksum, installed_by, execution_time, success) VALUES ({values})"
)


def lay_out(target, framework: str, *rows: str) -> None:
    """The framework's three migrations, and its table as it makes it, with ``rows``."""
    for relative, content in SPECS[framework].files.items():
        path = Path(target.directory, relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    create_table(target, framework, *rows)


def flyway_row(values: str) -> str:
    return FLYWAY_ROW.replace("{values}", values)


def states() -> dict[str, str]:
    return {m.name: m.state.value for m in services.status().migrations}


def nullable(column: str) -> str:
    """Drop a NOT NULL the framework's DDL has, as a hand-altered table may have."""
    return f"ALTER TABLE {{schema}}.{{table}} ALTER COLUMN {column} DROP NOT NULL"


@pytest.mark.parametrize(
    "values, name, state",
    [
        (
            "1, '1', 'one', NULL, 'V1__create_conf_one.sql', NULL, 'me', 1, true",
            "V1__create_conf_one.sql",
            "applied",
        ),
        ("1, 'abc', 'x', 'SQL', 'Vabc__x.sql', NULL, 'me', 1, true", "abc", "orphaned"),
        ("1, '1.x', 'x', 'SQL', 'V1.x__x.sql', NULL, 'me', 1, true", "1.x", "orphaned"),
    ],
    ids=["null-type", "letters-version", "dotted-letters-version"],
)
def test_odd_flyway_rows_are_reported(target_db, values, name, state):
    """``type`` is NOT NULL in Flyway's DDL, but a table altered by hand may hold one."""
    lay_out(target_db, "flyway", nullable("type"), flyway_row(values))
    found = states()
    assert found[name] == state
    assert found["V2__create_conf_two.sql"] == "pending"


@pytest.mark.parametrize(
    "framework, rows, pending",
    [
        (
            "golang-migrate",
            (
                "ALTER TABLE {schema}.{table} DROP CONSTRAINT schema_migrations_pkey",
                nullable("version"),
                "INSERT INTO {schema}.{table} (version, dirty) VALUES (NULL, false)",
            ),
            "001_conf_one.up.sql",
        ),
        (
            "db-migrate",
            (
                nullable("name"),
                "INSERT INTO {schema}.{table} (name, run_on) VALUES (NULL, now())",
            ),
            "20240101000001-conf-one.js",
        ),
        (
            "liquibase",
            (
                nullable("filename"),
                "INSERT INTO {schema}.{table} (id, author, filename, dateexecuted, orderexecuted,"
                " exectype) VALUES ('create-conf_one', 'alice', NULL, now(), 1, 'EXECUTED')",
            ),
            "001_conf_one.sql::create-conf_one::alice",
        ),
        (
            "sqlx",
            (
                nullable("checksum"),
                "INSERT INTO {schema}.{table} (version, description, success, checksum,"
                " execution_time) VALUES (9, 'gone', true, NULL, 1)",
            ),
            "1_conf_one.sql",
        ),
    ],
    ids=["golang-migrate-version", "db-migrate-name", "liquibase-filename", "sqlx-checksum"],
)
def test_a_null_where_the_framework_never_writes_one_is_reported(
    target_db, framework, rows, pending
):
    """The status lists every file, and the odd row as orphaned or with a note."""
    lay_out(target_db, framework, *rows)
    report = services.status(framework=framework)
    found = {m.name: m.state.value for m in report.migrations}
    assert found[pending] == "pending"
    [odd] = [m for m in report.migrations if m.migration is None]
    assert "(NULL)" in odd.name or odd.detail, odd


def test_an_applied_flyway_file_that_is_not_utf8_is_reported(target_db):
    """Flyway cannot checksum it either: the status says so instead of raising."""
    row = flyway_row("1, '1', 'one', 'SQL', 'V1__create_conf_one.sql', 42, 'me', 1, true")
    lay_out(target_db, "flyway", row)
    (target_db.directory / "V1__create_conf_one.sql").write_bytes(b"-- caf\xe9\nSELECT 1;\n")
    [first, *_] = services.status().migrations
    assert (first.name, first.state.value) == ("V1__create_conf_one.sql", "modified")
    assert "UTF-8" in first.detail


def test_a_malformed_diesel_metadata_toml_refuses_the_run_and_is_shown(target_db):
    """Diesel refuses such a migration too: the run is refused before anything runs, naming
    the file; the status, the check and the preview still answer."""
    lay_out(target_db, "diesel")
    folder = target_db.directory / "2024-01-01-000001_conf_one"
    (folder / "metadata.toml").write_text("run_in_transaction = \n", encoding="utf-8")
    assert states()["2024-01-01-000001_conf_one"] == "pending"
    with pytest.raises(UnsupportedMigration, match=r"metadata\.toml") as refused:
        services.run_pending(actor=Actor(name="tester"))
    assert "2024-01-01-000001_conf_one" in refused.value.names
    assert not target_db.exists("conf_one")
    services.check()
    preview = services.preview("2024-01-01-000001_conf_one")
    assert "CREATE TABLE conf_one" in preview.content


def test_a_kysely_timestamp_that_is_no_time_is_shown_without_one(target_db):
    """Kysely stores its timestamp as text: one written by hand reads as no time at all."""
    lay_out(
        target_db,
        "kysely",
        "INSERT INTO {schema}.{table} VALUES ('001_conf_one', 'yesterday-ish')",
        "INSERT INTO {schema}.{table} VALUES ('002_conf_two', '2024-01-01T00:00:00.000Z')",
    )
    [one, two, _] = services.status().migrations
    assert (one.state.value, one.applied_at) == ("applied", None)
    assert two.applied_at == dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
