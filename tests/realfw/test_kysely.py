"""Interoperability with Kysely's real Migrator (FileMigrationProvider) on ``kysely_migration``."""

from __future__ import annotations

import json

import pytest

from .common import mark, states

pytestmark = [pytest.mark.django_db, pytest.mark.realfw]

# action: "up" (one migration), "latest", or "status" (every migration and when it ran).
MIGRATOR = """\
const fs = require("fs/promises");
const path = require("path");
const { Pool } = require("pg");
const { Kysely, PostgresDialect, Migrator, FileMigrationProvider } = require("kysely");
const db = new Kysely({ dialect: new PostgresDialect({ pool: new Pool() }) });
const migrator = new Migrator({
  db,
  provider: new FileMigrationProvider({ fs, path, migrationFolder: process.env.MIGRATIONS_DIR }),
});
const actions = {
  up: () => migrator.migrateUp(),
  latest: () => migrator.migrateToLatest(),
  status: async () => (await migrator.getMigrations()).map((m) => [m.name, !!m.executedAt]),
};
actions[process.env.ACTION]()
  .then((result) => { console.log(JSON.stringify(result)); return db.destroy(); })
  .catch((error) => { console.error(error); process.exit(1); });
"""
NAMES = ("001_a.js", "002_b.js", "003_c.js")


def migrator(node_project, action: str) -> object:
    node_project.env["ACTION"] = action
    return json.loads(node_project.script("kysely", MIGRATOR).stdout)


def test_kysely_applies_two_we_mark_the_third_and_it_agrees(target_db, node_project):
    for name in NAMES:
        (target_db.directory / name).write_text(
            f"exports.up = (db) => db.schema.createTable('{name[4]}')"
            ".addColumn('id', 'integer').execute();\n"
        )
    for _ in range(2):
        assert "Success" in json.dumps(migrator(node_project, "up"))
    assert states() == [(NAMES[0], "applied"), (NAMES[1], "applied"), (NAMES[2], "pending")]

    mark(NAMES[2])

    assert migrator(node_project, "status") == [["001_a", True], ["002_b", True], ["003_c", True]]
    latest = migrator(node_project, "latest")
    assert latest == {"results": []}, latest  # nothing to run, and no ordering error
    assert not target_db.exists("c")
