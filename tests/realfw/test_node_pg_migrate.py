"""Interoperability with the real node-pg-migrate on the same ``pgmigrations`` table."""

from __future__ import annotations

import pytest

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import PlanRefused

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


# ---- the same directory read as node-pg-migrate 9 reads it ----------------------------------

# Names whose order differs from a sort by name, and section markers in their odd spellings.
ODD_DIRECTORY = {
    "10_c.sql": "-- up migrations\nCREATE TABLE c (id int);\n-- Down Migration:\nDROP TABLE c;\n",
    "2_b.sql": "--- UP MIGRATION\nCREATE TABLE b (id int);\n",
    "1_a.sql": "-- Up Migration:\nCREATE TABLE a (id int);\n",
    "20200101000000000_y.sql": "CREATE TABLE y (id int);\n",
    "1600000000000_x.sql": "CREATE TABLE x (id int);\n",
    # Only a down section: node-pg-migrate runs the whole file as its up.
    "1600000000001_down_only.sql": "-- Down Migration\nCREATE TABLE down_only (id int);\n",
}
NODE_ORDER = [
    "1_a",
    "2_b",
    "10_c",
    "20200101000000000_y",
    "1600000000000_x",
    "1600000000001_down_only",
]


def write_odd_directory(target) -> None:
    for name, text in ODD_DIRECTORY.items():
        (target.directory / name).write_text(text, encoding="utf-8")


def applied(target) -> list[str]:
    return [name for (name,) in target.query("SELECT name FROM pgmigrations ORDER BY run_on, id")]


def tables(target) -> set[str]:
    rows = target.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {name for (name,) in rows} - {"pgmigrations"}


def test_order_and_sections_are_node_pg_migrates_own(target_db, second_db, node_pg_migrate):
    """The real node-pg-migrate on one database and this tool on another, from one directory:
    the same migrations, in the same order, leave the same tables."""
    write_odd_directory(target_db)
    node_pg_migrate("up", target=second_db)
    assert applied(second_db) == NODE_ORDER
    assert [m.identifier for m in (s.migration for s in services.status().migrations)] == (
        NODE_ORDER
    )
    assert services.migrate_up(actor=ACTOR).ok
    assert applied(target_db) == NODE_ORDER
    assert tables(target_db) == tables(second_db) == {"a", "b", "c", "x", "y", "down_only"}
    # node-pg-migrate's checkOrder agrees with what we applied: nothing left, nothing refused.
    assert "No migrations to run!" in node_pg_migrate("up").stdout


def test_mjs_and_ts_migrations_are_run_through_node_pg_migrate_in_order(
    target_db, app_node, node_pg_migrate
):
    """node-pg-migrate loads .mjs and .ts migrations too: they are pending migrations here, run
    through node-pg-migrate in their place, never skipped for the .sql file after them."""
    (target_db.directory / "1_a.mjs").write_text(
        "export const up = (pgm) => { pgm.createTable('from_mjs', { id: 'id' }); };\n"
    )
    (target_db.directory / "2_b.ts").write_text(
        "export const up = (pgm: any): void => { pgm.createTable('from_ts', { id: 'id' }); };\n"
    )
    target_db.write("3_c.sql", "CREATE TABLE after_them (id int);")
    assert [m.name for m in services.status().migrations] == ["1_a.mjs", "2_b.ts", "3_c.sql"]
    report = services.run_pending(actor=ACTOR)
    assert report.ok, report.failure
    assert applied(target_db) == ["1_a", "2_b", "3_c"]
    assert {"from_mjs", "from_ts", "after_them"} <= tables(target_db)
    assert "No migrations to run!" in node_pg_migrate("up").stdout


# ---- node-pg-migrate's checkOrder on every write ----------------------------------------------


def test_a_file_before_an_applied_one_is_never_recorded_and_a_rename_settles_it(
    target_db, node_pg_migrate
):
    """node-pg-migrate applied 001 and 003; 002 came later. node-pg-migrate refuses the
    history (002 precedes 003): marking or running 002 would append it after 003, a history
    it refuses for good. Both are refused, nothing written; once the file sorts last, both
    sides agree."""
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    target_db.write("003_c.sql", "CREATE TABLE c (id int);")
    node_pg_migrate("up")
    target_db.write("002_b.sql", "CREATE TABLE b (id int);")
    refusal = node_pg_migrate("up", check=False)
    assert "Not run migration 002_b is preceding already run migration 003_c" in (
        refusal.stdout + refusal.stderr
    )

    with pytest.raises(PlanRefused, match="002_b.sql.*003_c") as refused:
        services.mark_applied("002_b.sql", actor=ACTOR)
    assert refused.value.kind == "framework"
    with pytest.raises(PlanRefused, match="002_b.sql.*003_c"):
        services.run_pending(actor=ACTOR)
    assert applied(target_db) == ["001_a", "003_c"] and not target_db.exists("b")

    (target_db.directory / "002_b.sql").rename(target_db.directory / "004_b.sql")
    assert services.mark_applied("004_b.sql", actor=ACTOR).written
    assert "No migrations to run!" in node_pg_migrate("up").stdout
    assert applied(target_db) == ["001_a", "003_c", "004_b"]
