"""Odd contents of a tracking table are reported, never raised.

A row another tool (or a human) wrote with a NULL where the framework never leaves one, a
version that is not a number, a file that is not UTF-8, a ``metadata.toml`` that does not
parse: the status shows such a row as orphaned, failed or with a note, and the admin's list
still renders.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from migrations_manager import services
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
