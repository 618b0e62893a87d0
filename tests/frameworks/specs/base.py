"""The shape of a conformance spec."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from psycopg import sql

from migrations_manager.types import TableRef


@dataclass(frozen=True)
class Spec:
    """What the suite needs to know about one framework.

    ``ddl``: statements creating the tracking table (and its siblings) exactly as the framework
    does, as ``psycopg.sql`` templates with ``{schema}`` and ``{table}`` placeholders.
    ``files``: three migrations M1..M3 in the framework's layout (path relative to the
    migrations directory -> content); each creates the table named in ``creates``.
    ``names`` / ``identifiers``: what discovery must give for M1..M3 and what the framework
    stores for them. ``native_row``: inserts the row(s) the framework itself writes after
    applying M1 (same placeholders), to prove we read what the framework writes.
    ``migration_files``: the file holding each of M1..M3, when discovery names migrations
    otherwise (a Sqitch change, a Liquibase changeset).
    """

    framework: str
    ddl: tuple[str, ...]
    files: dict[str, str]
    names: tuple[str, str, str]
    identifiers: tuple[str, str, str]
    native_row: tuple[str, ...]
    creates: tuple[str, str, str] = ("conf_one", "conf_two", "conf_three")
    schema: str = "public"
    table: str = ""
    runnable: bool = True
    has_checksum: bool = False
    extra: dict[str, object] = field(default_factory=dict)
    migration_files: tuple[str, ...] = ()

    def render(self, templates: tuple[str, ...], table: TableRef) -> list[sql.Composed]:
        return [
            sql.SQL(template).format(
                schema=sql.Identifier(table.schema), table=sql.Identifier(table.name)
            )
            for template in templates
        ]


def three_tables(layout: Callable[[int, str, str], tuple[str, str]]) -> dict[str, str]:
    """M1..M3 creating conf_one..conf_three, laid out by ``layout(index, table, sql)``."""
    files = {}
    for index, table in enumerate(("conf_one", "conf_two", "conf_three"), start=1):
        path, content = layout(index, table, f"CREATE TABLE {table} (id int);\n")
        files[path] = content
    return files
