"""Interoperability with the real dbmate (npm ``dbmate``) on its ``schema_migrations`` table."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from migrations_manager import services
from migrations_manager.audit import Actor

from .conftest import held_back

pytestmark = [pytest.mark.django_db, pytest.mark.realfw]

ACTOR = Actor(name="tester")
NAMES = ("20240101000001_a.sql", "20240101000002_b.sql", "20240101000003_c.sql")


def write(target, name: str, up: str, *, options: str = "") -> None:
    table = name.removesuffix(".sql").rpartition("_")[2]
    target.write(
        name, raw=f"-- migrate:up{options}\n{up}\n\n-- migrate:down\nDROP TABLE {table};\n"
    )


def write_three(target) -> None:
    for name in NAMES:
        table = name.removesuffix(".sql").rpartition("_")[2]
        write(target, name, f"CREATE TABLE {table} (id int);")


def states() -> list[tuple[str, str]]:
    return [(m.name, m.state.value) for m in services.status().migrations]


def dbmate_applied_first_two(target, dbmate) -> None:
    """dbmate creates its table and applies M1 and M2; M3 arrives afterwards."""
    write_three(target)
    with held_back(target.directory, NAMES[2]):
        dbmate("migrate")
    report = services.status()
    assert (report.framework, str(report.tracking_table)) == ("dbmate", "public.schema_migrations")
    assert states() == [(NAMES[0], "applied"), (NAMES[1], "applied"), (NAMES[2], "pending")]


def assert_dbmate_sees_all_applied(target, dbmate) -> None:
    status = dbmate("status").stdout
    assert [line for line in status.splitlines() if line.startswith("[")] == [
        f"[X] {name}" for name in NAMES
    ]
    assert "Pending: 0" in status
    again = dbmate("migrate")
    assert "Applying" not in again.stdout + again.stderr


def test_marked_applied_is_applied_for_dbmate_and_it_runs_nothing(target_db, dbmate):
    dbmate_applied_first_two(target_db, dbmate)
    result = services.mark_applied(NAMES[2], actor=ACTOR)
    assert result.written and result.framework == "dbmate"
    assert_dbmate_sees_all_applied(target_db, dbmate)
    assert not target_db.exists("c")  # neither we nor dbmate ran it
    rows = target_db.query("SELECT version FROM schema_migrations ORDER BY version")
    assert rows == [("20240101000001",), ("20240101000002",), ("20240101000003",)]


def test_run_records_the_row_dbmate_expects(target_db, dbmate):
    dbmate_applied_first_two(target_db, dbmate)
    report = services.run_pending(actor=ACTOR)
    assert report.ok and [step.name for step in report.completed] == [NAMES[2]]
    assert target_db.exists("c")
    assert_dbmate_sees_all_applied(target_db, dbmate)


def test_transaction_false_runs_alone_and_dbmate_agrees(target_db, dbmate):
    dbmate_applied_first_two(target_db, dbmate)
    write(
        target_db,
        NAMES[2],
        "CREATE TABLE c (id int);\nCREATE INDEX CONCURRENTLY c_id ON c (id);",
        options=" transaction:false",
    )
    report = services.run_pending(actor=ACTOR)
    assert report.ok and not report.plan.atomic
    assert not report.plan.steps[0].transactional
    assert target_db.exists("c_id")
    assert_dbmate_sees_all_applied(target_db, dbmate)


def test_dbmate_applies_what_we_left_pending(target_db, dbmate, settings):
    """With no table yet, the framework is pinned; we create dbmate's table and dbmate uses it."""
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "FRAMEWORK": "dbmate"}
    write_three(target_db)
    assert services.run_pending([NAMES[0]], actor=ACTOR).ok
    assert states()[0] == (NAMES[0], "applied")
    result = dbmate("migrate")
    assert "Applying: 20240101000002_b.sql" in result.stdout
    assert target_db.exists("b") and target_db.exists("c")
    assert [state for _, state in states()] == ["applied"] * 3


def run_command(*args: str) -> str:
    """``pgmigrate`` as an operator sees it: its output and the error it exits with."""
    out = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("pgmigrate", *args, stdout=out, stderr=out)
    return f"{out.getvalue()}\n{failed.value}"


def test_a_partial_failure_says_what_stays_and_only_that(target_db, dbmate):
    """A ``transaction:false`` file whose second statement fails: its first stays, and every
    line of the output says so (none says that nothing was applied), in this run and in the
    next one, which resumes at the failed statement."""
    dbmate_applied_first_two(target_db, dbmate)
    target_db.execute("CREATE TABLE twice (id int); INSERT INTO twice VALUES (1), (1)")
    write(
        target_db,
        NAMES[2],
        "CREATE TABLE c (id int);\nCREATE UNIQUE INDEX CONCURRENTLY once ON twice (id);",
        options=" transaction:false",
    )
    for _ in range(2):
        printed = run_command("run")
        assert "statement 1 of 2 completed and stay" in printed
        assert "1 of its statements stay (no transaction)" in printed
        assert "nothing" not in printed.lower()
        assert target_db.exists("c")
    assert "[ ] 20240101000003_c.sql" in dbmate("status").stdout
