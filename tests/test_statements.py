"""Statement splitting on PostgreSQL's parser: positions, syntax errors, transaction needs."""

from __future__ import annotations

import psycopg
import pytest

from migrations_manager.analysis.statements import comments, parse_statements
from migrations_manager.exceptions import SQLSyntaxError


def test_statements_keep_exact_text_and_file_lines():
    source = "CREATE TABLE a (x text); -- note\n\n/* c */ SELECT 'a;b';\nSELECT $$ ; $$;"
    statements = parse_statements(source, first_line=10)
    assert [(s.text, s.line, s.column) for s in statements] == [
        ("CREATE TABLE a (x text)", 10, 1),
        ("SELECT 'a;b'", 12, 9),
        ("SELECT $$ ; $$", 13, 1),
    ]


def test_positions_count_characters_not_bytes():
    statements = parse_statements("SELECT 'é';\nSELECT 'ü';")
    assert [(s.line, s.start) for s in statements] == [(1, 0), (2, 12)]


def test_syntax_error_names_file_line_and_column():
    with pytest.raises(SQLSyntaxError) as caught:
        parse_statements("SELECT 1;\n\n  SELEC 2;", first_line=5, name="003_x.sql")
    error = caught.value
    assert (error.line, error.column) == (7, 3)
    assert "003_x.sql, line 7" in error.message and 'at or near "SELEC"' in error.message


def test_syntax_error_at_the_end_of_the_input_points_after_the_last_character():
    """PostgreSQL gives no location for it: the error is where the input stops."""
    with pytest.raises(SQLSyntaxError) as caught:
        parse_statements("CREATE TABLE a (id int);\nCREATE TABLE b (id int")
    error = caught.value
    assert (error.line, error.column, error.position) == (2, 23, 47)
    assert error.parser_message == "syntax error at end of input"


@pytest.mark.parametrize(
    "sql, outside",
    [
        ("CREATE INDEX CONCURRENTLY i ON t (c)", True),
        ("CREATE INDEX i ON t (c)", False),
        ("DROP INDEX CONCURRENTLY i", True),
        ("REINDEX (CONCURRENTLY) TABLE t", True),
        ("REINDEX TABLE t", False),
        ("VACUUM t", True),
        ("ANALYZE t", False),
        ("CREATE DATABASE d", True),
        ("ALTER SYSTEM SET work_mem = '1MB'", True),
        ("ALTER TABLE p DETACH PARTITION c CONCURRENTLY", True),
        ("ALTER TABLE p DETACH PARTITION c", False),
    ],
)
def test_statements_that_cannot_run_in_a_transaction(sql, outside):
    assert parse_statements(sql)[0].no_transaction is outside


def test_comments_come_from_the_scanner_not_from_strings():
    found = comments("SELECT '-- no'; -- yes\n/* block */ SELECT $$ -- no $$;")
    assert [(c.text, c.line, c.block) for c in found] == [("yes", 1, False), ("block", 2, True)]


# Statements, and whether PostgreSQL refuses them inside a transaction block; ``{db}`` is the
# test's database. The server itself decides in the test below.
IN_TRANSACTION_CASES = [
    "CREATE INDEX CONCURRENTLY i2 ON t (c)",
    "CREATE INDEX i3 ON t (c)",
    "DROP INDEX CONCURRENTLY i",
    "REINDEX (CONCURRENTLY) TABLE t",
    "REINDEX TABLE t",
    "REINDEX INDEX i",
    "REINDEX SCHEMA public",
    "REINDEX DATABASE {db}",
    "REINDEX SYSTEM {db}",
    "VACUUM t",
    "VACUUM (ANALYZE) t",
    "ANALYZE t",
    "CLUSTER",
    "CLUSTER t USING i",
    "CREATE DATABASE {db}_other",
    "ALTER DATABASE {db} SET TABLESPACE pg_default",
    "ALTER DATABASE {db} SET work_mem = '1MB'",
    "ALTER SYSTEM SET work_mem = '1MB'",
    "ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY",
    "ALTER TABLE p DETACH PARTITION p1",
    "CREATE TABLESPACE nowhere LOCATION '/nonexistent'",
    "ALTER TYPE mood ADD VALUE 'meh'",
]


@pytest.mark.django_db
@pytest.mark.parametrize("template", IN_TRANSACTION_CASES)
def test_the_server_agrees_on_what_cannot_run_in_a_transaction(target_db, template):
    """Each statement is tried inside a transaction block on a real server: it is refused with
    SQLSTATE 25001 exactly when the parser's facts say it cannot run in one."""
    target_db.execute(
        "CREATE TABLE t (c int); CREATE INDEX i ON t (c); CREATE TYPE mood AS ENUM ('ok');"
        " CREATE TABLE p (k int) PARTITION BY RANGE (k);"
        " CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10)"
    )
    statement = template.format(db=target_db.name)
    conn = target_db.connect()
    conn.execute("BEGIN")
    try:
        conn.execute(statement)
        refused = False
    except psycopg.errors.ActiveSqlTransaction:
        refused = True
    except psycopg.Error:
        refused = False  # refused for another reason, after the transaction-block check
    finally:
        conn.execute("ROLLBACK")
    assert parse_statements(statement)[0].no_transaction is refused
