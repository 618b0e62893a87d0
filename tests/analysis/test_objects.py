"""What SQL creates, for schema detection: names as PostgreSQL stores them, signatures, shapes."""

from __future__ import annotations

import pytest

from migrations_manager.analysis.indexshape import IndexShape, index_shape_of_definition
from migrations_manager.analysis.objects import CreatedObject, ObjectType, created_objects
from migrations_manager.analysis.statements import parse_statements

T = ObjectType


def objects(sql: str) -> list[CreatedObject]:
    return created_objects(parse_statements(sql))


def summary(sql: str) -> list[tuple[str, str | None]]:
    """(type, qualified name) of each created object, in order."""
    return [(str(item.type), item.qualified_name) for item in objects(sql)]


# --- which objects, and their names -------------------------------------------------------------

NAMES = [
    (
        "unquoted-folds-to-lower-case",
        "CREATE TABLE Users (id bigint)",
        [("table", "users"), ("column", "users.id")],
    ),
    (
        "quoted-keeps-case",
        'CREATE TABLE "Users" ("Id" bigint)',
        [("table", '"Users"'), ("column", '"Users"."Id"')],
    ),
    ("quoted-lower-case-is-the-same-as-unquoted", 'CREATE TABLE "users" ()', [("table", "users")]),
    ("schema-qualified", "CREATE TABLE app.orders ()", [("table", "app.orders")]),
    ("quoted-schema", 'CREATE TABLE "App".Orders ()', [("table", '"App".orders')]),
    ("reserved-word-name-is-quoted", 'CREATE TABLE "user" ()', [("table", '"user"')]),
    (
        "long-name-truncated-to-63-bytes-like-the-server",
        f"CREATE TABLE {'x' * 70} ()",
        [("table", "x" * 63)],
    ),
    (
        "comment-containing-create-table",
        "-- CREATE TABLE ghost (a int);\n/* CREATE TABLE ghost2 (a int); */\nSELECT 1;",
        [],
    ),
    (
        "dollar-quoted-body-containing-create-table",
        "CREATE FUNCTION mk() RETURNS void AS $body$ CREATE TABLE ghost (a int); $body$ "
        "LANGUAGE sql",
        [("function", "mk")],
    ),
    ("string-containing-create-table", "SELECT 'CREATE TABLE ghost (a int)'", []),
    ("unnamed-index-has-no-name", "CREATE INDEX ON t (c)", [("index", None)]),
    ("named-index", "CREATE INDEX ix_t_c ON app.t (c)", [("index", "app.ix_t_c")]),
    (
        "enum-composite-range-domain",
        "CREATE TYPE mood AS ENUM ('ok'); CREATE TYPE pair AS (a int, b int);"
        "CREATE TYPE span AS RANGE (subtype = float8); CREATE DOMAIN app.posint AS int",
        [("type", "mood"), ("type", "pair"), ("type", "span"), ("type", "app.posint")],
    ),
    (
        "view-matview-sequence",
        "CREATE VIEW v AS SELECT 1; CREATE MATERIALIZED VIEW mv AS SELECT 1; CREATE SEQUENCE s.q",
        [("view", "v"), ("materialized view", "mv"), ("sequence", "s.q")],
    ),
    (
        "schema-and-extension",
        "CREATE SCHEMA app; CREATE EXTENSION pgcrypto",
        [("schema", "app"), ("extension", "pgcrypto")],
    ),
    (
        "schema-elements-land-in-the-schema",
        "CREATE SCHEMA app CREATE TABLE t (a int)",
        [("schema", "app"), ("table", "app.t"), ("column", "app.t.a")],
    ),
    (
        "trigger",
        "CREATE TRIGGER tr BEFORE INSERT ON app.t FOR EACH ROW EXECUTE FUNCTION f()",
        [("trigger", "app.t.tr")],
    ),
    ("procedure", "CREATE PROCEDURE p() LANGUAGE sql AS $$ SELECT 1 $$", [("procedure", "p")]),
    ("create-table-as", "CREATE TABLE copy AS SELECT 1 AS a", [("table", "copy")]),
    ("temporary-table-is-not-detected", "CREATE TEMP TABLE scratch (a int)", []),
    (
        # An unnamed constraint has no name (PostgreSQL invents one): it is known by its shape.
        "constraints-of-create-table",
        "CREATE TABLE t (id bigint CONSTRAINT t_pk PRIMARY KEY, CONSTRAINT t_ck CHECK (id > 0),"
        " CHECK (id < 10))",
        [
            ("table", "t"),
            ("column", "t.id"),
            ("constraint", "t.t_pk"),
            ("constraint", "t.t_ck"),
            ("constraint", None),
        ],
    ),
    (
        "add-column-and-constraints",
        "ALTER TABLE users ADD COLUMN email text, ADD CONSTRAINT email_ck CHECK (email <> ''),"
        " ADD CHECK (true)",
        [("column", "users.email"), ("constraint", "users.email_ck"), ("constraint", None)],
    ),
    ("dml-creates-nothing", "INSERT INTO t VALUES (1); UPDATE t SET a = 2", []),
]


@pytest.mark.parametrize(
    ("sql", "expected"), [case[1:] for case in NAMES], ids=[case[0] for case in NAMES]
)
def test_created_objects_and_names(sql: str, expected: list) -> None:
    assert summary(sql) == expected


# --- functions: signatures usable with to_regprocedure ------------------------------------------

SIGNATURES = [
    (
        "internal-names-become-standard",
        "CREATE FUNCTION f(a int4, b int8, c bool, d float8) RETURNS int"
        " AS 'select 1' LANGUAGE sql",
        "f(integer,bigint,boolean,double precision)",
    ),
    (
        "varchar-length-is-not-part-of-a-signature",
        "CREATE FUNCTION f(a character varying(10), b varchar, c numeric(10,2)) RETURNS int "
        "AS 'select 1' LANGUAGE sql",
        "f(character varying,character varying,numeric)",
    ),
    (
        "out-and-table-arguments-are-excluded",
        "CREATE FUNCTION app.f(a int, OUT b text, INOUT c text) RETURNS record "
        "AS 'select 1' LANGUAGE sql",
        "app.f(integer,text)",
    ),
    (
        "returns-table-columns-are-excluded",
        "CREATE FUNCTION f(x int) RETURNS TABLE (a int, b text) AS 'select 1, 2' LANGUAGE sql",
        "f(integer)",
    ),
    (
        "variadic-is-an-array",
        "CREATE FUNCTION f(VARIADIC xs int[]) RETURNS int AS 'select 1' LANGUAGE sql",
        "f(integer[])",
    ),
    (
        "user-types-keep-quotes-and-schema",
        'CREATE FUNCTION "F"(a "MyType", b app.money2) RETURNS int AS \'select 1\' LANGUAGE sql',
        '"F"("MyType",app.money2)',
    ),
    (
        "time-types",
        "CREATE FUNCTION f(a timestamptz, b timestamp(3)) RETURNS int AS 'select 1' LANGUAGE sql",
        "f(timestamp with time zone,timestamp without time zone)",
    ),
    (
        "procedure-inout-kept-out-dropped",
        "CREATE PROCEDURE p(INOUT a int, OUT b int) LANGUAGE sql AS $$ SELECT 1 $$",
        "p(integer)",
    ),
]


@pytest.mark.parametrize(
    ("sql", "signature"), [case[1:] for case in SIGNATURES], ids=[case[0] for case in SIGNATURES]
)
def test_function_signature(sql: str, signature: str) -> None:
    [function] = objects(sql)
    assert function.signature == signature


def test_overloads_are_distinct_objects() -> None:
    found = objects(
        "CREATE FUNCTION f(integer) RETURNS int AS 'select 1' LANGUAGE sql;"
        "CREATE FUNCTION f(text) RETURNS int AS 'select 1' LANGUAGE sql;"
        "CREATE FUNCTION f(a integer, OUT b int) AS 'select 1' LANGUAGE sql;"
    )
    assert [item.signature for item in found] == ["f(integer)", "f(text)", "f(integer)"]
    assert found[0].arguments == ("integer",)
    assert found[0] != found[1]


# --- flags, kinds, details -----------------------------------------------------------------------

FLAGS = [
    ("table-if-not-exists", "CREATE TABLE IF NOT EXISTS t ()", "if_not_exists", True),
    ("table-plain", "CREATE TABLE t ()", "if_not_exists", False),
    ("index-if-not-exists", "CREATE INDEX IF NOT EXISTS ix ON t (c)", "if_not_exists", True),
    ("sequence-if-not-exists", "CREATE SEQUENCE IF NOT EXISTS q", "if_not_exists", True),
    ("schema-if-not-exists", "CREATE SCHEMA IF NOT EXISTS app", "if_not_exists", True),
    ("extension-if-not-exists", "CREATE EXTENSION IF NOT EXISTS citext", "if_not_exists", True),
    (
        "matview-if-not-exists",
        "CREATE MATERIALIZED VIEW IF NOT EXISTS mv AS SELECT 1",
        "if_not_exists",
        True,
    ),
    (
        "add-column-if-not-exists",
        "ALTER TABLE t ADD COLUMN IF NOT EXISTS c int",
        "if_not_exists",
        True,
    ),
    (
        "function-or-replace",
        "CREATE OR REPLACE FUNCTION f() RETURNS int AS 'select 1' LANGUAGE sql",
        "or_replace",
        True,
    ),
    ("view-or-replace", "CREATE OR REPLACE VIEW v AS SELECT 1", "or_replace", True),
    (
        "trigger-or-replace",
        "CREATE OR REPLACE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
        "or_replace",
        True,
    ),
    ("enum-kind", "CREATE TYPE mood AS ENUM ('ok')", "kind", "enum"),
    ("composite-kind", "CREATE TYPE pair AS (a int)", "kind", "composite"),
    ("range-kind", "CREATE TYPE span AS RANGE (subtype = int4)", "kind", "range"),
    ("domain-kind", "CREATE DOMAIN d AS int", "kind", "domain"),
    ("base-type-kind", "CREATE TYPE shell", "kind", "base"),
    ("line-of-the-statement", "\n\n-- comment\nCREATE TABLE t ()", "line", 4),
    ("unqualified-has-no-schema", "CREATE TABLE t ()", "schema", None),
]


@pytest.mark.parametrize(
    ("sql", "attribute", "value"), [case[1:] for case in FLAGS], ids=[case[0] for case in FLAGS]
)
def test_flags_and_kinds(sql: str, attribute: str, value: object) -> None:
    assert getattr(objects(sql)[0], attribute) == value


def test_columns_carry_type_and_table() -> None:
    found = objects(
        'CREATE TABLE app.t (id serial, "Name" varchar(10), at timestamp(3) with '
        "time zone, n numeric(10,2)[])"
    )
    columns = [(item.table, item.name, item.data_type) for item in found if item.type == T.COLUMN]
    assert columns == [
        ("t", "id", "integer"),
        ("t", "Name", "character varying(10)"),
        ("t", "at", "timestamp(3) with time zone"),
        ("t", "n", "numeric(10,2)[]"),
    ]
    assert all(item.schema == "app" for item in found)


def test_constraint_kinds() -> None:
    found = objects(
        "ALTER TABLE t ADD CONSTRAINT a PRIMARY KEY (id), ADD CONSTRAINT b UNIQUE (x),"
        " ADD CONSTRAINT c FOREIGN KEY (y) REFERENCES u, ADD CONSTRAINT d "
        "EXCLUDE USING gist (r WITH &&)"
    )
    assert [(item.name, item.kind) for item in found] == [
        ("a", "primary key"),
        ("b", "unique"),
        ("c", "foreign key"),
        ("d", "exclusion"),
    ]


def test_unqualified_objects_resolve_through_a_schema() -> None:
    table, extension = objects("CREATE TABLE t (); CREATE EXTENSION hstore")
    assert table.resolved("public").qualified_name == "public.t"
    assert extension.resolved("public").schema is None
    qualified = objects("CREATE TABLE app.t ()")[0]
    assert qualified.resolved("public").schema == "app"


# --- index shapes ------------------------------------------------------------------------------


def test_index_shape() -> None:
    [index] = objects(
        "CREATE UNIQUE INDEX CONCURRENTLY ix ON app.t USING gin (lower(c), d DESC)"
        " INCLUDE (z) WHERE d > 0 AND s = 'x'"
    )
    assert index.table == "t"
    assert index.index == IndexShape(
        columns=("(lower(c))", "d DESC"),
        unique=True,
        method="gin",
        where="d > 0 AND s = 'x'",
        include=("z",),
    )


def test_index_shape_matches_pg_get_indexdef_output() -> None:
    [index] = objects("create index ix on t (lower(email)) where status = 'active'")
    server = (
        "CREATE INDEX ix ON public.t USING btree (lower(email)) WHERE (status = 'active'::text)"
    )
    assert index_shape_of_definition(server) == index.index


def test_index_shape_differs_when_columns_differ() -> None:
    [index] = objects("CREATE INDEX ix ON t (a, b)")
    assert index_shape_of_definition("CREATE INDEX ix ON public.t USING btree (a)") != index.index


# --- drops -------------------------------------------------------------------------------------

DROPS = [
    (
        "dropped-table-takes-its-parts",
        "CREATE TABLE gone (a int CONSTRAINT k CHECK (a > 0)); CREATE INDEX gone_ix ON gone (a);"
        "CREATE TABLE kept (); DROP TABLE gone",
        [("table", "kept")],
    ),
    (
        "drop-one-overload",
        "CREATE FUNCTION f(int) RETURNS int AS 'select 1' LANGUAGE sql;"
        "CREATE FUNCTION f(text) RETURNS int AS 'select 1' LANGUAGE sql; DROP FUNCTION f(integer)",
        [("function", "f")],
    ),
    (
        "drop-all-overloads",
        "CREATE FUNCTION f(int) RETURNS int AS 'select 1' LANGUAGE sql;"
        "CREATE FUNCTION f(text) RETURNS int AS 'select 1' LANGUAGE sql; DROP FUNCTION f",
        [],
    ),
    (
        "drop-column",
        "ALTER TABLE t ADD COLUMN a int, ADD COLUMN b int; ALTER TABLE t DROP COLUMN a",
        [("column", "t.b")],
    ),
    ("drop-index", "CREATE INDEX ix ON t (a); DROP INDEX ix", []),
    (
        "drop-type-and-domain",
        "CREATE TYPE e AS ENUM ('a'); CREATE DOMAIN d AS int;DROP TYPE e; DROP DOMAIN d",
        [],
    ),
    (
        "drop-trigger",
        "CREATE TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();"
        "DROP TRIGGER tr ON t",
        [],
    ),
    (
        "drop-schema-takes-its-objects",
        "CREATE SCHEMA app; CREATE TABLE app.t (); DROP SCHEMA app CASCADE",
        [],
    ),
    (
        "drop-in-other-schema-keeps-object",
        "CREATE TABLE app.t (); DROP TABLE other.t",
        [("table", "app.t")],
    ),
    (
        "recreated-after-drop",
        "CREATE TABLE t (); DROP TABLE t; CREATE TABLE t ()",
        [("table", "t")],
    ),
]


@pytest.mark.parametrize(
    ("sql", "expected"), [case[1:] for case in DROPS], ids=[case[0] for case in DROPS]
)
def test_objects_dropped_later_are_not_reported(sql: str, expected: list) -> None:
    assert summary(sql) == expected


def test_drop_one_overload_keeps_the_other_signature() -> None:
    [kept] = objects(
        "CREATE FUNCTION f(int) RETURNS int AS 'select 1' LANGUAGE sql;"
        "CREATE FUNCTION f(text) RETURNS int AS 'select 1' LANGUAGE sql;"
        "DROP FUNCTION f(int4)"
    )
    assert kept.signature == "f(text)"


# --- shapes: what detect-schema compares beyond names -------------------------------------------


def test_the_shape_of_a_table_s_columns_and_constraints() -> None:
    found = objects(
        "CREATE TABLE o (id int PRIMARY KEY, c int NOT NULL REFERENCES app.cu (id)"
        " ON DELETE CASCADE ON UPDATE SET NULL, code text UNIQUE, CHECK (c > id),"
        " EXCLUDE USING gist (code WITH =))"
    )
    columns = {item.name: item.not_null for item in found if item.type is T.COLUMN}
    assert columns == {"id": True, "c": True, "code": False}
    constraints = [
        (item.kind, item.columns, item.references, item.actions)
        for item in found
        if item.type is T.CONSTRAINT
    ]
    assert constraints == [
        ("primary key", ("id",), None, None),
        ("foreign key", ("c",), ("app", "cu"), "cn"),
        ("unique", ("code",), None, None),
        ("check", ("c", "id"), None, None),
        ("exclusion", ("code",), None, None),
    ]


def test_the_shape_of_a_function_and_of_a_view() -> None:
    function, view, star = objects(
        "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE SQL AS $$ SELECT 1 $$;"
        " CREATE VIEW v AS SELECT o.id FROM public.orders o WHERE o.id IN (1, 2);"
        " CREATE VIEW w AS SELECT * FROM orders"
    )
    assert (function.body, function.language) == (" SELECT 1 ", "sql")
    assert (view.query, view.star) == (
        "SELECT id FROM orders AS o WHERE id = ANY(ARRAY[1, 2])",
        False,
    )
    assert star.star
