"""Hostile names, generated: whatever a request or a file system calls a migration, the lookup
answers with the file it designates inside the migrations directory or with a domain error, and
never reads a file outside the directory.

Outside the directory the tests plant bait (files that would create table ``pwned``, a symlink
from inside leading to them); Python's ``open`` audit events show every file read.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from migrations_manager import services
from migrations_manager.exceptions import (
    InvalidMigrationName,
    MigrationNotFound,
    MigrationsManagerError,
)
from migrations_manager.frameworks import registry
from migrations_manager.sources import MAX_NAME_BYTES, MigrationsDirectory, validate_name
from tests.frameworks.specs import SPECS
from tests.reliability.hostile import (
    HOSTILE,
    names,
    near,
    not_strings,
    opened_outside,
)
from tests.utils import files_opened

# Per framework (36 of them), fewer examples each: the suite stays well under a minute.
PER_FRAMEWORK = settings(HOSTILE, max_examples=25)
BAIT = "-- Up Migration\nCREATE TABLE pwned (id int);\n"


def plant(area: Path) -> Path:
    """A migrations directory in ``area``, bait beside it, and traps inside it."""
    directory = area / "migrations"
    directory.mkdir()
    for name in ("outside.sql", "outside.py", "passwd"):
        (area / name).write_text(BAIT)
    (directory / "001_a.sql").write_text("-- Up Migration\nCREATE TABLE a (id int);\n")
    (directory / "link.sql").symlink_to(area / "outside.sql")
    (directory / "dangling.sql").symlink_to(area / "nowhere.sql")
    (directory / "folder.sql").mkdir()
    (directory / ".hidden.sql").write_text(BAIT)
    return directory


@pytest.fixture
def planted(tmp_path) -> Path:
    return plant(tmp_path)


@HOSTILE
@example(name="\ud800.sql")
@given(name=st.one_of(names, not_strings))
def test_validate_name_passes_only_plain_file_names(name):
    try:
        valid = validate_name(name, extensions=())
    except InvalidMigrationName:
        return
    assert valid == name and isinstance(valid, str)
    assert not {"/", "\\", "\x00"} & set(valid) and not valid.startswith(".")
    assert not any(ord(char) < 32 for char in valid)
    assert len(os.fsencode(valid)) <= MAX_NAME_BYTES


def test_lookup_finds_regular_files_inside_or_refuses(planted):
    directory = MigrationsDirectory(planted)

    @HOSTILE
    @example(hostile="\ud800.sql", close="001_a.sql")  # a lone surrogate from a JSON escape
    @given(hostile=st.one_of(names, not_strings), close=near(os.listdir(planted)))
    def inside_or_refused(hostile: object, close: str) -> None:
        for name in (hostile, close):
            with files_opened() as opened:
                try:
                    path = directory.lookup(name)
                except (InvalidMigrationName, MigrationNotFound):
                    path = None
            assert opened_outside(opened, planted, planted.parent) == []
            if path is not None:
                assert path.parent == planted and path.name == name
                assert path.resolve().is_relative_to(planted.resolve())
                assert path.resolve().is_file()

    inside_or_refused()


def spec_layout(directory: Path) -> list[str]:
    """Every framework's three spec migrations, in one directory; their file names."""
    written = []
    for spec in SPECS.values():
        for relative, content in spec.files.items():
            path = directory / relative
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(content)
            except OSError:  # a file of one layout where another has a folder: keep the first
                continue
            written.append(path.name)
    return written


def test_preview_and_lint_of_any_name_with_any_framework(planted, settings):
    """The safe lookup of every framework's layout (its migrations, else a plain file of the
    directory), through the services the API, admin and command call."""
    settings.MIGRATIONS_MANAGER = {
        **settings.MIGRATIONS_MANAGER,
        "DATABASE_URL": None,  # offline: the pinned framework's layout, no target
        "MIGRATIONS_DIR": str(planted),
    }
    known = spec_layout(planted)

    @HOSTILE
    @given(
        framework=st.sampled_from(registry.names()),
        hostile=names,
        close=near([*known, *os.listdir(planted)]),
    )
    def reads_inside_only(framework: str, hostile: str, close: str) -> None:
        with files_opened() as opened:
            for name in (hostile, close):
                for call in (services.preview, lambda n, **kw: services.lint([n], **kw)):
                    try:
                        call(name, framework=framework)
                    except MigrationsManagerError:
                        pass
        assert opened_outside(opened, planted, planted.parent) == []

    reads_inside_only()


# ---- file names on disk ------------------------------------------------------------------------

FOLDERS = sorted(
    {str(Path(relative).parent) for spec in SPECS.values() for relative in spec.files} - {"."}
)
disk_names = (
    st.binary(min_size=1, max_size=60)
    .filter(lambda raw: b"/" not in raw and b"\x00" not in raw and raw not in (b".", b".."))
    .map(os.fsdecode)
)
extensions = st.sampled_from(["", ".sql", ".up.sql", ".down.sql", ".py", ".cjs", ".json", ".yaml"])
contents = st.one_of(
    st.sampled_from(
        [content for spec in SPECS.values() for content in spec.files.values()] + [BAIT]
    ),
    st.text(max_size=200),
    st.binary(max_size=200),
)
hostile_file = st.tuples(
    st.sampled_from(["", *FOLDERS]), st.builds(str.__add__, disk_names, extensions), contents
)


def write_hostile(directory: Path, folder: str, name: str, content: str | bytes) -> None:
    path = directory / folder / name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogatepass")
        path.write_bytes(content)
    except OSError:  # a name the file system refuses (too long...), or taken by a folder
        pass


def undecodable_copy(framework: str) -> tuple[str, str, str]:
    """The framework's first migration again, under a name that is not UTF-8 (a byte 0xff)."""
    relative, content = next(iter(SPECS[framework].files.items()))
    folder, name = os.path.split(relative)
    return (folder, os.fsdecode(b"\xff") + name, content)


@pytest.mark.parametrize("framework", sorted(SPECS))
def test_discovery_copes_with_any_file_on_disk(framework):
    """Every adapter reads its layout amid files named and filled by anyone: discovery keeps
    to the directory and fails only with domain errors, as do the reads of what it found."""

    @PER_FRAMEWORK
    @example(files=[undecodable_copy(framework)])
    @given(files=st.lists(hostile_file, max_size=6))
    def keeps_inside(files: list[tuple[str, str, str | bytes]]) -> None:
        area = Path(tempfile.mkdtemp(prefix="truss-hostile-"))
        try:
            directory = area / "migrations"
            directory.mkdir()
            for relative, content in SPECS[framework].files.items():
                write_hostile(directory, "", relative, content)
            (area / "outside.sql").write_text(BAIT)
            for folder, name, content in files:
                write_hostile(directory, folder, name, content)
            with files_opened() as opened:
                read_everything(registry.get(framework), MigrationsDirectory(directory))
            assert opened_outside(opened, directory, area) == []
        finally:
            shutil.rmtree(area)

    keeps_inside()


def read_everything(adapter, directory: MigrationsDirectory) -> None:
    try:
        migrations = adapter.discover(directory)
    except MigrationsManagerError:
        return
    root = directory.resolved_root
    for migration in migrations:
        assert "/" not in migration.name and migration.path.resolve().is_relative_to(root)
        assert stat.S_ISREG(os.stat(migration.path).st_mode) or migration.path.is_dir()
    list(adapter.statuses(migrations, []))
    for migration in migrations:
        for read in (
            adapter.checksum,
            adapter.up_section,
            adapter.down_section,
            adapter.runs_outside_transaction,
        ):
            try:
                read(migration)
            except MigrationsManagerError:
                pass
