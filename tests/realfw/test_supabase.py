"""Interoperability with the real Supabase CLI (npm ``supabase``) on
``supabase_migrations.schema_migrations``."""

from __future__ import annotations

import pytest

from migrations_manager import services
from migrations_manager.audit import Actor

from .conftest import held_back

pytestmark = [pytest.mark.django_db, pytest.mark.realfw]

ACTOR = Actor(name="tester")
NAMES = ("20240101000001_a.sql", "20240101000002_b.sql", "20240101000003_c.sql")


def table_of(name: str) -> str:
    return name.removesuffix(".sql").rpartition("_")[2]


def cli_applied_first_two(target, supabase) -> None:
    """The CLI creates its schema and table and applies M1 and M2; M3 arrives afterwards."""
    for name in NAMES:
        table = table_of(name)
        target.write(name, raw=f"-- {table}\nCREATE TABLE {table} (id int);\nSELECT 1;\n")
    with held_back(target.directory, NAMES[2]):
        supabase("migration", "up")
    report = services.status()
    assert (report.framework, str(report.tracking_table)) == (
        "supabase",
        "supabase_migrations.schema_migrations",
    )
    assert [(m.name, m.state.value) for m in report.migrations] == [
        (NAMES[0], "applied"),
        (NAMES[1], "applied"),
        (NAMES[2], "pending"),
    ]


def assert_cli_sees_all_applied(target, supabase) -> None:
    listing = supabase("migration", "list").stdout
    cells = [[cell.strip(" `") for cell in line.split("|")] for line in listing.splitlines()]
    local_remote = [(row[0], row[1]) for row in cells if len(row) == 3 and row[0].isdigit()]
    assert local_remote == [(name[:14], name[:14]) for name in NAMES]
    supabase("migration", "up")  # refuses or re-runs nothing: M3's table would clash
    stored = target.query(
        "SELECT version, name, statements FROM supabase_migrations.schema_migrations"
        " ORDER BY version"
    )
    # Our row for M3 is the row the CLI wrote for M1 and M2, statement for statement.
    assert stored[2] == ("20240101000003", "c", ["-- c\nCREATE TABLE c (id int)", "SELECT 1"])
    assert [row[2][0].split("\n")[0] for row in stored] == ["-- a", "-- b", "-- c"]


def test_marked_applied_is_applied_for_the_cli(target_db, supabase):
    cli_applied_first_two(target_db, supabase)
    result = services.mark_applied(NAMES[2], actor=ACTOR)
    assert result.written and result.framework == "supabase"
    assert_cli_sees_all_applied(target_db, supabase)
    assert not target_db.exists("c")


def test_run_writes_the_row_the_cli_writes(target_db, supabase):
    cli_applied_first_two(target_db, supabase)
    report = services.run_pending(actor=ACTOR)
    assert report.ok and [step.name for step in report.completed] == [NAMES[2]]
    assert target_db.exists("c")
    assert_cli_sees_all_applied(target_db, supabase)
