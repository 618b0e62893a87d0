"""Interoperability with the real TypeORM CLI on its ``migrations`` table."""

from __future__ import annotations

import pytest

from .common import mark, states

pytestmark = [pytest.mark.django_db, pytest.mark.realfw]

DATA_SOURCE = """\
const { DataSource } = require("typeorm");
module.exports = new DataSource({
  type: "postgres",
  host: process.env.PGHOST,
  port: Number(process.env.PGPORT),
  username: process.env.PGUSER,
  password: process.env.PGPASSWORD || undefined,
  database: process.env.PGDATABASE,
  migrations: [process.env.MIGRATIONS_DIR + "/*.js"],
});
"""
MIGRATIONS = (
    ("1704067200001-A.js", "A1704067200001", "a"),
    ("1704067200002-B.js", "B1704067200002", "b"),
    ("1704067200003-C.js", "C1704067200003", "c"),
)


def write(target_db, count: int) -> None:
    for file_name, class_name, table in MIGRATIONS[:count]:
        query = "await queryRunner.query"
        (target_db.directory / file_name).write_text(
            f"class {class_name} {{\n"
            f"  async up(queryRunner) {{ {query}('CREATE TABLE {table} (id int)'); }}\n"
            f"  async down(queryRunner) {{ {query}('DROP TABLE {table}'); }}\n"
            f"}}\nmodule.exports = {{ {class_name} }};\n"
        )


def typeorm(node_project, command: str) -> str:
    return node_project.run("typeorm", command, "-d", "data-source.js").stdout


def test_typeorm_applies_two_we_mark_the_third_and_it_agrees(target_db, node_project):
    node_project.write("data-source.js", DATA_SOURCE)
    write(target_db, 2)
    typeorm(node_project, "migration:run")
    write(target_db, 3)
    names = [file_name for file_name, _, _ in MIGRATIONS]
    assert states() == [(names[0], "applied"), (names[1], "applied"), (names[2], "pending")]

    mark(names[2])

    shown = typeorm(node_project, "migration:show")
    assert all(
        f"[X] {index} {class_name}" in shown
        for index, (_, class_name, _) in enumerate(MIGRATIONS, 1)
    ), shown
    assert "No migrations are pending" in typeorm(node_project, "migration:run")
    assert not target_db.exists("c")
