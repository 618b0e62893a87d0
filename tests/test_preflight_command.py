"""``pgmigrate check | preview | detect-schema | lint``: output, JSON bodies and exit codes."""

from __future__ import annotations

import io
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from migrations_manager import services
from migrations_manager.api.preflight_serializers import CheckReportSerializer

pytestmark = pytest.mark.django_db


def run(*args: str, **options) -> str:
    out = StringIO()
    call_command("pgmigrate", *args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def failing(*args: str) -> tuple[int, str]:
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("pgmigrate", *args, stdout=out, stderr=StringIO())
    return caught.value.returncode, out.getvalue()


@pytest.fixture
def users(target_db):
    target_db.execute("CREATE TABLE users (id serial PRIMARY KEY, name text)")
    return target_db


# ---- check --------------------------------------------------------------------------------------


def test_check_json_is_the_api_body(users):
    """``--json`` prints the API's serializer (its fields: tests/api/test_preflight_endpoints)."""
    users.write("001_add.sql", "ALTER TABLE users ADD COLUMN note text;")
    body = json.loads(run("check", "--json"))
    assert body == CheckReportSerializer(services.check()).data
    assert (body["pendingCount"], body["pendingFiles"], body["safe"]) == (1, ["001_add.sql"], True)
    assert [finding["rule"] for finding in body["lint"]] == ["MM060"]


def test_check_blocker_json_fields(users):
    users.write("001_add.sql", "ALTER TABLE users ADD COLUMN note text;")
    reader = users.connect()
    reader.execute("BEGIN")
    reader.execute("SELECT * FROM users")
    [blocker] = json.loads(run("check", "--json"))["blockers"]
    assert list(blocker)[:7] == [
        "pid",
        "state",
        "lockMode",
        "relation",
        "waitingSeconds",
        "xactSeconds",
        "query",
    ]
    assert (blocker["pid"], blocker["lockMode"], blocker["requiredMode"]) == (
        reader.info.backend_pid,
        "ACCESS SHARE",
        "ACCESS EXCLUSIVE",
    )


def test_check_strict_exits_3_when_not_safe(users):
    code, out = failing("check", "--strict")
    assert code == 3
    assert "Warning: No pending migrations: nothing to do." in out
    assert "Not safe: 1 warning(s)." in out
    assert "Not safe" in run("check")  # without --strict, a report is not a failure


def test_check_strict_passes_when_safe(users):
    users.write("001_add.sql", "ALTER TABLE users ADD COLUMN note text;")
    out = run("check", "--strict")
    assert f"Database: {users.name}" in out and "Pending: 1 (001_add.sql)" in out
    assert out.rstrip().endswith("Safe to run.")


# ---- preview ------------------------------------------------------------------------------------


def test_preview_prints_the_file_as_is_when_not_on_a_terminal(users):
    path = users.write("001_add.sql", "ALTER TABLE users ADD COLUMN note text;")
    assert run("preview", "001_add.sql") == path.read_text()


def test_preview_highlights_for_a_terminal(users):
    users.write("001_add.sql", "ALTER TABLE users ADD COLUMN note text;")
    out = run("preview", "001_add.sql", force_color=True)
    assert "\x1b[" in out and "ALTER" in out


def test_preview_json_and_errors(users):
    users.write(
        "001_add.sql",
        "ALTER TABLE users ADD COLUMN note text;",
        "ALTER TABLE users DROP COLUMN note;",
    )
    body = json.loads(run("preview", "001_add.sql", "--json"))
    assert list(body) == ["filename", "content", "lines", "up", "down", "sql", "lint"]
    assert (body["filename"], body["lines"]) == ("001_add.sql", 5)
    assert failing("preview", "../etc.sql")[0] == 2
    code, out = failing("preview", "999_missing.sql", "--json")
    # A name that designates no file is bad usage, as an unknown name to `up` or `run` is.
    assert code == 2 and json.loads(out) == {"error": "No migration file named '999_missing.sql'."}


# ---- detect-schema ------------------------------------------------------------------------------

SEED_SQL = (
    "CREATE TABLE users (id serial PRIMARY KEY, name text); "
    "CREATE INDEX idx_users_name ON users (name);"
)


def test_detect_schema_json_is_the_contract_body(users):
    users.execute("CREATE INDEX idx_users_name ON users (name)")
    body = json.loads(run("detect-schema", "--sql", SEED_SQL, "--json"))
    assert body == {
        "findings": [
            {"type": "table", "name": "public.users", "exists": True, "line": 1},
            {"type": "index", "name": "idx_users_name", "exists": True, "line": 1},
        ],
        "all_objects_exist": True,
        "some_objects_exist": True,
        "recommendation": (
            "All DDL objects already exist. Safe to mark as applied without re-running."
        ),
    }


def test_detect_schema_of_a_file_in_text(users):
    users.write("002_more.sql", "CREATE TABLE users (id int, phone text);\nCREATE TABLE fresh ();")
    out = run("detect-schema", "002_more.sql")
    assert out.splitlines() == [
        "  [differs] table public.users: public.users lacks column(s) phone",
        "  [missing] table public.fresh",
        "Some objects already exist. Review carefully before running or marking as applied.",
    ]


def test_detect_schema_of_a_file_that_also_changes_data(users):
    users.write("003_seed.sql", "CREATE TABLE users (id int);\nINSERT INTO users VALUES (1);")
    assert run("detect-schema", "003_seed.sql").splitlines() == [
        "  [exists ] table public.users",
        "  [changes] INSERT on users, line 3",
        "contains data changes (INSERT on users, line 3): objects exist, but this tool cannot"
        " tell whether the data was changed",
    ]


def test_detect_schema_reads_sql_from_stdin(users, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("CREATE TABLE users (id int);"))
    assert "[exists ] table public.users" in run("detect-schema", "--sql", "-")


def test_detect_schema_errors(users):
    assert failing("detect-schema")[0] == 2
    code, out = failing("detect-schema", "--sql", "SELECT 1;\nCREATE TABLE (a int);", "--json")
    body = json.loads(out)
    assert code == 1 and (body["line"], body["column"]) == (2, 14)


# ---- lint ---------------------------------------------------------------------------------------


def test_lint_exits_1_on_an_error_finding(users):
    users.execute("INSERT INTO users (name) VALUES ('a')")
    users.write("001_flag.sql", "ALTER TABLE users ADD COLUMN flag boolean NOT NULL;")
    code, out = failing("lint")
    assert code == 1
    assert out.splitlines()[0].startswith("001_flag.sql:2: error MM010 ADD COLUMN flag NOT NULL")
    assert out.splitlines()[1].startswith("    hint: Add the column with a DEFAULT")


def test_lint_passes_with_warnings_only(users):
    users.write("001_index.sql", "CREATE TABLE t (at timestamp);")
    out = run("lint", "001_index.sql")
    assert out.rstrip().endswith("1 finding(s), 0 error(s) in 1 file(s).")
    body = json.loads(run("lint", "001_index.sql", "--json"))
    assert (body["files"], body["errors"]) == (["001_index.sql"], 0)
    assert [finding["rule"] for finding in body["findings"]] == ["MM071"]
