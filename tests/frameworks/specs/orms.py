"""Specs of the ORM migrators: Diesel, Ecto, SeaORM."""

from __future__ import annotations

from .base import Spec, three_tables

ELIXIR = """defmodule Repo.Migrations.{module} do
  use Ecto.Migration

  def change do
    create table(:{table})
  end
end
"""
RUST = """use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;
// creates {table}
"""

DIESEL = Spec(
    framework="diesel",
    ddl=(
        "CREATE TABLE IF NOT EXISTS {schema}.{table} (version VARCHAR(50) PRIMARY KEY NOT NULL,"
        " run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
    ),
    files={
        **three_tables(lambda i, table, body: (f"2024-01-01-00000{i}_{table}/up.sql", body)),
        **three_tables(
            lambda i, table, body: (f"2024-01-01-00000{i}_{table}/down.sql", f"DROP TABLE {table};")
        ),
    },
    names=(
        "2024-01-01-000001_conf_one",
        "2024-01-01-000002_conf_two",
        "2024-01-01-000003_conf_three",
    ),
    identifiers=("20240101000001", "20240101000002", "20240101000003"),
    native_row=("INSERT INTO {schema}.{table} (version) VALUES ('20240101000001')",),
    table="__diesel_schema_migrations",
)

ECTO = Spec(
    framework="ecto",
    ddl=(
        'CREATE TABLE IF NOT EXISTS {schema}.{table} ("version" bigint,'
        ' "inserted_at" timestamp(0), PRIMARY KEY ("version"))',
    ),
    files=three_tables(
        lambda i, table, body: (
            f"2024010100000{i}_{table}.exs",
            ELIXIR.replace("{module}", table.title().replace("_", "")).replace("{table}", table),
        )
    ),
    names=(
        "20240101000001_conf_one.exs",
        "20240101000002_conf_two.exs",
        "20240101000003_conf_three.exs",
    ),
    identifiers=("20240101000001", "20240101000002", "20240101000003"),
    native_row=(
        "INSERT INTO {schema}.{table} (version, inserted_at)"
        " VALUES (20240101000001, '2024-01-01 00:00:01')",
    ),
    table="schema_migrations",
    runnable=False,
)

SEAORM = Spec(
    framework="seaorm",
    ddl=(
        'CREATE TABLE IF NOT EXISTS {schema}.{table} ("version" varchar NOT NULL PRIMARY KEY,'
        ' "applied_at" bigint NOT NULL)',
    ),
    files={
        **three_tables(
            lambda i, table, body: (
                f"m20240101_00000{i}_{table}.rs",
                RUST.replace("{table}", table),
            )
        ),
        "lib.rs": "pub use sea_orm_migration::prelude::*;\n",  # not a migration
    },
    names=(
        "m20240101_000001_conf_one.rs",
        "m20240101_000002_conf_two.rs",
        "m20240101_000003_conf_three.rs",
    ),
    identifiers=(
        "m20240101_000001_conf_one",
        "m20240101_000002_conf_two",
        "m20240101_000003_conf_three",
    ),
    native_row=(
        "INSERT INTO {schema}.{table} (version, applied_at)"
        " VALUES ('m20240101_000001_conf_one', 1704067201)",
    ),
    table="seaql_migrations",
    runnable=False,
)

SPECS = [DIESEL, ECTO, SEAORM]
