"""Specs of the adapters that came first: node-pg-migrate, golang-migrate, Flyway."""

from __future__ import annotations

from .base import Spec, three_tables

NODE_PG_MIGRATE = Spec(
    framework="node-pg-migrate",
    ddl=(
        "CREATE TABLE {schema}.{table} (id SERIAL PRIMARY KEY, name varchar(255) NOT NULL,"
        " run_on timestamp NOT NULL)",
    ),
    files=three_tables(lambda i, table, body: (f"00{i}_{table}.sql", f"-- Up Migration\n{body}")),
    names=("001_conf_one.sql", "002_conf_two.sql", "003_conf_three.sql"),
    identifiers=("001_conf_one", "002_conf_two", "003_conf_three"),
    native_row=("INSERT INTO {schema}.{table} (name, run_on) VALUES ('001_conf_one', NOW())",),
    table="pgmigrations",
)

GOLANG_MIGRATE = Spec(
    framework="golang-migrate",
    ddl=(
        "CREATE TABLE IF NOT EXISTS {schema}.{table}"
        " (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)",
    ),
    files={
        **three_tables(lambda i, table, body: (f"00{i}_{table}.up.sql", body)),
        **three_tables(
            lambda i, table, body: (f"00{i}_{table}.down.sql", f"DROP TABLE {table};\n")
        ),
    },
    names=("001_conf_one.up.sql", "002_conf_two.up.sql", "003_conf_three.up.sql"),
    identifiers=("1", "2", "3"),
    native_row=("INSERT INTO {schema}.{table} (version, dirty) VALUES (1, false)",),
    table="schema_migrations",
)

FLYWAY = Spec(
    framework="flyway",
    ddl=(
        'CREATE TABLE {schema}.{table} ("installed_rank" INT NOT NULL, "version" VARCHAR(50),'
        ' "description" VARCHAR(200) NOT NULL, "type" VARCHAR(20) NOT NULL,'
        ' "script" VARCHAR(1000) NOT NULL, "checksum" INTEGER,'
        ' "installed_by" VARCHAR(100) NOT NULL,'
        ' "installed_on" TIMESTAMP NOT NULL DEFAULT now(),'
        ' "execution_time" INTEGER NOT NULL, "success" BOOLEAN NOT NULL)',
        "ALTER TABLE {schema}.{table} ADD CONSTRAINT flyway_schema_history_pk"
        " PRIMARY KEY (installed_rank)",
        "CREATE INDEX flyway_schema_history_s_idx ON {schema}.{table} (success)",
    ),
    files=three_tables(lambda i, table, body: (f"V{i}__create_{table}.sql", body)),
    names=("V1__create_conf_one.sql", "V2__create_conf_two.sql", "V3__create_conf_three.sql"),
    identifiers=("1", "2", "3"),
    # The row Flyway writes after applying V1__create_conf_one.sql; its checksum is Flyway's
    # CRC-32 of that file (algorithm checked against Flyway's own values in test_checksums).
    native_row=(
        "INSERT INTO {schema}.{table} (installed_rank, version, description, type, script,"
        " checksum, installed_by, execution_time, success) VALUES (1, '1', 'create conf one',"
        " 'SQL', 'V1__create_conf_one.sql', -1893986289, 'postgres', 4, true)",
    ),
    table="flyway_schema_history",
    has_checksum=True,
)

SPECS = [NODE_PG_MIGRATE, GOLANG_MIGRATE, FLYWAY]
