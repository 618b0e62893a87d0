"""The preview page: a file highlighted on the server, its lint findings at their lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from migrations_manager.services.node import node_pg_migrate
from tests.realfw.conftest import require_tool

from .helpers import DETECT_URL, LIST_URL, preview_url, rows, template_names, texts

pytestmark = pytest.mark.django_db

INDEX_FILE = "SET lock_timeout = '5s';\nCREATE INDEX users_email ON users (email);"


@pytest.fixture
def indexed(target_db):
    """A pending migration whose line 3 builds an index without CONCURRENTLY."""
    target_db.execute("CREATE TABLE users (id bigint, email text)")
    target_db.write("001_index.sql", INDEX_FILE, "DROP INDEX users_email;")
    return target_db


def test_the_list_links_each_file_to_its_preview(reader, five_states):
    links = {name: row["preview"] for name, row in rows(reader.get(LIST_URL)).items()}
    assert links["V1__one.sql"] == preview_url("V1__one.sql")
    assert links["9"] is None  # orphaned: no file to show


def test_every_line_is_highlighted_numbered_and_anchored(reader, indexed):
    response = reader.get(preview_url("001_index.sql"))
    assert response.status_code == 200
    assert "admin/migrations_manager/migration/preview.html" in template_names(response)
    content = response.content.decode()
    numbers = re.findall(r'<td class="mm-lineno"><a href="#line-(\d+)">\1</a></td>', content)
    assert numbers == [str(n) for n in range(1, 7)]  # the file's six lines
    assert '<span class="k">CREATE</span><span class="w"> </span><span class="k">INDEX</span>' in (
        content
    )
    assert '<span class="c1">-- Up Migration</span>' in content
    assert "/static/migrations_manager/highlight.css" in content  # the classes' colours
    assert texts(response, "mm-file-facts") == ["001_index.sql · 6 lines · 1 lint finding"]


def test_a_lint_finding_is_shown_at_its_line_and_linked_from_the_table(reader, indexed):
    response = reader.get(preview_url("001_index.sql"))
    content = response.content.decode()
    assert '<tr id="line-3" class="mm-line mm-line--flagged mm-line--notice">' in content
    [note] = texts(response, "mm-note")
    assert note.startswith("notice MM001 CREATE INDEX on users blocks writes to it")
    # the note row comes right after line 3, before line 4
    assert (
        content.index('id="line-3"') < content.index('data-line="3"') < content.index('id="line-4"')
    )
    assert (
        '<a href="/admin/migrations_manager/migration/001_index.sql/preview/#line-3">line 3</a>'
        in (content)
    )
    assert '<tr id="line-2" class="mm-line">' in content  # unflagged lines stay plain


def test_up_and_down_sections(reader, indexed):
    response = reader.get(preview_url("001_index.sql"))
    [up] = texts(response, "mm-up")
    [down] = texts(response, "mm-down")
    assert (
        up == "-- Up Migration SET lock_timeout = '5s'; CREATE INDEX users_email ON users (email);"
    )
    assert down == "-- Down Migration DROP INDEX users_email;"


def test_without_down_section_it_says_it_cannot_be_rolled_back(reader, target_db):
    target_db.write("001_a.sql", "SELECT 1;")
    response = reader.get(preview_url("001_a.sql"))
    assert texts(response, "mm-no-down") == [
        "No down section: this migration cannot be rolled back."
    ]
    assert texts(response, "mm-file-facts") == ["001_a.sql · 2 lines · no lint finding"]


def test_links_to_the_schema_detection_of_the_file(reader, indexed):
    content = reader.get(preview_url("001_index.sql")).content.decode()
    assert f'<a href="{DETECT_URL}?migration=001_index.sql" class="mm-detect-link">' in content


@pytest.mark.parametrize(
    "name, problem",
    [
        ("..", "hidden files and relative paths are not migrations"),
        ("999_missing.sql", "999_missing.sql"),
        ("notes.txt", "the extension must be one of .sql"),
    ],
    ids=["dot-dot", "missing", "not-a-migration"],
)
def test_names_that_are_no_file_of_the_directory_are_refused(reader, three, name, problem):
    (three.directory / "notes.txt").write_text("not a migration")
    response = reader.get(preview_url(name))
    assert response.status_code == 200 and problem in response.context["problem"]
    assert "mm-source" not in response.content.decode()


def test_a_cjs_file_shows_its_source_only_to_a_user_who_may_only_read(reader, target_db):
    """Building a .cjs file's SQL runs its code: never for a user who may only read."""
    require_tool(node_pg_migrate(), "node-pg-migrate for the app (var/node)")
    text = "exports.up = (pgm) => {\n  pgm.db.query('CREATE TABLE spy (id int)');\n};\n"
    Path(target_db.directory / "001_spy.cjs").write_text(text, encoding="utf-8")
    response = reader.get(preview_url("001_spy.cjs"))
    assert '<span class="nx">exports</span>' in response.content.decode()
    assert texts(response, "mm-node-sql") == []
    assert texts(response, "mm-node-sql-hidden")
    assert not target_db.exists("spy")


def test_a_cjs_file_shows_the_sql_node_pg_migrate_would_run(runner, target_db):
    require_tool(node_pg_migrate(), "node-pg-migrate for the app (var/node)")
    target_db.execute("CREATE TABLE b (id int, note text)")
    text = "exports.up = (pgm) => {\n  pgm.createIndex('b', 'note');\n};\n"
    Path(target_db.directory / "001_index.cjs").write_text(text, encoding="utf-8")
    response = runner.get(preview_url("001_index.cjs"))
    content = response.content.decode()
    assert '<span class="nx">exports</span>' in content  # the file, as JavaScript
    [node_sql] = texts(response, "mm-node-sql")
    assert 'CREATE INDEX "b_note_index" ON "b" ("note");' in node_sql
    assert "mm-sections" not in content  # no SQL sections of its own
