"""Tern, goose and dbmate: their SQL layouts, markers and bookkeeping rules."""

from __future__ import annotations

import psycopg
import pytest

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import UnsupportedMigration
from migrations_manager.frameworks import detection, registry

from .helpers import create_table, states

pytestmark = pytest.mark.django_db

ACTOR = Actor(name="tester")


def migration(target_db, framework: str, name: str, text: str):
    target_db.write(name, raw=text)
    adapter = registry.get(framework)
    found = {m.name: m for m in adapter.discover(services.migrations_directory())}
    return adapter, found[name]


def test_tern_divides_up_and_down_at_its_magic_comment(target_db):
    text = "CREATE TABLE t (note text DEFAULT '---- create above / drop below ----');\n"
    text += "---- create above / drop below ----\nDROP TABLE t;\n"
    adapter, found = migration(target_db, "tern", "001_t.sql", text)
    assert adapter.up_section(found).text.strip().endswith("below ----');")
    down = adapter.down_section(found)
    assert (down.first_line, down.text.splitlines()[1]) == (2, "DROP TABLE t;")
    assert not adapter.runs_outside_transaction(found)


def test_tern_disable_tx_and_templates(target_db):
    adapter, plain = migration(
        target_db,
        "tern",
        "001_i.sql",
        "---- tern: disable-tx ----\nCREATE INDEX CONCURRENTLY i ON t (c);\n",
    )
    assert adapter.runs_outside_transaction(plain)
    adapter, templated = migration(target_db, "tern", "002_p.sql", "CREATE TABLE {{.prefix}}t ();")
    with pytest.raises(UnsupportedMigration, match="template syntax.*tern migrate"):
        adapter.up_section(templated)


def test_tern_row_zero_means_nothing_and_marking_moves_the_version(target_db):
    for index in (1, 2):
        target_db.write(f"00{index}_t{index}.sql", f"CREATE TABLE t{index} ();")
    create_table(target_db, "tern")
    assert [state for _, state in states()] == ["pending", "pending"]
    services.mark_applied("001_t1.sql", actor=ACTOR)
    services.mark_applied("002_t2.sql", actor=ACTOR)
    assert target_db.query("SELECT version FROM schema_version") == [(2,)]


def test_goose_sections_markers_and_refusals(target_db):
    text = (
        "-- +goose NO TRANSACTION\n-- +goose Up\n-- +goose StatementBegin\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;\n"
        "-- +goose StatementEnd\n-- +goose Down\nDROP FUNCTION f();\n"
    )
    adapter, found = migration(target_db, "goose", "00001_f.sql", text)
    assert adapter.runs_outside_transaction(found)
    assert adapter.up_section(found).first_line == 2
    assert adapter.down_section(found).text.splitlines()[1:] == ["DROP FUNCTION f();"]
    _, missing = migration(target_db, "goose", "00002_x.sql", "SELECT '-- +goose Up';\n")
    with pytest.raises(UnsupportedMigration, match=r"'-- \+goose Up'"):
        adapter.up_section(missing)
    _, envsubst = migration(
        target_db, "goose", "00003_e.sql", "-- +goose Up\n-- +goose ENVSUBST ON\nSELECT '${X}';\n"
    )
    with pytest.raises(UnsupportedMigration, match="goose up"):
        adapter.up_section(envsubst)
    _, go_file = migration(target_db, "goose", "00004_g.go", "package migrations\n")
    with pytest.raises(UnsupportedMigration, match="goose up"):
        adapter.up_section(go_file)


def test_goose_newest_row_per_version_decides(target_db):
    for index in (1, 2):
        target_db.write(f"0000{index}_t{index}.sql", raw=f"-- +goose Up\nCREATE TABLE t{index} ();")
    create_table(
        target_db,
        "goose",
        "INSERT INTO {schema}.{table} (version_id, is_applied) VALUES (1, true), (2, true)",
        # what an old goose `down` wrote: a later row saying version 2 is no longer applied
        "INSERT INTO {schema}.{table} (version_id, is_applied) VALUES (2, false)",
    )
    assert states() == [("00001_t1.sql", "applied"), ("00002_t2.sql", "pending")]


def test_goose_table_we_create_has_the_version_zero_row(target_db, settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "FRAMEWORK": "goose"}
    target_db.write("00001_t.sql", raw="-- +goose Up\nCREATE TABLE t ();\n")
    assert services.run_pending(actor=ACTOR).ok
    assert target_db.query("SELECT version_id, is_applied FROM goose_db_version ORDER BY id") == [
        (0, True),
        (1, True),
    ]


@pytest.mark.parametrize(
    "text, problem",
    [
        ("CREATE TABLE t ();\n-- migrate:down\n", "'-- migrate:up'"),
        ("-- migrate:up\nCREATE TABLE t ();\n", "'-- migrate:down'"),
        ("-- migrate:down\n-- migrate:up\n", "before '-- migrate:down'"),
        ("SELECT 1;\n-- migrate:up\n-- migrate:down\n", "statements before"),
    ],
)
def test_dbmate_refuses_what_dbmate_refuses(target_db, text, problem):
    adapter, found = migration(target_db, "dbmate", "1_t.sql", text)
    with pytest.raises(UnsupportedMigration, match=problem):
        adapter.up_section(found)


def test_dbmate_and_rails_share_a_table_shape_and_the_sibling_decides(target_db):
    create_table(target_db, "dbmate")
    with psycopg.connect(target_db.url) as conn:
        assert [c.detected.framework for c in detection.detect(conn)] == ["dbmate"]
    with psycopg.connect(target_db.url, autocommit=True) as conn:
        conn.execute("CREATE TABLE ar_internal_metadata (key varchar PRIMARY KEY, value varchar)")
        assert "dbmate" not in [c.detected.framework for c in detection.detect(conn)]
