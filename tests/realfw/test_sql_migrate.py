"""Interoperability with the real sql-migrate (Debian package ``sql-migrate``) on its
``gorp_migrations`` table."""

from __future__ import annotations

import pytest

from migrations_manager import services

from .common import mark, run_pending, states
from .conftest import command_line_tool, held_back, require_tool

pytestmark = [pytest.mark.django_db, pytest.mark.realfw]

NAMES = ("1_a.sql", "2_b.sql", "10_c.sql")  # sql-migrate's order: by number, 2 before 10


@pytest.fixture
def sql_migrate(target_db, tmp_path):
    binary = require_tool("sql-migrate", "sql-migrate (Debian package sql-migrate)")
    (tmp_path / "dbconfig.yml").write_text(
        "development:\n"
        "  dialect: postgres\n"
        f"  datasource: {target_db.url} sslmode=disable\n"
        f"  dir: {target_db.directory}\n"
    )
    return command_line_tool(binary, "sql-migrate", cwd=tmp_path, env={})


def write(target, name: str, up: str, *, option: str = "") -> None:
    table = name.removesuffix(".sql").partition("_")[2]
    target.write(
        name,
        raw=f"-- +migrate Up{option}\n{up}\n\n-- +migrate Down\nDROP TABLE {table};\n",
    )


def write_three(target) -> None:
    for name in NAMES:
        write(target, name, f"CREATE TABLE {name.removesuffix('.sql').partition('_')[2]} (id int);")


def assert_sql_migrate_sees_all_applied(sql_migrate) -> None:
    status = sql_migrate("status").stdout
    rows = [line.split("|") for line in status.splitlines() if ".sql" in line]
    assert [(cells[1].strip(), cells[2].strip() != "no") for cells in rows] == [
        (name, True) for name in NAMES
    ], status
    assert "Applied 0 migrations" in sql_migrate("up").stdout


def test_sql_migrate_applies_two_we_mark_the_third_and_it_agrees(target_db, sql_migrate):
    write_three(target_db)
    sql_migrate("up", "-limit=2")
    report = services.status()
    assert (report.framework, str(report.tracking_table)) == (
        "sql-migrate",
        "public.gorp_migrations",
    )
    assert states() == [(NAMES[0], "applied"), (NAMES[1], "applied"), (NAMES[2], "pending")]

    mark(NAMES[2])

    assert_sql_migrate_sees_all_applied(sql_migrate)
    assert not target_db.exists("c")


def test_a_notransaction_file_runs_alone_and_sql_migrate_agrees(target_db, sql_migrate):
    write_three(target_db)
    sql_migrate("up", "-limit=2")
    write(
        target_db,
        NAMES[2],
        "CREATE TABLE c (id int);\nCREATE INDEX CONCURRENTLY c_id ON c (id);",
        option=" notransaction",
    )
    report = run_pending()
    assert not report.plan.steps[0].transactional
    assert target_db.exists("c_id")
    assert_sql_migrate_sees_all_applied(sql_migrate)


def test_a_file_older_than_the_last_applied_is_caught_up_as_sql_migrate_does(
    target_db, sql_migrate
):
    write_three(target_db)
    with held_back(target_db.directory, NAMES[1]):
        sql_migrate("up")
    assert states()[1] == (NAMES[1], "pending")
    run_pending()  # no order rule: sql-migrate itself applies it on its next up
    assert target_db.exists("b")
    assert_sql_migrate_sees_all_applied(sql_migrate)
    sql_migrate("down", "-limit=1")  # rolls back the newest by id order: 10_c
    assert states()[2] == (NAMES[2], "pending")
