"""Interoperability with the real yoyo-migrations CLI on ``_yoyo_migration`` / ``_yoyo_log``."""

from __future__ import annotations

import subprocess
import time

import pytest

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import LockNotAcquired

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


# ---- yoyo's own lock ---------------------------------------------------------------------------


def yoyo_dies_holding_its_lock(target_db, url: str) -> None:
    """A real ``yoyo apply`` killed in the middle of a migration: its ``yoyo_lock`` row was
    committed before, and only a yoyo that ends normally deletes it."""
    slow = target_db.directory / "0003_slow.sql"
    slow.write_text("SELECT pg_sleep(600);\n")
    binary = python_tool("yoyo", "yoyo-migrations (PyPI)")
    argv = [binary, "apply", "--batch", "--no-config-file", "--database", url]
    yoyo = subprocess.Popen([*argv, str(target_db.directory)], cwd=target_db.directory)
    try:
        deadline = time.monotonic() + 60
        while not target_db.query(
            "SELECT 1 FROM pg_stat_activity WHERE starts_with(query, 'SELECT pg_sleep')"
        ):
            assert time.monotonic() < deadline and yoyo.poll() is None, "yoyo never got there"
            time.sleep(0.1)
    finally:
        yoyo.kill()
        yoyo.wait()
    target_db.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE starts_with(query, 'SELECT pg_sleep')"
    )
    slow.unlink()


def test_a_stale_yoyo_lock_is_shown_and_refuses_until_yoyo_breaks_it(target_db, yoyo):
    url = target_db.as_url().replace("postgresql://", "postgresql+psycopg://", 1)
    yoyo_dies_holding_its_lock(target_db, url)
    assert target_db.query("SELECT count(*) FROM yoyo_lock") == [(1,)]
    # What the lock table holds while our run executes 0003_c.
    (target_db.directory / "0003_c.sql").write_text(
        "CREATE TABLE c AS SELECT pid FROM yoyo_lock;\n"
    )

    report = services.check()
    locks = [error for error in report.errors if error.kind == "lock"]
    assert len(locks) == 1 and "yoyo break-lock" in locks[0].hint and not report.safe
    with pytest.raises(LockNotAcquired, match="yoyo break-lock"):
        services.run_pending(actor=ACTOR)
    with pytest.raises(LockNotAcquired, match="yoyo break-lock"):
        services.mark_applied("0003_c.sql", actor=ACTOR)
    assert not target_db.exists("c")

    yoyo("break-lock")
    assert not [error for error in services.check().errors if error.kind == "lock"]
    report = services.run_pending(actor=ACTOR)
    assert report.ok and [step.name for step in report.completed] == ["0003_c.sql"]
    assert target_db.query("SELECT count(*) FROM c") == [(1,)]  # our row, during our run
    assert target_db.query("SELECT count(*) FROM yoyo_lock") == [(0,)]
    assert yoyo_states(yoyo("list")) == {"0001_a": "A", "0002_b": "A", "0003_c": "A"}


# ---- yoyo's mark takes a migration's dependencies with it --------------------------------------


def test_marking_a_migration_marks_what_it_depends_on_as_yoyo_mark_does(target_db, yoyo):
    yoyo("apply", "--batch")
    (target_db.directory / "0003_c.sql").write_text("CREATE TABLE c (id int);\n")
    (target_db.directory / "0004_d.sql").write_text(
        "-- depends: 0003_c\nCREATE TABLE d (id int);\n"
    )

    result = services.mark_applied("0004_d.sql", actor=ACTOR)
    assert result.written and "0003_c.sql" in result.message
    assert yoyo_states(yoyo("list")) == {"0001_a": "A", "0002_b": "A", "0003_c": "A", "0004_d": "A"}
    yoyo("apply", "--batch")
    assert not target_db.exists("c") and not target_db.exists("d")  # marked, never run
    marks = target_db.query(
        "SELECT migration_id FROM _yoyo_log WHERE operation = 'mark' ORDER BY created_at_utc"
    )
    assert marks == [("0003_c",), ("0004_d",)]
