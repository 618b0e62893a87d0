"""Tables that look like a migrations ledger no adapter reads (a home-grown
``deploy_migrations``, a ``schema_migrations`` of another shape...).

Asked only when detection found no known ledger: such a table most likely records migrations
that ran already, and taking the database for one without a ledger would run them all again.
Status warns, and a run or a mark is refused until a framework (and table) is named.

A ledger names each migration in a key column (text: ``id``, ``name``, ``filename``...; or a
number called ``version``/``revision``) and says when it ran, or whether it is dirty: an
application's ``user_migrations(id serial, user_id, created_at)`` has no such key.
"""

from __future__ import annotations

import psycopg

from ..introspection import catalog
from ..types import TableRef

# Names a ledger is likely to have (ILIKE patterns).
LEDGER_PATTERNS = ("%migration%", "%schema_version%", "%schema_history%", "%changelog%")
TEXT_KEYS = frozenset(
    {"id", "name", "migration", "migration_id", "migration_name", "filename", "file_name",
     "file", "script", "version", "revision", "change", "tag"}
)  # fmt: skip
NUMBER_KEYS = frozenset({"version", "version_id", "revision", "version_num"})
TEXT_KINDS = ("text", "character varying", "character", "uuid")
NUMBER_KINDS = ("integer", "bigint", "smallint", "numeric")
TIME_KINDS = ("timestamp", "date", "time")
TIME_NAMES = frozenset(
    {"applied_at", "applied", "run_on", "executed_at", "installed_on", "created_at", "ran_at",
     "migrated_at", "finished_at", "started_at", "dateexecuted", "inserted_at"}
)  # fmt: skip
STATE_NAMES = frozenset({"dirty", "success", "applied", "is_applied"})
# The app's own tables, when Django's database is the target.
OWN_PREFIX = "migrations_manager_"


def unknown_ledgers(conn: psycopg.Connection) -> tuple[TableRef, ...]:
    """The ledger-like tables of the target."""
    return tuple(
        TableRef(table.schema, table.name)
        for table in catalog.tables_like(conn, LEDGER_PATTERNS)
        if not table.name.startswith(OWN_PREFIX) and looks_like_ledger(table.columns)
    )


def looks_like_ledger(columns: dict[str, str]) -> bool:
    """A key column naming the migration, and one saying when it ran or its state."""
    keyed = any(_is_key(name.lower(), kind) for name, kind in columns.items())
    timed = any(
        kind.startswith(TIME_KINDS) or name.lower() in TIME_NAMES | STATE_NAMES
        for name, kind in columns.items()
    )
    return keyed and timed


def _is_key(name: str, kind: str) -> bool:
    if name in TEXT_KEYS and kind.startswith(TEXT_KINDS):
        return True
    return name in NUMBER_KEYS and kind.startswith(NUMBER_KINDS)
