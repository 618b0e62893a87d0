"""The real Sqitch on reworked changes: each plan entry (``c@v1.0``, then the reworked ``c``)
is a migration of its own, deployed, reverted and recorded in plan order. And on a failed
deploy: Sqitch only logs a ``fail`` event and deploys the change again, so it is pending."""

from __future__ import annotations

import pytest

from migrations_manager import services

from .common import mark, run_pending, states
from .conftest import require_tool, run_tool
from .test_sqitch import PLAN

pytestmark = [pytest.mark.django_db, pytest.mark.realfw]

CONFIG = "[core]\n\tengine = pg\n[user]\n\tname = Grace Hopper\n\temail = grace@example.com\n"

# The reworked c adds a column; its verify script checks the column, the original's the table.
REWORKED_DEPLOY = "BEGIN;\nALTER TABLE c ADD COLUMN note text;\nCOMMIT;\n"
REWORKED_REVERT = "BEGIN;\nALTER TABLE c DROP COLUMN note;\nCOMMIT;\n"
REWORKED_VERIFY = "SELECT note FROM c WHERE false;\n"

# Every row Sqitch keeps of the deployed changes (committer and times aside).
REGISTRY = {
    "changes": "SELECT change_id, script_hash, change, note, planned_at FROM sqitch.changes"
    " ORDER BY change_id",
    "dependencies": "SELECT change_id, type, dependency, dependency_id FROM sqitch.dependencies"
    " ORDER BY change_id, dependency",
    "tags": "SELECT tag_id, tag, change_id, note FROM sqitch.tags ORDER BY tag_id",
}


@pytest.fixture
def sqitch(target_db):
    """``sqitch(command, *args)`` in a project holding changes a, b, c and tag @v1.0; commands
    that talk to a database get the test's."""
    binary = require_tool("sqitch", "sqitch (Debian package)")
    require_tool("psql", "psql (Debian postgresql-client), which Sqitch runs scripts with")
    root = target_db.directory
    (root / "sqitch.plan").write_text(PLAN)
    (root / "sqitch.conf").write_text(CONFIG)
    for table in "abc":
        write_change(root, table, deploy=f"BEGIN;\nCREATE TABLE {table} (id int);\nCOMMIT;\n")
        (root / "revert" / f"{table}.sql").write_text(f"BEGIN;\nDROP TABLE {table};\nCOMMIT;\n")
        (root / "verify" / f"{table}.sql").write_text(f"SELECT id FROM {table} WHERE false;\n")
    uri = target_db.as_url().replace("postgresql://", "db:pg://", 1)

    def run(command: str, *args: str, check: bool = True) -> str:
        target = () if command == "rework" else (uri,)
        result = run_tool([binary, command, *args, *target], cwd=root, check=check)
        return result.stdout + result.stderr

    return run


def write_change(root, name: str, *, deploy: str) -> None:
    for folder in ("deploy", "revert", "verify"):
        (root / folder).mkdir(exist_ok=True)
    (root / "deploy" / f"{name}.sql").write_text(deploy)


def rework_c(root, sqitch) -> None:
    """``sqitch rework c``: the original scripts become c@v1.0's, c's are then rewritten."""
    sqitch("rework", "c", "-n", "Adds a note to c.")
    assert (root / "deploy" / "c@v1.0.sql").is_file()
    (root / "deploy" / "c.sql").write_text(REWORKED_DEPLOY)
    (root / "revert" / "c.sql").write_text(REWORKED_REVERT)
    (root / "verify" / "c.sql").write_text(REWORKED_VERIFY)


def sqitch_agrees(sqitch) -> None:
    """Sqitch's own status, verify and next deploy find everything deployed, in plan order."""
    assert "Nothing to deploy (up-to-date)" in sqitch("status")
    assert "Verify successful" in sqitch("verify")
    assert "Nothing to deploy" in sqitch("deploy")


def registry_rows(target_db) -> dict[str, list]:
    return {table: target_db.query(query) for table, query in REGISTRY.items()}


def test_an_undeployed_rework_is_pending_and_we_deploy_it(target_db, sqitch):
    sqitch("deploy")
    rework_c(target_db.directory, sqitch)
    assert states() == [("a", "applied"), ("b", "applied"), ("c@v1.0", "applied"),
                        ("c", "pending")]  # fmt: skip

    assert [step.name for step in run_pending().completed] == ["c"]
    sqitch_agrees(sqitch)
    ours = registry_rows(target_db)
    sqitch("revert", "-y", "--to", "@v1.0")  # Sqitch reverts the rework we deployed...
    assert states()[-1] == ("c", "pending")
    sqitch("deploy")  # ...and deploys it itself: the same rows
    assert registry_rows(target_db) == ours


def test_a_reverted_original_is_deployed_before_its_rework(target_db, sqitch):
    sqitch("deploy")
    rework_c(target_db.directory, sqitch)
    sqitch("revert", "-y", "--to", "b")  # reverts the original c with revert/c@v1.0.sql
    assert states()[2:] == [("c@v1.0", "pending"), ("c", "pending")]

    assert [step.name for step in run_pending().completed] == ["c@v1.0", "c"]
    assert states()[2:] == [("c@v1.0", "applied"), ("c", "applied")]
    sqitch_agrees(sqitch)
    ours = registry_rows(target_db)
    sqitch("revert", "-y", "--to", "b")
    sqitch("deploy")
    assert registry_rows(target_db) == ours


def test_we_mark_the_original_and_its_rework_and_sqitch_agrees(target_db, sqitch):
    sqitch("deploy", "--to", "b")
    rework_c(target_db.directory, sqitch)
    assert states()[2:] == [("c@v1.0", "pending"), ("c", "pending")]
    target_db.execute("CREATE TABLE c (id int, note text)")  # what both would have done

    mark("c@v1.0")
    mark("c")
    sqitch_agrees(sqitch)


def test_a_failed_deploy_once_fixed_is_pending_and_we_deploy_it(target_db, sqitch):
    root = target_db.directory
    sqitch("deploy", "--to", "b")
    (root / "deploy" / "c.sql").write_text("BEGIN;\nCREATE TABLE c (id no_such_type);\nCOMMIT;\n")
    assert "Deploy failed" in sqitch("deploy", check=False)  # Sqitch logs a `fail` event
    (root / "deploy" / "c.sql").write_text("BEGIN;\nCREATE TABLE c (id int);\nCOMMIT;\n")
    assert target_db.query("SELECT event FROM sqitch.events WHERE change = 'c'") == [("fail",)]
    status = services.status().migrations[-1]
    assert (status.name, status.state.value) == ("c", "pending")

    assert [step.name for step in run_pending().completed] == ["c"]
    sqitch_agrees(sqitch)
