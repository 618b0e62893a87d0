"""A ledger without checksum (node-pg-migrate, Knex...): a file this tool applied or marked is
``modified`` once it differs from the SHA-256 the audit recorded for that target; a file the
framework applied itself stays applied, and status says the comparison is unavailable."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command

from migrations_manager import services

from .common import ACTOR, mark, run_pending
from .test_knex import KNEXFILE, NAMES, write_three

pytestmark = [pytest.mark.django_db, pytest.mark.realfw]


def by_name() -> dict[str, tuple[str, str | None, str | None]]:
    return {
        m.name: (m.state.value, m.stored_hash, m.compared_with)
        for m in services.status().migrations
    }


def test_node_pg_migrate_files_edited_after_we_or_it_applied_them(target_db, node_pg_migrate):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    node_pg_migrate("up")  # node-pg-migrate's own run: no hash of ours
    target_db.write("002_b.sql", "CREATE TABLE b (id int);")
    run_pending()
    before = hashlib.sha256(target_db.directory.joinpath("002_b.sql").read_bytes()).hexdigest()
    assert by_name() == {
        "001_a.sql": ("applied", None, "unavailable"),
        "002_b.sql": ("applied", None, "recorded"),
    }

    target_db.write("001_a.sql", "CREATE TABLE a (id bigint);")
    target_db.write("002_b.sql", "CREATE TABLE b (id bigint);")

    assert by_name() == {
        "001_a.sql": ("applied", None, "unavailable"),
        "002_b.sql": ("modified", before, "recorded"),
    }
    out = StringIO()
    call_command("pgmigrate", "status", stdout=out)
    assert "[modified] 002_b.sql" in out.getvalue()
    assert "1 applied file(s) ran through another tool" in out.getvalue()
    status = services.status()
    assert status.summary["modified"] == 1


def test_the_hash_belongs_to_the_target_it_was_recorded_on(target_db, second_db, settings):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    run_pending()
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "DATABASE_URL": second_db.url}
    second_db.execute(
        "CREATE TABLE pgmigrations (id serial PRIMARY KEY, name varchar(255) NOT NULL,"
        " run_on timestamp NOT NULL);"
        " INSERT INTO pgmigrations (name, run_on) VALUES ('001_a', now())"
    )
    target_db.write("001_a.sql", "CREATE TABLE a (id bigint);")
    assert by_name() == {"001_a.sql": ("applied", None, "unavailable")}


def test_a_knex_file_we_marked_then_edited_is_modified(target_db, node_project):
    node_project.write("knexfile.js", KNEXFILE)
    write_three(target_db)
    node_project.run("knex", "migrate:up")
    mark(NAMES[1])
    path = target_db.directory / NAMES[1]
    marked = hashlib.sha256(path.read_bytes()).hexdigest()
    path.write_text(path.read_text() + "// edited\n")
    states = by_name()
    assert states[NAMES[0]] == ("applied", None, "unavailable")
    assert states[NAMES[1]] == ("modified", marked, "recorded")
    assert states[NAMES[2]] == ("pending", None, None)


def test_rolled_back_then_applied_by_the_framework_is_no_longer_ours(target_db, node_pg_migrate):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);", down="DROP TABLE a;")
    run_pending()
    assert services.migrate_down(actor=ACTOR).ok
    node_pg_migrate("up")
    target_db.write("001_a.sql", "CREATE TABLE a (id bigint);", down="DROP TABLE a;")
    assert by_name() == {"001_a.sql": ("applied", None, "unavailable")}
