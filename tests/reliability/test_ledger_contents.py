"""Whatever a tracking table holds, the status reports it and never raises.

For every registered adapter: its table as the framework's own DDL makes it
(``tests/frameworks/specs``), its three spec migrations beside it, and a few arbitrary rows of
the columns' types (NULLs where a column allows them, values close to what the framework
stores, anything else). A row the table's own constraints refuse is left out, as the
framework's table would never hold it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg import sql
from psycopg.types.json import Jsonb

from migrations_manager import services
from migrations_manager.frameworks import registry
from migrations_manager.types import TableRef
from tests.frameworks.helpers import create_table
from tests.frameworks.specs import SPECS, Spec
from tests.reliability.hostile import HOSTILE

pytestmark = pytest.mark.django_db

# One database per adapter, few examples each: 36 adapters stay well under a minute.
PER_ADAPTER = settings(HOSTILE, max_examples=15)

COLUMNS = """
SELECT column_name, data_type, is_nullable = 'YES', character_maximum_length
FROM information_schema.columns
WHERE table_schema = %s AND table_name = %s
  AND is_generated = 'NEVER' AND coalesce(identity_generation, '') <> 'ALWAYS'
ORDER BY ordinal_position
"""

# Text that stands in no file (and no PostgreSQL text may hold NUL).
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"))
INT_RANGES = {"smallint": 2**15, "integer": 2**31, "bigint": 2**63}
SOME_TIME = st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2100, 1, 1))


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    nullable: bool
    max_length: int | None


def columns(conn: psycopg.Connection, table: TableRef) -> list[Column]:
    return [Column(*row) for row in conn.execute(COLUMNS, (table.schema, table.name))]


def close_to(spec: Spec) -> list[str]:
    """What the framework stores for the spec's migrations, and pieces of it."""
    stored = [*spec.identifiers, *spec.names, *spec.migration_files]
    return [*stored, *(text.partition("_")[0] for text in stored), "0", "1", "/", ""]


def values_of(column: Column, spec: Spec) -> st.SearchStrategy[Any]:
    """Values of the column's type, NULL included where the column allows it."""
    strategy = _typed(column, spec)
    return st.one_of(st.none(), strategy) if column.nullable else strategy


def _typed(column: Column, spec: Spec) -> st.SearchStrategy[Any]:
    kind = column.data_type
    if kind in INT_RANGES:
        bound = INT_RANGES[kind]
        digits = [int(t) for t in close_to(spec) if t.isascii() and t.isdigit()]
        numbers = [n for n in digits if n < bound]
        small = st.sampled_from(numbers) if numbers else st.integers(0, 3)
        return st.one_of(small, st.integers(-bound, bound - 1))
    if kind == "ARRAY":  # Supabase's statements text[]
        return st.lists(st.one_of(st.sampled_from(close_to(spec)), ANY_TEXT), max_size=3)
    if kind == "name":
        return st.sampled_from(["public", "pg_catalog", "x"])
    if kind in ("text", "character varying", "character"):
        text = st.one_of(st.sampled_from(close_to(spec)), ANY_TEXT)
        limit = column.max_length
        return text.filter(lambda t: len(t) <= limit) if limit else text
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp without time zone":
        return SOME_TIME
    if kind == "timestamp with time zone":
        return SOME_TIME.map(lambda t: t.replace(tzinfo=dt.UTC))
    if kind == "date":
        return st.dates(dt.date(1970, 1, 1), dt.date(2100, 1, 1))
    if kind == "bytea":
        return st.binary(max_size=48)
    if kind == "real":
        return st.floats(width=32, allow_nan=False, allow_infinity=False)
    if kind in ("json", "jsonb"):
        return st.dictionaries(st.text(max_size=5), st.integers(0, 9), max_size=2).map(Jsonb)
    raise AssertionError(f"No strategy for {column.name} {kind} of {spec.framework}.")


def insert(conn: psycopg.Connection, table: TableRef, row: dict[str, Any]) -> None:
    """Insert ``row``, or nothing when the table's constraints refuse it."""
    statement = sql.SQL("INSERT INTO {table} ({columns}) VALUES ({values})").format(
        table=table.identifier,
        columns=sql.SQL(", ").join(map(sql.Identifier, row)),
        values=sql.SQL(", ").join(sql.Placeholder() * len(row)),
    )
    try:
        with conn.transaction():
            conn.execute(statement, list(row.values()))
    except psycopg.errors.IntegrityError:
        pass


def lay_out(target, spec: Spec) -> TableRef:
    for relative, content in spec.files.items():
        path = Path(target.directory, relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return create_table(target, spec.framework)


@pytest.mark.parametrize("framework", registry.names())
def test_any_rows_of_the_tracking_table_are_reported(framework, target_db):
    spec = SPECS[framework]
    table = lay_out(target_db, spec)
    conn = target_db.connect()
    row = st.fixed_dictionaries({c.name: values_of(c, spec) for c in columns(conn, table)})

    @PER_ADAPTER
    @given(rows=st.lists(row, max_size=4))
    def reported(rows: list[dict[str, Any]]) -> None:
        conn.execute(sql.SQL("TRUNCATE {} CASCADE").format(table.identifier))
        for values in rows:
            insert(conn, table, values)
        stored = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table.identifier))
        report = services.status(framework=framework)
        assert len(report.migrations) >= len(spec.names)
        if stored.fetchone()[0] == 0:
            assert {m.state.value for m in report.migrations} == {"pending"}

    reported()
