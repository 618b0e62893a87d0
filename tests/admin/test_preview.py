"""The preview page: a file highlighted on the server, its lint findings at their lines."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from migrations_manager.services.node import node_pg_migrate
from tests.realfw.conftest import require_tool

from .helpers import (
    DETECT_URL,
    LIST_URL,
    RUN_URL,
    hidden_fields,
    mark_url,
    preview_url,
    rows,
    template_names,
    texts,
)

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


def test_sections_point_at_their_lines_of_the_file_instead_of_repeating_it(reader, indexed):
    response = reader.get(preview_url("001_index.sql"))
    assert texts(response, "mm-up") == ["Lines 1–3 of the file."]
    assert texts(response, "mm-down") == ["Lines 4–6 of the file."]
    content = response.content.decode()
    assert '<a href="#line-4">Lines 4–6</a>' in content
    assert content.count("DROP") == 1  # the file's own line, shown once


def test_a_file_that_is_all_up_section_says_so(reader, target_db):
    target_db.write("001_a.sql", raw="CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n")
    response = reader.get(preview_url("001_a.sql"))
    assert texts(response, "mm-up") == ["The whole file."]
    assert response.content.decode().count(">CREATE</span>") == 2


def test_a_down_section_of_another_file_is_shown_as_its_text(reader, target_db, settings):
    """golang-migrate's down SQL is in 1_a.down.sql: not lines of the file previewed."""
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "FRAMEWORK": "golang-migrate"}
    (target_db.directory / "1_a.up.sql").write_text("CREATE TABLE a (id int);\n")
    (target_db.directory / "1_a.down.sql").write_text("DROP TABLE a;\n")
    response = reader.get(preview_url("1_a.up.sql"))
    assert texts(response, "mm-up") == ["The whole file."]
    assert texts(response, "mm-down") == ["DROP TABLE a;"]


def test_without_down_section_it_says_it_cannot_be_rolled_back(reader, target_db):
    target_db.write("001_a.sql", "SELECT 1;")
    response = reader.get(preview_url("001_a.sql"))
    assert texts(response, "mm-no-down") == [
        "No down section: this migration cannot be rolled back."
    ]
    assert texts(response, "mm-file-facts") == ["001_a.sql · 2 lines · no lint finding"]


def test_a_pending_file_shows_its_state_and_the_buttons_the_user_may_press(login, indexed):
    reader = login("view_migration")
    response = reader.get(preview_url("001_index.sql"))
    assert texts(response, "mm-file-state")[0].startswith("State: pending")
    assert "mm-run" not in response.content.decode() and "mm-mark" not in response.content.decode()
    both = login("view_migration", "run_migrations", "mark_migrations")
    response = both.get(preview_url("001_index.sql"))
    content = response.content.decode()
    assert f'<form method="post" action="{RUN_URL}">' in content
    assert f'<form method="post" action="{mark_url("001_index.sql")}">' in content
    # The run button's form, as a browser posts it, leads to the run's confirmation.
    fields = hidden_fields(response)
    assert fields["name"] == ["001_index.sql"]
    confirmation = both.post(RUN_URL, {"name": "001_index.sql"})
    assert confirmation.status_code == 200
    assert confirmation.context["names"] == ["001_index.sql"]
    assert both.post(mark_url("001_index.sql")).context["status"].name == "001_index.sql"
    assert not indexed.exists("users_email")


def test_an_applied_file_shows_its_state_and_no_buttons(login, five_states):
    client = login("view_migration", "run_migrations", "mark_migrations")
    response = client.get(preview_url("V1__one.sql"))
    [state] = texts(response, "mm-file-state")
    assert state.startswith("State: applied since ") and state.endswith(" UTC")
    assert "mm-run" not in response.content.decode()


def test_with_the_target_down_the_state_is_unknown_and_the_file_still_shown(
    reader, indexed, settings
):
    settings.MIGRATIONS_MANAGER = {
        **settings.MIGRATIONS_MANAGER,
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "CONNECT_TIMEOUT": 2,
    }
    response = reader.get(preview_url("001_index.sql"))
    assert texts(response, "mm-state-problem")[0].startswith("State unknown: ")
    assert "mm-source" in response.content.decode()


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
