"""Other frameworks' ledgers in states their own tools refuse to run past, and their locks.

A dirty golang-migrate version, a Flyway row with ``success = false``, a Prisma migration left
unfinished: the framework itself refuses to migrate until a human repairs it, so a run or a
mark-applied of ours refuses too (and never erases the flag). Where a framework takes a lock
of its own for its runs, ours takes it too for its whole length: it refuses while the framework
holds it, and the framework finds it taken while ours runs. The tables are the frameworks' own
DDL (``tests/frameworks/specs``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import GateRefused, LockNotAcquired
from migrations_manager.frameworks.lock_keys import (
    PRISMA_KEY,
    SQITCH_KEY,
    flyway_key,
    golang_migrate_keys,
)
from migrations_manager.models import MigrationRun
from migrations_manager.types import TableRef
from tests.frameworks.helpers import create_table
from tests.frameworks.specs import SPECS

pytestmark = pytest.mark.django_db

ACTOR = Actor(name="tester")


def lay_out(target, framework: str, *rows: str) -> None:
    """The framework's three migrations, and its table as it makes it, with ``rows``."""
    for relative, content in SPECS[framework].files.items():
        path = Path(target.directory, relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    create_table(target, framework, *rows)


def test_a_dirty_golang_migrate_version_refuses_run_and_mark(target_db):
    lay_out(target_db, "golang-migrate", "INSERT INTO {schema}.{table} VALUES (2, true)")
    with pytest.raises(GateRefused, match=r"golang-migrate records 002_conf_two\.up\.sql as fail"):
        services.run_pending(actor=ACTOR)
    with pytest.raises(GateRefused) as refused:
        services.mark_applied("003_conf_three.up.sql", actor=ACTOR)
    assert "migrate -path ... -database ... force VERSION" in refused.value.errors[0].hint
    assert target_db.query("SELECT version, dirty FROM schema_migrations") == [(2, True)]
    assert not target_db.exists("conf_three")
    outcomes = set(MigrationRun.objects.values_list("outcome", flat=True))
    assert outcomes == {"refused"}


def test_a_failed_flyway_row_refuses_the_run(target_db):
    row = (
        "INSERT INTO {schema}.{table} (installed_rank, version, description, type, script,"
        " checksum, installed_by, execution_time, success) VALUES (1, '1', 'create conf one',"
        " 'SQL', 'V1__create_conf_one.sql', NULL, 'postgres', 4, false)"
    )
    lay_out(target_db, "flyway", row)
    with pytest.raises(GateRefused) as refused:
        services.run_pending(actor=ACTOR)
    [error] = refused.value.errors
    assert (error.kind, error.file) == ("ledger", "V1__create_conf_one.sql")
    assert "`flyway repair`" in error.hint
    assert target_db.scalar("SELECT count(*) FROM flyway_schema_history") == 1
    assert not target_db.exists("conf_two")


def test_a_taken_liquibase_lock_refuses_the_run(target_db):
    lay_out(target_db, "liquibase")
    target_db.execute(
        "UPDATE databasechangeloglock SET locked = true, lockgranted = '2026-01-01 10:00',"
        " lockedby = 'build-7 (10.0.0.7)' WHERE id = 1"
    )
    with pytest.raises(LockNotAcquired, match=r"Liquibase's lock is taken \(build-7"):
        services.run_pending(actor=ACTOR)
    assert target_db.query("SELECT locked, lockedby FROM databasechangeloglock") == [
        (True, "build-7 (10.0.0.7)")
    ]
    assert not target_db.exists("conf_one")


def test_liquibases_lock_row_is_ours_while_we_run_and_free_after(target_db):
    """A migration that reads the lock row sees it taken by this run; afterwards it is free."""
    lay_out(target_db, "liquibase")
    first = Path(target_db.directory, SPECS["liquibase"].migration_files[0])
    first.write_text(
        first.read_text()
        + "CREATE TABLE seen AS SELECT locked, lockedby FROM databasechangeloglock;\n"
    )
    assert services.run_pending(actor=ACTOR).ok
    [(locked, lockedby)] = target_db.query("SELECT locked, lockedby FROM seen")
    assert locked and "#truss-migrations (pid " in lockedby
    assert target_db.query("SELECT locked, lockedby FROM databasechangeloglock") == [(False, None)]


def advisory_keys_held_by_the_run(target) -> set[int]:
    """The advisory keys a migration's own session held (recorded by the migration itself)."""
    return {(high << 32) + low for high, low in target.query("SELECT classid, objid FROM held")}


HELD = (
    "CREATE TABLE held AS SELECT classid::bigint AS classid, objid::bigint AS objid"
    " FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted;\n"
)


@pytest.mark.parametrize(
    "framework, keys",
    [
        (
            "golang-migrate",
            lambda db: golang_migrate_keys(TableRef("public", "schema_migrations"), db),
        ),
        ("flyway", lambda db: (flyway_key(TableRef("public", "flyway_schema_history")),)),
        ("sqitch", lambda db: (SQITCH_KEY,)),
        ("prisma", lambda db: (PRISMA_KEY,)),
    ],
    ids=["golang-migrate", "flyway", "sqitch", "prisma"],
)
def test_a_frameworks_own_lock_is_held_for_the_run_and_refuses_it_when_taken(
    target_db, framework, keys
):
    expected = set(keys(target_db.name))
    lay_out(target_db, framework)
    holder = target_db.connect(application_name=f"{framework}-cli")
    key = next(iter(expected))
    holder.execute("SELECT pg_advisory_lock(%s)", (key,))
    with pytest.raises(LockNotAcquired, match=f"holds its own migration lock.*{framework}-cli"):
        services.run_pending(actor=ACTOR)
    holder.execute("SELECT pg_advisory_unlock_all()")

    spec = SPECS[framework]
    first = Path(target_db.directory, (spec.migration_files or tuple(spec.files))[0])
    text = first.read_text()
    if "COMMIT;" in text:  # a Sqitch script wraps itself: stay inside the wrapper
        head, _, tail = text.rpartition("COMMIT;")
        first.write_text(head + HELD + "COMMIT;" + tail)
    else:
        first.write_text(text + "\n" + HELD)
    report = services.run_pending(actor=ACTOR)
    assert report.ok, report.failure
    assert expected <= advisory_keys_held_by_the_run(target_db)
    assert 7241865325823964 in advisory_keys_held_by_the_run(target_db)  # and ours
