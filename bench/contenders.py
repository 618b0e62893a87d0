"""The contenders of the apply benchmark: how each one is started on a given database."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from psycopg import conninfo

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
NODE_BIN = ROOT / "bench" / "node" / "node_modules" / ".bin"


@dataclass(frozen=True)
class Database:
    """One fresh database of the benchmark server, in the URL forms the tools accept."""

    conninfo: str
    name: str

    def part(self, key: str, default: str = "") -> str:
        return str(conninfo.conninfo_to_dict(self.conninfo).get(key) or default)

    def url(self, *, scheme: str = "postgresql", socket_param: str = "host") -> str:
        host, user = self.part("host"), self.part("user", "postgres")
        port = self.part("port")
        if host.startswith("/"):
            query = f"{socket_param}={quote(host, safe='')}" + (f"&port={port}" if port else "")
            return f"{scheme}://{user}@/{self.name}?{query}"
        return f"{scheme}://{user}@{host}{':' + port if port else ''}/{self.name}"


@dataclass(frozen=True)
class Contender:
    name: str
    kind: str  # "floor", "ours" or "peer"
    command: Callable[[Database, dict[str, Path], Path], tuple[list[str], dict[str, str], Path]]
    in_process: bool = False  # the time is the one the process reports, not its wall time


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, **extra}


def _ours_env(db: Database, layouts: dict[str, Path], work: Path) -> dict[str, str]:
    return _env(
        TRUSS_EMBEDDED="0",
        TRUSS_DATABASE_URL=db.conninfo,
        TRUSS_MIGRATIONS_DIR=str(layouts["standard"]),
        TRUSS_VAR_DIR=str(work / "var"),
        DATABASE_URL=f"sqlite:///{work / 'var' / 'django.sqlite3'}",
        DJANGO_SECRET_KEY="bench-only",
    )


def psql_floor(psql: str) -> Contender:
    def command(db, layouts, work):
        argv = [
            psql,
            "-X",
            "-q",
            "-1",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            db.conninfo,
            "-f",
            str(layouts["all.sql"]),
        ]
        return argv, _env(), work

    return Contender("psql -1 -f all.sql", "floor", command)


def pgmigrate(subcommand: str) -> Contender:
    def command(db, layouts, work):
        argv = [PYTHON, str(ROOT / "manage.py"), "pgmigrate", subcommand, "--json"]
        return argv, _ours_env(db, layouts, work), work

    label = "one transaction" if subcommand == "run" else "one per migration"
    return Contender(f"pgmigrate {subcommand} ({label})", "ours", command)


def service_call() -> Contender:
    def command(db, layouts, work):
        argv = [PYTHON, str(ROOT / "bench" / "service_call.py"), "run"]
        return argv, _ours_env(db, layouts, work), work

    return Contender("services.run_pending() alone", "ours", command, in_process=True)


def node_pg_migrate() -> Contender:
    def command(db, layouts, work):
        argv = [str(NODE_BIN / "node-pg-migrate"), "up", "-m", str(layouts["standard"])]
        return argv, _env(DATABASE_URL=db.url()), work

    return Contender("node-pg-migrate up", "peer", command)


def dbmate() -> Contender:
    def command(db, layouts, work):
        url = db.url(scheme="postgres", socket_param="socket") + "&sslmode=disable"
        argv = [
            str(NODE_BIN / "dbmate"),
            "--url",
            url,
            "--migrations-dir",
            str(layouts["dbmate"]),
            "--no-dump-schema",
            "up",
        ]
        return argv, _env(), work

    return Contender("dbmate up", "peer", command)


def yoyo() -> Contender:
    def command(db, layouts, work):
        url = db.url(scheme="postgresql+psycopg")
        argv = [
            str(Path(PYTHON).parent / "yoyo"),
            "apply",
            "--batch",
            "--no-config-file",
            "--database",
            url,
            str(layouts["yoyo"]),
        ]
        return argv, _env(), work

    return Contender("yoyo apply", "peer", command)


def django_migrate() -> Contender:
    def command(db, layouts, work):
        argv = [PYTHON, "-m", "django", "migrate", "benchapp", "-v", "0"]
        env = _env(
            DJANGO_SETTINGS_MODULE="bench_settings",
            PYTHONPATH=str(layouts["django"]),
            BENCH_TARGET=db.conninfo,
        )
        return argv, env, layouts["django"]

    return Contender("django migrate (RunSQL)", "peer", command)


def available(psql: str) -> tuple[list[Contender], list[str]]:
    """The contenders that can run here, and a sentence per peer that cannot."""
    contenders = [
        psql_floor(psql),
        pgmigrate("run"),
        pgmigrate("up"),
        service_call(),
        django_migrate(),
    ]
    missing = []
    for make, tool in (
        (node_pg_migrate, NODE_BIN / "node-pg-migrate"),
        (dbmate, NODE_BIN / "dbmate"),
        (yoyo, Path(PYTHON).parent / "yoyo"),
    ):
        if shutil.which(str(tool)):
            contenders.append(make())
        else:
            missing.append(f"{tool.name} is not installed (make bench installs it)")
    return contenders, missing
