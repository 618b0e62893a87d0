"""``manage.py pgmigrate``: output, JSON and exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("pgmigrate", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_prints_the_new_file(target_db):
    out, _ = run("create", "add-user-roles")
    created = list(target_db.directory.iterdir())
    assert len(created) == 1 and re.fullmatch(r"\d{13}_add-user-roles\.sql", created[0].name)
    assert out.strip() == f"Created {created[0]}"


def test_up_prints_one_line_per_migration_with_its_time(target_db):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    target_db.write("002_b.sql", "CREATE TABLE b (id int);")
    out, _ = run("up")
    lines = out.rstrip().splitlines()
    assert re.fullmatch(r"  Applying 001_a\.sql\.\.\. OK \(\d+\.\d{3}s\)", lines[0])
    assert re.fullmatch(r"  Applying 002_b\.sql\.\.\. OK \(\d+\.\d{3}s\)", lines[1])
    assert lines[2] == "Applied 2 migration(s) successfully."


def test_up_json_is_machine_readable(target_db):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    out, _ = run("up", "--json")
    body = json.loads(out)
    assert body["ok"] is True and body["summary"] == "Applied 1 migration(s) successfully."
    assert [a["name"] for a in body["applied"]] == ["001_a.sql"]


def test_failed_migration_exits_1_and_names_file_and_line(target_db):
    target_db.write("001_bad.sql", "SELECT 1;\nSELECT * FROM nonexistent;")
    with pytest.raises(CommandError) as caught:
        run("up")
    assert caught.value.returncode == 1
    assert 'Migration "001_bad.sql" failed' in str(caught.value)


def test_failed_migration_json_carries_the_failure(target_db):
    target_db.write("001_bad.sql", "SELECT 1;\nSELECT * FROM nonexistent;")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("pgmigrate", "up", "--json", stdout=out)
    failed = json.loads(out.getvalue())["failed"]
    assert (failed["name"], failed["line"], failed["sqlstate"]) == ("001_bad.sql", 3, "42P01")


def test_bad_usage_exits_2(target_db):
    with pytest.raises(CommandError) as caught:
        run("up", "999_missing.sql")
    assert caught.value.returncode == 2
    with pytest.raises(CommandError) as caught:
        run("down", "0")
    assert caught.value.returncode == 2


def test_an_unreachable_target_says_connection_refused(target_db, settings):
    settings.MIGRATIONS_MANAGER = {
        **settings.MIGRATIONS_MANAGER,
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
    }
    with pytest.raises(CommandError) as caught:
        run("status")
    assert "Connection refused" in str(caught.value) and "port 1" in str(caught.value)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("pgmigrate", "status", "--json", stdout=out)
    assert "Connection refused" in json.loads(out.getvalue())["error"]


def test_dry_run_prints_plan_and_sql(target_db):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);", "DROP TABLE a;")
    out, _ = run("up", "--dry-run")
    assert "segment 1 of 1 (atomic):\n    Applying 001_a.sql (1 statement(s))" in out
    assert "CREATE TABLE a (id int);" in out and "Dry run: nothing was changed." in out
    assert not target_db.exists("a")


def test_status_lists_states(target_db):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    target_db.write("002_b.sql", "CREATE TABLE b (id int);")
    run("up", "1")
    body = json.loads(run("status", "--json")[0])
    assert [(m["name"], m["state"]) for m in body["migrations"]] == [
        ("001_a.sql", "applied"),
        ("002_b.sql", "pending"),
    ]
    assert body["summary"]["applied"] == 1 and body["tracking_table"] == "public.pgmigrations"
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", body["migrations"][0]["applied_at"]
    )


def pgmigrate_process(*args: str) -> subprocess.CompletedProcess[str]:
    """``manage.py pgmigrate ARGS`` as a deploy script runs it (argparse's own exit path)."""
    return subprocess.run(
        [sys.executable, "manage.py", "pgmigrate", *args],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "truss.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_usage_error_with_json_is_a_json_object_and_exits_2():
    done = pgmigrate_process("create", "--json")
    assert done.returncode == 2, done.stderr
    body = json.loads(done.stdout)
    assert "the following arguments are required: name" in body["error"]
    assert body["usage"].startswith("usage: ")


def test_a_usage_error_without_json_prints_argparse_usage_and_exits_2():
    done = pgmigrate_process("create")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("usage: ") and "required: name" in done.stderr


def test_a_usage_error_through_call_command_exits_2():
    with pytest.raises(CommandError) as caught:
        run("create")
    assert caught.value.returncode == 2


@pytest.mark.parametrize("args", [(), ("001_a.sql", "--sql", "SELECT 1")], ids=["none", "both"])
def test_detect_schema_names_its_command_line_arguments(target_db, args):
    with pytest.raises(CommandError) as caught:
        run("detect-schema", *args)
    assert caught.value.returncode == 2
    assert "FILE" in str(caught.value) and "--sql" in str(caught.value)
    assert '"migration"' not in str(caught.value)


def exit_code(*args: str) -> int:
    with pytest.raises(CommandError) as caught:
        run(*args)
    return caught.value.returncode


def test_refusals_before_anything_runs_exit_1(target_db):
    """Bad usage exits 2 and the gate 3; every other refusal is a failure: 1."""
    target_db.write("002_b.sql", "CREATE TABLE b (id int);")
    run("up")
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    assert exit_code("up") == 1  # a pending file before an applied one
    assert exit_code("mark-applied", "003_c.sql") == 2  # no such file: bad usage
    (target_db.directory / "001_a.sql").unlink()
    (target_db.directory / "002_b.sql").unlink()
    assert exit_code("up") == 1  # a recorded migration whose file is gone


def test_a_file_that_is_not_utf8_refuses_the_run_with_exit_1(target_db):
    (target_db.directory / "001_a.sql").write_bytes(b"SELECT 'caf\xe9';\n")
    assert exit_code("up") == 1
    assert exit_code("run") == 1


def test_marking_out_of_order_exits_1(target_db):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    target_db.write("002_b.sql", "CREATE TABLE b (id int);")
    assert exit_code("mark-applied", "002_b.sql") == 1
