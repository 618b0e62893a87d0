"""The migrations directory: listing, safe lookup, sections, directives, create."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from migrations_manager.exceptions import InvalidMigrationName, MigrationNotFound, UsageError
from migrations_manager.sources import (
    MigrationsDirectory,
    runs_outside_transaction,
    sha256_of,
)


@pytest.fixture
def directory(tmp_path: Path) -> MigrationsDirectory:
    root = tmp_path / "migrations"
    root.mkdir()
    for name in ("002_b.sql", "001_a.sql", "010_c.cjs", "notes.txt", ".hidden.sql", "003_d.js"):
        (root / name).write_text("SELECT 1;\n")
    (root / "sub").mkdir()
    (root / "sub" / "004_e.sql").write_text("SELECT 1;\n")
    return MigrationsDirectory(root)


def test_files_are_listed_by_name_without_hidden_or_unknown_files(directory):
    assert [p.name for p in directory.files()] == [
        "001_a.sql",
        "002_b.sql",
        "003_d.js",
        "010_c.cjs",
    ]


def test_symlink_leading_outside_is_neither_listed_nor_found(directory, tmp_path):
    secret = tmp_path / "secret.sql"
    secret.write_text("SELECT 'secret';")
    os.symlink(secret, directory.root / "005_link.sql")
    assert "005_link.sql" not in [p.name for p in directory.files()]
    with pytest.raises(MigrationNotFound):
        directory.lookup("005_link.sql")


def test_symlink_inside_the_directory_is_followed(directory):
    os.symlink(directory.root / "001_a.sql", directory.root / "006_alias.sql")
    assert directory.lookup("006_alias.sql").name == "006_alias.sql"


@pytest.mark.parametrize(
    "name, problem",
    [
        ("../secret.sql", "path separator"),
        ("..", "hidden"),
        ("/etc/passwd.sql", "path separator"),
        ("..\\x.sql", "path separator"),
        ("a\x00.sql", "NUL"),
        (".hidden.sql", "hidden"),
        ("x" * 300 + ".sql", "longer than"),
        ("tab\t.sql", "control"),
        ("001_a.txt", "extension"),
        ("", "non-empty"),
    ],
    ids=[
        "dotdot",
        "parent",
        "absolute",
        "backslash",
        "nul",
        "hidden",
        "long",
        "control",
        "extension",
        "empty",
    ],
)
def test_lookup_refuses_names_that_cannot_be_migration_files(directory, name, problem):
    with pytest.raises(InvalidMigrationName, match=problem):
        directory.lookup(name)


def test_lookup_of_unknown_or_non_regular_file_is_not_found(directory):
    with pytest.raises(MigrationNotFound):
        directory.lookup("999_missing.sql")
    (directory.root / "007_dir.sql").mkdir()
    with pytest.raises(MigrationNotFound):
        directory.lookup("007_dir.sql")


def test_sha256_is_of_the_file_bytes_and_follows_changes(directory):
    path = directory.root / "001_a.sql"
    import hashlib

    assert sha256_of(path) == hashlib.sha256(b"SELECT 1;\n").hexdigest()
    path.write_text("SELECT 2;\n")
    os.utime(path, ns=(1, 1))
    assert sha256_of(path) == hashlib.sha256(b"SELECT 2;\n").hexdigest()


def test_create_writes_timestamped_file_with_node_pg_migrate_sql_template(directory):
    path = directory.create("add-user-roles")
    assert re.fullmatch(r"\d{13}_add-user-roles\.sql", path.name)
    assert path.read_text() == "-- Up Migration\n\n-- Down Migration"
    second = directory.create("add-user-roles")
    assert second != path and second.name > path.name


def test_create_cjs_writes_exports(directory):
    text = directory.create("x", extension=".cjs").read_text()
    assert "exports.up = (pgm) =>" in text and "exports.down" in text
    assert "exports.shorthands = undefined;" in text


@pytest.mark.parametrize("name", ["../x", "a b", "x/y", "", "é"])
def test_create_refuses_unsafe_names(directory, name):
    with pytest.raises(UsageError):
        directory.create(name)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("-- truss:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (c);", True),
        ("-- migrate:up transaction:false\nSELECT 1;", True),
        ("-- migrate:up\nSELECT 1;", False),
        ("SELECT '-- truss:no-transaction';", False),
        ("SELECT 1;", False),
    ],
    ids=["truss", "dbmate", "dbmate-transactional", "in-string", "none"],
)
def test_no_transaction_directive(text, expected):
    assert runs_outside_transaction(text) is expected


def test_listing_of_an_unchanged_folder_is_reused_and_a_change_is_seen(directory):
    """A folder whose mtime is old and unchanged is not scanned again; adding a file changes
    the mtime, so the next listing sees it."""
    past = 1_600_000_000_000_000_000
    os.utime(directory.root, ns=(past, past))
    first = directory.files()
    os.utime(directory.root, ns=(past, past))
    assert directory.files() == first
    (directory.root / "004_new.sql").write_text("SELECT 4;\n")
    assert "004_new.sql" in [p.name for p in directory.files()]


def test_a_folder_changed_just_now_is_always_scanned(directory):
    """Two changes within one clock tick leave the mtime as it was: a recent mtime is not
    trusted, so the second change is still seen."""
    tick = os.stat(directory.root).st_mtime_ns  # just now: the fixture wrote the files
    first = directory.files()
    (directory.root / "005_new.sql").write_text("SELECT 5;\n")
    os.utime(directory.root, ns=(tick, tick))
    assert len(directory.files()) == len(first) + 1
