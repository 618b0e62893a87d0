"""SQLx and refinery: their file names, failure flags, checksums and transaction markers."""

from __future__ import annotations

import pytest

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.frameworks import registry
from migrations_manager.frameworks.checksums import refinery_checksum

from .helpers import create_table, details, states

pytestmark = pytest.mark.django_db

ACTOR = Actor(name="tester")


def test_sqlx_reversible_files_description_and_no_transaction(target_db):
    target_db.write("20240101_add_users.up.sql", raw="-- no-transaction\nCREATE TABLE u ();\n")
    target_db.write("20240101_add_users.down.sql", raw="DROP TABLE u;\n")
    target_db.write("20240102_plain.sql", raw="SELECT 1; -- no-transaction\n")
    adapter = registry.get("sqlx")
    up, plain = adapter.discover(services.migrations_directory())
    assert (up.name, up.identifier, up.down_path.name) == (
        "20240101_add_users.up.sql",
        "20240101",
        "20240101_add_users.down.sql",
    )
    assert adapter.parsed(up).description == "add users"
    assert adapter.runs_outside_transaction(up)  # the file starts with the marker
    assert not adapter.runs_outside_transaction(plain)  # elsewhere it is a plain comment


def test_sqlx_failed_row_and_crlf_checksum(target_db):
    target_db.write("1_a.sql", raw="CREATE TABLE a ();\r\n")
    target_db.write("2_b.sql", raw="CREATE TABLE b ();\n")
    create_table(
        target_db,
        "sqlx",
        # 1: hashed by a sqlx.toml with ignored-chars = ["\r"]; 2: left dirty by an old SQLx.
        "INSERT INTO {schema}.{table} (version, description, success, checksum, execution_time)"
        " VALUES (1, 'a', true, sha384('CREATE TABLE a ();\n'), 1),"
        " (2, 'b', false, sha384('CREATE TABLE b ();\n'), 1)",
    )
    assert states() == [("1_a.sql", "applied"), ("2_b.sql", "failed")]
    assert "success = false" in details()[1]


def test_refinery_writes_the_checksum_of_its_version_width(target_db):
    target_db.write("V1__first.sql", raw="CREATE TABLE first ();\n")
    create_table(target_db, "refinery", "ALTER TABLE {schema}.{table} ALTER version TYPE int8")
    services.mark_applied("V1__first.sql", actor=ACTOR)
    stored = target_db.scalar("SELECT checksum FROM refinery_schema_history")
    assert stored == refinery_checksum("first", 1, "CREATE TABLE first ();\n", int8=True)
    applied_on = target_db.scalar("SELECT applied_on FROM refinery_schema_history")
    assert applied_on.endswith("Z") and "T" in applied_on
    assert states() == [("V1__first.sql", "applied")]


def test_refinery_reads_only_its_names_and_refuses_rust_files(target_db):
    for name in ("V1__a.sql", "U2__b.sql", "V3__c.rs", "V4_no_double_underscore.sql", "x.sql"):
        target_db.write(name, raw="SELECT 1;\n")
    adapter = registry.get("refinery")
    found = adapter.discover(services.migrations_directory())
    assert [m.name for m in found] == ["V1__a.sql", "U2__b.sql", "V3__c.rs"]
    with pytest.raises(Exception, match="refinery runner"):
        adapter.up_section(found[2])
