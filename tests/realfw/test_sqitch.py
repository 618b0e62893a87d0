"""Interoperability with the real Sqitch (Debian package) on its ``sqitch`` registry."""

from __future__ import annotations

import pytest

from migrations_manager import services
from migrations_manager.audit import Actor

from .conftest import require_tool, run_tool

pytestmark = [pytest.mark.django_db, pytest.mark.realfw]

ACTOR = Actor(name="tester")

PLAN = """%syntax-version=1.0.0
%project=interop

a 2024-02-01T09:00:00Z Grace Hopper <grace@example.com> # Creates a.
b [a] 2024-02-01T09:01:00Z Grace Hopper <grace@example.com> # Creates b.
c [b] 2024-02-01T09:02:00Z Grace Hopper <grace@example.com> # Creates c.
@v1.0 2024-02-01T09:03:00Z Grace Hopper <grace@example.com> # First release.
"""

# What `sqitch deploy` wrote for change c, column by column (committer and times aside).
ROWS_OF_C = {
    "changes": "SELECT change_id, script_hash, change, project, note, planned_at, planner_name,"
    " planner_email FROM sqitch.changes WHERE change = 'c'",
    "dependencies": "SELECT d.change_id, type, dependency, dependency_id FROM"
    " sqitch.dependencies d JOIN sqitch.changes USING (change_id) WHERE change = 'c'",
    "tags": "SELECT tag_id, tag, project, change_id, note, planned_at, planner_name,"
    " planner_email FROM sqitch.tags",
    # Events accumulate: ours and Sqitch's deploy events of c must be one and the same row.
    "events": "SELECT DISTINCT event, change_id, change, project, note, tags, requires, conflicts,"
    " planned_at, planner_name, planner_email FROM sqitch.events WHERE change = 'c'"
    " AND event = 'deploy'",
}


@pytest.fixture
def sqitch(target_db):
    """Run ``sqitch <command> ... <target>`` in a project holding changes a, b, c."""
    binary = require_tool("sqitch", "sqitch (Debian package)")
    require_tool("psql", "psql (Debian postgresql-client), which Sqitch runs scripts with")
    root = target_db.directory
    (root / "sqitch.plan").write_text(PLAN)
    (root / "sqitch.conf").write_text("[core]\n\tengine = pg\n")
    for folder in ("deploy", "revert"):
        (root / folder).mkdir()
    for table in "abc":
        (root / "deploy" / f"{table}.sql").write_text(
            f"-- Deploy interop:{table} to pg\n\nBEGIN;\n\nCREATE TABLE {table} (id int);\n\n"
            "COMMIT;\n"
        )
        (root / "revert" / f"{table}.sql").write_text(f"BEGIN;\nDROP TABLE {table};\nCOMMIT;\n")
    uri = target_db.as_url().replace("postgresql://", "db:pg://", 1)

    def run(command: str, *args: str) -> str:
        return run_tool([binary, command, *args, uri], cwd=root).stdout

    return run


def states() -> list[tuple[str, str]]:
    return [(m.name, m.state.value) for m in services.status().migrations]


def test_sqitch_deploys_two_we_mark_the_third_and_sqitch_agrees(target_db, sqitch):
    sqitch("deploy", "--to", "b")
    assert states() == [("a", "applied"), ("b", "applied"), ("c", "pending")]
    assert services.status().framework == "sqitch"

    assert services.mark_applied("c", actor=ACTOR).written
    assert "Nothing to deploy (up-to-date)" in sqitch("status")
    assert "Nothing to deploy" in sqitch("deploy")
    assert not target_db.exists("c")  # marking ran nothing, and Sqitch deployed nothing


def test_we_deploy_the_third_as_sqitch_would_and_sqitch_reverts_it(target_db, sqitch):
    sqitch("deploy", "--to", "b")
    report = services.run_pending(actor=ACTOR)
    assert report.ok and [step.name for step in report.completed] == ["c"]
    assert target_db.exists("c")
    assert "Nothing to deploy (up-to-date)" in sqitch("status")
    ours = {table: target_db.query(query) for table, query in ROWS_OF_C.items()}

    sqitch("revert", "-y", "--to", "b")  # Sqitch reverts what we deployed...
    assert not target_db.exists("c")
    sqitch("deploy")  # ...and deploys it again itself: the rows it writes are ours
    assert {table: target_db.query(query) for table, query in ROWS_OF_C.items()} == ours
    assert all(ours.values())
