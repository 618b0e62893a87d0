"""Schema detection against a real catalog: names as PostgreSQL resolves them, shapes, one query."""

from __future__ import annotations

import psycopg
import pytest

from migrations_manager import services
from migrations_manager.exceptions import (
    BodyTooLarge,
    MigrationNotFound,
    SQLSyntaxError,
    TargetUnavailable,
    UsageError,
)
from migrations_manager.services.schema import ALL_EXIST, NO_DDL, NONE_EXIST, SOME_EXIST
from tests.utils import RoundTrips

pytestmark = pytest.mark.django_db

CATALOG = """
CREATE TABLE users (id serial PRIMARY KEY, name text, email text);
CREATE INDEX idx_users_name ON users (name);
CREATE INDEX ON users (email);
ALTER TABLE users ADD CONSTRAINT users_email_ck CHECK (email <> '');
ALTER TABLE users ADD CONSTRAINT users_name_ck CHECK (name <> '') NOT VALID;
CREATE TABLE "Users" (id int);
CREATE SCHEMA app;
CREATE TABLE app.orders (id int);
CREATE FUNCTION add_one(integer) RETURNS integer AS 'select 1' LANGUAGE sql;
CREATE PROCEDURE archive() LANGUAGE sql AS $$ SELECT 1 $$;
CREATE TYPE mood AS ENUM ('ok');
CREATE VIEW active_users AS SELECT * FROM users;
CREATE MATERIALIZED VIEW user_count AS SELECT count(*) FROM users;
CREATE SEQUENCE counter;
CREATE FUNCTION touch() RETURNS trigger AS $$ BEGIN RETURN NEW; END $$ LANGUAGE plpgsql;
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();
"""

SQL_FUNCTION = "RETURNS integer AS 'select 1' LANGUAGE sql"


@pytest.fixture
def catalog(target_db):
    target_db.execute(CATALOG)
    return target_db


def summary(report) -> list[tuple]:
    return [(f.type, f.name, f.exists, f.differs) for f in report.findings]


CASES = [
    pytest.param(
        "CREATE TABLE users (id serial PRIMARY KEY, name text);"
        " CREATE INDEX idx_users_name ON users (name);",
        [("table", "public.users", True, False), ("index", "idx_users_name", True, False)],
        id="seed-example",
    ),
    pytest.param(
        'CREATE TABLE "Users" (id int)',
        [("table", 'public."Users"', True, False)],
        id="quoted-name-keeps-case",
    ),
    pytest.param(
        'CREATE TABLE "USERS" (id int)',
        [("table", 'public."USERS"', False, False)],
        id="quoted-upper-case-is-another-table",
    ),
    pytest.param(
        "CREATE TABLE USERS (id int)",
        [("table", "public.users", True, False)],
        id="unquoted-folds-to-lower-case",
    ),
    pytest.param(
        "CREATE TABLE orders (id int)",
        [("table", "public.orders", False, False)],
        id="unqualified-lands-in-the-first-schema-of-the-search-path",
    ),
    pytest.param(
        "CREATE TABLE app.orders (id int)",
        [("table", "app.orders", True, False)],
        id="schema-qualified",
    ),
    pytest.param(
        f"CREATE FUNCTION add_one(integer) {SQL_FUNCTION}",
        [("function", "public.add_one(integer)", True, False)],
        id="function-signature",
    ),
    pytest.param(
        f"CREATE FUNCTION add_one(int4) {SQL_FUNCTION}",
        [("function", "public.add_one(integer)", True, False)],
        id="type-alias",
    ),
    pytest.param(
        f"CREATE FUNCTION add_one(text) {SQL_FUNCTION}",
        [("function", "public.add_one(text)", False, False)],
        id="overload-is-another",
    ),
    pytest.param(
        f"CREATE TYPE feeling AS ENUM ('a'); CREATE FUNCTION f(feeling) {SQL_FUNCTION}",
        [("type", "public.feeling", False, False), ("function", "public.f(feeling)", False, False)],
        id="argument-type-created-by-the-same-sql",
    ),
    pytest.param(
        "CREATE FUNCTION archive() RETURNS void AS 'select' LANGUAGE sql",
        [("function", "public.archive()", True, True)],
        id="procedure-not-function",
    ),
    pytest.param(
        "CREATE INDEX ON users (email)",
        [("index", "(unnamed) ON public.users (email)", True, False)],
        id="unnamed-index-found-by-definition",
    ),
    pytest.param(
        "CREATE INDEX ON users (lower(email))",
        [("index", "(unnamed) ON public.users ((lower(email)))", False, False)],
        id="unnamed-index-never-found-by-name",
    ),
    pytest.param(
        "CREATE FUNCTION mk() RETURNS void AS $body$ CREATE TABLE users (id int) $body$"
        " LANGUAGE sql",
        [("function", "public.mk()", False, False)],
        id="dollar-quoted-body",
    ),
    pytest.param(
        "-- CREATE TABLE users (id int);\n/* CREATE TABLE users (id int); */\nSELECT 1",
        [],
        id="comments-containing-create-table",
    ),
    pytest.param(
        "CREATE VIEW active_users AS SELECT * FROM users; CREATE MATERIALIZED VIEW user_count AS"
        " SELECT count(*) FROM users; CREATE SEQUENCE counter",
        [
            ("view", "public.active_users", True, False),
            ("materialized view", "public.user_count", True, False),
            ("sequence", "public.counter", True, False),
        ],
        id="view-matview-sequence",
    ),
    pytest.param(
        "CREATE TABLE active_users (id int)",
        [("table", "public.active_users", True, True)],
        id="a-view-is-not-a-table",
    ),
    pytest.param(
        "CREATE SCHEMA app; CREATE SCHEMA billing; CREATE EXTENSION plpgsql",
        [
            ("schema", "app", True, False),
            ("schema", "billing", False, False),
            ("extension", "plpgsql", True, False),
        ],
        id="schema-extension",
    ),
    pytest.param(
        "CREATE TYPE mood AS ENUM ('ok'); CREATE TYPE users AS (a int); CREATE DOMAIN mood AS text",
        [("type", "public.mood", True, False), ("type", "public.users", True, True)],
        id="types",
    ),
    pytest.param(
        "CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION"
        " touch(); CREATE PROCEDURE archive() LANGUAGE sql AS $$ SELECT 1 $$",
        [
            ("trigger", "public.users.users_touch", True, False),
            ("procedure", "public.archive()", True, False),
        ],
        id="trigger-procedure",
    ),
    pytest.param(
        "ALTER TABLE users ADD COLUMN email text, ADD COLUMN phone text",
        [
            ("column", "public.users.email", True, False),
            ("column", "public.users.phone", False, False),
        ],
        id="add-column",
    ),
    pytest.param(
        "ALTER TABLE users ADD COLUMN email integer",
        [("column", "public.users.email", True, True)],
        id="column-of-another-type",
    ),
    pytest.param(
        "ALTER TABLE users ADD CONSTRAINT users_email_ck CHECK (email <> ''),"
        " ADD CONSTRAINT users_age_ck CHECK (true)",
        [
            ("constraint", "public.users.users_email_ck", True, False),
            ("constraint", "public.users.users_age_ck", False, False),
        ],
        id="add-constraint",
    ),
    pytest.param(
        "ALTER TABLE users ADD CONSTRAINT users_name_ck CHECK (name <> '')",
        [("constraint", "public.users.users_name_ck", True, True)],
        id="constraint-not-validated",
    ),
    pytest.param(
        "ALTER TABLE users ADD CONSTRAINT users_name_ck CHECK (name <> '') NOT VALID",
        [("constraint", "public.users.users_name_ck", True, False)],
        id="not-valid-as-the-migration-says",
    ),
    pytest.param(
        "CREATE TABLE users (id int, name text, phone text)",
        [("table", "public.users", True, True)],
        id="table-lacking-a-column",
    ),
    pytest.param(
        "CREATE TABLE users (id int, CONSTRAINT users_name_ck CHECK (true))",
        [("table", "public.users", True, True)],
        id="table-constraint-not-validated",
    ),
    pytest.param(
        "CREATE INDEX idx_users_name ON users (lower(name))",
        [("index", "idx_users_name", True, True)],
        id="index-defined-otherwise",
    ),
    pytest.param(
        "CREATE UNIQUE INDEX idx_users_name ON users (name)",
        [("index", "idx_users_name", True, True)],
        id="index-not-unique",
    ),
    pytest.param(
        "CREATE INDEX idx_users_name ON app.orders (id)",
        [("index", "app.idx_users_name", False, False)],
        id="index-in-another-schema",
    ),
    pytest.param(
        'CREATE INDEX idx_users_name ON "Users" (id)',
        [("index", "idx_users_name", True, True)],
        id="index-on-another-table",
    ),
    pytest.param(
        "CREATE TABLE t (id int); DROP TABLE t; CREATE INDEX IF NOT EXISTS"
        " idx_users_name ON users USING btree (name)",
        [("index", "idx_users_name", True, False)],
        id="created-then-dropped",
    ),
]


@pytest.mark.parametrize(("sql", "expected"), CASES)
def test_findings_against_a_real_catalog(catalog, sql, expected):
    assert summary(services.detect_schema(sql=sql)) == expected


def test_search_path_of_the_target_decides_where_unqualified_names_land(catalog):
    catalog.execute(f"ALTER DATABASE {catalog.name} SET search_path = app, public")
    report = services.detect_schema(sql="CREATE TABLE orders (id int); CREATE TABLE users ()")
    assert summary(report) == [
        ("table", "app.orders", True, False),
        ("table", "app.users", False, False),
    ]


def test_invalid_index_differs(target_db):
    target_db.execute("CREATE TABLE dup (a int); INSERT INTO dup VALUES (1), (1)")
    with pytest.raises(psycopg.errors.UniqueViolation):
        target_db.execute("CREATE UNIQUE INDEX CONCURRENTLY dup_a ON dup (a)")
    [finding] = services.detect_schema(sql="CREATE UNIQUE INDEX dup_a ON dup (a)").findings
    assert (finding.exists, finding.differs) == (True, True)
    assert "invalid (indisvalid = false" in finding.reason


def test_reasons_say_what_differs(catalog):
    [table] = services.detect_schema(
        sql="CREATE TABLE users (id int, phone text, fax text,"
        " CONSTRAINT users_name_ck CHECK (true),"
        " CONSTRAINT users_x_ck CHECK (true))"
    ).findings
    assert table.reason == (
        "public.users lacks column(s) phone, fax; constraint users_name_ck is not validated "
        "(convalidated = false); constraint users_x_ck is missing"
    )
    [index] = services.detect_schema(sql="CREATE INDEX ON users (email)").findings
    assert index.reason == "an index with the same definition exists: public.users_email_idx"


@pytest.mark.parametrize(
    ("sql", "every", "some", "recommendation"),
    [
        ("CREATE TABLE users (id int); CREATE SEQUENCE counter", True, True, ALL_EXIST),
        ("CREATE TABLE users (id int); CREATE TABLE fresh (id int)", False, True, SOME_EXIST),
        ("CREATE TABLE users (id int, phone text)", False, True, SOME_EXIST),
        ("CREATE TABLE fresh (id int); CREATE INDEX ON fresh (id)", False, False, NONE_EXIST),
        ("SELECT 1; UPDATE users SET name = 'x'", False, False, NO_DDL),
    ],
    ids=["all", "some", "all-but-one-differs", "none", "no-ddl"],
)
def test_flags_and_recommendation(catalog, sql, every, some, recommendation):
    report = services.detect_schema(sql=sql)
    assert (report.all_objects_exist, report.some_objects_exist) == (every, some)
    assert report.recommendation == recommendation


def test_recommendation_sentences_are_the_contracts():
    assert ALL_EXIST == "All DDL objects already exist. Safe to mark as applied without re-running."
    assert SOME_EXIST == (
        "Some objects already exist. Review carefully before running or marking as applied."
    )
    assert NONE_EXIST == "No existing objects detected. Safe to run this migration."


@pytest.mark.parametrize("statements", [1, 40])
def test_one_catalog_round_trip_however_many_statements(catalog, monkeypatch, tmp_path, statements):
    sql = ";\n".join(
        f"CREATE TABLE t{n} (id int); CREATE INDEX ON t{n} (id); CREATE INDEX i{n} ON users (id);"
        f" CREATE FUNCTION f{n}(integer) {SQL_FUNCTION};"
        f" ALTER TABLE users ADD COLUMN c{n} int, ADD CONSTRAINT k{n} CHECK (true)"
        for n in range(statements)
    )
    trips = RoundTrips(tmp_path).install(monkeypatch)
    report = services.detect_schema(sql=sql)
    assert len(report.findings) == 6 * statements
    assert trips.count == 2, trips.statements  # the search_path, then every object at once
    assert sum("to_regclass" in text for text in trips.statements) == 1


def test_syntax_error_is_reported_before_any_connection(target_db, settings):
    settings.MIGRATIONS_MANAGER = {
        **settings.MIGRATIONS_MANAGER,
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
    }
    with pytest.raises(SQLSyntaxError) as caught:
        services.detect_schema(sql="CREATE TABLE a (id int);\nCREATE TABLE (id int);")
    assert (caught.value.line, caught.value.as_dict()["line"]) == (2, 2)
    assert 'syntax error at or near "("' in caught.value.message
    with pytest.raises(TargetUnavailable):  # the same call with valid SQL does connect
        services.detect_schema(sql="CREATE TABLE a (id int);")


def test_sql_longer_than_the_body_limit_is_refused(target_db, settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "MAX_BODY_BYTES": 30}
    assert services.detect_schema(sql="CREATE TABLE abcdef (id int);").findings  # 29 bytes
    with pytest.raises(BodyTooLarge) as caught:
        services.detect_schema(sql="CREATE TABLE abcdefé (id int);")  # 31 bytes in UTF-8
    assert (caught.value.size, caught.value.limit) == (31, 30)
    assert caught.value.as_dict() == {"error": caught.value.message, "limit": 30}


def test_migration_file_uses_its_up_section(catalog):
    catalog.write("003_users.sql", "CREATE TABLE users (id int);", "DROP TABLE users;")
    report = services.detect_schema(migration="003_users.sql")
    assert summary(report) == [("table", "public.users", True, False)]
    assert report.findings[0].line == 2


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({}, UsageError),
        ({"sql": "SELECT 1", "migration": "001_a.sql"}, UsageError),
        ({"migration": "999_missing.sql"}, MigrationNotFound),
    ],
    ids=["neither", "both", "unknown-file"],
)
def test_bad_input(target_db, arguments, error):
    with pytest.raises(error):
        services.detect_schema(**arguments)


# ---- shapes, not names: what a name-only comparison called "safe" ------------------------------

PARTIAL = """
CREATE TABLE customers (id int, code text);
CREATE TABLE orders (id int, customer_id int, note text);
CREATE FUNCTION total() RETURNS integer LANGUAGE sql AS 'SELECT 1';
CREATE VIEW recent AS SELECT id FROM orders WHERE id > 10;
"""
# The same objects, in the shape the migrations below give them.
WHOLE = """
CREATE TABLE customers (id int PRIMARY KEY, code text NOT NULL UNIQUE);
CREATE TABLE orders (id int, customer_id int REFERENCES customers (id) ON DELETE CASCADE,
                     note text NOT NULL);
CREATE FUNCTION total() RETURNS integer LANGUAGE sql AS 'SELECT 2';
CREATE VIEW recent AS SELECT id FROM orders WHERE id > 20;
"""

SHAPES = [
    pytest.param(
        "CREATE TABLE customers (id int PRIMARY KEY, code text)",
        "column id is nullable, not NOT NULL; public.customers has no PRIMARY KEY (id)",
        id="table-without-its-primary-key",
    ),
    pytest.param(
        "CREATE TABLE customers (id int, code text NOT NULL)",
        "column code is nullable, not NOT NULL",
        id="table-without-its-not-null",
    ),
    pytest.param(
        "CREATE TABLE customers (id int, code text UNIQUE)",
        "public.customers has no UNIQUE (code)",
        id="table-without-its-unique",
    ),
    pytest.param(
        "CREATE TABLE orders (id int,"
        " customer_id int REFERENCES customers (id) ON DELETE CASCADE, note text)",
        "public.orders has no FOREIGN KEY (customer_id) REFERENCES customers ON DELETE CASCADE",
        id="table-without-its-foreign-key",
    ),
    pytest.param(
        "CREATE OR REPLACE FUNCTION total() RETURNS integer LANGUAGE sql AS 'SELECT 2'",
        "the existing function has another body: SELECT 1",
        id="function-with-another-body",
    ),
    pytest.param(
        "CREATE OR REPLACE VIEW recent AS SELECT id FROM orders WHERE id > 20",
        # PostgreSQL 18 no longer qualifies the columns of a one-table query: either spelling.
        (
            "the existing view is defined otherwise: SELECT orders.id FROM orders"
            " WHERE (orders.id > 10);",
            "the existing view is defined otherwise: SELECT id FROM orders WHERE (id > 10);",
        ),
        id="view-with-another-query",
    ),
    pytest.param(
        "ALTER TABLE orders ADD COLUMN note text NOT NULL",
        "column note is nullable, not NOT NULL",
        id="add-column-not-null-against-a-nullable-one",
    ),
]


@pytest.mark.parametrize(("sql", "reason"), SHAPES)
def test_an_object_of_another_shape_differs(target_db, sql, reason):
    target_db.execute(PARTIAL)
    report = services.detect_schema(sql=sql)
    [finding] = report.findings
    assert (finding.exists, finding.differs) == (True, True)
    assert finding.reason in (reason if isinstance(reason, tuple) else (reason,))
    assert report.recommendation == SOME_EXIST


@pytest.mark.parametrize("sql", [case.values[0] for case in SHAPES])
def test_the_same_shape_is_the_same(target_db, sql):
    target_db.execute(WHOLE)
    report = services.detect_schema(sql=sql)
    assert [(f.exists, f.differs) for f in report.findings] == [(True, False)]
    assert report.recommendation == ALL_EXIST


@pytest.mark.parametrize(
    ("sql", "live", "same"),
    [
        ("SELECT * FROM orders", "SELECT * FROM orders", True),
        ("SELECT o.id, count(*) FROM public.orders o WHERE o.note IN ('a', 'b') GROUP BY o.id",
         "SELECT id, count(*) FROM orders o WHERE note = ANY (ARRAY['a', 'b']) GROUP BY id", True),
        ("SELECT id FROM orders WHERE note = 'a'", "SELECT id FROM orders WHERE note = 'b'", False),
        ("SELECT id FROM orders", "SELECT customer_id AS id FROM orders", False),
    ],
    ids=["star", "spelled-otherwise", "another-constant", "another-column"],
)  # fmt: skip
def test_view_queries_compare_as_the_server_prints_them(target_db, sql, live, same):
    target_db.execute(f"{WHOLE}; CREATE VIEW v AS {live}")
    [finding] = services.detect_schema(sql=f"CREATE VIEW v AS {sql}").findings
    assert (finding.exists, finding.differs) == (True, not same)


@pytest.mark.parametrize(
    ("sql", "same"),
    [
        ("ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers", True),
        ("ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers"
         " ON DELETE SET NULL", False),
        ("ALTER TABLE orders ADD UNIQUE (note)", False),
        ("ALTER TABLE customers ADD PRIMARY KEY (id)", True),
        ("ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey"
         " FOREIGN KEY (customer_id) REFERENCES customers ON UPDATE CASCADE", False),
    ],
    ids=["fk", "fk-other-action", "unique-missing", "pk", "named-fk-other-action"],
)  # fmt: skip
def test_constraints_added_to_an_existing_table_are_known_by_shape(target_db, sql, same):
    target_db.execute(WHOLE.replace("ON DELETE CASCADE", ""))
    [finding] = services.detect_schema(sql=sql).findings
    if same:
        assert (finding.exists, finding.differs) == (True, False)
    else:
        assert not finding.exists or finding.differs


DATA = [
    ("INSERT INTO customers VALUES (1, 'a')", "INSERT on customers, line 2"),
    ("UPDATE orders SET note = 'x'", "UPDATE on orders, line 2"),
    ("DELETE FROM app.orders", "DELETE on app.orders, line 2"),
    ("GRANT SELECT ON customers TO PUBLIC", "GRANT on customers, line 2"),
    ("DROP TABLE app.orders", "DROP on app.orders, line 2"),
]


@pytest.mark.parametrize(("statement", "change"), DATA)
def test_data_changes_are_never_safe(target_db, statement, change):
    target_db.execute(WHOLE + "; CREATE SCHEMA app; CREATE TABLE app.orders ()")
    report = services.detect_schema(
        sql=f"CREATE TABLE customers (id int PRIMARY KEY, code text);\n{statement};"
    )
    assert report.all_objects_exist
    assert report.recommendation == (
        f"contains data changes ({change}): objects exist, but this tool cannot tell whether"
        " the data was changed"
    )
    assert [c.text for c in report.data_changes] == [change]


def test_data_changes_in_the_api_body(target_db):
    target_db.execute(WHOLE)
    from migrations_manager.api.preflight_serializers import SchemaReportSerializer

    report = services.detect_schema(
        sql="CREATE TABLE customers (id int);\nINSERT INTO orders VALUES (1, 1, 'x');"
    )
    body = SchemaReportSerializer(report).data
    assert body["data_changes"] == [{"statement": "INSERT", "target": "orders", "line": 2}]
    assert body["all_objects_exist"] is True
    assert body["recommendation"].startswith("contains data changes (INSERT on orders, line 2)")
