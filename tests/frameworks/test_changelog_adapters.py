"""Liquibase and Sqitch rules beyond the conformance suite: several changesets per file, dbms
filters, failures, what only the framework evaluates, transaction statements in scripts."""

from __future__ import annotations

import pytest

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import UnsupportedMigration
from migrations_manager.frameworks import registry

from .specs import SPECS
from .test_conformance import create, default_table

pytestmark = pytest.mark.django_db

ACTOR = Actor(name="tester")

CHANGELOG = """\
--liquibase formatted sql

--changeset alice:one
--comment: first table
CREATE TABLE one (id int);
--rollback DROP TABLE one;

--changeset "Bob Smith":two context:prod labels:core
CREATE TABLE two (id int);

--changeset alice:oracle-only dbms:oracle
CREATE TABLE ora (id int);

--changeset alice:props
CREATE TABLE ${prefix}three (id int);
"""


@pytest.fixture
def liquibase(target_db):
    spec = SPECS["liquibase"]
    create(target_db, spec, default_table(spec))
    (target_db.directory / "changelog.sql").write_text(CHANGELOG)
    return target_db


def names() -> list[str]:
    return [m.name for m in services.status().migrations]


def test_liquibase_changesets_of_one_file_in_order_without_other_dbms(liquibase):
    assert names() == [
        "changelog.sql::one::alice",
        "changelog.sql::two::Bob Smith",
        "changelog.sql::props::alice",
    ]


def test_liquibase_rows_we_write(liquibase):
    report = services.run_pending(
        ["changelog.sql::one::alice", "changelog.sql::two::Bob Smith"], actor=ACTOR
    )
    assert report.ok and liquibase.exists("one") and liquibase.exists("two")
    rows = liquibase.query(
        "SELECT id, author, filename, orderexecuted, exectype, md5sum, description, comments,"
        " contexts, labels, length(deployment_id) FROM databasechangelog ORDER BY orderexecuted"
    )
    assert rows == [
        (
            "one",
            "alice",
            "changelog.sql",
            1,
            "EXECUTED",
            None,
            "sql",
            "first table",
            None,
            None,
            10,
        ),
        ("two", "Bob Smith", "changelog.sql", 2, "EXECUTED", None, "sql", None, "prod", "core", 10),
    ]
    assert liquibase.scalar("SELECT count(DISTINCT deployment_id) FROM databasechangelog") == 1


def test_liquibase_refuses_to_run_what_only_liquibase_evaluates(liquibase):
    with pytest.raises(UnsupportedMigration, match=r"\$\{\.\.\.\} properties.*liquibase update"):
        services.run_pending(["changelog.sql::props::alice"], actor=ACTOR)


@pytest.mark.parametrize(
    ("exectype", "md5sum", "state"),
    [
        ("FAILED", None, "failed"),
        ("MARK_RAN", None, "applied"),
        ("SKIPPED", None, "pending"),
        ("EXECUTED", "8:0123456789abcdef0123456789abcdef", "applied"),  # v8: not recomputed
        ("EXECUTED", "9:0123456789abcdef0123456789abcdef", "modified"),
    ],
)
def test_liquibase_exectype_and_checksum_versions(liquibase, exectype, md5sum, state):
    liquibase.query(
        "INSERT INTO databasechangelog (id, author, filename, dateexecuted, orderexecuted,"
        " exectype, md5sum) VALUES ('one', 'alice', 'classpath:db/changelog.sql', now(), 1, %s,"
        " %s) RETURNING 1",
        (exectype, md5sum),
    )
    assert services.status().migrations[0].state.value == state


SQITCH_PLAN = """%project=shop
a 2024-01-01T00:00:00Z A <a@example.com>
reports/daily [a] 2024-01-01T00:01:00Z A <a@example.com> # in a subfolder
"""


@pytest.fixture
def sqitch_project(target_db):
    spec = SPECS["sqitch"]
    create(target_db, spec, default_table(spec))
    root = target_db.directory
    (root / "sqitch.plan").write_text(SQITCH_PLAN)
    (root / "deploy" / "reports").mkdir(parents=True)
    (root / "deploy" / "a.sql").write_text("BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n")
    (root / "deploy" / "reports" / "daily.sql").write_text("CREATE TABLE daily (id int);\n")
    return target_db


def test_sqitch_change_names_with_a_slash_and_fail_events(sqitch_project):
    """A `fail` event only logs a failed deploy: Sqitch deploys the change again."""
    conn = sqitch_project.connect()
    conn.execute(
        "INSERT INTO sqitch.projects (project, creator_name, creator_email)"
        " VALUES ('shop', 'x', 'x')"
    )
    conn.execute(
        "INSERT INTO sqitch.events (event, change_id, change, project, committer_name,"
        " committer_email, planned_at, planner_name, planner_email) VALUES ('fail', 'f00',"
        " 'a', 'shop', 'x', 'x', now(), 'A', 'a@example.com')"
    )
    report = services.status()
    assert [(m.name, m.state.value) for m in report.migrations] == [
        ("a", "pending"),
        ("reports\u2215daily", "pending"),
    ]
    assert report.migrations[0].detail == "Sqitch logged a fail event for it; Sqitch runs it again"


def test_sqitch_scripts_run_without_their_own_begin_and_commit(sqitch_project):
    """Sqitch's scripts wrap themselves in BEGIN … COMMIT: the wrapper is absorbed, and the
    scripts run in their segment's transaction."""
    adapter = registry.get("sqitch")
    report = services.run_pending(actor=ACTOR)
    absorbed = {step.name: step.absorbed for step in report.plan.steps}
    assert absorbed == {"a": (1, 3), "reports\u2215daily": ()}
    assert report.plan.atomic
    assert report.ok and sqitch_project.exists("a") and sqitch_project.exists("daily")
    assert adapter.name == services.status().framework
    assert sqitch_project.query(
        "SELECT d.dependency, d.dependency_id = a.change_id FROM sqitch.dependencies d,"
        " sqitch.changes a WHERE a.change = 'a'"
    ) == [("a", True)]
