"""Preview: content, line count, sections of the framework in use, highlighting, safe lookup."""

from __future__ import annotations

import os

import pytest

from migrations_manager import services
from migrations_manager.exceptions import InvalidMigrationName, MigrationNotFound
from migrations_manager.services.reading import count_lines

pytestmark = pytest.mark.django_db

NODE_FILE = (
    "-- Up Migration\nCREATE TABLE users (id bigint);\n\n-- Down Migration\nDROP TABLE users;\n"
)
GOLANG_TABLE = (
    "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)"
)


def test_content_lines_and_sections(target_db):
    target_db.write("001_create-users.sql", raw=NODE_FILE)
    result = services.preview("001_create-users.sql")
    assert (result.filename, result.content, result.lines) == ("001_create-users.sql", NODE_FILE, 5)
    # node-pg-migrate's cut: the blank line before the down marker starts the down section.
    assert result.up == "-- Up Migration\nCREATE TABLE users (id bigint);\n"
    assert result.down == "\n-- Down Migration\nDROP TABLE users;\n"
    assert result.html is None


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("", 0),
        ("\n", 1),
        ("a", 1),
        ("a\n", 1),
        ("a\nb", 2),
        ("a\nb\n", 2),
        ("a\n\n", 2),
        ("a\r\nb\r\n", 2),
    ],
)
def test_line_count_is_what_an_editor_numbers(text, lines):
    assert count_lines(text) == lines


def test_file_without_markers_is_all_up(target_db):
    target_db.write("001_a.sql", raw="CREATE TABLE a (id int);")
    result = services.preview("001_a.sql")
    assert (result.up, result.down, result.lines) == ("CREATE TABLE a (id int);", None, 1)


def test_golang_migrate_layout_uses_the_down_file(target_db):
    target_db.execute(GOLANG_TABLE)
    (target_db.directory / "1_users.up.sql").write_text("CREATE TABLE users (id int);\n")
    (target_db.directory / "1_users.down.sql").write_text("DROP TABLE users;\n")
    result = services.preview("1_users.up.sql")
    assert (result.up, result.down) == ("CREATE TABLE users (id int);\n", "DROP TABLE users;\n")
    down_file = services.preview("1_users.down.sql")  # a file, not a migration of its own
    assert (down_file.content, down_file.up, down_file.down) == ("DROP TABLE users;\n", None, None)


def test_cjs_file_is_shown_but_not_analysed(target_db):
    text = "exports.up = (pgm) => {\n  pgm.createTable('users', { id: 'id' });\n};\n"
    target_db.write("001_users.cjs", raw=text)
    result = services.preview("001_users.cjs", highlight=True)
    assert (result.content, result.lines, result.up, result.lint) == (text, 3, None, ())
    assert "exports" in result.html


def test_highlighted_html_has_line_numbers_anchors_and_no_external_resource(target_db):
    target_db.write("001_a.sql", raw="-- Up Migration\nCREATE TABLE a (id int);\n")
    html = services.preview("001_a.sql", highlight=True).html
    assert 'id="line-2"' in html and ">2</span>" in html
    assert 'style="' in html  # styles inline: nothing to fetch
    assert "<script" not in html and "http" not in html and "<link" not in html


def test_lint_findings_carry_file_lines(target_db):
    target_db.execute("CREATE TABLE users (id bigint, email text)")
    target_db.write("001_index.sql", "SELECT 1;\nCREATE INDEX ix ON users (email);")
    findings = services.preview("001_index.sql").lint
    [finding] = [item for item in findings if item.rule == "MM001"]
    assert (finding.file, finding.line) == ("001_index.sql", 3)
    assert finding.severity == "notice"  # an empty table: the catalog says so


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("../secret.sql", InvalidMigrationName),
        ("/etc/passwd", InvalidMigrationName),
        ("sub/001_a.sql", InvalidMigrationName),
        ("001_a.sql\x00.txt", InvalidMigrationName),
        ("..", InvalidMigrationName),
        ("notes.txt", InvalidMigrationName),
        ("999_missing.sql", MigrationNotFound),
        ("escape.sql", MigrationNotFound),
    ],
)
def test_names_never_reach_outside_the_directory(target_db, tmp_path, name, error):
    outside = tmp_path / "secret.sql"
    outside.write_text("SELECT 'secret';")
    (target_db.directory / "notes.txt").write_text("not a migration")
    os.symlink(outside, target_db.directory / "escape.sql")
    with pytest.raises(error):
        services.preview(name)


def test_preview_works_while_the_target_is_down(target_db, settings):
    target_db.write("001_index.sql", "CREATE INDEX ix ON users (email);")
    settings.MIGRATIONS_MANAGER = {
        **settings.MIGRATIONS_MANAGER,
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
    }
    result = services.preview("001_index.sql")
    assert result.up is not None and "CREATE INDEX" in result.up
    [finding] = [item for item in result.lint if item.rule == "MM001"]
    assert finding.severity == "warning"  # no catalog: the rule's own severity
