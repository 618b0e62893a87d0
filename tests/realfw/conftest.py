"""Real migration frameworks: ``make test`` installs them (npm into tests/realfw/node_modules, the
PyPI [dev] extras into .venv); Sqitch is a Debian package that ``.ci/run`` installs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from migrations_manager.services.node import node_pg_migrate as app_node_pg_migrate
from tests.utils import Target, fresh_database

NODE_BIN = Path(__file__).parent / "node_modules" / ".bin"


def require_tool(path: Path | str | None, what: str) -> str:
    """The tool's path; a missing tool fails under CI and skips (with the reason) elsewhere."""
    found = shutil.which(str(path)) if path else None
    if found:
        return found
    reason = f"{what} is not installed: run `make test` (it installs the real frameworks)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def node_pg_migrate(target_db, tmp_path) -> Callable[..., subprocess.CompletedProcess]:
    """Run the real node-pg-migrate CLI alone, on the test's database (or ``target``) and
    migrations directory."""
    binary = require_tool(NODE_BIN / "node-pg-migrate", "node-pg-migrate (npm)")

    def run(
        *args: str, check: bool = True, target: Target = target_db
    ) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [binary, *args, "--migrations-dir", str(target.directory)],
            cwd=tmp_path,
            env={**os.environ, "DATABASE_URL": target.as_url()},
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"node-pg-migrate {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
            )
        return result

    return run


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
