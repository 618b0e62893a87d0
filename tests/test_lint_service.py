"""``services.lint``: which files, and severities weighed by the real catalog."""

from __future__ import annotations

import pytest

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import TargetUnavailable, UsageError

pytestmark = pytest.mark.django_db

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/none"


def severities(report, rule: str) -> list[str]:
    return [finding.severity for finding in report.findings if finding.rule == rule]


def test_default_is_the_pending_files(target_db):
    target_db.write("001_a.sql", "CREATE TABLE a (id serial PRIMARY KEY);")
    target_db.write("002_b.sql", "CREATE TABLE b (at timestamp);")
    services.migrate_up(1, actor=Actor(name="tester"))
    report = services.lint()
    assert report.files == ("002_b.sql",)
    assert [(f.file, f.rule, f.line) for f in report.findings] == [("002_b.sql", "MM071", 2)]


def test_named_files_whatever_their_state(target_db):
    target_db.write("001_a.sql", "CREATE TABLE a (id serial PRIMARY KEY);")
    target_db.write("002_b.sql", "CREATE TABLE b (at timestamptz);")
    services.migrate_up(actor=Actor(name="tester"))
    report = services.lint(["001_a.sql", "002_b.sql"])
    assert report.files == ("001_a.sql", "002_b.sql")
    assert {f.rule for f in report.findings} == {"MM072", "MM073"}
    assert report.errors == 0


def test_syntax_error_is_an_mm000_error(target_db):
    target_db.write("001_bad.sql", "CREATE TABLE (id int);")
    [finding] = services.lint(["001_bad.sql"]).findings
    assert (finding.rule, finding.severity, finding.line) == ("MM000", "error", 2)


def test_repeated_names_are_refused(target_db):
    target_db.write("001_a.sql", "SELECT 1;")
    with pytest.raises(UsageError):
        services.lint(["001_a.sql", "001_a.sql"])


def test_named_files_lint_without_a_database(target_db, settings):
    target_db.write("001_flag.sql", "ALTER TABLE users ADD COLUMN flag boolean NOT NULL;")
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "DATABASE_URL": UNREACHABLE}
    assert severities(services.lint(["001_flag.sql"]), "MM010") == ["error"]
    with pytest.raises(TargetUnavailable):
        services.lint()  # only the tracking table knows what is pending


# ---- severity weighed by the catalog ------------------------------------------------------------

ROWS = "INSERT INTO {table} SELECT n, 'x' || n FROM generate_series(1, {rows}) AS n"

CATALOG_WEIGHTS = [
    pytest.param(
        20_000,
        True,
        "CREATE INDEX ix ON users (email);",
        "MM001",
        "error",
        id="create-index-on-a-big-table",
    ),
    pytest.param(
        50,
        True,
        "CREATE INDEX ix ON users (email);",
        "MM001",
        "notice",
        id="create-index-on-a-small-table",
    ),
    pytest.param(
        500,
        False,
        "CREATE INDEX ix ON users (email);",
        "MM001",
        "warning",
        id="never-analysed-table-has-no-estimate",
    ),
    pytest.param(
        0,
        False,
        "CREATE INDEX ix ON users (email);",
        "MM001",
        "notice",
        id="empty-heap-is-zero-rows",
    ),
    pytest.param(
        20_000,
        True,
        "ALTER TABLE users ALTER COLUMN id TYPE bigint;",
        "MM013",
        "error",
        id="rewrite-of-a-big-table",
    ),
    pytest.param(
        20_000,
        True,
        "CREATE TABLE users2 (id int, email text);\nCREATE INDEX ix ON users2 (email);",
        "MM001",
        None,
        id="table-of-the-same-migration-is-not-the-big-one",
    ),
    pytest.param(
        0,
        True,
        "ALTER TABLE users ADD COLUMN flag boolean NOT NULL;",
        "MM010",
        "notice",
        id="not-null-column-on-an-empty-table",
    ),
    pytest.param(
        1,
        True,
        "ALTER TABLE users ADD COLUMN flag boolean NOT NULL;",
        "MM010",
        "error",
        id="not-null-column-on-a-table-with-rows",
    ),
    pytest.param(
        20_000,
        True,
        "UPDATE users SET email = lower(email);",
        "MM050",
        "error",
        id="update-without-where-on-a-big-table",
    ),
]


@pytest.mark.parametrize(("rows", "analysed", "sql", "rule", "severity"), CATALOG_WEIGHTS)
def test_severity_follows_the_tables_real_size(target_db, rows, analysed, sql, rule, severity):
    # Autovacuum off: the test decides whether the table has statistics.
    target_db.execute("CREATE TABLE users (id int, email text) WITH (autovacuum_enabled = false)")
    if rows:
        target_db.execute(ROWS.format(table="users", rows=rows))
    if analysed:
        target_db.execute("ANALYZE users")
    target_db.write("001_m.sql", "SET lock_timeout = '2s';\n" + sql)
    found = severities(services.lint(), rule)
    assert found == ([severity] if severity else [])


def test_size_is_looked_up_in_the_schema_the_name_resolves_to(target_db):
    target_db.execute("CREATE SCHEMA app; CREATE TABLE app.users (id int, email text)")
    target_db.execute("CREATE TABLE public.users (id int, email text)")
    target_db.execute(ROWS.format(table="app.users", rows=20_000) + "; ANALYZE app.users")
    target_db.write(
        "001_m.sql", "CREATE INDEX a ON app.users (email);\nCREATE INDEX p ON users (email);"
    )
    assert severities(services.lint(), "MM001") == ["error", "notice"]
    target_db.execute(f"ALTER DATABASE {target_db.name} SET search_path = app, public")
    assert severities(services.lint(), "MM001") == ["error", "error"]
