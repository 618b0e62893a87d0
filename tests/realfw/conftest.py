"""Real migration frameworks: ``make test`` installs them (npm into tests/realfw/node_modules, the
PyPI [dev] extras into .venv); Sqitch is a Debian package that ``.ci/run`` installs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from psycopg import conninfo

from migrations_manager.services.node import node_pg_migrate as app_node_pg_migrate
from tests.utils import Target, fresh_database, unavailable

NODE_BIN = Path(__file__).parent / "node_modules" / ".bin"


def require_tool(path: Path | str | None, what: str) -> str:
    """The tool's path; a missing tool fails under CI and skips (with the reason) elsewhere."""
    found = shutil.which(str(path)) if path else None
    if found:
        return found
    _missing(what)


def require_package(name: str) -> Path:
    """The npm package's folder in tests/realfw/node_modules (skip locally, fail under CI)."""
    folder = NODE_BIN.parent / name
    if not (folder / "package.json").is_file():
        _missing(f"{name} (npm)")
    return folder


def _missing(what: str):
    unavailable(f"{what} is not installed: run `make test` (it installs the real frameworks)")


Tool = Callable[..., subprocess.CompletedProcess]


@contextmanager
def held_back(directory: Path, name: str) -> Iterator[None]:
    """Keep migration ``name`` out of ``directory`` during the block, so a framework run there
    applies only the others; it is back afterwards, pending."""
    aside = directory.parent / f"{name}.held-back"
    (directory / name).rename(aside)
    try:
        yield
    finally:
        aside.rename(directory / name)


def command_line_tool(binary: str, what: str, *, cwd: Path, env: dict[str, str]) -> Tool:
    """``run(*args, check=True)``: the tool's result, or an AssertionError with its output."""

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [binary, *args],
            cwd=cwd,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{what} {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
            )
        return result

    return run


@pytest.fixture
def node_pg_migrate(target_db, tmp_path) -> Tool:
    """Run the real node-pg-migrate CLI alone, on the test's database (or ``target``) and
    migrations directory."""
    binary = require_tool(NODE_BIN / "node-pg-migrate", "node-pg-migrate (npm)")

    def run(
        *args: str, check: bool = True, target: Target = target_db
    ) -> subprocess.CompletedProcess:
        env = {"DATABASE_URL": target.as_url()}
        tool = command_line_tool(binary, "node-pg-migrate", cwd=tmp_path, env=env)
        return tool(*args, "--migrations-dir", str(target.directory), check=check)

    return run


@pytest.fixture
def dbmate(target_db, tmp_path) -> Tool:
    """Run the real dbmate (npm package ``dbmate``) on the test's database and directory."""
    binary = require_tool(NODE_BIN / "dbmate", "dbmate (npm)")
    url = target_db.as_url()
    url += ("&" if "?" in url else "?") + "sslmode=disable"
    run = command_line_tool(binary, "dbmate", cwd=tmp_path, env={})
    options = ("--url", url, "--migrations-dir", str(target_db.directory), "--no-dump-schema")
    return lambda *args, check=True: run(*options, *args, check=check)


@pytest.fixture
def supabase(target_db, tmp_path) -> Tool:
    """Run the real Supabase CLI (npm ``supabase``) against the test's database; its project's
    ``supabase/migrations`` is the test's migrations directory."""
    binary = require_tool(NODE_BIN / "supabase", "Supabase CLI (npm)")
    project = tmp_path / "project"
    (project / "supabase").mkdir(parents=True)
    (project / "supabase" / "migrations").symlink_to(target_db.directory)
    url = f"{target_db.url} sslmode=disable"  # key=value form: pgx reads a socket host there
    run = command_line_tool(binary, "supabase", cwd=project, env={"DO_NOT_TRACK": "1"})
    return lambda *args, check=True: run(
        *args, "--db-url", url, "--workdir", str(project), check=check
    )


@pytest.fixture
def app_node(target_db) -> Path:
    """The node-pg-migrate the app executes .cjs migrations with (var/node, installed by make)."""
    return Path(require_tool(app_node_pg_migrate(), "node-pg-migrate for the app (var/node)"))


@pytest.fixture
def second_db(pg_admin_url: str, target_db: Target) -> Iterator[Target]:
    """Another empty database on the same server, with the same migrations directory."""
    with fresh_database(pg_admin_url, target_db.directory) as target:
        yield target


def python_tool(name: str, what: str) -> str:
    """A console script installed beside this interpreter (``make test`` installs the [dev]
    extras: alembic, yoyo-migrations)."""
    return require_tool(Path(sys.executable).parent / name, what)


def run_tool(
    argv: list[str], *, cwd: Path, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess:
    """Run a framework's CLI; with ``check``, a non-zero exit fails the test with its output."""
    result = subprocess.run(
        argv,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=180,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@dataclass
class NodeProject:
    """A scratch Node.js project on the test's database: config files, and the frameworks of
    tests/realfw/node_modules (linked in, so CLIs find their local install)."""

    root: Path
    env: dict[str, str]

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def connection(self, **names: str) -> dict[str, object]:
        """The database's connection settings for a framework's config file, under the keys
        ``names`` maps from host, port, user, password and database."""
        values = {
            "host": self.env["PGHOST"],
            "port": int(self.env["PGPORT"]),
            "user": self.env["PGUSER"],
            "password": self.env["PGPASSWORD"] or None,
            "database": self.env["PGDATABASE"],
        }
        return {names.get(key, key): value for key, value in values.items()}

    def run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run ``tool``, a CLI of node_modules/.bin, in the project."""
        return self._run([require_tool(NODE_BIN / tool, f"{tool} (npm)"), *args], check)

    def script(self, package: str, text: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run ``text`` with Node.js, for a framework driven through its library API."""
        require_package(package)
        node = require_tool("node", "Node.js")
        return self._run([node, str(self.write(f"run-{package}.js", text))], check)

    def _run(self, command: list[str], check: bool) -> subprocess.CompletedProcess:
        return run_tool(command, cwd=self.root, env=self.env, check=check)


@pytest.fixture
def node_project(target_db, tmp_path) -> NodeProject:
    """A Node.js project whose libpq-style PG* variables point at the test's database."""
    root = tmp_path / "project"
    root.mkdir()
    if NODE_BIN.parent.is_dir():
        (root / "node_modules").symlink_to(NODE_BIN.parent, target_is_directory=True)
    params = conninfo.conninfo_to_dict(target_db.url)
    env = {
        **os.environ,
        "PGHOST": str(params.get("host", "localhost")),
        "PGPORT": str(params.get("port", "5432")),
        "PGUSER": str(params.get("user", "postgres")),
        "PGPASSWORD": str(params.get("password") or ""),
        "PGDATABASE": target_db.name,
        "DATABASE_URL": target_db.as_url(),
        "MIGRATIONS_DIR": str(target_db.directory),
        # Migration files live outside the project: let their require() find the frameworks.
        "NODE_PATH": str(NODE_BIN.parent),
    }
    return NodeProject(root, env)
