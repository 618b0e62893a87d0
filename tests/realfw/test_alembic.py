"""Interoperability with the real Alembic CLI on the same ``alembic_version`` table.

The test's migrations directory is a throwaway Alembic environment (alembic.ini, env.py,
versions/) driven by the ``alembic`` command in a subprocess.
"""

from __future__ import annotations

import pytest

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import UnsupportedMigration

from .conftest import python_tool, run_tool

pytestmark = [pytest.mark.django_db, pytest.mark.realfw]

ACTOR = Actor(name="tester")

ALEMBIC_INI = "[alembic]\nscript_location = .\n"
ENV_PY = """\
import os

from alembic import context
from sqlalchemy import create_engine

with create_engine(os.environ["ALEMBIC_TEST_URL"]).connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
"""


def revision_script(
    revision: str, down: str | tuple[str, ...] | None, table: str, depends_on: str | None = None
) -> str:
    return (
        "from alembic import op\n\n"
        f"revision = {revision!r}\ndown_revision = {down!r}\n"
        f"branch_labels = None\ndepends_on = {depends_on!r}\n\n\n"
        f'def upgrade():\n    op.execute("CREATE TABLE {table} (id int)")\n\n\n'
        f'def downgrade():\n    op.execute("DROP TABLE {table}")\n'
    )


@pytest.fixture
def alembic(target_db):
    """Write revisions with ``alembic.add(...)``; run the CLI with ``alembic(...)``."""
    binary = python_tool("alembic", "alembic (PyPI)")
    root = target_db.directory
    (root / "alembic.ini").write_text(ALEMBIC_INI)
    (root / "env.py").write_text(ENV_PY)
    (root / "versions").mkdir()
    url = target_db.as_url().replace("postgresql://", "postgresql+psycopg://", 1)

    def run(*args: str) -> str:
        return run_tool([binary, *args], cwd=root, env={"ALEMBIC_TEST_URL": url}).stdout

    def add(revision: str, down, table: str, depends_on: str | None = None) -> None:
        (root / "versions" / f"{revision}_{table}.py").write_text(
            revision_script(revision, down, table, depends_on)
        )

    run.add = add
    return run


def states() -> list[tuple[str, str]]:
    return [(m.name, m.state.value) for m in services.status().migrations]


def heads(target_db) -> list[str]:
    return [row[0] for row in target_db.query("SELECT version_num FROM alembic_version ORDER BY 1")]


def test_alembic_applies_two_we_mark_the_third_and_alembic_agrees(target_db, alembic):
    alembic.add("aaa111", None, "a")
    alembic.add("bbb222", "aaa111", "b")
    alembic.add("ccc333", "bbb222", "c")
    alembic("upgrade", "bbb222")
    assert states() == [
        ("aaa111_a.py", "applied"),
        ("bbb222_b.py", "applied"),
        ("ccc333_c.py", "pending"),
    ]
    with pytest.raises(UnsupportedMigration, match="alembic upgrade head"):
        services.run_pending(actor=ACTOR)

    assert services.mark_applied("ccc333_c.py", actor=ACTOR).written
    assert heads(target_db) == ["ccc333"]  # the head replaced by its child, not added
    assert "ccc333 (head)" in alembic("current")
    alembic("upgrade", "head")
    assert not target_db.exists("c")  # Alembic ran nothing: it agrees ccc333 is applied


def test_branches_and_merge_keep_alembic_heads_exact(target_db, alembic):
    alembic.add("base01", None, "base")
    alembic.add("left02", "base01", "l")
    alembic.add("right3", "base01", "r")
    alembic.add("merge4", ("left02", "right3"), "m")
    alembic("upgrade", "left02")
    assert dict(states()) == {
        "base01_base.py": "applied",
        "left02_l.py": "applied",
        "right3_r.py": "pending",
        "merge4_m.py": "pending",
    }
    with pytest.raises(Exception, match="right3_r.py, which is pending"):
        services.mark_applied("merge4_m.py", actor=ACTOR)

    services.mark_applied("right3_r.py", actor=ACTOR)  # a second branch: a second head
    assert heads(target_db) == ["left02", "right3"]
    current = alembic("current")
    assert "left02" in current and "right3" in current

    services.mark_applied("merge4_m.py", actor=ACTOR)  # the merge replaces both heads
    assert heads(target_db) == ["merge4"]
    assert "merge4 (head)" in alembic("current")
    alembic("upgrade", "heads")
    assert not any(target_db.exists(table) for table in ("r", "m"))
    assert [state for _, state in states()] == ["applied"] * 4


def test_marking_a_revision_that_depends_on_another_head_writes_what_stamp_writes(
    target_db, alembic
):
    alembic.add("base01", None, "base")
    alembic.add("xone02", "base01", "x")
    alembic.add("yone03", "base01", "y")
    alembic.add("ytwo04", "yone03", "y2", depends_on="xone02")  # needs the other branch's head
    alembic("upgrade", "xone02")
    alembic("upgrade", "yone03")
    assert heads(target_db) == ["xone02", "yone03"]
    alembic("stamp", "ytwo04")  # what Alembic itself records for it...
    stamped = heads(target_db)
    alembic("stamp", "--purge", "xone02", "yone03")  # ...then back to the two heads
    assert heads(target_db) == ["xone02", "yone03"]

    target_db.execute("CREATE TABLE y2 (id int)")  # done by hand: we only record it
    services.mark_applied("ytwo04_y2.py", actor=ACTOR)
    assert heads(target_db) == stamped
    assert [state for _, state in states()] == ["applied"] * 4
    assert "ytwo04 (head)" in alembic("current")
    alembic("upgrade", "heads")  # nothing left to do (running ytwo04 would find y2 there)...
    alembic("downgrade", "-1")  # ...and a step back from ytwo04 to its two parents
    assert not target_db.exists("y2")
    assert heads(target_db) == ["xone02", "yone03"]


def test_its_versions_folder_is_a_migrations_directory_too(target_db, alembic, settings):
    alembic.add("aaa111", None, "a")
    alembic.add("bbb222", "aaa111", "b")
    alembic.add("ccc333", "bbb222", "c")
    alembic("upgrade", "aaa111")
    versions = str(target_db.directory / "versions")
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "MIGRATIONS_DIR": versions}
    assert services.status().warnings == ()
    assert states() == [
        ("aaa111_a.py", "applied"),
        ("bbb222_b.py", "pending"),
        ("ccc333_c.py", "pending"),
    ]
    assert services.mark_applied("bbb222_b.py", actor=ACTOR).written
    assert heads(target_db) == ["bbb222"]
    assert "bbb222" in alembic("current")
    alembic("upgrade", "head")
    assert target_db.exists("c") and not target_db.exists("b")
