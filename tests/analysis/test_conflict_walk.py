"""The walk that finds statements sure to fail, on a real server: what a plan does before them.

A statement is an error (the gate refuses the run for it) only when the walk is certain it
fails; where the walk cannot follow what earlier statements did (a DO block, a CALL, a ``.cjs``
migration, a CASCADE, names PostgreSQL makes up...) a failure is only a doubt (``may-fail``),
which the gate never refuses for. Every case also runs on the server, in a transaction rolled
back, so that its premise holds: what is cleared does run, what is refused does fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
import pytest

from migrations_manager import services
from migrations_manager.introspection import catalog
from migrations_manager.services.conflicts import MAY_FAIL, WILL_FAIL
from migrations_manager.services.inspection import Analysed, analyse
from migrations_manager.services.safety import Review, review
from migrations_manager.types import Section


@dataclass(frozen=True)
class Opaque:
    """A ``.cjs`` migration: the check cannot read it; ``runs`` is what it does on the server."""

    runs: str


File = str | Opaque


@dataclass(frozen=True)
class Case:
    """The target's schema before (``before``), the plan's files, the session's search_path."""

    before: str
    files: tuple[File, ...]
    search_path: str | None = None


def plan(files: Sequence[File]) -> list[Analysed]:
    """The files as the gate and the check pass them to the review, in plan order."""
    analysed = []
    for number, file in enumerate(files, 1):
        name = f"{number:03}_m.sql"
        if isinstance(file, Opaque):
            analysed.append(Analysed(f"{number:03}_m.cjs", "", 1, False, opaque=True))
        else:
            analysed.append(analyse(name, Section(file, 1), in_transaction=True))
    return analysed


def reviewed(target, case: Case) -> Review:
    if case.before:
        target.execute(case.before)
    conn = target.connect()
    if case.search_path:
        conn.execute(f"SET search_path = {case.search_path}")
    return review(conn, catalog.server_info(conn), plan(case.files))


def runs(target, case: Case) -> bool:
    """Whether the plan runs on the target (in one transaction, rolled back)."""
    with psycopg.connect(target.url) as conn:
        try:
            if case.search_path:
                conn.execute(f"SET search_path = {case.search_path}")
            for file in case.files:
                conn.execute(file.runs if isinstance(file, Opaque) else file)
        except psycopg.Error:
            return False
        finally:
            conn.rollback()
    return True


TRIGGER_FUNCTION = (
    "CREATE FUNCTION tf() RETURNS trigger AS 'BEGIN RETURN NEW; END' LANGUAGE plpgsql;"
)
WITH_TRIGGER = (
    "CREATE TABLE t (a int);\n" + TRIGGER_FUNCTION + "\n"
    "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION tf();"
)
# A table with everything that goes with it, as a migration's up section creates it.
REDO_UP = (
    "CREATE TABLE t (id serial PRIMARY KEY, a int);\n"
    "CREATE INDEX t_i ON t (a);\n"
    "CREATE FUNCTION f() RETURNS trigger AS 'BEGIN RETURN NEW; END' LANGUAGE plpgsql;\n"
    "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();\n"
    "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0);"
)

# Plans that run: nothing in them is an error. (``doubted``: the walk could not follow them all.)
CLEARED = {
    # 1. renames leave a name and take another
    "rename-table-then-alter-new-name": Case(
        "CREATE TABLE old (id int)",
        ("ALTER TABLE old RENAME TO new;\nALTER TABLE new ADD COLUMN note text;",),
    ),
    "rename-table-across-files": Case(
        "CREATE TABLE old (id int)",
        ("ALTER TABLE old RENAME TO new;", "ALTER TABLE new ADD COLUMN note text;"),
    ),
    "rename-table-then-create-old-name": Case(
        "CREATE TABLE old (id int)",
        ("ALTER TABLE old RENAME TO new;\nCREATE TABLE old (id int);",),
    ),
    "renamed-table-keeps-its-columns": Case(
        "CREATE TABLE old (id int, note text)",
        ("ALTER TABLE old RENAME TO new;\nALTER TABLE new DROP COLUMN note;",),
    ),
    "rename-column-then-add-old-name": Case(
        "CREATE TABLE t (a int)",
        ("ALTER TABLE t RENAME COLUMN a TO b;\nALTER TABLE t ADD COLUMN a int;",),
    ),
    "rename-index-then-create-old-name": Case(
        "CREATE TABLE t (a int); CREATE INDEX i ON t (a)",
        ("ALTER INDEX i RENAME TO j;\nCREATE INDEX i ON t (a);",),
    ),
    "rename-constraint-then-add-old-name": Case(
        "CREATE TABLE t (a int CONSTRAINT c CHECK (a > 0))",
        ("ALTER TABLE t RENAME CONSTRAINT c TO d;\nALTER TABLE t ADD CONSTRAINT c CHECK (a < 9);",),
    ),
    "renaming-a-unique-constraint-renames-its-index": Case(
        "CREATE TABLE t (a int CONSTRAINT u UNIQUE)",
        ("ALTER TABLE t RENAME CONSTRAINT u TO v;\nCREATE INDEX u ON t (a);",),
    ),
    "rename-type-then-create-old-name": Case(
        "CREATE TYPE mood AS ENUM ('ok')",
        ("ALTER TYPE mood RENAME TO feeling;\nCREATE TYPE mood AS ENUM ('fine');",),
    ),
    "rename-schema-then-create-old-name": Case(
        "CREATE SCHEMA app; CREATE TABLE app.t (id int)",
        (
            "ALTER SCHEMA app RENAME TO app_old;\nCREATE SCHEMA app;\n"
            "CREATE TABLE app.t (id int);\nALTER TABLE app_old.t ADD COLUMN note text;",
        ),
    ),
    "set-schema-then-create-old-name": Case(
        "CREATE SCHEMA archive; CREATE TABLE t (id int)",
        (
            "ALTER TABLE t SET SCHEMA archive;\nCREATE TABLE t (id int);\n"
            "ALTER TABLE archive.t ADD COLUMN note text;",
        ),
    ),
    "rename-function-then-create-old-name": Case(
        "CREATE FUNCTION f(a int) RETURNS int AS 'SELECT a' LANGUAGE sql",
        (
            "ALTER FUNCTION f(int) RENAME TO g;\n"
            "CREATE FUNCTION f(a int) RETURNS int AS 'SELECT a + 1' LANGUAGE sql;\n"
            "DROP FUNCTION g(integer);",
        ),
    ),
    "rename-trigger-then-create-old-name": Case(
        WITH_TRIGGER,
        (
            "ALTER TRIGGER trg ON t RENAME TO trg_old;\n"
            "CREATE TRIGGER trg BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION tf();",
        ),
    ),
    # 2. drops of routines, triggers and constraints
    "drop-function-then-create": Case(
        "CREATE FUNCTION f(a int) RETURNS int AS 'SELECT a' LANGUAGE sql",
        (
            "DROP FUNCTION f(int);\n"
            "CREATE FUNCTION f(b int) RETURNS int AS 'SELECT b' LANGUAGE sql;",
        ),
    ),
    "drop-procedure-then-create": Case(
        "CREATE PROCEDURE p() LANGUAGE sql AS 'SELECT 1'",
        ("DROP PROCEDURE p();\nCREATE PROCEDURE p() LANGUAGE sql AS 'SELECT 2';",),
    ),
    "drop-trigger-then-create": Case(
        WITH_TRIGGER,
        (
            "DROP TRIGGER trg ON t;\n"
            "CREATE TRIGGER trg BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION tf();",
        ),
    ),
    "drop-constraint-then-add": Case(
        "CREATE TABLE t (a int CONSTRAINT c CHECK (a > 0))",
        ("ALTER TABLE t DROP CONSTRAINT c;\nALTER TABLE t ADD CONSTRAINT c CHECK (a >= 0);",),
    ),
    "drop-and-add-constraint-in-one-statement": Case(
        "CREATE TABLE t (a int CONSTRAINT c CHECK (a > 0))",
        ("ALTER TABLE t DROP CONSTRAINT c, ADD CONSTRAINT c CHECK (a >= 0);",),
    ),
    "drop-and-add-column-in-one-statement": Case(
        "CREATE TABLE t (a int)", ("ALTER TABLE t ADD COLUMN a text, DROP COLUMN a;",)
    ),
    "alter-if-exists-of-a-missing-table": Case(
        "", ("ALTER TABLE IF EXISTS nowhere DROP COLUMN c, DROP CONSTRAINT k;",)
    ),
    # 3. what goes with a dropped table, column or schema
    "redo-drops-then-creates-everything-again": Case(
        REDO_UP,
        ("DROP TABLE t;\nDROP FUNCTION f();", REDO_UP),
    ),
    "create-if-not-exists-keeps-the-table-its-index-goes-with": Case(
        "CREATE TABLE t (a int); CREATE INDEX t_i ON t (a)",
        (
            "CREATE TABLE IF NOT EXISTS t (a int);\nDROP TABLE t;\nCREATE TABLE t (a int);\n"
            "CREATE INDEX t_i ON t (a);",
        ),
    ),
    "drop-table-cascade": Case(
        "CREATE TABLE t (id int); CREATE VIEW v AS SELECT id FROM t",
        ("DROP TABLE t CASCADE;\nCREATE VIEW v AS SELECT 1 AS id;",),
    ),
    "drop-schema-cascade": Case(
        "CREATE SCHEMA app; CREATE TABLE app.t (id int); CREATE INDEX app_i ON app.t (id)",
        (
            "DROP SCHEMA app CASCADE;\nCREATE SCHEMA app;\nCREATE TABLE app.t (id int);\n"
            "CREATE INDEX app_i ON app.t (id);",
        ),
    ),
    "drop-column-drops-its-index": Case(
        "CREATE TABLE t (a int, b int); CREATE INDEX t_a ON t (a)",
        ("ALTER TABLE t DROP COLUMN a;\nCREATE INDEX t_a ON t (b);",),
    ),
    "drop-table-drops-its-sequence": Case(
        "CREATE TABLE t (id serial)", ("DROP TABLE t;\nCREATE SEQUENCE t_id_seq;",)
    ),
    "drop-table-drops-its-row-type": Case(
        "CREATE TABLE t (id int)", ("DROP TABLE t;\nCREATE TYPE t AS ENUM ('a');",)
    ),
    "drop-partitioned-table-drops-its-partitions": Case(
        "CREATE TABLE ev (id int) PARTITION BY RANGE (id);"
        " CREATE TABLE ev_1 PARTITION OF ev FOR VALUES FROM (0) TO (10)",
        (
            "DROP TABLE ev;\nCREATE TABLE ev (id int) PARTITION BY RANGE (id);\n"
            "CREATE TABLE ev_1 PARTITION OF ev FOR VALUES FROM (0) TO (10);",
        ),
    ),
    "generated-constraint-names": Case(
        "",
        (
            # (t_a_check, not PostgreSQL 18's t_a_not_null: the case runs on every version)
            "CREATE TABLE t (id int PRIMARY KEY, a int CHECK (a > 0), email text UNIQUE);\n"
            "ALTER TABLE t DROP CONSTRAINT t_pkey;\nALTER TABLE t DROP CONSTRAINT t_a_check;\n"
            "ALTER INDEX t_email_key RENAME TO t_email_unique;",
        ),
    ),
    "generated-name-of-an-added-key": Case(
        "CREATE TABLE t (id int NOT NULL)",
        ("ALTER TABLE t ADD PRIMARY KEY (id);\nALTER INDEX t_pkey RENAME TO t_key_index;",),
    ),
    "generated-sequence-name": Case(
        "",
        (
            "CREATE TABLE t (id serial);\nALTER TABLE t ALTER COLUMN id DROP DEFAULT;\n"
            "DROP SEQUENCE t_id_seq;",
        ),
    ),
    # 4. what a statement creates without saying so
    "temporary-table": Case(
        "",
        (
            "CREATE TEMP TABLE x (id int);\nALTER TABLE x ADD COLUMN note text;\n"
            "CREATE INDEX x_id ON x (id);",
        ),
    ),
    "temporary-table-first-in-the-path": Case(
        "CREATE TABLE x (id int)",
        ("CREATE TEMP TABLE x (note text);\nALTER TABLE x ADD COLUMN id int;",),
    ),
    "select-into": Case(
        "CREATE TABLE src (a int)",
        (
            "SELECT a INTO copy FROM src;\nALTER TABLE copy ADD COLUMN b int;\n"
            "ALTER TABLE copy DROP COLUMN a;",
        ),
    ),
    "create-table-as": Case(
        "", ("CREATE TABLE x AS SELECT 1 AS a, 2 AS b;\nALTER TABLE x DROP COLUMN a;",)
    ),
    "do-block": Case(
        "",
        ("DO $$ BEGIN CREATE TABLE d (id int); END $$;\nALTER TABLE d ADD COLUMN note text;",),
    ),
    "call": Case(
        "CREATE PROCEDURE p() LANGUAGE plpgsql AS $$ BEGIN CREATE TABLE made (id int); END $$",
        ("CALL p();\nALTER TABLE made ADD COLUMN note text;",),
    ),
    "rollback-to-a-savepoint": Case(
        "",
        (
            "SAVEPOINT before;\nCREATE TABLE t (id int);\nROLLBACK TO SAVEPOINT before;\n"
            "CREATE TABLE t (id int);",
        ),
    ),
    "select-of-a-function": Case(
        "CREATE FUNCTION mk() RETURNS void LANGUAGE plpgsql"
        " AS $$ BEGIN CREATE TABLE made (id int); END $$",
        ("SELECT mk();\nALTER TABLE made ADD COLUMN note text;",),
    ),
    # 5. unqualified names resolve through the search_path
    "drop-in-a-schema-off-the-path": Case(
        "CREATE SCHEMA archive; CREATE TABLE archive.users (id int); CREATE TABLE users (id int)",
        ("DROP TABLE archive.users;\nALTER TABLE users ADD COLUMN note text;",),
    ),
    "drop-in-a-later-schema-of-the-path": Case(
        "CREATE SCHEMA archive; CREATE TABLE archive.users (id int); CREATE TABLE users (id int)",
        ("DROP TABLE archive.users;\nALTER TABLE users ADD COLUMN note text;",),
        search_path="public, archive",
    ),
    "drop-in-the-first-schema-of-the-path": Case(
        "CREATE SCHEMA archive; CREATE TABLE archive.users (id int); CREATE TABLE users (id int)",
        ("DROP TABLE archive.users;\nALTER TABLE users ADD COLUMN note text;",),
        search_path="archive, public",
    ),
    "create-in-the-second-schema-of-the-path": Case(
        "CREATE SCHEMA app",
        ("CREATE TABLE app.t (id int);\nALTER TABLE t ADD COLUMN note text;",),
        search_path="public, app",
    ),
    # 6. a file that sets its own search_path
    "own-search-path-then-qualified": Case(
        "CREATE SCHEMA app",
        (
            "SET search_path = app;\nCREATE TABLE t (id int);",
            "ALTER TABLE app.t ADD COLUMN note text;",
        ),
    ),
    # 8. a migration the check cannot read
    "opaque-migration": Case(
        "",
        (
            "CREATE TABLE a (id int);",
            Opaque("CREATE TABLE b (id int)"),
            "ALTER TABLE b ADD COLUMN x int;",
        ),
    ),
    "opaque-migration-before-a-create": Case(
        "CREATE TABLE users (id int)",
        (Opaque("DROP TABLE users"), "CREATE TABLE users (id int);"),
    ),
}

DOUBTED = {
    "renamed-table-keeps-its-columns",
    "renaming-a-unique-constraint-renames-its-index",
    "rename-schema-then-create-old-name",
    "drop-table-cascade",
    "drop-column-drops-its-index",
    "drop-table-drops-its-sequence",
    "drop-partitioned-table-drops-its-partitions",
    "generated-constraint-names",
    "generated-sequence-name",
    "select-into",
    "create-table-as",
    "do-block",
    "call",
    "select-of-a-function",
    "rollback-to-a-savepoint",
    "generated-name-of-an-added-key",
    "opaque-migration",
    "opaque-migration-before-a-create",
}


@pytest.mark.parametrize("case", CLEARED.values(), ids=CLEARED.keys())
def test_what_the_walk_follows_or_cannot_is_no_error(target_db, case):
    result = reviewed(target_db, case)
    assert result.conflicts == () and result.errors == ()
    assert runs(target_db, case)


@pytest.mark.parametrize("name", sorted(DOUBTED))
def test_what_the_walk_cannot_follow_is_a_doubt(target_db, name):
    """The statement that would fail on what the walk could only guess stays visible."""
    result = reviewed(target_db, CLEARED[name])
    assert result.doubts and result.errors == ()
    assert {doubt.kind for doubt in result.doubts} == {MAY_FAIL}
    assert all(" may fail: " in doubt.message for doubt in result.doubts)


def test_after_an_opaque_migration_a_missing_table_is_a_doubt(target_db):
    """The plan of item 8: 002 (a ``.cjs`` file) creates ``b``, which 003 alters."""
    [doubt] = reviewed(target_db, CLEARED["opaque-migration"]).doubts
    assert (doubt.kind, doubt.file, doubt.line) == (MAY_FAIL, "003_m.sql", 1)
    assert doubt.message == "ALTER TABLE may fail: b does not exist, as far as the check can tell."
    assert "Only a doubt" in doubt.hint


@pytest.mark.parametrize(
    "name",
    [
        "redo-drops-then-creates-everything-again",
        "create-if-not-exists-keeps-the-table-its-index-goes-with",
        "drop-schema-cascade",
        "rename-table-across-files",
        "drop-in-a-later-schema-of-the-path",
    ],
)
def test_what_the_walk_follows_exactly_leaves_no_doubt(target_db, name):
    assert reviewed(target_db, CLEARED[name]).doubts == ()


# Plans sure to fail: (case, the one error).
REFUSED = {
    "alter-the-old-name-after-a-rename": (
        Case(
            "CREATE TABLE old (id int)",
            ("ALTER TABLE old RENAME TO new;\nALTER TABLE old ADD COLUMN note text;",),
        ),
        "ALTER TABLE will fail: old does not exist.",
    ),
    "rename-onto-an-existing-table": (
        Case("CREATE TABLE a (id int); CREATE TABLE b (id int)", ("ALTER TABLE a RENAME TO b;",)),
        "ALTER TABLE will fail: public.b already exists.",
    ),
    "add-the-new-name-of-a-renamed-column": (
        Case(
            "CREATE TABLE t (a int)",
            ("ALTER TABLE t RENAME COLUMN a TO b;\nALTER TABLE t ADD COLUMN b int;",),
        ),
        "ALTER TABLE will fail: public.t.b already exists.",
    ),
    "rename-a-missing-column": (
        Case("CREATE TABLE t (a int)", ("ALTER TABLE t RENAME COLUMN nope TO b;",)),
        "ALTER TABLE will fail: t.nope does not exist.",
    ),
    "drop-a-missing-function": (
        Case("", ("DROP FUNCTION nothing(int);",)),
        "DROP FUNCTION will fail: nothing(integer) does not exist.",
    ),
    "drop-a-missing-trigger": (
        Case("CREATE TABLE t (a int)", ("DROP TRIGGER nope ON t;",)),
        "DROP TRIGGER will fail: t.nope does not exist.",
    ),
    "drop-a-missing-constraint": (
        Case("CREATE TABLE t (a int)", ("ALTER TABLE t DROP CONSTRAINT nope;",)),
        "ALTER TABLE will fail: t.nope does not exist.",
    ),
    "dropping-a-table-leaves-its-trigger-function": (
        Case(REDO_UP, ("DROP TABLE t;", REDO_UP)),
        "CREATE FUNCTION will fail: public.f() already exists.",
    ),
    "an-unrelated-drop-leaves-other-tables": (
        Case(
            "CREATE TABLE a (id int); CREATE TABLE users (id int)",
            ("DROP TABLE a;\nCREATE TABLE users (id int);",),
        ),
        "CREATE TABLE will fail: public.users already exists.",
    ),
    "created-in-a-schema-off-the-path": (
        Case(
            "CREATE SCHEMA app", ("CREATE TABLE app.t (id int);\nALTER TABLE t ADD COLUMN x int;",)
        ),
        "ALTER TABLE will fail: t does not exist.",
    ),
    "dropped-in-the-only-schema-of-the-path-that-had-it": (
        Case(
            "CREATE SCHEMA archive; CREATE TABLE archive.users (id int)",
            ("DROP TABLE archive.users;\nALTER TABLE users ADD COLUMN x int;",),
            search_path="public, archive",
        ),
        "ALTER TABLE will fail: users does not exist.",
    ),
    "an-extension-already-there-changes-nothing": (
        Case("", ("CREATE EXTENSION IF NOT EXISTS plpgsql;\nALTER TABLE nowhere ADD x int;",)),
        "ALTER TABLE will fail: nowhere does not exist.",
    ),
    "temporary-table-twice": (
        Case("", ("CREATE TEMP TABLE x (id int);\nCREATE TEMP TABLE x (id int);",)),
        "CREATE TABLE will fail: pg_temp.x already exists.",
    ),
    "what-a-plan-creates-after-a-do-block-is-known": (
        Case("", ("DO $$ BEGIN END $$;\nCREATE TABLE t (id int);\nCREATE TABLE t (id int);",)),
        "CREATE TABLE will fail: public.t already exists.",
    ),
    "what-a-plan-creates-after-an-opaque-migration-is-known": (
        Case("", (Opaque("SELECT 1"), "CREATE TABLE t (id int);", "CREATE TABLE t (id int);")),
        "CREATE TABLE will fail: public.t already exists.",
    ),
}


@pytest.mark.parametrize("case, message", REFUSED.values(), ids=REFUSED.keys())
def test_what_is_sure_to_fail_stays_an_error(target_db, case, message):
    result = reviewed(target_db, case)
    assert [error.message for error in result.errors] == [message]
    assert [error.kind for error in result.errors] == [WILL_FAIL]
    assert not runs(target_db, case)


def test_the_check_clears_a_rename_across_files(target_db):
    """The same walk behind ``check``: 002 alters the name 001 gives the table."""
    target_db.execute("CREATE TABLE old (id int)")
    target_db.write("001_rename.sql", "ALTER TABLE old RENAME TO new;")
    target_db.write("002_alter.sql", "ALTER TABLE new ADD COLUMN note text;")
    assert services.check().errors == ()
