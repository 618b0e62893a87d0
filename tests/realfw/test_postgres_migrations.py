"""Interoperability with the real postgres-migrations library on its ``migrations`` table."""

from __future__ import annotations

import pytest

from migrations_manager import services
from migrations_manager.exceptions import PlanRefused

from .common import ACTOR, mark, run_pending, states

pytestmark = [pytest.mark.django_db, pytest.mark.realfw]

MIGRATE = """\
const { Client } = require("pg");
const { migrate } = require("postgres-migrations");
const client = new Client();
client.connect()
  .then(() => migrate({ client }, process.env.MIGRATIONS_DIR))
  .then((ran) => { console.log(JSON.stringify(ran.map((m) => m.fileName))); return client.end(); })
  .catch((error) => { console.error(error); process.exit(1); });
"""
NAMES = ("1_a.sql", "2_b.sql", "3_c.sql")


def write(target_db, count: int) -> None:
    for name in NAMES[:count]:
        table = name[2]
        (target_db.directory / name).write_text(f"CREATE TABLE {table} (id int);\n")


def library_applies_two(target_db, node_project) -> None:
    write(target_db, 2)
    assert '["0_create-migrations-table.sql","1_a.sql","2_b.sql"]' in migrate(node_project)
    write(target_db, 3)
    assert states() == [(NAMES[0], "applied"), (NAMES[1], "applied"), (NAMES[2], "pending")]


def migrate(node_project) -> str:
    return node_project.script("postgres-migrations", MIGRATE).stdout


def test_library_applies_two_we_mark_the_third_and_it_runs_nothing(target_db, node_project):
    library_applies_two(target_db, node_project)
    mark(NAMES[2])
    assert "[]" in migrate(node_project)  # and it checked every hash, ours included
    assert not target_db.exists("c")


def test_we_run_the_third_and_the_library_agrees(target_db, node_project):
    library_applies_two(target_db, node_project)
    run_pending()
    assert target_db.exists("c")
    assert "[]" in migrate(node_project)
    assert target_db.query("SELECT id, name FROM migrations ORDER BY id") == [
        (0, "create-migrations-table"),
        (1, "a"),
        (2, "b"),
        (3, "c"),
    ]


def test_a_table_we_create_is_accepted_by_the_library(target_db, node_project):
    write(target_db, 1)
    # No table yet: we create it, with the library's migration 0 and the hash it checks.
    mark(NAMES[0], framework="postgres-migrations")
    write(target_db, 2)
    assert '["2_b.sql"]' in migrate(node_project)
    assert not target_db.exists("a") and target_db.exists("b")


def test_an_id_gap_is_refused_as_the_library_refuses_the_folder(target_db, node_project):
    library_applies_two(target_db, node_project)
    (target_db.directory / NAMES[2]).rename(target_db.directory / "4_c.sql")
    refusal = node_project.script("postgres-migrations", MIGRATE, check=False)
    assert "non-consecutive migration ID on file: '4_c.sql'" in refusal.stderr

    with pytest.raises(PlanRefused, match="4_c.sql") as refused:
        services.run_pending(actor=ACTOR)
    assert refused.value.details["rule"] == "consecutive-ids"
    with pytest.raises(PlanRefused, match="4_c.sql"):
        services.mark_applied("4_c.sql", actor=ACTOR)
    assert not target_db.exists("c")

    (target_db.directory / "4_c.sql").rename(target_db.directory / NAMES[2])
    run_pending()
    assert "[]" in migrate(node_project)


def test_a_changed_applied_file_is_refused_as_the_library_refuses_to_run(target_db, node_project):
    library_applies_two(target_db, node_project)
    first = target_db.directory / NAMES[0]
    original = first.read_text()
    first.write_text(original + "-- edited after it ran\n")
    refusal = node_project.script("postgres-migrations", MIGRATE, check=False)
    assert "Hashes don't match for migrations '1_a.sql'" in refusal.stderr

    with pytest.raises(PlanRefused, match="1_a.sql") as refused:
        services.run_pending(actor=ACTOR)
    assert refused.value.details["rule"] == "hash"
    with pytest.raises(PlanRefused, match="1_a.sql"):
        services.mark_applied(NAMES[2], actor=ACTOR)
    assert not target_db.exists("c")

    first.write_text(original)
    run_pending()
    assert "[]" in migrate(node_project)
