"""Specs of the Rust SQL migrators with checksums: SQLx and refinery."""

from __future__ import annotations

from .base import Spec, three_tables

SQLX = Spec(
    framework="sqlx",
    ddl=(
        "CREATE TABLE IF NOT EXISTS {schema}.{table} (version BIGINT PRIMARY KEY,"
        " description TEXT NOT NULL, installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),"
        " success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL)",
    ),
    files=three_tables(lambda i, table, body: (f"{i}_{table}.sql", body)),
    names=("1_conf_one.sql", "2_conf_two.sql", "3_conf_three.sql"),
    identifiers=("1", "2", "3"),
    # The row SQLx writes for 1_conf_one.sql: checksum = SHA-384 of the file.
    native_row=(
        "INSERT INTO {schema}.{table} (version, description, success, checksum, execution_time)"
        " VALUES (1, 'conf one', TRUE, '\\x4738a3d43b6c533faa61fada9dba838c7195dfbeefab3cbdb72929"
        "46aceb2fda9f3e0bf625ca4dd9dc8a4469e60055e4'::bytea, 2103845)",
    ),
    table="_sqlx_migrations",
    has_checksum=True,
)

REFINERY = Spec(
    framework="refinery",
    ddl=(
        "CREATE TABLE IF NOT EXISTS {schema}.{table} (version INT4 PRIMARY KEY,"
        " name VARCHAR(255), applied_on VARCHAR(255), checksum VARCHAR(255))",
    ),
    files=three_tables(lambda i, table, body: (f"V{i}__{table}.sql", body)),
    names=("V1__conf_one.sql", "V2__conf_two.sql", "V3__conf_three.sql"),
    identifiers=("1", "2", "3"),
    # The row refinery writes for V1__conf_one.sql: SipHash-1-3 of (name, version, SQL).
    native_row=(
        "INSERT INTO {schema}.{table} (version, name, applied_on, checksum) VALUES"
        " (1, 'conf_one', '2024-01-01T00:00:00.123456789Z', '18069406408719786446')",
    ),
    table="refinery_schema_history",
    has_checksum=True,
)

SPECS = [SQLX, REFINERY]
