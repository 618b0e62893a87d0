"""Ledgers renamed in the framework's own configuration (knex ``tableName``/``schemaName``,
Sequelize ``migrationStorageTableName``/``migrationStorageTableSchema``, TypeORM
``migrationsTableName``): found from the project's config file, read without running it, or
from the table's columns; another framework's files are never handed to node-pg-migrate."""

from __future__ import annotations

import json
import time

import pytest

from migrations_manager import services
from migrations_manager.exceptions import UnsupportedMigration

from .common import ACTOR, mark, states
from .test_typeorm import DATA_SOURCE

pytestmark = [pytest.mark.django_db, pytest.mark.realfw]

KNEX_NAMES = ("20240101000001_a.js", "20240101000002_b.js", "20240101000003_c.js")
SEQUELIZE_NAMES = ("20240101000001-a.js", "20240101000002-b.js", "20240101000003-c.js")
# The knexfile computes the directory at load time: a reader that ran it would see it, ours
# reads only the literals (tableName, schemaName).
KNEXFILE = """\
// tableName: 'not_this_one' (a comment is no setting)
const path = require('path');
module.exports = {
  client: 'pg',
  connection: {},
  migrations: {
    directory: path.join(__dirname, 'migrations'),
    tableName: "knex_history",
    schemaName: 'ledgers',
  },
};
"""


@pytest.fixture
def project(target_db, node_project, settings):
    """The Node.js project: its migrations directory is the app's."""
    directory = node_project.root / "migrations"
    directory.mkdir()
    node_project.write("package.json", '{"name": "app", "private": true}\n')
    node_project.env["MIGRATIONS_DIR"] = str(directory)
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "MIGRATIONS_DIR": str(directory)}
    return node_project


def write_knex(directory, names=KNEX_NAMES) -> None:
    for name in names:
        table = name[15]
        (directory / name).write_text(
            f"exports.up = (knex) => knex.raw('CREATE TABLE {table} (id int)');\n"
            f"exports.down = (knex) => knex.raw('DROP TABLE IF EXISTS {table}');\n"
        )


def write_sequelize(directory) -> None:
    for name in SEQUELIZE_NAMES:
        query = "(queryInterface) => queryInterface.sequelize.query"
        (directory / name).write_text(
            f"module.exports = {{\n  up: {query}('CREATE TABLE {name[15]} (id int)'),\n"
            f"  down: {query}('DROP TABLE {name[15]}'),\n}};\n"
        )


def test_knex_table_and_schema_named_in_the_knexfile(target_db, project):
    target_db.execute("CREATE SCHEMA ledgers")
    project.write("knexfile.js", KNEXFILE)
    write_knex(project.root / "migrations")
    project.run("knex", "migrate:up")
    project.run("knex", "migrate:up")
    report = services.status()
    assert (report.framework, str(report.tracking_table)) == ("knex", "ledgers.knex_history")
    assert states() == [
        (KNEX_NAMES[0], "applied"),
        (KNEX_NAMES[1], "applied"),
        (KNEX_NAMES[2], "pending"),
    ]

    mark(KNEX_NAMES[2])

    assert "Already up to date" in project.run("knex", "migrate:latest").stdout
    assert not target_db.exists("c")
    assert target_db.scalar("SELECT count(*) FROM ledgers.knex_history") == 3


def test_a_fresh_database_reads_the_directory_as_the_configured_framework(target_db, project):
    """No ledger yet: the knexfile says whose files these are, and where their ledger goes."""
    target_db.execute("CREATE SCHEMA ledgers")
    project.write("knexfile.js", KNEXFILE)
    write_knex(project.root / "migrations")
    report = services.status()
    assert (report.framework, str(report.tracking_table)) == ("knex", "ledgers.knex_history")
    assert [m.state.value for m in report.migrations] == ["pending"] * 3


def test_a_renamed_knex_ledger_is_found_by_its_columns_without_a_config(target_db, project):
    """The knexfile lives outside the project (a deploy repository): the table's columns are
    Knex's, whatever its name."""
    elsewhere = project.root.parent / "deploy"
    elsewhere.mkdir()
    (elsewhere / "knexfile.js").write_text(KNEXFILE.replace("schemaName: 'ledgers',", ""))
    (elsewhere / "migrations").symlink_to(project.root / "migrations")
    write_knex(project.root / "migrations")
    project.run("knex", "migrate:up", "--knexfile", str(elsewhere / "knexfile.js"))
    report = services.status()
    assert (report.framework, report.tracking_table.name) == ("knex", "knex_history")
    assert [m.state.value for m in report.migrations] == ["applied", "pending", "pending"]


def sequelize_config(project, **extra: str) -> None:
    settings = project.connection(user="username")
    config = {"development": {"dialect": "postgres", **settings, "logging": False, **extra}}
    project.write("config/config.json", json.dumps(config))


def test_sequelize_storage_table_and_schema_named_in_its_config(target_db, project):
    target_db.execute("CREATE SCHEMA meta")
    sequelize_config(
        project, migrationStorageTableName="sequelize_history", migrationStorageTableSchema="meta"
    )
    write_sequelize(project.root / "migrations")
    project.run("sequelize-cli", "db:migrate", "--to", SEQUELIZE_NAMES[1])
    report = services.status()
    assert (report.framework, str(report.tracking_table)) == ("sequelize", "meta.sequelize_history")
    assert states()[2] == (SEQUELIZE_NAMES[2], "pending")

    mark(SEQUELIZE_NAMES[2])

    status = project.run("sequelize-cli", "db:migrate:status").stdout
    assert [line.split()[0] for line in status.splitlines() if line.endswith(".js")] == ["up"] * 3
    assert not target_db.exists("c")


def test_sequelize_files_never_reach_node_pg_migrate(target_db, project):
    """Sequelize files with no config in sight and no ledger: the directory is not
    node-pg-migrate's, and a dry run says so at once instead of waiting on node-pg-migrate."""
    write_sequelize(project.root / "migrations")
    started = time.monotonic()
    with pytest.raises(UnsupportedMigration, match="Sequelize") as refused:
        services.plan_run()
    assert time.monotonic() - started < 30
    assert "npx sequelize-cli db:migrate" in refused.value.message
    with pytest.raises(UnsupportedMigration, match="Sequelize"):
        services.run_pending(actor=ACTOR)
    assert not target_db.exists("pgmigrations")


TYPEORM_DATA_SOURCE = DATA_SOURCE.replace("});", '  migrationsTableName: "typeorm_history",\n});')


def test_typeorm_migrations_table_named_in_the_data_source(target_db, project):
    project.write("data-source.js", TYPEORM_DATA_SOURCE)
    directory = project.root / "migrations"
    classes = ("A1704067200001", "B1704067200002")
    for class_name in classes:
        (directory / f"{class_name[1:]}-{class_name[0]}.js").write_text(
            f"class {class_name} {{\n"
            f"  async up(q) {{ await q.query('CREATE TABLE {class_name[0]} (id int)'); }}\n"
            f"  async down(q) {{ await q.query('DROP TABLE {class_name[0]}'); }}\n"
            f"}}\nmodule.exports = {{ {class_name} }};\n"
        )
    project.run("typeorm", "migration:run", "-d", "data-source.js")
    report = services.status()
    assert (report.framework, report.tracking_table.name) == ("typeorm", "typeorm_history")
    assert [m.state.value for m in report.migrations] == ["applied", "applied"]
