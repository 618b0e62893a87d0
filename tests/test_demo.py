"""The demo's banner: a psql command that opens the target, and never a password."""

from __future__ import annotations

import shlex
import subprocess

from tests.realfw.conftest import require_tool
from truss.management.commands.demo import psql_command


def test_the_banner_s_psql_command_opens_the_target(target_db):
    psql = require_tool("psql", "psql (Debian package postgresql-client)")
    argv = shlex.split(psql_command(target_db.url))
    assert argv[0] == "psql"
    done = subprocess.run(
        [psql, *argv[1:], "-XAtc", "SELECT current_database()"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.stdout.strip() == target_db.name, done.stderr


def test_a_password_in_the_url_is_never_printed():
    said = psql_command("postgresql://deploy:s3cr3t@db.internal/app")
    assert "s3cr3t" not in said and "TRUSS_DATABASE_URL" in said
