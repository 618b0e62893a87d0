"""``check``, ``preview/{filename}``, ``idempotent/detect-schema``: the seed's bodies and every
status code of the contract, against a real PostgreSQL."""

from __future__ import annotations

import pytest

from migrations_manager.services.schema import (
    EITHER_SQL_OR_MIGRATION,
    NO_DDL,
    NONE_EXIST,
    SOME_EXIST,
)
from tests.api.conftest import BASE, SEED_FILES
from tests.realfw.conftest import app_node_pg_migrate, require_tool

pytestmark = pytest.mark.django_db

CHECK = BASE + "check"
PREVIEW = BASE + "preview/"
DETECT = BASE + "idempotent/detect-schema"

SEED_CHECK_FIELDS = (
    "database",
    "user",
    "pendingCount",
    "pendingFiles",
    "lockCount",
    "activeTxCount",
    "warnings",
    "safe",
)
CHECK_EXT_FIELDS = ("serverVersion", "lint", "blockers", "errors", "gateMode")

# The seed's preview example is a node-pg-migrate .cjs file of 15 lines ("..." in the seed).
SEED_CJS = """\
exports.up = (pgm) => {
  pgm.createTable('users', {
    id: 'id',
    email: { type: 'text', notNull: true, unique: true },
    name: { type: 'text', notNull: true },
    created_at: {
      type: 'timestamptz',
      default: pgm.func('current_timestamp'),
    },
  });
};

exports.down = (pgm) => {
  pgm.dropTable('users');
};"""

SEED_SQL = (
    "CREATE TABLE users (id serial PRIMARY KEY, name text);"
    " CREATE INDEX idx_users_name ON users (name);"
)


# ---- check -------------------------------------------------------------------------------------


def test_check_reproduces_the_seed_example(api, seed):
    """Three pending files, another session in a transaction: the seed's eight fields with the
    seed's values, then the (ext) ones."""
    busy = seed.connect()
    busy.execute("BEGIN")
    busy.execute("SELECT 1")
    response = api.post(CHECK)
    assert response.status_code == 200
    body = response.json()
    assert tuple(body) == SEED_CHECK_FIELDS + CHECK_EXT_FIELDS
    assert {field: body[field] for field in SEED_CHECK_FIELDS} == {
        "database": seed.name,
        "user": seed.scalar("SELECT current_user"),
        "pendingCount": 3,
        "pendingFiles": list(SEED_FILES),
        "lockCount": 0,
        "activeTxCount": 1,
        "warnings": [],
        "safe": True,
    }
    assert body["serverVersion"] == seed.scalar("SHOW server_version")
    assert body["blockers"] == [] and body["errors"] == [] and body["gateMode"] == "enforce"
    # The files are one plan: 002's index and 003's foreign key are on the users table 001
    # creates, new and empty, which blocks nobody: no lint noise about it.
    assert body["lint"] == []


def test_check_names_the_blocker_and_is_not_safe(api, target_db):
    target_db.execute("CREATE TABLE users (id int)")
    target_db.write("001_note.sql", "ALTER TABLE users ADD COLUMN note text;")
    reader = target_db.connect(application_name="reader")
    reader.execute("BEGIN")
    reader.execute("SELECT * FROM users")
    body = api.post(CHECK).json()
    [blocker] = body["blockers"]
    assert isinstance(blocker.pop("xactSeconds"), float)
    assert isinstance(blocker.pop("stateSeconds"), float)
    assert blocker == {
        "pid": reader.info.backend_pid,
        "state": "idle in transaction",
        "lockMode": "ACCESS SHARE",
        "relation": "public.users",
        "waitingSeconds": None,
        "query": "SELECT * FROM users",
        "granted": True,
        "file": "001_note.sql",
        "line": 2,
        "statement": "ALTER TABLE users",
        "requiredMode": "ACCESS EXCLUSIVE",
        "applicationName": "reader",
    }
    assert body["safe"] is False
    [warning] = body["warnings"]
    assert warning.startswith(f"ALTER TABLE users will wait for pid {reader.info.backend_pid}")


def test_check_lint_error_is_a_warning(api, target_db):
    target_db.execute("CREATE TABLE users (id int); INSERT INTO users VALUES (1)")
    target_db.write("001_flag.sql", "ALTER TABLE users ADD COLUMN flag boolean NOT NULL;")
    body = api.post(CHECK).json()
    [finding] = [item for item in body["lint"] if item["severity"] == "error"]
    assert list(finding) == ["file", "line", "rule", "severity", "message", "hint", "statement"]
    assert (finding["rule"], finding["line"]) == ("MM010", 2)
    assert body["warnings"] == [f"001_flag.sql, line 2: {finding['message']} [MM010]"]
    assert body["safe"] is False


def test_check_with_nothing_pending_is_not_safe(api, target_db):
    body = api.post(CHECK).json()
    assert (body["pendingCount"], body["pendingFiles"], body["safe"]) == (0, [], False)
    assert body["warnings"] == ["No pending migrations: nothing to do."]


@pytest.mark.parametrize(
    "framework, error",
    [
        ("bogus", 'framework: "bogus" is not a valid choice.'),
        ("flyway", "No Flyway tracking table was detected"),
    ],
)
def test_check_framework_unknown_or_not_detected_is_400(api, seed, framework, error):
    api.post(BASE + "idempotent/mark-applied", {"migration": SEED_FILES[0]}, format="json")
    response = api.post(CHECK + f"?framework={framework}")
    assert response.status_code == 400 and response.json()["error"].startswith(error)


def test_check_of_an_unreachable_target_is_503(api, target_down):
    response = api.post(CHECK)
    assert response.status_code == 503 and set(response.json()) == {"error"}
    assert response.json()["error"].startswith("The target database 'truss' on 127.0.0.1")


# ---- preview -----------------------------------------------------------------------------------


def test_preview_reproduces_the_seed_example(api, target_db):
    target_db.write("001_create-users.cjs", raw=SEED_CJS)
    response = api.get(PREVIEW + "001_create-users.cjs")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["filename", "content", "lines", "up", "down", "sql", "lint"]
    assert {field: body[field] for field in ("filename", "content", "lines")} == {
        "filename": "001_create-users.cjs",
        "content": SEED_CJS,
        "lines": 15,
    }
    assert (body["up"], body["down"], body["lint"]) == (None, None, [])


@pytest.mark.realfw
def test_preview_of_a_cjs_file_carries_node_pg_migrate_s_sql(api, target_db):
    require_tool(app_node_pg_migrate(), "node-pg-migrate for the app (var/node)")
    target_db.write("001_create-users.cjs", raw=SEED_CJS)
    body = api.get(PREVIEW + "001_create-users.cjs").json()
    assert 'CREATE TABLE "users" (' in body["sql"]
    assert not target_db.exists("users")  # a dry run


def test_preview_of_a_sql_file_has_its_sections(api, seed):
    body = api.get(PREVIEW + "002_add-indexes.sql").json()
    content = (seed.directory / "002_add-indexes.sql").read_text()
    assert (body["content"], body["lines"]) == (content, 7)
    up, down = content.split("\n\n-- Down Migration")  # node-pg-migrate's cut, blank line down
    assert body["up"] == up + "\n"
    assert body["down"] == "\n-- Down Migration" + down
    assert [finding["rule"] for finding in body["lint"]] == ["MM001", "MM060"]
    assert "html" not in body


@pytest.mark.parametrize("flag, highlighted", [("1", True), ("true", True), ("0", False)])
def test_preview_highlight_adds_html(api, seed, flag, highlighted):
    body = api.get(PREVIEW + f"001_create-users.sql?highlight={flag}").json()
    assert ("html" in body) is highlighted
    if highlighted:
        assert 'id="line-1"' in body["html"] and "<script" not in body["html"]


def test_preview_highlight_that_is_not_a_boolean_is_400(api, seed):
    response = api.get(PREVIEW + "001_create-users.sql?highlight=maybe")
    assert response.status_code == 400
    assert response.json() == {
        "error": "highlight: Must be a valid boolean.",
        "fields": {"highlight": ["Must be a valid boolean."]},
    }


def test_preview_of_an_unknown_file_is_404(api, seed):
    response = api.get(PREVIEW + "009_missing.sql")
    assert response.status_code == 404
    assert response.json() == {"error": "No migration file named '009_missing.sql'."}


@pytest.mark.parametrize(
    "path, error",
    [
        ("sub/001_create-users.sql", "Invalid migration name: it contains a path separator."),
        ("sub%2F001_create-users.sql", "Invalid migration name: it contains a path separator."),
        ("", "A migration name must be a non-empty string."),
        (
            "notes.txt",
            "Invalid migration name: the extension must be one of "
            ".sql, .js, .cjs, .mjs, .ts, .cts, .mts.",
        ),
    ],
    ids=["slash", "encoded-slash", "empty", "extension"],
)
def test_preview_of_a_bad_name_is_a_json_400(api, seed, path, error):
    (seed.directory / "notes.txt").write_text("not a migration")
    response = api.get(PREVIEW + path)
    assert response.status_code == 400
    assert response.json() == {"error": error}


def test_preview_works_while_the_target_is_down(api, seed, target_down):
    body = api.get(PREVIEW + "001_create-users.sql").json()
    assert body["filename"] == "001_create-users.sql" and body["up"].startswith("-- Up")


# ---- detect-schema -----------------------------------------------------------------------------


def test_detect_schema_reproduces_the_seed_example(api, target_db):
    """The seed's SQL against a catalog where both objects exist: the seed's body, field for
    field, plus the (ext) line of each finding."""
    target_db.execute(SEED_SQL)
    response = api.post(DETECT, {"sql": SEED_SQL}, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "findings": [
            {"type": "table", "name": "public.users", "exists": True, "line": 1},
            {"type": "index", "name": "idx_users_name", "exists": True, "line": 1},
        ],
        "all_objects_exist": True,
        "some_objects_exist": True,
        "recommendation": "All DDL objects already exist. Safe to mark as applied without "
        "re-running.",
    }


@pytest.mark.parametrize(
    "catalog, flags, recommendation",
    [
        ("CREATE TABLE users (id serial PRIMARY KEY, name text)", (False, True), SOME_EXIST),
        ("", (False, False), NONE_EXIST),
    ],
    ids=["some", "none"],
)
def test_detect_schema_recommendations(api, target_db, catalog, flags, recommendation):
    if catalog:
        target_db.execute(catalog)
    body = api.post(DETECT, {"sql": SEED_SQL}, format="json").json()
    assert (body["all_objects_exist"], body["some_objects_exist"]) == flags
    assert body["recommendation"] == recommendation


def test_detect_schema_of_sql_without_ddl(api, target_db):
    body = api.post(DETECT, {"sql": "SELECT 1;"}, format="json").json()
    assert body == {
        "findings": [],
        "all_objects_exist": False,
        "some_objects_exist": False,
        "recommendation": NO_DDL,
    }


def test_detect_schema_of_an_object_in_another_shape_says_how(api, target_db):
    target_db.execute("CREATE TABLE users (id int)")
    body = api.post(DETECT, {"sql": "CREATE TABLE users (id int, name text);"}, format="json")
    [finding] = body.json()["findings"]
    assert finding == {
        "type": "table",
        "name": "public.users",
        "exists": True,
        "differs": True,
        "reason": "public.users lacks column(s) name",
        "line": 1,
    }


def test_detect_schema_of_a_migration_file(api, seed):
    """The contract's example body: the up section of 003_create-roles.sql, nothing there yet."""
    body = api.post(DETECT, {"migration": "003_create-roles.sql"}, format="json").json()
    assert [(f["type"], f["name"], f["exists"], f["line"]) for f in body["findings"]] == [
        ("type", "public.role_kind", False, 2),
        ("table", "public.roles", False, 4),
    ]
    assert body["recommendation"] == NONE_EXIST


@pytest.mark.parametrize(
    "sql, error, line, column",
    [
        ("SELECT 1;\nCREATE TABLE (a int);", 'syntax error at or near "("', 2, 14),
        ("SELECT 1;\nCREATE TABLE t (a int", "syntax error at end of input", 2, 22),
        ("SELECT 'a", 'unterminated quoted string at or near "\'a"', 1, 8),
    ],
    ids=["near", "end-of-input", "unterminated"],
)
def test_sql_that_does_not_parse_is_400_with_the_parser_s_message_and_line(
    api, target_db, sql, error, line, column
):
    response = api.post(DETECT, {"sql": sql}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "error": f"Syntax error in line {line}, column {column}: {error}",
        "line": line,
        "column": column,
    }


@pytest.mark.parametrize(
    "body",
    [{}, {"sql": "SELECT 1", "migration": "001_create-users.sql"}, {"sql": None}],
    ids=["neither", "both", "null"],
)
def test_detect_schema_needs_exactly_one_of_sql_and_migration(api, seed, body):
    response = api.post(DETECT, body, format="json")
    assert response.status_code == 400
    if "sql" in body and body["sql"] is None:
        assert response.json()["error"] == "sql: This field may not be null."
    else:
        assert response.json() == {
            "error": EITHER_SQL_OR_MIGRATION,
            "fields": {"non_field_errors": [EITHER_SQL_OR_MIGRATION]},
        }


def test_detect_schema_sql_must_be_a_string(api, target_db):
    response = api.post(DETECT, {"sql": 1}, format="json")
    assert response.status_code == 400
    assert response.json()["error"] == "sql: Must be a string."


@pytest.mark.parametrize(
    "name, status",
    [("009_missing.sql", 404), ("../001_create-users.sql", 400)],
    ids=["unknown", "path"],
)
def test_detect_schema_of_a_bad_migration_name(api, seed, name, status):
    response = api.post(DETECT, {"migration": name}, format="json")
    assert response.status_code == status and set(response.json()) == {"error"}


def test_detect_schema_body_over_the_limit_is_413(api, target_db, settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "MAX_BODY_BYTES": 100}
    statement = "CREATE TABLE t (id int);"
    response = api.post(DETECT, {"sql": statement * 4}, format="json")
    assert response.status_code == 413
    assert response.json() == {"error": "The request body is larger than the limit of 100 bytes."}
    assert api.post(DETECT, {"sql": statement * 3}, format="json").status_code == 200


@pytest.mark.parametrize(
    "body", [{"sql": SEED_SQL}, {"migration": "001_create-users.sql"}], ids=["sql", "migration"]
)
def test_detect_schema_of_an_unreachable_target_is_503(api, seed, target_down, body):
    response = api.post(DETECT, body, format="json")
    assert response.status_code == 503 and set(response.json()) == {"error"}
    assert response.json()["error"].startswith("The target database 'truss' on 127.0.0.1")
