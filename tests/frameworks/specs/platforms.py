"""Specs of the platform CLIs and pgroll: Hasura (v1), Supabase, pgroll."""

from __future__ import annotations

import json

from .base import Spec, three_tables

HASURA = Spec(
    framework="hasura",
    ddl=(
        "CREATE TABLE IF NOT EXISTS {schema}.{table} (version bigint NOT NULL PRIMARY KEY,"
        " dirty boolean NOT NULL)",
    ),
    files={
        **three_tables(lambda i, table, body: (f"170406720000{i}_{table}/up.sql", body)),
        **three_tables(
            lambda i, table, body: (f"170406720000{i}_{table}/down.sql", f"DROP TABLE {table};")
        ),
    },
    names=("1704067200001_conf_one", "1704067200002_conf_two", "1704067200003_conf_three"),
    identifiers=("1704067200001", "1704067200002", "1704067200003"),
    native_row=("INSERT INTO {schema}.{table} (version, dirty) VALUES (1704067200001, false)",),
    schema="hdb_catalog",
    table="schema_migrations",
)

SUPABASE = Spec(
    framework="supabase",
    ddl=(
        "CREATE TABLE IF NOT EXISTS {schema}.{table} (version text NOT NULL PRIMARY KEY)",
        "ALTER TABLE {schema}.{table} ADD COLUMN IF NOT EXISTS statements text[]",
        "ALTER TABLE {schema}.{table} ADD COLUMN IF NOT EXISTS name text",
    ),
    files=three_tables(lambda i, table, body: (f"2024010100000{i}_{table}.sql", body)),
    names=(
        "20240101000001_conf_one.sql",
        "20240101000002_conf_two.sql",
        "20240101000003_conf_three.sql",
    ),
    identifiers=("20240101000001", "20240101000002", "20240101000003"),
    native_row=(
        "INSERT INTO {schema}.{table} (version, name, statements)"
        " VALUES ('20240101000001', 'conf_one', ARRAY['CREATE TABLE conf_one (id int)'])",
    ),
    schema="supabase_migrations",
    table="schema_migrations",
)


def _pgroll_file(index: int, table: str, body: str) -> tuple[str, str]:
    column = {"name": "id", "type": "int", "pk": True}
    operation = {"create_table": {"name": table, "columns": [column]}}
    return f"0{index}_{table}.json", json.dumps({"operations": [operation]}, indent=2)


# pgroll stores the migration as Go re-encodes it: zero-valued fields spelled out.
PGROLL_STORED = (
    json.dumps(
        {
            "name": "01_conf_one",
            "operations": [
                {
                    "create_table": {
                        "name": "conf_one",
                        "columns": [{"name": "id", "type": "int", "pk": True, "nullable": False}],
                        "comment": None,
                    }
                }
            ],
        }
    )
    .replace("{", "{{")
    .replace("}", "}}")
)

PGROLL = Spec(
    framework="pgroll",
    # The table as `pgroll init` leaves it; the two helper functions that pgroll's own SQL
    # calls are small stand-ins with the same signatures.
    ddl=(
        "CREATE TABLE IF NOT EXISTS {schema}.{table} (schema NAME NOT NULL, name text NOT NULL,"
        " migration jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,"
        " updated_at timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP, parent text,"
        " done boolean NOT NULL DEFAULT FALSE,"
        " resulting_schema jsonb NOT NULL DEFAULT '{{}}'::jsonb,"
        " migration_type varchar(32) DEFAULT 'pgroll'"
        " CHECK (migration_type IN ('pgroll', 'inferred', 'baseline')),"
        " PRIMARY KEY (schema, name),"
        " FOREIGN KEY (schema, parent) REFERENCES {schema}.{table} (schema, name))",
        "CREATE UNIQUE INDEX ON {schema}.{table} (schema, name, done) WHERE done = FALSE",
        "CREATE UNIQUE INDEX ON {schema}.{table} (schema) WHERE parent IS NULL",
        "CREATE UNIQUE INDEX ON {schema}.{table} (schema, parent)",
        "CREATE FUNCTION {schema}.latest_migration(schemaname name) RETURNS text"
        " LANGUAGE sql STABLE AS $$ SELECT p.name FROM {schema}.{table} p"
        " WHERE p.schema = schemaname AND NOT EXISTS (SELECT 1 FROM {schema}.{table} c"
        " WHERE c.schema = schemaname AND c.parent = p.name) $$",
        "CREATE FUNCTION {schema}.read_schema(schemaname text) RETURNS jsonb LANGUAGE sql"
        " STABLE AS $$ SELECT jsonb_build_object('name', schemaname, 'tables', '{{}}'::jsonb) $$",
    ),
    files=three_tables(_pgroll_file),
    names=("01_conf_one.json", "02_conf_two.json", "03_conf_three.json"),
    identifiers=("01_conf_one", "02_conf_two", "03_conf_three"),
    native_row=(
        "INSERT INTO {schema}.{table} (schema, name, migration, parent, done, resulting_schema)"
        f" VALUES ('public', '01_conf_one', '{PGROLL_STORED}', NULL, true,"
        ' \'{{"name": "public", "tables": {{}}}}\')',
    ),
    schema="pgroll",
    table="migrations",
    runnable=False,
    has_checksum=True,
)

SPECS = [HASURA, SUPABASE, PGROLL]
