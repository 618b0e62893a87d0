"""Hasura (v1), Supabase CLI and pgroll: schema-bound tables, stored statements and documents."""

from __future__ import annotations

import json

import psycopg
import pytest

from migrations_manager import services
from migrations_manager.exceptions import UnsupportedMigration
from migrations_manager.frameworks import detection, registry
from migrations_manager.frameworks.pgroll import canonical
from migrations_manager.frameworks.platforms import supabase_statements

from .helpers import create_table, details, states

pytestmark = pytest.mark.django_db


def test_hasura_is_golang_migrate_shaped_but_lives_in_hdb_catalog(target_db):
    create_table(target_db, "hasura")
    create_table(target_db, "golang-migrate")
    with psycopg.connect(target_db.url) as conn:
        found = {(c.detected.schema, c.detected.framework) for c in detection.detect(conn)}
    assert found == {("hdb_catalog", "hasura"), ("public", "golang-migrate")}


def test_hasura_dirty_rows_fail_and_yaml_migrations_are_the_cli_s(target_db):
    for version, up in (("1", "up.sql"), ("2", "up.yaml")):
        folder = target_db.directory / f"{version}_step"
        folder.mkdir()
        (folder / up).write_text("SELECT 1;\n")
    create_table(
        target_db, "hasura", "INSERT INTO {schema}.{table} (version, dirty) VALUES (1, true)"
    )
    assert states() == [("1_step", "failed"), ("2_step", "pending")]
    adapter = registry.get("hasura")
    yaml_step = adapter.discover(services.migrations_directory())[1]
    with pytest.raises(UnsupportedMigration, match="hasura migrate apply"):
        adapter.up_section(yaml_step)


@pytest.mark.parametrize(
    "text, statements",
    [
        ("CREATE TABLE a ();\n", ["CREATE TABLE a ()"]),
        ("-- note\nSELECT 1;\nSELECT 2;", ["-- note\nSELECT 1", "SELECT 2"]),
        ("SELECT ';';;\n\n-- trailing\n", ["SELECT ';'", "-- trailing"]),
        ("DO $$ BEGIN PERFORM 1; END $$;", ["DO $$ BEGIN PERFORM 1; END $$"]),
    ],
)
def test_supabase_statements_as_the_cli_splits_them(text, statements):
    assert supabase_statements(text) == statements


def pgroll_file(target_db, name: str, nullable: object) -> None:
    column = {"name": "id", "type": "int", "nullable": nullable}
    document = {"operations": [{"create_table": {"name": "t", "columns": [column]}}]}
    target_db.write(name, raw=json.dumps(document))


def test_pgroll_compares_documents_as_go_decodes_them(target_db):
    pgroll_file(target_db, "01_t.json", False)
    stored = (
        json.dumps(
            {
                "name": "01_t",
                "operations": [
                    {"create_table": {"name": "t", "columns": [{"name": "id", "type": "int"}]}}
                ],
            }
        )
        .replace("{", "{{")
        .replace("}", "}}")
    )
    create_table(
        target_db,
        "pgroll",
        "INSERT INTO {schema}.{table} (schema, name, migration, done)"
        f" VALUES ('public', '01_t', '{stored}', true)",
    )
    assert states() == [("01_t.json", "applied")]
    pgroll_file(target_db, "01_t.json", True)
    assert states() == [("01_t.json", "modified")]


def test_pgroll_unfinished_rows_fail_and_inferred_rows_are_not_migrations(target_db):
    target_db.write("01_t.yaml", raw="operations:\n  - sql:\n      up: SELECT 1\n")
    create_table(
        target_db,
        "pgroll",
        "INSERT INTO {schema}.{table} (schema, name, migration, parent, done, migration_type)"
        " VALUES ('public', '01_t', '{{}}', NULL, false, 'pgroll'),"
        " ('public', 'sql_abc', '{{}}', '01_t', true, 'inferred')",
    )
    assert states() == [("01_t.yaml", "failed")]
    assert "not completed" in details()[0]
    assert canonical({"name": "x", "a": [0, {"b": None}]}) == '{"a":[0,{}]}'
