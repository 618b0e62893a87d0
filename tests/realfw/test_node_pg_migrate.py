"""Interoperability with the real node-pg-migrate on the same ``pgmigrations`` table."""

from __future__ import annotations

import pytest

from migrations_manager import services
from migrations_manager.audit import Actor

pytestmark = [pytest.mark.django_db, pytest.mark.realfw]

ACTOR = Actor(name="tester")


def write_three(target) -> None:
    for index, table in enumerate(("a", "b", "c"), start=1):
        target.write(
            f"00{index}_{table}.sql", f"CREATE TABLE {table} (id int);", f"DROP TABLE {table};"
        )


def states() -> list[tuple[str, str]]:
    return [(m.name, m.state.value) for m in services.status().migrations]


def test_what_node_pg_migrate_applied_is_applied_for_us_and_we_finish_the_job(
    target_db, node_pg_migrate
):
    write_three(target_db)
    node_pg_migrate("up", "2")
    assert states() == [
        ("001_a.sql", "applied"),
        ("002_b.sql", "applied"),
        ("003_c.sql", "pending"),
    ]

    assert services.migrate_up(actor=ACTOR).ok
    assert target_db.exists("c")
    again = node_pg_migrate("up")
    assert "No migrations to run!" in again.stdout
    rows = target_db.query("SELECT name FROM pgmigrations ORDER BY run_on, id")
    assert rows == [("001_a",), ("002_b",), ("003_c",)]


def test_node_pg_migrate_rolls_back_one_of_ours(target_db, node_pg_migrate):
    write_three(target_db)
    assert services.migrate_up(actor=ACTOR).ok
    node_pg_migrate("down")
    assert not target_db.exists("c") and target_db.exists("b")
    assert states()[-1] == ("003_c.sql", "pending")


def test_we_apply_after_node_pg_migrate_created_the_table_and_it_reads_our_rows(
    target_db, node_pg_migrate
):
    write_three(target_db)
    node_pg_migrate("up", "1")
    assert services.migrate_up(1, actor=ACTOR).ok
    node_pg_migrate("up")
    assert target_db.exists("c")
    assert [
        name
        for name, _ in target_db.query("SELECT name, run_on FROM pgmigrations ORDER BY run_on, id")
    ] == ["001_a", "002_b", "003_c"]


def test_our_lock_blocks_node_pg_migrate(target_db, node_pg_migrate):
    write_three(target_db)
    holder = target_db.connect()
    holder.execute("SELECT pg_advisory_lock(7241865325823964)")
    result = node_pg_migrate("up", check=False)
    assert result.returncode != 0
    assert "Another migration is already running" in result.stdout + result.stderr
    assert not target_db.exists("a")
