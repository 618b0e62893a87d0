"""Table-level lock modes: which statement takes which lock on which relation, and conflicts."""

from __future__ import annotations

import itertools

import pytest

from migrations_manager.analysis.locks import LockMode, conflicts, lock_requirements, strongest
from migrations_manager.analysis.statements import parse_statements

M = LockMode


def locks(sql: str) -> list[tuple[str, str]]:
    [statement] = parse_statements(sql)
    return [(item.qualified_name, str(item.mode)) for item in lock_requirements(statement)]


# --- the conflict matrix, as printed in "Table 13.2. Conflicting Lock Modes" ------------------

# Rows: requested mode; columns: existing mode, in the documentation's order
# (ACCESS SHARE, ROW SHARE, ROW EXCL., SHARE UPDATE EXCL., SHARE, SHARE ROW EXCL., EXCL.,
# ACCESS EXCL.). "X" marks a conflict.
DOCUMENTED_MATRIX = """
ACCESS SHARE            . . . . . . . X
ROW SHARE               . . . . . . X X
ROW EXCLUSIVE           . . . . X X X X
SHARE UPDATE EXCLUSIVE  . . . X X X X X
SHARE                   . . X X . X X X
SHARE ROW EXCLUSIVE     . . X X X X X X
EXCLUSIVE               . X X X X X X X
ACCESS EXCLUSIVE        X X X X X X X X
"""


def documented_conflicts() -> dict[tuple[str, str], bool]:
    table = {}
    modes = [mode.value for mode in LockMode]
    for row in DOCUMENTED_MATRIX.strip().splitlines():
        marks = row.split()[-8:]
        requested = " ".join(row.split()[:-8])
        for existing, mark in zip(modes, marks, strict=True):
            table[(requested, existing)] = mark == "X"
    return table


MATRIX = documented_conflicts()


@pytest.mark.parametrize(
    ("requested", "existing"),
    sorted(MATRIX),
    ids=[f"{a}-vs-{b}".replace(" ", "_") for a, b in sorted(MATRIX)],
)
def test_conflict_matrix_matches_the_documentation(requested: str, existing: str) -> None:
    assert conflicts(LockMode(requested), LockMode(existing)) is MATRIX[(requested, existing)]


def test_matrix_covers_all_64_pairs_and_is_symmetric() -> None:
    assert len(MATRIX) == 64
    for a, b in itertools.product(LockMode, repeat=2):
        assert conflicts(a, b) == conflicts(b, a)


def test_conflicts_accepts_pg_locks_and_sql_spellings() -> None:
    assert conflicts("AccessExclusiveLock", "AccessShareLock")
    assert conflicts("share", "row exclusive")
    assert not conflicts("ShareLock", "SHARE")


PG_LOCKS_NAMES = [
    (M.ACCESS_SHARE, "AccessShareLock", 1),
    (M.ROW_SHARE, "RowShareLock", 2),
    (M.ROW_EXCLUSIVE, "RowExclusiveLock", 3),
    (M.SHARE_UPDATE_EXCLUSIVE, "ShareUpdateExclusiveLock", 4),
    (M.SHARE, "ShareLock", 5),
    (M.SHARE_ROW_EXCLUSIVE, "ShareRowExclusiveLock", 6),
    (M.EXCLUSIVE, "ExclusiveLock", 7),
    (M.ACCESS_EXCLUSIVE, "AccessExclusiveLock", 8),
]


@pytest.mark.parametrize(
    ("mode", "name", "level"), PG_LOCKS_NAMES, ids=[name for _, name, _ in PG_LOCKS_NAMES]
)
def test_pg_locks_spelling_and_level(mode: LockMode, name: str, level: int) -> None:
    assert mode.pg_locks_name == name
    assert LockMode.from_pg_locks(name) is mode
    assert mode.level == level
    assert LockMode.from_level(level) is mode


def test_from_pg_locks_rejects_row_level_names() -> None:
    with pytest.raises(ValueError, match="not a table-level"):
        LockMode.from_pg_locks("SIReadLock")


def test_strongest_is_the_highest_level() -> None:
    assert strongest([M.SHARE_UPDATE_EXCLUSIVE, M.ACCESS_EXCLUSIVE, M.SHARE]) is M.ACCESS_EXCLUSIVE


# --- statements -> locks; at least one case per mode --------------------------------------------

STATEMENTS = [
    # ACCESS SHARE
    (
        "select",
        "SELECT * FROM users u JOIN app.orders o ON o.user_id = u.id",
        [("users", "ACCESS SHARE"), ("app.orders", "ACCESS SHARE")],
    ),
    (
        "select-cte-name-is-not-a-table",
        "WITH recent AS (SELECT * FROM users) SELECT * FROM recent",
        [("users", "ACCESS SHARE")],
    ),
    (
        "create-view-reads-its-tables",
        "CREATE VIEW v AS SELECT * FROM users",
        [("users", "ACCESS SHARE")],
    ),
    ("copy-to", "COPY users TO STDOUT", [("users", "ACCESS SHARE")]),
    # ROW SHARE
    ("select-for-update", "SELECT * FROM jobs FOR UPDATE SKIP LOCKED", [("jobs", "ROW SHARE")]),
    # ROW EXCLUSIVE
    ("insert", "INSERT INTO users (id) VALUES (1)", [("users", "ROW EXCLUSIVE")]),
    (
        "insert-select",
        "INSERT INTO archive SELECT * FROM users",
        [("archive", "ROW EXCLUSIVE"), ("users", "ACCESS SHARE")],
    ),
    (
        "update-from",
        "UPDATE users SET x = 1 FROM orgs WHERE orgs.id = users.org_id",
        [("users", "ROW EXCLUSIVE"), ("orgs", "ACCESS SHARE")],
    ),
    ("delete", "DELETE FROM users WHERE id = 1", [("users", "ROW EXCLUSIVE")]),
    (
        "merge",
        "MERGE INTO users u USING incoming i ON u.id = i.id WHEN MATCHED THEN DELETE",
        [("users", "ROW EXCLUSIVE"), ("incoming", "ACCESS SHARE")],
    ),
    ("copy-from", "COPY users FROM STDIN", [("users", "ROW EXCLUSIVE")]),
    (
        "explain-analyze-takes-the-statement-locks",
        "EXPLAIN ANALYZE DELETE FROM users",
        [("users", "ROW EXCLUSIVE")],
    ),
    # SHARE UPDATE EXCLUSIVE
    (
        "create-index-concurrently",
        "CREATE INDEX CONCURRENTLY ix ON users (email)",
        [("users", "SHARE UPDATE EXCLUSIVE")],
    ),
    (
        "reindex-concurrently",
        "REINDEX TABLE CONCURRENTLY users",
        [("users", "SHARE UPDATE EXCLUSIVE")],
    ),
    ("drop-index-concurrently", "DROP INDEX CONCURRENTLY ix", [("ix", "SHARE UPDATE EXCLUSIVE")]),
    ("vacuum", "VACUUM users", [("users", "SHARE UPDATE EXCLUSIVE")]),
    ("analyze", "ANALYZE users", [("users", "SHARE UPDATE EXCLUSIVE")]),
    (
        "validate-constraint",
        "ALTER TABLE users VALIDATE CONSTRAINT fk",
        [("users", "SHARE UPDATE EXCLUSIVE")],
    ),
    (
        "set-statistics",
        "ALTER TABLE users ALTER COLUMN email SET STATISTICS 500",
        [("users", "SHARE UPDATE EXCLUSIVE")],
    ),
    (
        "cluster-on",
        "ALTER TABLE users CLUSTER ON users_pkey",
        [("users", "SHARE UPDATE EXCLUSIVE")],
    ),
    (
        "set-fillfactor",
        "ALTER TABLE users SET (fillfactor = 70, autovacuum_enabled = off)",
        [("users", "SHARE UPDATE EXCLUSIVE")],
    ),
    (
        "attach-partition",
        "ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM "
        "('2025-01-01') TO ('2026-01-01')",
        [("events", "SHARE UPDATE EXCLUSIVE"), ("events_2025", "ACCESS EXCLUSIVE")],
    ),
    (
        "detach-partition-concurrently",
        "ALTER TABLE events DETACH PARTITION events_2024 CONCURRENTLY",
        [("events", "SHARE UPDATE EXCLUSIVE"), ("events_2024", "SHARE UPDATE EXCLUSIVE")],
    ),
    (
        "create-statistics",
        "CREATE STATISTICS st ON a, b FROM users",
        [("users", "SHARE UPDATE EXCLUSIVE")],
    ),
    (
        "comment-on-column",
        "COMMENT ON COLUMN app.users.email IS 'x'",
        [("app.users", "SHARE UPDATE EXCLUSIVE")],
    ),
    ("rename-index", "ALTER INDEX ix RENAME TO iy", [("ix", "SHARE UPDATE EXCLUSIVE")]),
    (
        "create-table-inherits",
        "CREATE TABLE child () INHERITS (parent)",
        [("parent", "SHARE UPDATE EXCLUSIVE")],
    ),
    # SHARE
    ("create-index", "CREATE INDEX ix ON users (email)", [("users", "SHARE")]),
    ("reindex-table", "REINDEX TABLE users", [("users", "SHARE")]),
    ("lock-in-share-mode", "LOCK TABLE a, b IN SHARE MODE", [("a", "SHARE"), ("b", "SHARE")]),
    # SHARE ROW EXCLUSIVE
    (
        "add-foreign-key-locks-both-tables",
        "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id)",
        [("orders", "SHARE ROW EXCLUSIVE"), ("users", "SHARE ROW EXCLUSIVE")],
    ),
    (
        "create-trigger",
        "CREATE TRIGGER tr AFTER INSERT ON users FOR EACH ROW EXECUTE FUNCTION f()",
        [("users", "SHARE ROW EXCLUSIVE")],
    ),
    ("disable-trigger", "ALTER TABLE users DISABLE TRIGGER tr", [("users", "SHARE ROW EXCLUSIVE")]),
    (
        "create-table-with-foreign-key",
        "CREATE TABLE orders (user_id bigint REFERENCES users)",
        [("users", "SHARE ROW EXCLUSIVE")],
    ),
    # EXCLUSIVE
    (
        "refresh-concurrently",
        "REFRESH MATERIALIZED VIEW CONCURRENTLY stats",
        [("stats", "EXCLUSIVE")],
    ),
    ("lock-in-exclusive-mode", "LOCK TABLE a IN EXCLUSIVE MODE", [("a", "EXCLUSIVE")]),
    # ACCESS EXCLUSIVE
    ("add-column", "ALTER TABLE users ADD COLUMN age int", [("users", "ACCESS EXCLUSIVE")]),
    (
        "alter-column-type",
        "ALTER TABLE users ALTER COLUMN age TYPE bigint",
        [("users", "ACCESS EXCLUSIVE")],
    ),
    (
        "drop-table",
        "DROP TABLE a, app.b",
        [("a", "ACCESS EXCLUSIVE"), ("app.b", "ACCESS EXCLUSIVE")],
    ),
    ("truncate", "TRUNCATE users", [("users", "ACCESS EXCLUSIVE")]),
    ("refresh", "REFRESH MATERIALIZED VIEW stats", [("stats", "ACCESS EXCLUSIVE")]),
    ("lock-default-mode", "LOCK users", [("users", "ACCESS EXCLUSIVE")]),
    ("vacuum-full", "VACUUM FULL users", [("users", "ACCESS EXCLUSIVE")]),
    ("cluster", "CLUSTER users USING users_pkey", [("users", "ACCESS EXCLUSIVE")]),
    ("drop-index", "DROP INDEX ix", [("ix", "ACCESS EXCLUSIVE")]),
    ("reindex-index", "REINDEX INDEX ix", [("ix", "ACCESS EXCLUSIVE")]),
    ("rename-column", "ALTER TABLE users RENAME COLUMN a TO b", [("users", "ACCESS EXCLUSIVE")]),
    ("rename-table", "ALTER TABLE users RENAME TO people", [("users", "ACCESS EXCLUSIVE")]),
    ("set-schema", "ALTER TABLE users SET SCHEMA app", [("users", "ACCESS EXCLUSIVE")]),
    (
        "detach-partition",
        "ALTER TABLE events DETACH PARTITION events_2024",
        [("events", "ACCESS EXCLUSIVE"), ("events_2024", "ACCESS EXCLUSIVE")],
    ),
    (
        "create-partition",
        "CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM "
        "('2026-01-01') TO ('2027-01-01')",
        [("events", "ACCESS EXCLUSIVE")],
    ),
    ("drop-trigger", "DROP TRIGGER tr ON app.users", [("app.users", "ACCESS EXCLUSIVE")]),
    ("create-policy", "CREATE POLICY p ON users USING (true)", [("users", "ACCESS EXCLUSIVE")]),
    ("set-logged", "ALTER TABLE users SET LOGGED", [("users", "ACCESS EXCLUSIVE")]),
    (
        "user-catalog-table-option",
        "ALTER TABLE users SET (user_catalog_table = true)",
        [("users", "ACCESS EXCLUSIVE")],
    ),
    # no lock on an existing relation
    ("create-table", "CREATE TABLE fresh (id bigint)", []),
    ("create-function", "CREATE FUNCTION f() RETURNS int AS 'select 1' LANGUAGE sql", []),
    ("set", "SET lock_timeout = '5s'", []),
]


@pytest.mark.parametrize(
    ("sql", "expected"), [case[1:] for case in STATEMENTS], ids=[case[0] for case in STATEMENTS]
)
def test_lock_requirements(sql: str, expected: list) -> None:
    assert locks(sql) == expected


def test_strongest_subcommand_wins() -> None:
    assert locks("ALTER TABLE users ALTER COLUMN a SET STATISTICS 10, VALIDATE CONSTRAINT c") == [
        ("users", "SHARE UPDATE EXCLUSIVE")
    ]
    assert locks("ALTER TABLE users VALIDATE CONSTRAINT c, ADD COLUMN z int") == [
        ("users", "ACCESS EXCLUSIVE")
    ]
    assert locks(
        "ALTER TABLE users VALIDATE CONSTRAINT c, ADD CONSTRAINT fk FOREIGN KEY (o) REFERENCES orgs"
    ) == [("users", "SHARE ROW EXCLUSIVE"), ("orgs", "SHARE ROW EXCLUSIVE")]


def test_same_table_twice_keeps_the_strongest_mode() -> None:
    assert locks("INSERT INTO users SELECT * FROM users") == [("users", "ROW EXCLUSIVE")]


def test_requirement_carries_line_and_description() -> None:
    statement = parse_statements("\n\nALTER TABLE app.users ADD COLUMN a int")[0]
    [requirement] = lock_requirements(statement)
    assert (requirement.schema, requirement.table, requirement.line) == ("app", "users", 3)
    assert requirement.description == "ALTER TABLE app.users"
    assert requirement.mode.pg_locks_name == "AccessExclusiveLock"


def test_quoted_names_stay_quoted() -> None:
    assert locks('TRUNCATE "Users"') == [('"Users"', "ACCESS EXCLUSIVE")]
