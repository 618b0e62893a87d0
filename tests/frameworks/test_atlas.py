"""Atlas: unfinished rows are failed, and only the first file whose hash moved is modified."""

from __future__ import annotations

import pytest

from migrations_manager.frameworks.checksums import atlas_sum

from .helpers import create_table, details, states

pytestmark = pytest.mark.django_db

FILES = {f"2024010100000{i}_t{i}.sql": f"CREATE TABLE t{i} ();\n" for i in (1, 2, 3)}
ROW = (
    "INSERT INTO {{schema}}.{{table}} (version, description, type, applied, total, executed_at,"
    " execution_time, error, hash, operator_version)"
    " VALUES ('{version}', '', {kind}, {applied}, {total}, now(), 0, {error}, '{hash}', 'x')"
)


def rows(hashes: dict[str, str], *shapes: tuple[int, int, int, str]) -> list[str]:
    """Rows for the first files: (type, applied, total, error SQL) each."""
    names = list(hashes)
    return [
        ROW.format(
            version=names[i].partition("_")[0],
            kind=kind,
            applied=applied,
            total=total,
            error=error,
            hash=hashes[names[i]],
        )
        for i, (kind, applied, total, error) in enumerate(shapes)
    ]


def write_files(target_db) -> dict[str, str]:
    for name, text in FILES.items():
        target_db.write(name, raw=text)
    return dict(atlas_sum((name, text.encode()) for name, text in FILES.items()))


def test_error_and_partial_rows_are_failed_unless_resolved(target_db):
    hashes = write_files(target_db)
    shapes = [(2, 1, 1, "NULL"), (2, 1, 2, "NULL"), (6, 1, 2, "'boom'")]
    create_table(target_db, "atlas", *rows(hashes, *shapes))
    assert [state for _, state in states()] == ["applied", "failed", "applied"]
    assert details()[1] == "Atlas applied 1 of its 2 statements"


def test_only_the_first_mismatching_file_is_modified(target_db):
    hashes = write_files(target_db)
    create_table(target_db, "atlas", *rows(hashes, *[(2, 1, 1, "NULL")] * 3))
    first, second, _ = FILES
    (target_db.directory / second).write_text("CREATE TABLE t2 (edited int);\n")
    assert states() == [(first, "applied"), (second, "modified"), (list(FILES)[2], "applied")]
    assert "earlier modified file" in details()[2]
