"""Hostile SQL, generated: every entry point of the SQL analysis either understands the text or
refuses it with ``SQLSyntaxError`` (or another domain error), never with a crash.

The text is arbitrary (any code point, NUL and lone surrogates included), or real migration
statements (the lint corpus, a catalog of DDL) with hostile names and pieces spliced in, so that
the examples reach the analyses behind the parser: created objects, lock requirements, lint
rules, and the schema detection's catalog query on a real target.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from pglast import parser

from migrations_manager import services
from migrations_manager.analysis.lint import lint
from migrations_manager.analysis.locks import lock_requirements
from migrations_manager.analysis.objects import created_objects
from migrations_manager.analysis.statements import (
    comments,
    cut_after_semicolons,
    parse_statements,
)
from migrations_manager.exceptions import BodyTooLarge, SQLSyntaxError
from migrations_manager.frameworks.node_pg_migrate_files import sections
from migrations_manager.sources import runs_outside_transaction
from tests.reliability.hostile import HOSTILE, code_point, name_piece

CORPUS = Path(__file__).resolve().parents[1] / "analysis" / "corpus"

# DDL of every kind the analyses name, with ``{n}`` where a hostile name goes.
TEMPLATES = (
    "CREATE TABLE {n} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text NOT NULL)",
    "CREATE TABLE {n} (LIKE other INCLUDING ALL) PARTITION BY RANGE (id)",
    "CREATE TABLE {n} PARTITION OF parent FOR VALUES FROM (1) TO (10)",
    "CREATE UNLOGGED TABLE IF NOT EXISTS {n} AS SELECT 1 AS x",
    "CREATE INDEX CONCURRENTLY {n} ON t (lower(v)) INCLUDE (id) WHERE v IS NOT NULL",
    "CREATE UNIQUE INDEX ON {n} USING btree (a DESC NULLS LAST, (b + 1))",
    "ALTER TABLE {n} ADD COLUMN c int NOT NULL DEFAULT 0, ADD CONSTRAINT k CHECK (c > 0) NOT VALID",
    "ALTER TABLE {n} ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES {n} (id) ON DELETE CASCADE",
    "ALTER TABLE {n} ALTER COLUMN c TYPE bigint USING c::bigint, ALTER COLUMN c SET NOT NULL",
    "ALTER TABLE {n} RENAME TO {n}",
    "ALTER TABLE ONLY {n} DETACH PARTITION p CONCURRENTLY",
    "CREATE FUNCTION {n}(a int, VARIADIC b text[] DEFAULT '{{}}') RETURNS SETOF record"
    " LANGUAGE sql AS $$ SELECT 1 $$",
    "CREATE OR REPLACE PROCEDURE {n}(INOUT x int) LANGUAGE plpgsql AS $b$ BEGIN END $b$",
    "CREATE TRIGGER {n} AFTER INSERT OR UPDATE OF c ON t FOR EACH ROW EXECUTE FUNCTION f()",
    "CREATE TYPE {n} AS ENUM ('a', 'b')",
    "CREATE TYPE {n} AS (a int, b {n})",
    "CREATE DOMAIN {n} AS text CHECK (VALUE <> '')",
    "ALTER TYPE {n} ADD VALUE IF NOT EXISTS 'c' BEFORE 'a'",
    "CREATE MATERIALIZED VIEW {n} AS SELECT * FROM t WITH NO DATA",
    "CREATE OR REPLACE RECURSIVE VIEW {n} (x) AS SELECT 1 UNION ALL SELECT x FROM {n}",
    "CREATE SEQUENCE IF NOT EXISTS {n} AS smallint OWNED BY t.id",
    "CREATE SCHEMA IF NOT EXISTS {n} AUTHORIZATION CURRENT_USER CREATE TABLE x (y int)",
    "CREATE EXTENSION IF NOT EXISTS {n} WITH SCHEMA {n} CASCADE",
    "DROP INDEX CONCURRENTLY IF EXISTS {n}",
    "DROP TABLE {n}, {n} CASCADE",
    "REINDEX (CONCURRENTLY, VERBOSE) TABLE {n}",
    "VACUUM (FULL, ANALYZE) {n}",
    "CLUSTER {n} USING i",
    "REFRESH MATERIALIZED VIEW CONCURRENTLY {n}",
    "LOCK TABLE {n} IN ACCESS EXCLUSIVE MODE NOWAIT",
    "TRUNCATE {n} RESTART IDENTITY",
    "UPDATE {n} SET c = DEFAULT",
    "DELETE FROM {n} USING {n} x",
    "COMMENT ON TABLE {n} IS 'x'",
    "CREATE RULE r AS ON INSERT TO {n} DO INSTEAD NOTHING",
    "SET lock_timeout = '1s'",
    "DO $$ BEGIN EXECUTE 'CREATE TABLE ' || 'x'; END $$",
    "BEGIN",
    "COMMIT",
)

# Names as SQL writes them: plain, quoted (with quotes, dots, spaces or unicode inside),
# qualified by a schema or even a database, too long (truncated to 63 bytes), unicode-escaped.
identifier = st.one_of(
    st.sampled_from(
        ["t", "users", "public.t", "a.b.c", "x" * 80, 'U&"\\0041"', "pg_catalog.pg_class"]
    ),
    st.builds(
        lambda text: '"' + text.replace('"', '""') + '"',
        st.text(st.characters(exclude_characters="\x00"), min_size=1, max_size=70),
    ),
    st.builds("{}.{}".format, st.sampled_from(["public", '"Odd Schema"', "s"]), st.just("t")),
)
statement = st.builds(
    lambda template, name: template.format(n=name), st.sampled_from(TEMPLATES), identifier
)


def corpus_statements() -> list[str]:
    statements = []
    for path in sorted(CORPUS.glob("*.sql")):
        text = path.read_text()
        statements += [text[span] for span in parser.split(text, only_slices=True)]
    return statements


def splice(text: str, piece: str, at: int) -> str:
    at = min(at, len(text))
    return text[:at] + piece + text[at:]


arbitrary_text = st.one_of(st.text(), st.lists(code_point, max_size=40).map("".join))
sql_shaped = st.one_of(
    st.lists(
        st.one_of(statement, st.sampled_from(corpus_statements())), min_size=1, max_size=6
    ).map(";\n".join),
    st.builds(
        splice,
        st.lists(statement, min_size=1, max_size=4).map(";\n".join),
        st.one_of(name_piece, st.sampled_from(["'", '"', "$$", "/*", "--", "(", ";", "\\"])),
        st.integers(min_value=0, max_value=400),
    ),
)


def analyse(text: str) -> None:
    """Every analysis the app runs on SQL text, in the order a preview or a run does."""
    comments(text)
    sections(text)
    runs_outside_transaction(text)
    assert "".join(cut_after_semicolons(text)) == text
    try:
        statements = parse_statements(text, first_line=3, name="hostile.sql")
    except SQLSyntaxError as error:
        assert error.line >= 3 and error.column >= 1 and 0 <= error.position <= len(text)
        event("refused by the parser")
        return
    event("parsed")
    for found in statements:
        assert text[found.start : found.start + len(found.text)] == found.text
        assert "\x00" not in found.text
        assert isinstance(found.no_transaction, bool)
        lock_requirements(found)
    created_objects(statements)
    lint(statements, source=text, first_line=3, table_sizes={}, server_version=110000)


@HOSTILE
@example(text="CREATE TABLE a ();\x00CREATE TABLE b ();")  # a NUL once hid what followed it
@example(text="SELECT '\ud800';")
@given(text=arbitrary_text)
def test_every_analysis_of_any_text_understands_or_refuses(text):
    analyse(text)


@settings(HOSTILE, max_examples=400)  # cheap, and where the analyses behind the parser run
@example(text="SELECT 1;\nCREATE TABLE-- t (id int)")  # an error pglast gives no position for
@given(text=sql_shaped)
def test_every_analysis_of_migrations_with_hostile_names(text):
    analyse(text)


def test_a_nul_is_refused_where_it_stands_not_cut_off():
    """The parser reads a C string: what follows a NUL would have been silently dropped."""
    with pytest.raises(SQLSyntaxError) as caught:
        parse_statements("CREATE TABLE a ();\nCREATE TABLE b ();\x00CREATE TABLE c ();")
    assert (caught.value.line, caught.value.column) == (2, 19)
    assert "NUL" in caught.value.message


@pytest.mark.django_db
def test_detect_schema_of_any_sql_answers_or_refuses(target_db):
    """The catalog query is built from names in the SQL: whatever they are, it answers."""
    target_db.execute("CREATE TABLE t (id int, v text); CREATE SCHEMA s")

    @HOSTILE
    @given(text=st.one_of(arbitrary_text, sql_shaped))
    def answers(text: str) -> None:
        try:
            report = services.detect_schema(sql=text)
        except (SQLSyntaxError, BodyTooLarge):
            return
        assert report.recommendation

    answers()
