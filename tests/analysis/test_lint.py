"""The lock-safety lint: each rule triggers and stays quiet; severities weigh; suppression."""

from __future__ import annotations

from typing import Any

import pytest

from migrations_manager.analysis.lint import (
    RULES,
    SMALL_TABLE_ROWS,
    Finding,
    Severity,
    lint,
    lint_source,
)
from migrations_manager.analysis.statements import parse_statements

NO_TX = {"in_transaction": False}
PG10 = {"server_version": 100023}
PG11 = {"server_version": 110022}
PG16 = {"server_version": 160004}


def found(sql: str, **options: Any) -> list[Finding]:
    return lint_source(sql, **options)


def rules_of(sql: str, **options: Any) -> list[str]:
    return [finding.rule for finding in found(sql, **options)]


def case(rule: str, name: str, sql: str, **options: Any) -> Any:
    return pytest.param(rule, sql, options, id=f"{rule}-{name}")


WHERE_WRITE = "UPDATE users SET a = 1 WHERE id > 0"

# Each rule: cases that must trigger it ...
TRIGGERS = [
    case("MM001", "plain-create-index", "CREATE INDEX ix ON users (email)"),
    case("MM002", "create-index-concurrently", "CREATE INDEX CONCURRENTLY ix ON users (email)"),
    case("MM002", "vacuum", "VACUUM users"),
    case("MM003", "plain-drop-index", "DROP INDEX ix_users_email"),
    case("MM004", "plain-reindex", "REINDEX TABLE users"),
    case("MM010", "not-null-no-default", "ALTER TABLE users ADD COLUMN flag boolean NOT NULL"),
    case("MM010", "primary-key-implies-not-null", "ALTER TABLE users ADD COLUMN k int PRIMARY KEY"),
    case(
        "MM011",
        "volatile-default",
        "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid()",
    ),
    case(
        "MM011",
        "clock-timestamp",
        "ALTER TABLE users ADD COLUMN t timestamptz DEFAULT clock_timestamp()",
    ),
    case("MM011", "bigserial", "ALTER TABLE users ADD COLUMN n bigserial"),
    case("MM011", "identity", "ALTER TABLE users ADD COLUMN n bigint GENERATED ALWAYS AS IDENTITY"),
    case(
        "MM011",
        "stored-generated",
        "ALTER TABLE users ADD COLUMN g int GENERATED ALWAYS AS (a * 2) STORED",
    ),
    case(
        "MM011", "any-default-before-pg11", "ALTER TABLE users ADD COLUMN n int DEFAULT 0", **PG10
    ),
    case("MM012", "set-not-null", "ALTER TABLE users ALTER COLUMN email SET NOT NULL"),
    case(
        "MM012",
        "check-never-validated",
        "ALTER TABLE users ADD CONSTRAINT nn CHECK (email IS NOT NULL) NOT VALID;"
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL",
    ),
    case(
        "MM012",
        "check-does-not-help-before-pg12",
        "ALTER TABLE users ADD CONSTRAINT nn CHECK (email IS NOT NULL);"
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL",
        **PG11,
    ),
    case("MM013", "int-to-bigint", "ALTER TABLE users ALTER COLUMN age TYPE bigint"),
    case(
        "MM013",
        "varchar-shrinks",
        "ALTER TABLE users ADD COLUMN note varchar(20);"
        "ALTER TABLE users ALTER COLUMN note TYPE varchar(10)",
    ),
    case(
        "MM013",
        "using-expression",
        "ALTER TABLE users ADD COLUMN note varchar(20);"
        "ALTER TABLE users ALTER COLUMN note TYPE text USING upper(note)",
    ),
    case(
        "MM013",
        "char-to-text",
        "ALTER TABLE users ADD COLUMN code char(3);ALTER TABLE users ALTER COLUMN code TYPE text",
    ),
    case("MM014", "rename-column", "ALTER TABLE users RENAME COLUMN email TO mail"),
    case("MM015", "drop-column", "ALTER TABLE users DROP COLUMN legacy"),
    case(
        "MM020",
        "foreign-key",
        "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id)",
    ),
    case("MM021", "check", "ALTER TABLE users ADD CONSTRAINT ck CHECK (age > 0)"),
    case("MM021", "domain-check", "ALTER DOMAIN posint ADD CONSTRAINT ck CHECK (VALUE > 0)"),
    case("MM022", "primary-key", "ALTER TABLE users ADD PRIMARY KEY (id)"),
    case("MM022", "unique", "ALTER TABLE users ADD CONSTRAINT u UNIQUE (email)"),
    case("MM022", "unique-column", "ALTER TABLE users ADD COLUMN handle text UNIQUE"),
    case(
        "MM023",
        "exclude",
        "ALTER TABLE rooms ADD CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&)",
    ),
    case(
        "MM024",
        "validate-after-not-valid",
        "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users NOT VALID;"
        "ALTER TABLE orders VALIDATE CONSTRAINT fk",
    ),
    case("MM030", "rename-table", "ALTER TABLE users RENAME TO people"),
    case("MM031", "drop-table", "DROP TABLE legacy"),
    case("MM032", "truncate", "TRUNCATE users"),
    case("MM033", "set-logged", "ALTER TABLE users SET LOGGED"),
    case("MM033", "set-tablespace", "ALTER TABLE users SET TABLESPACE fast"),
    case("MM034", "share-mode", "LOCK TABLE users IN SHARE MODE"),
    case(
        "MM035",
        "trigger",
        "CREATE TRIGGER audit AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION audit()",
    ),
    case("MM040", "vacuum-full", "VACUUM FULL users", **NO_TX),
    case("MM041", "cluster", "CLUSTER users USING users_pkey"),
    case("MM042", "refresh", "REFRESH MATERIALIZED VIEW stats"),
    case("MM050", "update", "UPDATE users SET active = true"),
    case("MM051", "delete", "DELETE FROM users"),
    case("MM060", "no-timeout", "ALTER TABLE users ADD COLUMN a int"),
    case("MM060", "timeout-zero", "SET lock_timeout = 0; ALTER TABLE users ADD COLUMN a int"),
    case(
        "MM060",
        "timeout-reset",
        "SET lock_timeout = '5s'; RESET lock_timeout;ALTER TABLE users ADD COLUMN a int",
    ),
    case("MM061", "old-server", "ALTER TYPE mood ADD VALUE 'meh'", **PG11),
    case("MM061", "unknown-server", "ALTER TYPE mood ADD VALUE 'meh'"),
    case("MM070", "varchar-n", "CREATE TABLE t (name varchar(50))"),
    case("MM071", "timestamp", "CREATE TABLE t (at timestamp)"),
    case("MM071", "add-column-timestamp", "ALTER TABLE users ADD COLUMN seen timestamp"),
    case("MM072", "serial", "CREATE TABLE t (id serial PRIMARY KEY)"),
    case("MM073", "int-primary-key", "CREATE TABLE t (pk integer PRIMARY KEY)"),
    case("MM073", "int-id-column", "CREATE TABLE t (user_id int)"),
    case("MM073", "table-level-key", "CREATE TABLE t (code smallint, PRIMARY KEY (code))"),
    case("MM074", "char", "CREATE TABLE t (code char(2))"),
    case(
        "MM005",
        "partitioned-in-the-migration",
        "CREATE TABLE m (at date) PARTITION BY RANGE (at); CREATE INDEX CONCURRENTLY i ON m (at)",
        **NO_TX,
    ),
    case(
        "MM052",
        "planner-expects-most-rows",
        WHERE_WRITE,
        planned={WHERE_WRITE: 900},
        table_sizes={(None, "users"): 1000},
    ),
    case("MM062", "rename-value", "ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'"),
    case(
        "MM063",
        "new-value-used-in-the-transaction",
        "ALTER TYPE mood ADD VALUE 'meh'; UPDATE t SET m = 'meh' WHERE id = 1",
        **PG16,
    ),
    case(
        "MM020",
        "add-column-references-with-default",
        "ALTER TABLE orders ADD COLUMN coupon_id bigint DEFAULT 1 REFERENCES coupons (id)",
    ),
]

# ... and cases that must not.
QUIET = [
    case(
        "MM052",
        "planner-expects-few-rows",
        WHERE_WRITE,
        planned={WHERE_WRITE: 10},
        table_sizes={(None, "users"): 1000},
    ),
    case("MM005", "plain-table", "CREATE INDEX CONCURRENTLY i ON users (email)", **NO_TX),
    case(
        "MM062",
        "value-of-a-type-created-here",
        "CREATE TYPE mood AS ENUM ('sad'); ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'",
    ),
    case(
        "MM063",
        "no-transaction-file",
        "ALTER TYPE mood ADD VALUE 'meh'; UPDATE t SET m = 'meh' WHERE id = 1",
        **NO_TX,
        **PG16,
    ),
    case(
        "MM063",
        "after-commit",
        "BEGIN; ALTER TYPE mood ADD VALUE 'meh'; COMMIT; UPDATE t SET m = 'meh' WHERE id = 1",
        **NO_TX,
        **PG16,
    ),
    case(
        "MM020",
        "add-column-references-all-null",
        "ALTER TABLE orders ADD COLUMN coupon_id bigint REFERENCES coupons (id)",
    ),
    case("MM001", "concurrently", "CREATE INDEX CONCURRENTLY ix ON users (email)", **NO_TX),
    case("MM001", "table-created-in-migration", "CREATE TABLE t (a int); CREATE INDEX ix ON t (a)"),
    case("MM002", "no-transaction-file", "CREATE INDEX CONCURRENTLY ix ON users (email)", **NO_TX),
    case("MM002", "analyze-is-fine", "ANALYZE users"),
    case("MM003", "drop-index-concurrently", "DROP INDEX CONCURRENTLY ix", **NO_TX),
    case("MM003", "index-created-in-migration", "CREATE INDEX ix ON t (a); DROP INDEX ix"),
    case("MM004", "reindex-concurrently", "REINDEX TABLE CONCURRENTLY users", **NO_TX),
    case("MM010", "with-default", "ALTER TABLE users ADD COLUMN f boolean NOT NULL DEFAULT false"),
    case(
        "MM010",
        "table-created-in-migration",
        "CREATE TABLE t (a int); ALTER TABLE t ADD COLUMN f boolean NOT NULL",
    ),
    case("MM011", "stable-default", "ALTER TABLE users ADD COLUMN at timestamptz DEFAULT now()"),
    case("MM011", "constant-default-pg11", "ALTER TABLE users ADD COLUMN n int DEFAULT 0", **PG11),
    case(
        "MM011",
        "virtual-generated",
        "ALTER TABLE users ADD COLUMN g int GENERATED ALWAYS AS (a * 2) VIRTUAL",
    ),
    case(
        "MM012",
        "validated-check-first",
        "ALTER TABLE users ADD CONSTRAINT nn CHECK (email IS NOT NULL) NOT VALID;"
        "ALTER TABLE users VALIDATE CONSTRAINT nn;"
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL",
        **PG16,
    ),
    case("MM012", "drop-not-null", "ALTER TABLE users ALTER COLUMN email DROP NOT NULL"),
    case(
        "MM013",
        "varchar-grows",
        "ALTER TABLE users ADD COLUMN note varchar(10);"
        "ALTER TABLE users ALTER COLUMN note TYPE varchar(20)",
    ),
    case(
        "MM013",
        "varchar-to-text",
        "ALTER TABLE users ADD COLUMN note varchar(10);"
        "ALTER TABLE users ALTER COLUMN note TYPE text",
    ),
    case(
        "MM013",
        "numeric-precision-grows",
        "ALTER TABLE users ADD COLUMN n numeric(10,2);"
        "ALTER TABLE users ALTER COLUMN n TYPE numeric(12,2)",
    ),
    case(
        "MM013",
        "numeric-unconstrained",
        "ALTER TABLE users ADD COLUMN n numeric(10,2);"
        "ALTER TABLE users ALTER COLUMN n TYPE numeric USING n::numeric",
    ),
    case(
        "MM013",
        "cidr-to-inet",
        "ALTER TABLE users ADD COLUMN net cidr;ALTER TABLE users ALTER COLUMN net TYPE inet",
    ),
    case(
        "MM013",
        "timestamp-precision-grows",
        "ALTER TABLE users ADD COLUMN at timestamptz(3);"
        "ALTER TABLE users ALTER COLUMN at TYPE timestamptz(6)",
    ),
    case(
        "MM014",
        "table-created-in-migration",
        "CREATE TABLE t (a int); ALTER TABLE t RENAME COLUMN a TO b",
    ),
    case("MM015", "drop-constraint", "ALTER TABLE users DROP CONSTRAINT users_ck"),
    case(
        "MM020",
        "not-valid",
        "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) "
        "REFERENCES users (id) NOT VALID",
    ),
    case("MM021", "not-valid", "ALTER TABLE users ADD CONSTRAINT ck CHECK (age > 0) NOT VALID"),
    case(
        "MM021",
        "domain-not-valid",
        "ALTER DOMAIN posint ADD CONSTRAINT ck CHECK (VALUE > 0) NOT VALID",
    ),
    case(
        "MM022",
        "using-index",
        "ALTER TABLE users ADD CONSTRAINT users_pk PRIMARY KEY USING INDEX users_pk_idx",
    ),
    case("MM023", "check-instead", "ALTER TABLE rooms ADD CONSTRAINT ck CHECK (true) NOT VALID"),
    case(
        "MM024",
        "separate-transactions",
        "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users NOT VALID;"
        "ALTER TABLE orders VALIDATE CONSTRAINT fk",
        **NO_TX,
    ),
    case("MM024", "validate-alone", "ALTER TABLE orders VALIDATE CONSTRAINT fk"),
    case("MM030", "table-created-in-migration", "CREATE TABLE t (); ALTER TABLE t RENAME TO u"),
    case("MM030", "rename-index", "ALTER INDEX ix RENAME TO iy"),
    case("MM031", "table-created-in-migration", "CREATE TABLE scratch (); DROP TABLE scratch"),
    case("MM032", "table-created-in-migration", "CREATE TABLE scratch (); TRUNCATE scratch"),
    case("MM033", "set-fillfactor", "ALTER TABLE users SET (fillfactor = 70)"),
    case("MM034", "row-exclusive-mode", "LOCK TABLE users IN ROW EXCLUSIVE MODE"),
    case(
        "MM035",
        "table-created-in-migration",
        "CREATE TABLE t (a int); CREATE TRIGGER tr "
        "AFTER UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f()",
    ),
    case("MM040", "plain-vacuum", "VACUUM users", **NO_TX),
    case("MM041", "cluster-on", "ALTER TABLE users CLUSTER ON users_pkey"),
    case("MM042", "refresh-concurrently", "REFRESH MATERIALIZED VIEW CONCURRENTLY stats"),
    case("MM050", "update-with-where", "UPDATE users SET active = true WHERE id < 1000"),
    case("MM051", "delete-with-where", "DELETE FROM users WHERE id = 1"),
    case("MM060", "timeout-set", "SET lock_timeout = '5s'; ALTER TABLE users ADD COLUMN a int"),
    case("MM060", "set-local", "SET LOCAL lock_timeout = 5000; ALTER TABLE users ADD COLUMN a int"),
    case(
        "MM060",
        "set-config",
        "SELECT set_config('lock_timeout', '3s', false);ALTER TABLE users ADD COLUMN a int",
    ),
    case("MM060", "only-new-tables", "CREATE TABLE t (a int); CREATE INDEX ix ON t (a)"),
    case("MM060", "non-blocking-lock", "INSERT INTO users (id) VALUES (1)"),
    case("MM061", "pg12-or-later", "ALTER TYPE mood ADD VALUE 'meh'", **PG16),
    case("MM061", "no-transaction-file", "ALTER TYPE mood ADD VALUE 'meh'", **NO_TX, **PG11),
    case("MM061", "rename-value", "ALTER TYPE mood RENAME VALUE 'a' TO 'b'", **PG11),
    case("MM070", "text", "CREATE TABLE t (name text)"),
    case("MM070", "varchar-without-length", "CREATE TABLE t (name varchar)"),
    case("MM071", "timestamptz", "CREATE TABLE t (at timestamptz)"),
    case("MM072", "identity", "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY)"),
    case("MM073", "bigint-key", "CREATE TABLE t (id bigint PRIMARY KEY, user_id bigint)"),
    case("MM073", "int-non-key", "CREATE TABLE t (quantity int)"),
    case("MM074", "text", "CREATE TABLE t (code text)"),
]


@pytest.mark.parametrize(("rule", "sql", "options"), TRIGGERS)
def test_rule_triggers(rule: str, sql: str, options: dict) -> None:
    assert rule in rules_of(sql, **options)


@pytest.mark.parametrize(("rule", "sql", "options"), QUIET)
def test_rule_stays_quiet(rule: str, sql: str, options: dict) -> None:
    assert rule not in rules_of(sql, **options)


def test_every_rule_has_a_triggering_and_a_quiet_case() -> None:
    triggered = {param.values[0] for param in TRIGGERS}
    quiet = {param.values[0] for param in QUIET}
    assert triggered == set(RULES) == quiet


# --- the registry -------------------------------------------------------------------------------


def test_registry_has_at_least_twenty_documented_rules() -> None:
    assert len(RULES) >= 20
    assert list(RULES) == sorted(RULES)
    assert len({rule.name for rule in RULES.values()}) == len(RULES)
    for rule_id, rule in RULES.items():
        assert rule.id == rule_id and rule_id.startswith("MM") and len(rule_id) == 5
        assert rule.summary and rule.docs and rule.hint
        assert isinstance(rule.severity, Severity)


# --- severity weighed by table size ------------------------------------------------------------

CREATE_INDEX = "CREATE INDEX ix ON users (email)"

WEIGHTS = [
    pytest.param(CREATE_INDEX, None, Severity.WARNING, id="unknown-size-stays-warning"),
    pytest.param(CREATE_INDEX, {(None, "users"): 5_000_000}, Severity.ERROR, id="large-table"),
    pytest.param(CREATE_INDEX, {(None, "users"): 120}, Severity.NOTICE, id="small-table"),
    pytest.param(
        CREATE_INDEX, {(None, "users"): SMALL_TABLE_ROWS}, Severity.ERROR, id="threshold-is-large"
    ),
    pytest.param(CREATE_INDEX, {(None, "users"): None}, Severity.WARNING, id="size-none-unknown"),
    pytest.param(
        CREATE_INDEX,
        {("public", "users"): 5_000_000},
        Severity.ERROR,
        id="qualified-key-matches-unqualified-name",
    ),
    pytest.param(
        "CREATE INDEX ix ON app.users (email)",
        {("app", "users"): 50},
        Severity.NOTICE,
        id="qualified-name",
    ),
    pytest.param(
        "CREATE INDEX ix ON app.users (email)",
        {("other", "users"): 5_000_000},
        Severity.WARNING,
        id="other-schema-does-not-count",
    ),
]


@pytest.mark.parametrize(("sql", "sizes", "severity"), WEIGHTS)
def test_severity_weighed_by_table_size(sql: str, sizes: dict | None, severity: Severity) -> None:
    [finding] = [item for item in found(sql, table_sizes=sizes) if item.rule == "MM001"]
    assert finding.severity is severity


def test_size_is_named_in_the_message() -> None:
    [finding] = [
        item
        for item in found(
            "VACUUM FULL users", in_transaction=False, table_sizes={(None, "users"): 2_500_000}
        )
        if item.rule == "MM040"
    ]
    assert finding.severity is Severity.ERROR
    assert "about 2,500,000 rows" in finding.message


def test_rewrite_of_a_table_created_in_the_migration_is_a_notice() -> None:
    findings = found(
        "CREATE TABLE t (age int); ALTER TABLE t ALTER COLUMN age TYPE bigint",
        table_sizes={(None, "t"): 9_000_000},
    )
    [rewrite] = [item for item in findings if item.rule == "MM013"]
    assert rewrite.severity is Severity.NOTICE
    assert "created in this migration" in rewrite.message


def test_type_change_of_unknown_current_type_is_a_notice() -> None:
    [finding] = [
        item
        for item in found("ALTER TABLE users ALTER COLUMN name TYPE text")
        if item.rule == "MM013"
    ]
    assert finding.severity is Severity.NOTICE
    assert "binary-coercible" in finding.message


def test_not_null_without_default_on_an_empty_table_is_a_notice() -> None:
    sql = "ALTER TABLE users ADD COLUMN f boolean NOT NULL"
    [empty] = [
        item for item in found(sql, table_sizes={(None, "users"): 0}) if item.rule == "MM010"
    ]
    [unknown] = [item for item in found(sql) if item.rule == "MM010"]
    assert (empty.severity, unknown.severity) == (Severity.NOTICE, Severity.ERROR)


def test_enum_value_severity_depends_on_server_version() -> None:
    sql = "ALTER TYPE mood ADD VALUE 'meh'"
    assert [item.severity for item in found(sql, **PG11)] == [Severity.ERROR]
    assert [item.severity for item in found(sql)] == [Severity.NOTICE]


# --- suppression --------------------------------------------------------------------------------

SUPPRESSIONS = [
    pytest.param(
        "-- truss:ignore MM001\nCREATE INDEX ix ON users (email);", ["MM060"], id="line-before"
    ),
    pytest.param(
        "CREATE INDEX ix ON users (email); -- truss:ignore MM001", ["MM060"], id="same-line"
    ),
    pytest.param(
        "-- truss:ignore MM001, MM060\nCREATE INDEX ix ON users (email);",
        [],
        id="several-ids-comma",
    ),
    pytest.param(
        "-- truss:ignore MM001 MM060\nCREATE INDEX ix ON users (email);", [], id="several-ids-space"
    ),
    pytest.param(
        "-- truss:ignore create-index-non-concurrently\nCREATE INDEX ix ON users (e);",
        ["MM060"],
        id="by-rule-name",
    ),
    pytest.param(
        "/* truss:ignore mm001 */ CREATE INDEX ix ON users (email);",
        ["MM060"],
        id="block-comment-lower-case-id",
    ),
    pytest.param(
        "-- truss:ignore MM013\nCREATE INDEX ix ON users (email);",
        ["MM001", "MM060"],
        id="other-rule-not-silenced",
    ),
    pytest.param(
        "-- truss:ignore MM001\n\nCREATE INDEX ix ON users (email);",
        ["MM001", "MM060"],
        id="two-lines-above-does-not-count",
    ),
    pytest.param(
        "-- truss:ignore MM001\nCREATE INDEX a ON users (x);\nCREATE INDEX b ON users (y);",
        ["MM060", "MM001"],
        id="only-the-next-statement",
    ),
    pytest.param(
        "-- please ignore MM001\nCREATE INDEX ix ON users (email);",
        ["MM001", "MM060"],
        id="needs-the-directive",
    ),
    pytest.param(
        "CREATE INDEX ix ON users (email) -- truss:ignore MM001\n;",
        ["MM060"],
        id="comment-inside-statement",
    ),
]


@pytest.mark.parametrize(("sql", "expected"), SUPPRESSIONS)
def test_inline_suppression(sql: str, expected: list[str]) -> None:
    assert rules_of(sql) == expected


def test_suppression_inside_the_statement_works_without_the_source() -> None:
    statements = parse_statements("CREATE INDEX -- truss:ignore MM001\n ix ON users (email)")
    assert [item.rule for item in lint(statements)] == ["MM060"]


# --- findings ----------------------------------------------------------------------------------


def test_finding_fields() -> None:
    sql = "SET lock_timeout = '5s';\n\nCREATE INDEX   ix\n  ON users (email);"
    [finding] = lint_source(sql, first_line=10)
    assert finding.rule == "MM001"
    assert finding.line == 12
    assert finding.statement == "CREATE INDEX ix ON users (email)"
    assert finding.hint == RULES["MM001"].hint
    assert finding.as_dict() == {
        "line": 12,
        "rule": "MM001",
        "severity": "warning",
        "message": finding.message,
        "hint": finding.hint,
        "statement": finding.statement,
    }


def test_long_statements_are_cut_in_the_excerpt() -> None:
    columns = ", ".join(f"column_{number}" for number in range(40))
    [finding] = found(f"SET lock_timeout = '1s'; CREATE INDEX ix ON users ({columns})")
    assert len(finding.statement) == 120 and finding.statement.endswith("…")


def test_missing_lock_timeout_is_reported_once() -> None:
    sql = "ALTER TABLE a ADD COLUMN x int; ALTER TABLE b ADD COLUMN y int"
    assert rules_of(sql).count("MM060") == 1
    assert "runner sets lock_timeout itself" in RULES["MM060"].hint


def test_clean_migration_has_no_findings() -> None:
    sql = """
    SET lock_timeout = '5s';
    CREATE TABLE accounts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        email text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX accounts_email ON accounts (email);
    ALTER TABLE users ADD COLUMN account_id bigint;
    ALTER TABLE users ADD CONSTRAINT users_account_fk FOREIGN KEY (account_id)
        REFERENCES accounts (id) NOT VALID;
    """
    assert found(sql) == []


# ---- DO blocks ----------------------------------------------------------------------------------

DO_BLOCK = """SET lock_timeout = '5s';
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_indexes WHERE indexname = 'i') THEN
        CREATE INDEX i ON users (email);
    END IF;
    -- truss:ignore MM050
    UPDATE users SET a = 1;
    EXECUTE 'ALTER TABLE users ALTER COLUMN age TYPE bigint';
    EXECUTE format('DROP INDEX %I', 'x');
    FOR n IN 1..3 LOOP
        CREATE INDEX CONCURRENTLY j ON users (a);
    END LOOP;
END
$$;"""


def test_statements_inside_a_do_block_are_linted_at_their_lines() -> None:
    found = [(f.line, f.rule) for f in lint_source(DO_BLOCK, **NO_TX, **PG16)]
    assert found == [(5, "MM001"), (9, "MM013"), (12, "MM002")]


def test_concurrently_inside_a_do_block_fails_even_without_a_transaction() -> None:
    [finding] = [f for f in lint_source(DO_BLOCK, **NO_TX, **PG16) if f.rule == "MM002"]
    assert "DO block" in finding.message and "out of the DO block" in finding.hint


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param("DO LANGUAGE plperl $$ CREATE INDEX i ON users (a) $$", id="other-language"),
        pytest.param("DO $$ BEGIN CREATE INDEX i ON users (a) $$", id="body-that-does-not-parse"),
        pytest.param("DO $$ BEGIN EXECUTE 'CREATE INDEX ' || 'i ON users (a)'; END $$", id="dyn"),
    ],
)
def test_do_blocks_without_readable_statements_give_nothing(sql: str) -> None:
    assert [f.rule for f in lint_source(sql, **PG16) if f.rule != "MM060"] == []


def test_a_single_quoted_do_body_is_linted_at_the_do_line() -> None:
    sql = "SELECT 1;\nDO 'BEGIN CREATE INDEX i ON users (a); END';"
    assert [(f.line, f.rule) for f in lint_source(sql, **PG16) if f.rule == "MM001"] == [
        (2, "MM001")
    ]


# ---- type-choice rules: where the choice is made ------------------------------------------------


def test_style_rules_are_notices_on_tables_the_migration_creates() -> None:
    sql = (
        "CREATE TABLE t (id int PRIMARY KEY, at timestamp);\n"
        "ALTER TABLE t ADD COLUMN owner_id int;\n"
        "ALTER TABLE users ADD COLUMN seen timestamp;"
    )
    found = [(f.line, f.rule, f.severity) for f in lint_source(sql, **PG16) if f.rule != "MM060"]
    assert found == [
        (1, "MM071", Severity.NOTICE),
        (1, "MM073", Severity.NOTICE),
        (2, "MM073", Severity.NOTICE),
        (3, "MM071", Severity.WARNING),
    ]


@pytest.mark.parametrize(
    ("key", "flagged"),
    [
        pytest.param("integer", False, id="int-key"),
        pytest.param("serial", False, id="serial-key"),
        pytest.param("bigint", True, id="bigint-key"),
    ],
)
def test_int_foreign_key_column_must_match_the_key_it_references(key: str, flagged: bool) -> None:
    sql = (
        f"CREATE TABLE teams (id {key} PRIMARY KEY);\n"
        "ALTER TABLE orders ADD COLUMN team_id int REFERENCES teams (id);\n"
        "ALTER TABLE orders ADD COLUMN lead_id int, ADD FOREIGN KEY (lead_id) REFERENCES teams;"
    )
    found = [(f.line, f.rule) for f in lint_source(sql, **PG16) if f.rule == "MM073"]
    assert found == [(1, "MM073")] * (key != "bigint") + [(2, "MM073")] * flagged + [(3, "MM073")]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        pytest.param(
            "CREATE INDEX a ON users (x); -- truss:ignore MM001\nCREATE INDEX b ON users (y);",
            [2],
            id="trailing-comment-is-its-statements-only",
        ),
        pytest.param(
            "CREATE INDEX a\n  ON users (x); -- truss:ignore MM001\nCREATE INDEX b ON users (y);",
            [3],
            id="trailing-the-last-line-of-a-long-statement",
        ),
        pytest.param(
            "SELECT 1;\n-- truss:ignore MM001\nCREATE INDEX b ON users (y);",
            [],
            id="own-line-comment-is-the-next-statements",
        ),
    ],
)
def test_a_suppression_applies_to_its_own_statement_only(sql: str, expected: list[int]) -> None:
    assert [f.line for f in lint_source(sql, **PG16) if f.rule == "MM001"] == expected


def test_an_index_on_only_a_table_of_unknown_kind_is_a_notice() -> None:
    [finding] = [f for f in lint_source("CREATE INDEX i ON ONLY m (at)") if f.rule == "MM001"]
    assert finding.severity == Severity.NOTICE and "partitioned" in finding.message


@pytest.mark.parametrize(
    ("sql", "rule", "says"),
    [
        ("LOCK TABLE users IN ACCESS EXCLUSIVE MODE", "MM034", "blocks reads and writes"),
        ("LOCK TABLE users IN SHARE MODE", "MM034", "blocks writes (reads go on)"),
        ("ALTER TABLE users ADD COLUMN a text", "MM060", "meanwhile reads and writes on users"),
        ("CREATE INDEX i ON users (a)", "MM060", "meanwhile writes (reads go on) on users"),
    ],
)
def test_lock_messages_name_the_mode_and_what_it_blocks(sql: str, rule: str, says: str) -> None:
    [finding] = [f for f in lint_source(sql, **PG16) if f.rule == rule]
    assert says in finding.message


def test_set_not_null_after_a_check_not_yet_validated_says_to_validate_it() -> None:
    sql = (
        "ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID;\n"
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL;"
    )
    [finding] = [f for f in lint_source(sql, **PG16) if f.rule == "MM012"]
    assert finding.hint.startswith("users_email_nn is NOT VALID yet: VALIDATE CONSTRAINT")
