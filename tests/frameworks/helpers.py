"""Helpers for the per-family adapter tests: a framework's table from its spec, and states."""

from __future__ import annotations

import psycopg

from migrations_manager import services
from migrations_manager.types import TableRef

from .specs import SPECS


def create_table(target_db, framework: str, *rows: str, schema: str | None = None) -> TableRef:
    """The framework's table from its spec DDL (in ``schema`` if given), then ``rows`` (SQL
    templates with ``{schema}`` and ``{table}``)."""
    spec = SPECS[framework]
    table = TableRef(schema or spec.schema, spec.table)
    with psycopg.connect(target_db.url, autocommit=True) as conn:
        if table.schema != "public":
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{table.schema}"')
        for statement in spec.render((*spec.ddl, *rows), table):
            conn.execute(statement)
    return table


def states(framework: str | None = None) -> list[tuple[str, str]]:
    return [(m.name, m.state.value) for m in services.status(framework=framework).migrations]


def details(framework: str | None = None) -> list[str | None]:
    return [m.detail for m in services.status(framework=framework).migrations]
