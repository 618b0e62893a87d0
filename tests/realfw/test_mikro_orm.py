"""Interoperability with the real MikroORM CLI (@mikro-orm/migrations) on
``mikro_orm_migrations``."""

from __future__ import annotations

import pytest

from .common import mark, states

pytestmark = [pytest.mark.django_db, pytest.mark.realfw]

CONFIG = """\
const { PostgreSqlDriver } = require("@mikro-orm/postgresql");
const { Migrator } = require("@mikro-orm/migrations");
module.exports = {
  driver: PostgreSqlDriver,
  extensions: [Migrator],
  host: process.env.PGHOST,
  port: Number(process.env.PGPORT),
  user: process.env.PGUSER,
  password: process.env.PGPASSWORD || undefined,
  dbName: process.env.PGDATABASE,
  entities: [],
  discovery: { warnWhenNoEntities: false },
  migrations: { path: process.env.MIGRATIONS_DIR },
};
"""
CLASSES = ("Migration20240101000001", "Migration20240101000002", "Migration20240101000003")
NAMES = tuple(f"{name}.js" for name in CLASSES)


def mikro_orm(node_project, *args: str) -> str:
    node_project.env["MIKRO_ORM_CLI_CONFIG"] = str(node_project.root / "mikro-orm.config.js")
    result = node_project.run("mikro-orm", *args)
    return result.stdout + result.stderr


def test_mikro_orm_applies_two_we_mark_the_third_and_it_agrees(target_db, node_project):
    node_project.write("mikro-orm.config.js", CONFIG)
    # The CLI insists on being a dependency of the project it runs in.
    node_project.write("package.json", '{"dependencies": {"@mikro-orm/cli": "*"}}')
    for class_name, table in zip(CLASSES, "abc", strict=True):
        (target_db.directory / f"{class_name}.js").write_text(
            'const { Migration } = require("@mikro-orm/migrations");\n'
            f"class {class_name} extends Migration {{\n"
            f"  async up() {{ this.addSql('CREATE TABLE {table} (id int)'); }}\n}}\n"
            f"exports.{class_name} = {class_name};\n"
        )
    mikro_orm(node_project, "migration:up", "--to", CLASSES[1])
    assert states() == [(NAMES[0], "applied"), (NAMES[1], "applied"), (NAMES[2], "pending")]

    mark(NAMES[2])

    listed = mikro_orm(node_project, "migration:list")
    assert all(class_name in listed for class_name in CLASSES), listed
    pending = mikro_orm(node_project, "migration:pending")
    assert not any(class_name in pending for class_name in CLASSES), pending
    mikro_orm(node_project, "migration:up")
    assert not target_db.exists("c")
