"""Verdicts checked against what the real server does (a new relfilenode is a rewrite; a
sequential scan counted is a scan). The lint reads the live catalog: a column's current type,
NOT NULL and validated checks decide whether a statement rewrites or scans the table."""

from __future__ import annotations

import psycopg
import pytest

from migrations_manager import services

pytestmark = pytest.mark.django_db

TABLE = """
CREATE TABLE profiles (
    id bigint, handle varchar(10) NOT NULL, bio text, motto varchar(5), email text, phone text,
    score numeric(8, 2), at timestamp(3), address cidr,
    CONSTRAINT profiles_email_nn CHECK (email IS NOT NULL)
) WITH (autovacuum_enabled = false);
ALTER TABLE profiles ADD CONSTRAINT profiles_phone_nn CHECK (phone IS NOT NULL) NOT VALID;
INSERT INTO profiles
SELECT n, 'h', 'b', 'm', 'e', 'p', n, now(), '10.0.0.0/8' FROM generate_series(1, 20000) AS n;
ANALYZE profiles;
"""
FILENODE = "SELECT pg_relation_filenode('profiles')"
SEQ_SCANS = "SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'profiles'"


def findings(target_db, sql: str, rule: str) -> list[str]:
    target_db.write("001_m.sql", "SET lock_timeout = '2s';\n" + sql)
    return [f.severity for f in services.lint(["001_m.sql"]).findings if f.rule == rule]


TYPE_CHANGES = [
    ("handle TYPE varchar(5)", True),
    ("handle TYPE varchar(20)", False),
    ("handle TYPE text", False),
    ("bio TYPE varchar(200)", True),
    ("bio TYPE varchar", False),
    ("motto TYPE text", False),
    ("score TYPE numeric(12, 2)", False),
    ("score TYPE numeric(10, 3)", True),
    ("score TYPE numeric", False),
    ("at TYPE timestamp(6)", False),
    ("at TYPE timestamp(0)", True),
    ("address TYPE inet", False),
    ("id TYPE int", True),
]


@pytest.mark.parametrize(("change", "rewrites"), TYPE_CHANGES, ids=[c for c, _ in TYPE_CHANGES])
def test_type_change_is_judged_by_the_columns_current_type(target_db, change, rewrites):
    target_db.execute(TABLE)
    found = findings(target_db, f"ALTER TABLE profiles ALTER COLUMN {change};", "MM013")
    before = target_db.scalar(FILENODE)
    target_db.execute(f"ALTER TABLE profiles ALTER COLUMN {change}")
    assert (target_db.scalar(FILENODE) != before) is rewrites  # what the server did
    assert found == (["error"] if rewrites else [])


SET_NOT_NULL = [
    pytest.param("email", False, id="validated-check-in-the-catalog"),
    pytest.param("phone", True, id="check-not-validated"),
    pytest.param("motto", True, id="no-check"),
    pytest.param("handle", False, id="already-not-null"),
]


def scans_profiles(target_db, statement: str) -> bool:
    """Whether running ``statement`` made the server scan ``profiles`` sequentially."""
    if target_db.scalar("SELECT current_setting('server_version_num')::int") < 150000:
        pytest.skip("pg_stat_force_next_flush() is PostgreSQL 15+")
    with target_db.connect() as conn:
        conn.execute("SELECT pg_stat_force_next_flush()")
        before = conn.execute(SEQ_SCANS).fetchone()[0]
        conn.execute(statement)
        conn.execute("SELECT pg_stat_force_next_flush()")
        return conn.execute(SEQ_SCANS).fetchone()[0] > before


@pytest.mark.parametrize(("column", "scans"), SET_NOT_NULL)
def test_set_not_null_is_judged_by_the_catalogs_constraints(target_db, column, scans):
    target_db.execute(TABLE)
    statement = f"ALTER TABLE profiles ALTER COLUMN {column} SET NOT NULL"
    found = findings(target_db, statement + ";", "MM012")
    assert scans_profiles(target_db, statement) is scans
    assert found == (["error"] if scans else [])


ADDED_REFERENCES = [
    pytest.param("DEFAULT 1 REFERENCES coupons (id)", True, id="with-a-default"),
    pytest.param("REFERENCES coupons (id)", False, id="all-null"),
]


@pytest.mark.parametrize(("definition", "scans"), ADDED_REFERENCES)
def test_add_column_references_is_a_foreign_key_when_rows_get_a_value(target_db, definition, scans):
    target_db.execute(TABLE + "CREATE TABLE coupons (id bigint PRIMARY KEY);")
    target_db.execute("INSERT INTO coupons VALUES (1)")
    statement = f"ALTER TABLE profiles ADD COLUMN coupon_id bigint {definition}"
    found = findings(target_db, statement + ";", "MM020")
    assert scans_profiles(target_db, statement) is scans
    assert found == (["error"] if scans else [])


def test_a_column_the_plan_changed_is_no_longer_judged_by_the_catalog(target_db):
    target_db.execute(TABLE)
    target_db.write("001_a.sql", "ALTER TABLE profiles ALTER COLUMN email DROP NOT NULL;")
    target_db.write("002_b.sql", "ALTER TABLE profiles DROP CONSTRAINT profiles_email_nn;")
    target_db.write(
        "003_c.sql",
        "SET lock_timeout = '2s';\nALTER TABLE profiles ALTER COLUMN email SET NOT NULL;\n"
        "ALTER TABLE profiles ALTER COLUMN handle SET NOT NULL;",
    )
    report = services.lint(["002_b.sql", "003_c.sql"])
    assert [(f.file, f.line) for f in report.findings if f.rule == "MM012"] == [("003_c.sql", 3)]
    target_db.write(
        "004_d.sql",
        "ALTER TABLE profiles RENAME COLUMN bio TO old_bio;\n"
        "ALTER TABLE profiles RENAME COLUMN motto TO bio;\n"
        "ALTER TABLE profiles ALTER COLUMN bio TYPE varchar(200);",
    )
    assert [f.severity for f in services.lint(["004_d.sql"]).findings if f.rule == "MM013"] == [
        "notice"
    ]


def test_a_new_enum_value_used_before_the_commit_fails_as_predicted(target_db):
    target_db.execute("CREATE TYPE mood AS ENUM ('ok', 'sad'); CREATE TABLE people (m mood)")
    sql = "ALTER TYPE mood ADD VALUE 'meh';\nUPDATE people SET m = 'meh' WHERE m = 'sad';"
    assert findings(target_db, sql, "MM063") == ["error"]
    conn = target_db.connect()
    with pytest.raises(psycopg.errors.UnsafeNewEnumValueUsage), conn.transaction():
        conn.execute(sql)


def test_concurrently_in_a_do_block_fails_as_predicted_without_a_transaction(target_db):
    target_db.execute("CREATE TABLE people (email text)")
    sql = "DO $$ BEGIN CREATE INDEX CONCURRENTLY i ON people (email); END $$;"
    target_db.write("001_m.sql", "-- truss:no-transaction\n" + sql)
    assert [f.rule for f in services.lint(["001_m.sql"]).findings] == ["MM002"]
    with pytest.raises(psycopg.errors.ActiveSqlTransaction):
        target_db.connect().execute(sql)


PARTITIONED = """
CREATE TABLE readings (at date NOT NULL, value int) PARTITION BY RANGE (at);
CREATE TABLE readings_2025 PARTITION OF readings FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO readings SELECT DATE '2025-01-01' + n % 300, n FROM generate_series(1, 20000) AS n;
ANALYZE readings;
"""


def lint_rules(target_db, sql: str, *, no_transaction: bool = False) -> list[tuple[str, str]]:
    header = "-- truss:no-transaction\n" if no_transaction else ""
    target_db.write("001_m.sql", raw=header + "SET lock_timeout = '2s';\n" + sql)
    return [(f.rule, f.severity) for f in services.lint(["001_m.sql"]).findings]


def test_an_index_on_only_a_partitioned_parent_builds_nothing(target_db):
    target_db.execute(PARTITIONED)
    assert lint_rules(target_db, "CREATE INDEX readings_at ON ONLY readings (at);") == []
    target_db.execute("CREATE INDEX readings_at ON ONLY readings (at)")
    assert (
        target_db.scalar(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'readings_at'::regclass"
        )
        is False
    )


def test_an_index_on_a_partitioned_parent_gets_the_partition_recipe(target_db):
    target_db.execute(PARTITIONED)
    target_db.write("001_m.sql", raw="SET lock_timeout = '2s';\nCREATE INDEX i ON readings (at);")
    [finding] = services.lint(["001_m.sql"]).findings
    assert finding.rule == "MM001" and "ATTACH PARTITION" in finding.hint


def test_concurrently_on_a_partitioned_parent_is_refused_as_predicted(target_db):
    target_db.execute(PARTITIONED)
    sql = "CREATE INDEX CONCURRENTLY i ON readings (at);"
    assert lint_rules(target_db, sql, no_transaction=True) == [("MM005", "error")]
    with pytest.raises(psycopg.errors.FeatureNotSupported):
        target_db.connect().execute(sql)


WRITES = [
    pytest.param("UPDATE profiles SET bio = 'x' WHERE id > 0;", "MM052", id="update-matching-all"),
    pytest.param("DELETE FROM profiles WHERE motto = 'm';", "MM052", id="delete-matching-all"),
    pytest.param("UPDATE profiles SET bio = 'x' WHERE id < 100;", None, id="update-of-a-few"),
    pytest.param(
        "UPDATE profiles SET bio = 'x' WHERE id > length(bio);", None, id="calls-a-function"
    ),
]


@pytest.mark.parametrize(("sql", "rule"), WRITES)
def test_writes_are_weighed_by_the_planners_estimate(target_db, sql, rule):
    target_db.execute(TABLE)
    found = lint_rules(target_db, sql)
    assert found == ([(rule, "error")] if rule else [])
    assert target_db.scalar("SELECT count(*) FROM profiles WHERE bio = 'x'") == 0  # not executed


def test_planning_a_write_never_waits_behind_a_lock(target_db):
    target_db.execute(TABLE)
    holder = target_db.connect()
    holder.execute("BEGIN; LOCK TABLE profiles IN ACCESS EXCLUSIVE MODE")
    assert lint_rules(target_db, "UPDATE profiles SET bio = 'x' WHERE id > 0;") == []
    holder.execute("ROLLBACK")
