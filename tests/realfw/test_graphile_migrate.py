"""Interoperability with the real graphile-migrate CLI on ``graphile_migrate.migrations``."""

from __future__ import annotations

import hashlib
import json

import pytest

from .common import mark, run_pending, states

pytestmark = [pytest.mark.django_db, pytest.mark.realfw]

NAMES = ("000001-a.sql", "000002-b.sql", "000003-c.sql")


def write_committed(target_db, count: int) -> None:
    """Committed files as `graphile-migrate commit` writes them: each hash chains the previous.

    The hashes follow graphile-migrate's recipe (sha1 of previous hash, newline, trimmed body);
    graphile-migrate checks every one before running the file.
    """
    previous = ""
    folder = target_db.directory / "committed"
    folder.mkdir(exist_ok=True)
    for name in NAMES[:count]:
        body = f"CREATE TABLE {name[7]} (id int);\n"
        text = (previous + "\n" + body.strip()).strip() + "\n"
        digest = "sha1:" + hashlib.sha1(text.encode()).hexdigest()
        header = f"--! Previous: {previous or '-'}\n--! Hash: {digest}\n\n"
        (folder / name).write_text(header + body)
        previous = digest


def gmrc(target_db, node_project) -> None:
    settings = {"connectionString": node_project.env["DATABASE_URL"]}
    settings["migrationsFolder"] = str(target_db.directory)
    node_project.write(".gmrc", json.dumps(settings))


def graphile_applies_two(target_db, node_project) -> None:
    gmrc(target_db, node_project)
    write_committed(target_db, 2)
    node_project.run("graphile-migrate", "migrate")
    write_committed(target_db, 3)
    assert states() == [(NAMES[0], "applied"), (NAMES[1], "applied"), (NAMES[2], "pending")]


def test_graphile_applies_two_we_mark_the_third_and_it_is_up_to_date(target_db, node_project):
    graphile_applies_two(target_db, node_project)
    mark(NAMES[2])
    result = node_project.run("graphile-migrate", "migrate")
    assert "Already up to date" in result.stdout + result.stderr
    assert not target_db.exists("c")


def test_we_run_the_third_and_graphile_agrees(target_db, node_project):
    graphile_applies_two(target_db, node_project)
    run_pending()
    assert target_db.exists("c")
    result = node_project.run("graphile-migrate", "migrate")
    assert "Already up to date" in result.stdout + result.stderr
    rows = target_db.query(
        "SELECT filename, previous_hash IS NULL FROM graphile_migrate.migrations ORDER BY filename"
    )
    assert rows == [("000001.sql", True), ("000002.sql", False), ("000003.sql", False)]
    assert [state for _, state in states()] == ["applied"] * 3
