"""Interoperability with the real Knex CLI on its own ``knex_migrations`` table."""

from __future__ import annotations

import subprocess
import time

import pytest

from migrations_manager import services
from migrations_manager.exceptions import LockNotAcquired

from .common import ACTOR, mark, states
from .conftest import NODE_BIN, require_tool

pytestmark = [pytest.mark.django_db, pytest.mark.realfw]

KNEXFILE = (
    "module.exports = { client: 'pg', connection: {},"
    " migrations: { directory: process.env.MIGRATIONS_DIR } };\n"
)
NAMES = ("20240101000001_a.js", "20240101000002_b.js", "20240101000003_c.js")


def write_three(target_db) -> None:
    for name, table in zip(NAMES, "abc", strict=True):
        (target_db.directory / name).write_text(
            f"exports.up = (knex) => knex.raw('CREATE TABLE {table} (id int)');\n"
            f"exports.down = (knex) => knex.raw('DROP TABLE IF EXISTS {table}');\n"
        )


def test_knex_applies_two_we_mark_the_third_and_knex_agrees(target_db, node_project):
    node_project.write("knexfile.js", KNEXFILE)
    write_three(target_db)
    node_project.run("knex", "migrate:up")
    node_project.run("knex", "migrate:up")
    assert states() == [(NAMES[0], "applied"), (NAMES[1], "applied"), (NAMES[2], "pending")]

    mark(NAMES[2])

    listing = node_project.run("knex", "migrate:list").stdout
    assert "Found 3 Completed Migration file/files." in listing
    assert "No Pending Migration files Found." in listing
    assert "Already up to date" in node_project.run("knex", "migrate:latest").stdout
    assert not target_db.exists("c")  # marked, never executed
    rows = target_db.query("SELECT name, batch FROM knex_migrations ORDER BY id")
    assert rows == [(NAMES[0], 1), (NAMES[1], 2), (NAMES[2], 3)]


def test_each_mark_is_its_own_batch_so_knex_rolls_back_only_the_newest(target_db, node_project):
    node_project.write("knexfile.js", KNEXFILE)
    write_three(target_db)
    node_project.run("knex", "migrate:up")
    mark(NAMES[1])
    mark(NAMES[2])
    node_project.run("knex", "migrate:rollback")  # undoes batch 3 only: c's row
    assert target_db.query("SELECT name FROM knex_migrations ORDER BY id") == [
        (NAMES[0],),
        (NAMES[1],),
    ]
    assert states()[2] == (NAMES[2], "pending")


# ---- Knex's own lock ---------------------------------------------------------------------------

SLOW = "20240101000004_slow.js"


def knex_dies_holding_its_lock(target_db, node_project) -> None:
    """A real Knex run killed in the middle of a migration: without a transaction around it
    (the migration's ``config.transaction = false``), Knex committed ``is_locked = 1`` first,
    and nobody sets it back."""
    (target_db.directory / SLOW).write_text(
        "exports.config = { transaction: false };\n"
        "exports.up = () => new Promise((resolve) => setTimeout(resolve, 600000));\n"
        "exports.down = () => Promise.resolve();\n"
    )
    knex = subprocess.Popen(
        [require_tool(NODE_BIN / "knex", "knex (npm)"), "migrate:up", SLOW],
        cwd=node_project.root,
        env=node_project.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while target_db.query("SELECT is_locked FROM knex_migrations_lock") != [(1,)]:
            assert time.monotonic() < deadline and knex.poll() is None, "Knex never locked"
            time.sleep(0.1)
    finally:
        knex.kill()
        knex.wait()
    (target_db.directory / SLOW).unlink()


def test_a_stale_knex_lock_is_shown_and_refuses_until_knex_unlocks_it(target_db, node_project):
    node_project.write("knexfile.js", KNEXFILE)
    write_three(target_db)
    node_project.run("knex", "migrate:up")
    node_project.run("knex", "migrate:up")
    knex_dies_holding_its_lock(target_db, node_project)
    refusal = node_project.run("knex", "migrate:latest", check=False)
    assert "Migration table is already locked" in refusal.stdout + refusal.stderr

    report = services.check()
    locks = [error for error in report.errors if error.kind == "lock"]
    assert len(locks) == 1 and "is_locked = 1" in locks[0].message
    assert "npx knex migrate:unlock" in locks[0].hint and not report.safe
    with pytest.raises(LockNotAcquired, match="knex migrate:unlock"):
        services.mark_applied(NAMES[2], actor=ACTOR)
    assert target_db.query("SELECT count(*) FROM knex_migrations") == [(2,)]

    node_project.run("knex", "migrate:unlock")
    assert not [error for error in services.check().errors if error.kind == "lock"]
    # What the lock row says while our mark writes Knex's row.
    target_db.execute(
        "CREATE TABLE seen (is_locked int);"
        "CREATE FUNCTION note_lock() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " INSERT INTO seen SELECT is_locked FROM knex_migrations_lock; RETURN NEW; END $$;"
        "CREATE TRIGGER note_lock AFTER INSERT ON knex_migrations"
        " FOR EACH ROW EXECUTE FUNCTION note_lock();"
    )
    mark(NAMES[2])
    assert target_db.query("SELECT is_locked FROM seen") == [(1,)]
    assert target_db.query("SELECT is_locked FROM knex_migrations_lock") == [(0,)]
    assert "Already up to date" in node_project.run("knex", "migrate:latest").stdout
