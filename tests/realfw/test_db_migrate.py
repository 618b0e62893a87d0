"""Interoperability with the real db-migrate CLI (db-migrate-pg) on its ``migrations`` table."""

from __future__ import annotations

import json

import pytest

from .common import mark, states

pytestmark = [pytest.mark.django_db, pytest.mark.realfw]

NAMES = ("20240101000001-a.js", "20240101000002-b.js", "20240101000003-c.js")


def db_migrate(target_db, node_project, *args: str) -> str:
    database = {"dev": {"driver": "pg", **node_project.connection()}}
    node_project.write("database.json", json.dumps(database))
    options = ("--config", "database.json", "--migrations-dir", str(target_db.directory))
    result = node_project.run("db-migrate", *args, *options)
    return result.stdout + result.stderr


def test_db_migrate_applies_two_we_mark_the_third_and_it_agrees(target_db, node_project):
    for name in NAMES:
        (target_db.directory / name).write_text(
            f"exports.up = (db) => db.runSql('CREATE TABLE {name[15]} (id int)');\n"
            f"exports.down = (db) => db.runSql('DROP TABLE {name[15]}');\n"
        )
    db_migrate(target_db, node_project, "up", "-c", "2")
    assert states() == [(NAMES[0], "applied"), (NAMES[1], "applied"), (NAMES[2], "pending")]

    mark(NAMES[2])

    assert "No migrations to run" in db_migrate(target_db, node_project, "up")
    assert not target_db.exists("c")
    names = target_db.query("SELECT name FROM migrations ORDER BY id")
    assert names == [("/20240101000001-a",), ("/20240101000002-b",), ("/20240101000003-c",)]
