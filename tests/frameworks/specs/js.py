"""Specs of the JavaScript family: Knex, Kysely, Sequelize, TypeORM, MikroORM, db-migrate (their
migrations are JS/TS modules: status and mark only), postgres-migrations, Prisma, Drizzle and
graphile-migrate (SQL files: also run).

The DDL is what each framework sends, as read from its source (and checked against the real
framework in tests/realfw where it installs). Checksums in native rows are computed here with
hashlib from the framework's documented recipe, independently of the code under test.
"""

from __future__ import annotations

import hashlib
import json

from .base import Spec, three_tables

TABLES = ("conf_one", "conf_two", "conf_three")
SQL = {table: f"CREATE TABLE {table} (id int);\n" for table in TABLES}
STAMPS = ("20240101000001", "20240101000002", "20240101000003")
JS_MILLIS = ("1704067200001", "1704067200002", "1704067200003")


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def knex_module(index: int, table: str, body: str) -> tuple[str, str]:
    return f"{STAMPS[index - 1]}_{table}.js", (
        f'exports.up = (knex) => knex.raw("{body.strip()}");\n'
        f'exports.down = (knex) => knex.raw("DROP TABLE {table}");\n'
    )


KNEX = Spec(
    framework="knex",
    ddl=(
        'CREATE TABLE {schema}.{table} ("id" serial primary key, "name" varchar(255),'
        ' "batch" integer, "migration_time" timestamptz)',
        'CREATE TABLE {schema}."knex_migrations_lock" ("index" serial primary key,'
        ' "is_locked" integer)',
        'INSERT INTO {schema}."knex_migrations_lock" ("is_locked") VALUES (0)',
    ),
    files=three_tables(knex_module),
    names=tuple(f"{stamp}_{table}.js" for stamp, table in zip(STAMPS, TABLES, strict=True)),
    identifiers=tuple(f"{stamp}_{table}.js" for stamp, table in zip(STAMPS, TABLES, strict=True)),
    native_row=(
        "INSERT INTO {schema}.{table} (name, batch, migration_time)"
        " VALUES ('20240101000001_conf_one.js', 1, '2024-01-01 00:00:00+00')",
    ),
    table="knex_migrations",
    runnable=False,
)

KYSELY = Spec(
    framework="kysely",
    ddl=(
        'CREATE TABLE {schema}.{table} ("name" varchar(255) not null primary key,'
        ' "timestamp" varchar(255) not null)',
        'CREATE TABLE {schema}."kysely_migration_lock" ("id" varchar(255) not null primary key,'
        ' "is_locked" integer default 0 not null)',
        'INSERT INTO {schema}."kysely_migration_lock" ("id", "is_locked")'
        " VALUES ('migration_lock', 0)",
    ),
    files=three_tables(
        lambda i, table, body: (
            f"00{i}_{table}.ts",
            "import { Kysely, sql } from 'kysely'\n\nexport async function up(db: Kysely<any>)"
            f" {{\n  await sql`{body.strip()}`.execute(db)\n}}\n",
        )
    ),
    names=("001_conf_one.ts", "002_conf_two.ts", "003_conf_three.ts"),
    identifiers=("001_conf_one", "002_conf_two", "003_conf_three"),
    native_row=(
        'INSERT INTO {schema}.{table} ("name", "timestamp")'
        " VALUES ('001_conf_one', '2024-01-01T00:00:00.000Z')",
    ),
    table="kysely_migration",
    runnable=False,
)

SEQUELIZE = Spec(
    framework="sequelize",
    ddl=(
        'CREATE TABLE IF NOT EXISTS {schema}.{table} ("name" VARCHAR(255) NOT NULL UNIQUE ,'
        ' PRIMARY KEY ("name"))',
    ),
    files=three_tables(
        lambda i, table, body: (
            f"{STAMPS[i - 1]}-{table.replace('_', '-')}.js",
            "module.exports = {\n  async up(queryInterface) {\n"
            f'    await queryInterface.sequelize.query("{body.strip()}");\n  }},\n}};\n',
        )
    ),
    names=tuple(f"{s}-{t.replace('_', '-')}.js" for s, t in zip(STAMPS, TABLES, strict=True)),
    identifiers=tuple(f"{s}-{t.replace('_', '-')}.js" for s, t in zip(STAMPS, TABLES, strict=True)),
    native_row=("INSERT INTO {schema}.{table} (\"name\") VALUES ('20240101000001-conf-one.js')",),
    table="SequelizeMeta",
    runnable=False,
)

TYPEORM_CLASSES = ("ConfOne", "ConfTwo", "ConfThree")
TYPEORM = Spec(
    framework="typeorm",
    ddl=(
        'CREATE TABLE {schema}.{table} ("id" SERIAL NOT NULL, "timestamp" bigint NOT NULL,'
        ' "name" character varying NOT NULL,'
        ' CONSTRAINT "PK_8c82d7f526340ab734260ea46be" PRIMARY KEY ("id"))',
    ),
    files=three_tables(
        lambda i, table, body: (
            f"{JS_MILLIS[i - 1]}-{TYPEORM_CLASSES[i - 1]}.ts",
            'import { MigrationInterface, QueryRunner } from "typeorm";\n\n'
            f"export class {TYPEORM_CLASSES[i - 1]}{JS_MILLIS[i - 1]} implements"
            " MigrationInterface {\n  public async up(queryRunner: QueryRunner): Promise<void> {\n"
            f'    await queryRunner.query("{body.strip()}");\n  }}\n}}\n',
        )
    ),
    names=tuple(f"{m}-{c}.ts" for m, c in zip(JS_MILLIS, TYPEORM_CLASSES, strict=True)),
    identifiers=tuple(f"{c}{m}" for m, c in zip(JS_MILLIS, TYPEORM_CLASSES, strict=True)),
    native_row=(
        'INSERT INTO {schema}.{table} ("timestamp", "name")'
        " VALUES (1704067200001, 'ConfOne1704067200001')",
    ),
    table="migrations",
    runnable=False,
)

MIKRO_ORM = Spec(
    framework="mikro-orm",
    ddl=(
        'CREATE TABLE {schema}.{table} ("id" serial primary key, "name" varchar(255),'
        ' "executed_at" timestamptz default CURRENT_TIMESTAMP)',
    ),
    files=three_tables(
        lambda i, table, body: (
            f"Migration{STAMPS[i - 1]}.ts",
            "import { Migration } from '@mikro-orm/migrations';\n\n"
            f"export class Migration{STAMPS[i - 1]} extends Migration {{\n"
            f"  async up(): Promise<void> {{\n    this.addSql('{body.strip()}');\n  }}\n}}\n",
        )
    ),
    names=tuple(f"Migration{stamp}.ts" for stamp in STAMPS),
    identifiers=tuple(f"Migration{stamp}" for stamp in STAMPS),
    native_row=("INSERT INTO {schema}.{table} (\"name\") VALUES ('Migration20240101000001')",),
    table="mikro_orm_migrations",
    runnable=False,
)

DB_MIGRATE = Spec(
    framework="db-migrate",
    ddl=(
        'CREATE TABLE IF NOT EXISTS {schema}.{table} ("id" SERIAL PRIMARY KEY NOT NULL,'
        ' "name" VARCHAR (255) NOT NULL, "run_on" TIMESTAMP NOT NULL)',
    ),
    files=three_tables(
        lambda i, table, body: (
            f"{STAMPS[i - 1]}-{table.replace('_', '-')}.js",
            f"'use strict';\n\nexports.up = function (db) {{\n"
            f"  return db.runSql('{body.strip()}');\n}};\n",
        )
    ),
    names=tuple(f"{s}-{t.replace('_', '-')}.js" for s, t in zip(STAMPS, TABLES, strict=True)),
    identifiers=tuple(f"/{s}-{t.replace('_', '-')}" for s, t in zip(STAMPS, TABLES, strict=True)),
    native_row=(
        'INSERT INTO {schema}.{table} ("name", "run_on")'
        " VALUES ('/20240101000001-conf-one', '2024-01-01 00:00:00')",
    ),
    table="migrations",
    runnable=False,
)

# Migration 0 of the library, and the hash it stores for it (sha1 of file name + content).
POSTGRES_MIGRATIONS_OWN_HASH = "e18db593bcde2aca2a408c4d1100f6abba2195df"
POSTGRES_MIGRATIONS = Spec(
    framework="postgres-migrations",
    ddl=(
        "CREATE TABLE IF NOT EXISTS {schema}.{table} (\n  id integer PRIMARY KEY,\n"
        "  name varchar(100) UNIQUE NOT NULL,\n  hash varchar(40) NOT NULL,\n"
        "  executed_at timestamp DEFAULT current_timestamp\n)",
        'INSERT INTO {schema}.{table} ("id", "name", "hash")'
        f" VALUES (0, 'create-migrations-table', '{POSTGRES_MIGRATIONS_OWN_HASH}')",
    ),
    files=three_tables(lambda i, table, body: (f"{i}_{table}.sql", body)),
    names=("1_conf_one.sql", "2_conf_two.sql", "3_conf_three.sql"),
    identifiers=("1", "2", "3"),
    native_row=(
        'INSERT INTO {schema}.{table} ("id", "name", "hash")'
        f" VALUES (1, 'conf_one', '{sha1('1_conf_one.sql' + SQL['conf_one'])}')",
    ),
    table="migrations",
    has_checksum=True,
)

PRISMA = Spec(
    framework="prisma",
    ddl=(
        "CREATE TABLE {schema}.{table} (\n    id VARCHAR(36) PRIMARY KEY NOT NULL,\n"
        "    checksum VARCHAR(64) NOT NULL,\n    finished_at TIMESTAMPTZ,\n"
        "    migration_name VARCHAR(255) NOT NULL,\n    logs TEXT,\n"
        "    rolled_back_at TIMESTAMPTZ,\n    started_at TIMESTAMPTZ NOT NULL DEFAULT now(),\n"
        "    applied_steps_count INTEGER NOT NULL DEFAULT 0\n)",
    ),
    files=three_tables(lambda i, table, body: (f"{STAMPS[i - 1]}_{table}/migration.sql", body)),
    names=tuple(f"{stamp}_{table}" for stamp, table in zip(STAMPS, TABLES, strict=True)),
    identifiers=tuple(f"{stamp}_{table}" for stamp, table in zip(STAMPS, TABLES, strict=True)),
    # The row `prisma migrate deploy` leaves after applying the first migration.
    native_row=(
        "INSERT INTO {schema}.{table} (id, checksum, finished_at, migration_name, logs,"
        " rolled_back_at, started_at, applied_steps_count) VALUES"
        " ('6f1d3c2e-9a43-4b6e-8f0a-2d5c7e9b1a34',"
        f" '{sha256(SQL['conf_one'])}', now(), '20240101000001_conf_one', NULL, NULL, now(), 1)",
    ),
    table="_prisma_migrations",
    has_checksum=True,
)

DRIZZLE_JOURNAL = {
    "version": "7",
    "dialect": "postgresql",
    "entries": [
        {
            "idx": i,
            "version": "7",
            "when": int(JS_MILLIS[i]),
            "tag": f"000{i}_{table}",
            "breakpoints": True,
        }
        for i, table in enumerate(TABLES)
    ],
}
DRIZZLE = Spec(
    framework="drizzle",
    ddl=(
        "CREATE TABLE IF NOT EXISTS {schema}.{table} (\n\t\t\t\tid SERIAL PRIMARY KEY,\n"
        "\t\t\t\thash text NOT NULL,\n\t\t\t\tcreated_at bigint\n\t\t\t)",
    ),
    files={
        "meta/_journal.json": json.dumps(DRIZZLE_JOURNAL, indent=2),
        **three_tables(lambda i, table, body: (f"000{i - 1}_{table}.sql", body)),
    },
    names=("0000_conf_one.sql", "0001_conf_two.sql", "0002_conf_three.sql"),
    identifiers=JS_MILLIS,
    native_row=(
        'INSERT INTO {schema}.{table} ("hash", "created_at")'
        f" VALUES ('{sha256(SQL['conf_one'])}', 1704067200001)",
    ),
    schema="drizzle",
    table="__drizzle_migrations",
    has_checksum=True,
)


def graphile_chain() -> tuple[dict[str, str], list[str]]:
    """Committed files chained as graphile-migrate commits them, and their hashes."""
    files, hashes, previous = {}, [], ""
    for index, table in enumerate(TABLES, start=1):
        digest = "sha1:" + sha1((previous + "\n" + SQL[table].strip()).strip() + "\n")
        header = f"--! Previous: {previous or '-'}\n--! Hash: {digest}\n\n"
        files[f"committed/00000{index}-{table.replace('_', '-')}.sql"] = header + SQL[table]
        hashes.append(digest)
        previous = digest
    return files, hashes


GRAPHILE_FILES, GRAPHILE_HASHES = graphile_chain()
GRAPHILE_MIGRATE = Spec(
    framework="graphile-migrate",
    ddl=(
        "CREATE TABLE {schema}.{table} (hash text primary key, previous_hash text references"
        " {schema}.{table}, filename text not null, date timestamptz not null default now())",
        "CREATE TABLE {schema}.current (filename text primary key default 'current.sql',"
        " content text not null, date timestamptz not null default now())",
    ),
    files=GRAPHILE_FILES,
    names=("000001-conf-one.sql", "000002-conf-two.sql", "000003-conf-three.sql"),
    identifiers=("000001.sql", "000002.sql", "000003.sql"),
    native_row=(
        "INSERT INTO {schema}.{table} (hash, previous_hash, filename)"
        f" VALUES ('{GRAPHILE_HASHES[0]}', NULL, '000001.sql')",
    ),
    schema="graphile_migrate",
    table="migrations",
    has_checksum=True,
)

SPECS = [
    KNEX,
    KYSELY,
    SEQUELIZE,
    TYPEORM,
    MIKRO_ORM,
    DB_MIGRATE,
    POSTGRES_MIGRATIONS,
    PRISMA,
    DRIZZLE,
    GRAPHILE_MIGRATE,
]
