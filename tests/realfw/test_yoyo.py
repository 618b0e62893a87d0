"""Interoperability with the real yoyo-migrations CLI on ``_yoyo_migration`` / ``_yoyo_log``."""

from __future__ import annotations

import pytest

from migrations_manager import services
from migrations_manager.audit import Actor

from .conftest import python_tool, run_tool

pytestmark = [pytest.mark.django_db, pytest.mark.realfw]

ACTOR = Actor(name="tester")


@pytest.fixture
def yoyo(target_db):
    """Run ``yoyo <command> --database <target> <migrations directory>``; M1, M2 written."""
    binary = python_tool("yoyo", "yoyo-migrations (PyPI)")
    url = target_db.as_url().replace("postgresql://", "postgresql+psycopg://", 1)
    root = target_db.directory
    (root / "0001_a.sql").write_text("CREATE TABLE a (id int);\n")
    (root / "0001_a.rollback.sql").write_text("DROP TABLE a;\n")
    (root / "0002_b.sql").write_text("-- depends: 0001_a\nCREATE TABLE b (id int);\n")

    def run(command: str, *args: str) -> str:
        argv = [binary, command, "--no-config-file", "--database", url, *args, str(root)]
        return run_tool(argv, cwd=root).stdout

    return run


def add_third(target_db) -> None:
    (target_db.directory / "0003_c.sql").write_text("CREATE TABLE c (id int);\n")


def yoyo_states(output: str) -> dict[str, str]:
    """``yoyo list``'s table: migration id -> A (applied) / U (unapplied)."""
    rows = [line.split() for line in output.splitlines()]
    return {row[1]: row[0] for row in rows if len(row) >= 2 and row[0] in ("A", "U")}


def states() -> list[tuple[str, str]]:
    return [(m.name, m.state.value) for m in services.status().migrations]


def test_yoyo_applies_two_we_mark_the_third_and_yoyo_agrees(target_db, yoyo):
    yoyo("apply", "--batch")
    add_third(target_db)
    assert states() == [
        ("0001_a.sql", "applied"),
        ("0002_b.sql", "applied"),
        ("0003_c.sql", "pending"),
    ]
    assert services.mark_applied("0003_c.sql", actor=ACTOR).written
    assert yoyo_states(yoyo("list")) == {"0001_a": "A", "0002_b": "A", "0003_c": "A"}
    yoyo("apply", "--batch")
    assert not target_db.exists("c")  # yoyo applied nothing: it agrees 0003_c is applied
    operations = target_db.query("SELECT migration_id, operation FROM _yoyo_log ORDER BY 1")
    assert ("0003_c", "mark") in operations


def test_we_run_the_third_and_yoyo_agrees_and_rolls_it_back(target_db, yoyo):
    yoyo("apply", "--batch")
    add_third(target_db)
    (target_db.directory / "0003_c.rollback.sql").write_text("DROP TABLE c;\n")
    report = services.run_pending(actor=ACTOR)
    assert report.ok and [step.name for step in report.completed] == ["0003_c.sql"]
    assert target_db.exists("c")
    assert yoyo_states(yoyo("list")) == {"0001_a": "A", "0002_b": "A", "0003_c": "A"}
    assert ("0003_c", "apply") in target_db.query(
        "SELECT migration_id, operation FROM _yoyo_log ORDER BY 1"
    )
    yoyo("rollback", "--batch", "--revision", "0003_c")
    assert not target_db.exists("c")
    assert states()[2] == ("0003_c.sql", "pending")
