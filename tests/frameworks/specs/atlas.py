"""Spec of Atlas's revision table."""

from __future__ import annotations

from .base import Spec, three_tables

ATLAS = Spec(
    framework="atlas",
    # What Atlas's ent migration creates for the revisions table on PostgreSQL.
    ddl=(
        'CREATE TABLE {schema}.{table} ("version" character varying NOT NULL,'
        ' "description" character varying NOT NULL, "type" bigint NOT NULL DEFAULT 2,'
        ' "applied" bigint NOT NULL DEFAULT 0, "total" bigint NOT NULL DEFAULT 0,'
        ' "executed_at" timestamptz NOT NULL, "execution_time" bigint NOT NULL,'
        ' "error" text NULL, "error_stmt" text NULL, "hash" character varying NOT NULL,'
        ' "partial_hashes" jsonb NULL, "operator_version" character varying NOT NULL,'
        ' PRIMARY KEY ("version"))',
    ),
    files=three_tables(lambda i, table, body: (f"2024010100000{i}_{table}.sql", body)),
    names=(
        "20240101000001_conf_one.sql",
        "20240101000002_conf_two.sql",
        "20240101000003_conf_three.sql",
    ),
    identifiers=("20240101000001", "20240101000002", "20240101000003"),
    # What `atlas migrate apply` leaves after executing the first file: the table's identifier
    # row, then the file's row with its atlas.sum hash (the algorithm is checked against
    # Atlas's own atlas.sum in test_checksums).
    native_row=(
        "INSERT INTO {schema}.{table} (version, description, type, applied, total, executed_at,"
        " execution_time, hash, operator_version) VALUES ('.atlas_cloud_identifier',"
        " '6f1c1e0e-3c3e-4b8e-9a51-2f5d0c7e8a11', 2, 0, 0, now(), 0, '', 'Atlas CLI v0.30.0')",
        "INSERT INTO {schema}.{table} (version, description, type, applied, total, executed_at,"
        " execution_time, error, error_stmt, hash, partial_hashes, operator_version) VALUES"
        " ('20240101000001', 'conf_one', 2, 1, 1, now(), 1830417, NULL, NULL,"
        " 'gBoBGKUIDjXsHnnPrQrdpPjsqSVcRSV4e1pTCVY9Q0A=', NULL, 'Atlas CLI v0.30.0')",
    ),
    schema="atlas_schema_revisions",
    table="atlas_schema_revisions",
    has_checksum=True,
)

SPECS = [ATLAS]
