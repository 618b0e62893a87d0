"""Tables that look like a migrations ledger no adapter knows (sql-migrate's
``gorp_migrations``, a home-grown ``schema_migrations_log``...).

With no known ledger detected, such a table most likely records migrations that ran already:
taking the database for one without a ledger would run them all again. Status warns, and a run
or a mark is refused until a framework (and table) is named.
"""

from __future__ import annotations

import psycopg

from ..introspection import catalog
from ..types import TableRef

# Names a ledger is likely to have (ILIKE patterns).
LEDGER_PATTERNS = ("%migration%", "%schema_version%", "%schema_history%", "%changelog%")
# A column naming the migration, and one saying when it ran: a ledger has both.
NAME_HINTS = ("name", "version", "migration", "file", "script", "revision", "id")
TIME_HINTS = ("_at", "time", "date", "applied", "executed", "installed", "run_on")
TIME_TYPES = ("timestamp", "date", "time")


def unknown_ledgers(conn: psycopg.Connection, known_names: frozenset[str]) -> tuple[TableRef, ...]:
    """The ledger-like tables of the target, those called as some adapter's table aside
    (detection reads or refuses those)."""
    return tuple(
        TableRef(table.schema, table.name)
        for table in catalog.tables_like(conn, LEDGER_PATTERNS)
        if table.name not in known_names and looks_like_ledger(table.columns)
    )


def looks_like_ledger(columns: dict[str, str]) -> bool:
    """A column naming the migration and one saying when it ran."""
    named = any(hint in column.lower() for column in columns for hint in NAME_HINTS)
    timed = any(
        kind.startswith(TIME_TYPES) or any(hint in column.lower() for hint in TIME_HINTS)
        for column, kind in columns.items()
    )
    return named and timed
