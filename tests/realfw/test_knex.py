"""Interoperability with the real Knex CLI on its own ``knex_migrations`` table."""

from __future__ import annotations

import pytest

from .common import mark, states

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
