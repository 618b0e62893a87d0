"""Interoperability with drizzle-orm's real migrator on ``drizzle.__drizzle_migrations``."""

from __future__ import annotations

import json

import pytest

from .common import mark, run_pending, states

pytestmark = [pytest.mark.django_db, pytest.mark.realfw]

MIGRATE = """\
const { Pool } = require("pg");
const { drizzle } = require("drizzle-orm/node-postgres");
const { migrate } = require("drizzle-orm/node-postgres/migrator");
const pool = new Pool();
migrate(drizzle(pool), { migrationsFolder: process.env.MIGRATIONS_DIR })
  .then(() => pool.end())
  .catch((error) => { console.error(error); process.exit(1); });
"""
TAGS = ("0000_a", "0001_b", "0002_c")
NAMES = tuple(f"{tag}.sql" for tag in TAGS)


def write_journal(target_db, count: int) -> None:
    """The first ``count`` migrations, as drizzle-kit generate lays them out."""
    entries = []
    for index, tag in enumerate(TAGS[:count]):
        table = tag[-1]
        (target_db.directory / f"{tag}.sql").write_text(
            f"CREATE TABLE {table} (id int);\n--> statement-breakpoint\n"
            f"CREATE INDEX {table}_id ON {table} (id);"
        )
        entries.append(
            {
                "idx": index,
                "version": "7",
                "when": 1704067200000 + index,
                "tag": tag,
                "breakpoints": True,
            }
        )
    journal = {"version": "7", "dialect": "postgresql", "entries": entries}
    (target_db.directory / "meta").mkdir(exist_ok=True)
    (target_db.directory / "meta" / "_journal.json").write_text(json.dumps(journal))


def drizzle_applies_two(target_db, node_project) -> None:
    write_journal(target_db, 2)
    node_project.script("drizzle-orm", MIGRATE)
    write_journal(target_db, 3)
    assert states() == [(NAMES[0], "applied"), (NAMES[1], "applied"), (NAMES[2], "pending")]


def rows(target_db) -> list[tuple]:
    return target_db.query("SELECT created_at FROM drizzle.__drizzle_migrations ORDER BY id")


def test_drizzle_applies_two_we_mark_the_third_and_drizzle_runs_nothing(target_db, node_project):
    drizzle_applies_two(target_db, node_project)
    mark(NAMES[2])
    node_project.script("drizzle-orm", MIGRATE)
    assert not target_db.exists("c")  # Drizzle saw it applied: it did not create c
    assert rows(target_db) == [(1704067200000,), (1704067200001,), (1704067200002,)]
    assert states()[2] == (NAMES[2], "applied")


def test_we_run_the_third_and_drizzle_agrees(target_db, node_project):
    drizzle_applies_two(target_db, node_project)
    run_pending()
    assert target_db.exists("c") and target_db.exists("c_id")
    node_project.script("drizzle-orm", MIGRATE)  # would fail re-creating c
    hashes = target_db.query("SELECT hash FROM drizzle.__drizzle_migrations ORDER BY id")
    assert len(set(hashes)) == 3 and len(rows(target_db)) == 3
    # Drizzle's own hashes of the first two equal ours: nothing reads as modified.
    assert [state for _, state in states()] == ["applied"] * 3
