"""Interoperability with the real sequelize-cli on its ``"SequelizeMeta"`` table."""

from __future__ import annotations

import json

import pytest

from .common import mark, states

pytestmark = [pytest.mark.django_db, pytest.mark.realfw]

NAMES = ("20240101000001-a.js", "20240101000002-b.js", "20240101000003-c.js")


def configure(node_project, *, timestamps: bool) -> None:
    settings = node_project.connection(user="username")
    config = {
        "development": {
            "dialect": "postgres",
            **settings,
            "logging": False,
            "migrationTimestamps": timestamps,
        }
    }
    node_project.write("config.json", json.dumps(config))


def sequelize(target_db, node_project, *args: str) -> str:
    paths = ("--config", "config.json", "--migrations-path", str(target_db.directory))
    return node_project.run("sequelize-cli", *args, *paths).stdout


def write_three(target_db) -> None:
    for name in NAMES:
        query = "(queryInterface) => queryInterface.sequelize.query"
        (target_db.directory / name).write_text(
            f"module.exports = {{\n  up: {query}('CREATE TABLE {name[15]} (id int)'),\n"
            f"  down: {query}('DROP TABLE {name[15]}'),\n}};\n"
        )


@pytest.mark.parametrize("timestamps", [False, True], ids=["plain", "migrationTimestamps"])
def test_sequelize_applies_two_we_mark_the_third_and_it_agrees(target_db, node_project, timestamps):
    configure(node_project, timestamps=timestamps)
    write_three(target_db)
    if timestamps:  # the table gains "createdAt"/"updatedAt", which our row must fill
        sequelize(target_db, node_project, "db:migrate", "--to", NAMES[0])
        sequelize(target_db, node_project, "db:migrate:schema:timestamps:add")
    sequelize(target_db, node_project, "db:migrate", "--to", NAMES[1])
    assert states() == [(NAMES[0], "applied"), (NAMES[1], "applied"), (NAMES[2], "pending")]

    mark(NAMES[2])

    status = sequelize(target_db, node_project, "db:migrate:status")
    assert [line.split()[0] for line in status.splitlines() if line.endswith(".js")] == ["up"] * 3
    done = sequelize(target_db, node_project, "db:migrate")
    assert "No migrations were executed, database schema was already up to date." in done
    assert not target_db.exists("c")
    if timestamps:
        query = 'SELECT "createdAt" IS NOT NULL FROM "SequelizeMeta" WHERE name = %s'
        assert target_db.scalar(query, (NAMES[2],)) is True
