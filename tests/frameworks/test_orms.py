"""Diesel, Ecto and SeaORM: directory layout, transaction metadata, code migrations refused."""

from __future__ import annotations

import pytest

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import UnsupportedMigration
from migrations_manager.frameworks import registry

from .helpers import create_table

pytestmark = pytest.mark.django_db

ACTOR = Actor(name="tester")


def test_diesel_directories_and_run_in_transaction_false(target_db):
    folder = target_db.directory / "2024-01-01-120000_create_index"
    folder.mkdir()
    (folder / "up.sql").write_text("CREATE INDEX CONCURRENTLY i ON t (c);\n")
    (folder / "metadata.toml").write_text("run_in_transaction = false\n")
    (target_db.directory / "2024-01-02-000000_no_up_file").mkdir()
    adapter = registry.get("diesel")
    [found] = adapter.discover(services.migrations_directory())
    assert (found.name, found.identifier, found.path.name) == (
        "2024-01-01-120000_create_index",
        "20240101120000",
        "up.sql",
    )
    assert adapter.runs_outside_transaction(found)


@pytest.mark.parametrize(
    "framework, name, command",
    [
        ("ecto", "20240101000000_create_users.exs", "mix ecto.migrate"),
        ("seaorm", "m20240101_000001_create_users.rs", "sea-orm-cli migrate up"),
    ],
)
def test_code_migrations_are_refused_naming_the_framework_command(
    target_db, framework, name, command
):
    target_db.write(name, raw="# code\n")
    create_table(target_db, framework)
    with pytest.raises(UnsupportedMigration, match=command):
        services.run_pending(actor=ACTOR)
    assert services.mark_applied(name, actor=ACTOR).written


def test_ecto_files_are_found_in_the_phoenix_folder_too(target_db):
    folder = target_db.directory / "priv" / "repo" / "migrations"
    folder.mkdir(parents=True)
    (folder / "20240101000000_create_users.exs").write_text("# code\n")
    [found] = registry.get("ecto").discover(services.migrations_directory())
    assert (found.name, found.identifier) == ("20240101000000_create_users.exs", "20240101000000")
    with pytest.raises(UnsupportedMigration, match="is an Elixir migration"):
        registry.get("ecto").up_section(found)


def test_ecto_records_utc_whole_seconds(target_db):
    target_db.write("20240101000000_create_users.exs", raw="# code\n")
    create_table(target_db, "ecto")
    services.mark_applied("20240101000000_create_users.exs", actor=ACTOR)
    row = target_db.query(
        "SELECT version, inserted_at, abs(extract(epoch FROM"
        " (now() AT TIME ZONE 'UTC') - inserted_at)) < 60 FROM schema_migrations"
    )
    version, inserted_at, close_to_utc_now = row[0]
    assert version == 20240101000000 and inserted_at.microsecond == 0 and close_to_utc_now
