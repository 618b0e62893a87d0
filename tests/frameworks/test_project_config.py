"""The ledger a framework's config names, read from the project's files without running them;
a renamed ledger found by its columns only where they are the framework's alone."""

from __future__ import annotations

import json

import pytest

from migrations_manager import services
from migrations_manager.frameworks.js_literals import string_settings
from migrations_manager.frameworks.project_config import configured_ledgers


def test_only_literal_settings_are_read():
    text = """
    // tableName: 'commented_out'
    /* tableName: "also_commented" */
    const a = { tableName: prefix + 'computed' };
    const b = { tableName: `tpl_${env}` };
    const c = { tableName: 'first', "schemaName": "ledgers" };
    const d = { tableName: process.env.TABLE || 'fallback' };
    const e = { migrations: { tableName: `plain_template` } };
    """
    found = string_settings(text, ["tableName", "schemaName"])
    assert found == {"tableName": ["first", "plain_template"], "schemaName": ["ledgers"]}


def test_an_unterminated_string_reads_as_nothing():
    assert string_settings("x = { tableName: 'open\n}", ["tableName"]) == {}


def test_a_config_above_the_project_is_not_the_projects(tmp_path):
    (tmp_path / "knexfile.js").write_text("module.exports = { migrations: { tableName: 'up' } };")
    project = tmp_path / "app"
    (project / "db" / "migrations").mkdir(parents=True)
    (project / "package.json").write_text("{}")
    assert configured_ledgers(project / "db" / "migrations") == ()
    (project / "knexfile.ts").write_text("export default { migrations: { tableName: 'mine' } };")
    [ledger] = configured_ledgers(project / "db" / "migrations")
    assert (ledger.framework, ledger.table, ledger.schema) == ("knex", "mine", None)


def test_a_config_json_is_sequelizes_only_with_a_dialect(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "package.json").write_text("{}")
    config = tmp_path / "config" / "config.json"
    config.write_text(json.dumps({"port": 8080, "migrationStorageTableName": "x"}))
    assert configured_ledgers(tmp_path) == ()
    environments = {
        "development": {"dialect": "postgres", "migrationStorageTableName": "dev_meta"},
        "production": {"dialect": "postgres", "migrationStorageTableName": "prod_meta"},
    }
    config.write_text(json.dumps(environments))
    assert {(c.framework, c.table) for c in configured_ledgers(tmp_path)} == {
        ("sequelize", "dev_meta"),
        ("sequelize", "prod_meta"),
    }


@pytest.mark.django_db
def test_a_config_is_read_never_run(target_db):
    """A knexfile whose loading would write a file: status reads its literals only."""
    witness = target_db.directory.parent / "ran"
    (target_db.directory.parent / "knexfile.js").write_text(
        f"require('fs').writeFileSync({str(witness)!r}, 'ran');\n"
        "module.exports = { migrations: { tableName: 'knex_ledger' } };\n"
    )
    target_db.execute(
        "CREATE TABLE knex_ledger (id serial, name varchar(255), batch int,"
        " migration_time timestamptz)"
    )
    report = services.status()
    assert (report.framework, report.tracking_table.name) == ("knex", "knex_ledger")
    assert not witness.exists()


@pytest.mark.django_db
def test_columns_identify_a_ledger_only_where_they_are_one_frameworks(target_db):
    """Knex's four columns name its ledger under any name; TypeORM's (id, timestamp, name) are
    an application's events table as often: without its data source, no ledger."""
    target_db.execute("CREATE TABLE events (id serial, timestamp bigint, name varchar)")
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    assert services.status().framework == "node-pg-migrate"
    target_db.execute(
        "CREATE TABLE deploy_log (id serial, name varchar(255), batch int,"
        " migration_time timestamptz)"
    )
    report = services.status()
    assert (report.framework, report.tracking_table.name) == ("knex", "deploy_log")
