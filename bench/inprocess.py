"""Benchmarks of service calls timed inside one process (Django started once, not measured):
status over a long history, detect-schema and lint over a big file, the check on a busy server.
"""

from __future__ import annotations

import json
import os
import statistics
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import generate
import psycopg
from contenders import PYTHON, ROOT, Database
from measure import measure
from report import Row

ANALYSIS_MIGRATIONS = 250  # x 4 statements = a 1,000-statement file
IDLE_SESSIONS, ACTIVE_SESSIONS = 200, 20


@dataclass(frozen=True)
class Timed:
    seconds: list[float]
    statements: int
    peak_kib: int

    def median_after_first(self) -> float:
        return statistics.median(self.seconds[1:] or self.seconds)


def call(name: str, env: dict[str, str], argument: str | None = None, repeat: int = 5) -> Timed:
    """Run bench/service_call.py NAME: ``repeat`` calls in one process, each one timed."""
    argv = [
        PYTHON,
        str(ROOT / "bench" / "service_call.py"),
        name,
        *([argument] if argument else []),
    ]
    result = measure(argv, env={**env, "BENCH_REPEAT_IN_PROCESS": str(repeat)})
    report = json.loads(result.output.strip().splitlines()[-1])
    return Timed(report["seconds"], report["statements"], result.peak_kib)


def app_env(work: Path, db: Database, migrations: Path) -> dict[str, str]:
    return {
        **os.environ,
        "TRUSS_EMBEDDED": "0",
        "TRUSS_DATABASE_URL": db.conninfo,
        "TRUSS_MIGRATIONS_DIR": str(migrations),
        "TRUSS_VAR_DIR": str(work / "var"),
        "DATABASE_URL": f"sqlite:///{work / 'var' / 'django.sqlite3'}",
        "DJANGO_SECRET_KEY": "bench-only",
        "DJANGO_ALLOWED_HOSTS": "testserver",
    }


@contextmanager
def fresh(server) -> Iterator[Database]:
    db = server.fresh()
    try:
        yield db
    finally:
        server.drop(db)


def bench_status(server, work: Path, files: int, rounds: int) -> tuple[list[Row], list[str]]:
    """services.status() and GET idempotent/status over ``files`` files and as many rows."""
    folder = generate.write_status_fixture(work, files)
    with fresh(server) as db:
        with psycopg.connect(db.conninfo, autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE pgmigrations (id SERIAL PRIMARY KEY,"
                " name varchar(255) NOT NULL, run_on timestamp NOT NULL)"
            )
            conn.execute(
                "INSERT INTO pgmigrations (name, run_on) SELECT lpad(i::text, 5, '0')"
                " || '_bench_' || lpad(i::text, 5, '0'), now() FROM generate_series(1, %s) i",
                (files,),
            )
        env = app_env(work, db, folder)
        service = call("status", env, repeat=rounds + 1)
        api = call("api-status", env, repeat=rounds + 1)
    label = f"status, {files} files + rows"
    return [
        Row(
            label,
            "services.status(), first call (hashes every file)",
            "ours",
            service.seconds[0],
            service.peak_kib,
        ),
        Row(
            label,
            "services.status(), next calls",
            "ours",
            service.median_after_first(),
            service.peak_kib,
        ),
        Row(
            label,
            "GET /api/migrations/idempotent/status (whole Django stack)",
            "ours",
            api.median_after_first(),
            api.peak_kib,
        ),
    ], [
        f"status sends {service.statements} statement(s) to PostgreSQL, whatever the number "
        "of files"
    ]


def bench_analysis(server, work: Path, rounds: int) -> tuple[list[Row], list[str]]:
    """detect-schema and lint over one 1,000-statement file; half its tables already exist."""
    folder = work / "analysis"
    folder.mkdir(exist_ok=True)
    body = "".join(generate.up_sql(i) for i in range(1, ANALYSIS_MIGRATIONS + 1))
    (folder / "00001_big.sql").write_text(f"-- Up Migration\n{body}")
    half = "".join(generate.up_sql(i) for i in range(1, ANALYSIS_MIGRATIONS // 2 + 1))
    with fresh(server) as db:
        with psycopg.connect(db.conninfo, autocommit=True) as conn:
            conn.execute(half.encode())
        env = app_env(work, db, folder)
        detect = call("detect-schema", env, "00001_big.sql", repeat=rounds + 1)
        lint = call("lint", env, "00001_big.sql", repeat=rounds + 1)
        alone = call("lint-after-catalog", env, "00001_big.sql", repeat=rounds + 1)
        check = call("check", env, repeat=rounds + 1)
    label = f"analysis, {ANALYSIS_MIGRATIONS * 4} statements"
    return [
        Row(
            label,
            "services.detect_schema(), first call (parses the file)",
            "ours",
            detect.seconds[0],
            detect.peak_kib,
        ),
        Row(
            label,
            "services.detect_schema(), next calls (file unchanged)",
            "ours",
            detect.median_after_first(),
            detect.peak_kib,
        ),
        Row(label, "services.lint(), first call", "ours", lint.seconds[0], lint.peak_kib),
        Row(label, "services.lint(), next calls", "ours", lint.median_after_first(), lint.peak_kib),
        Row(
            label,
            "the lint after the catalog reads (target: 100 ms)",
            "ours",
            alone.median_after_first(),
            alone.peak_kib,
        ),
        Row(
            label,
            "services.check() (the gate's review), first call",
            "ours",
            check.seconds[0],
            check.peak_kib,
        ),
        Row(
            label,
            "services.check() (the gate's review), next calls",
            "ours",
            check.median_after_first(),
            check.peak_kib,
        ),
    ], [
        f"detect-schema sends {detect.statements} statement(s) for 1,000 statements",
        f"the check (lint, blockers, statements sure to fail) sends {check.statements} "
        "statement(s) for 1,000 pending statements",
    ]


def bench_check(server, work: Path, rounds: int) -> tuple[list[Row], list[str]]:
    """services.check() with 200 idle and 20 active sessions open, 20 migrations pending."""
    server.allow_connections(IDLE_SESSIONS + ACTIVE_SESSIONS + 40)
    layouts = generate.write_all(work / "check", 20)
    with fresh(server) as db:
        with psycopg.connect(db.conninfo, autocommit=True) as conn:
            conn.execute(generate.up_sql(1).replace("bench_00001", "busy").encode())
        with sessions(db):
            timed = call("check", app_env(work, db, layouts["standard"]), repeat=rounds + 1)
    label = f"check, {IDLE_SESSIONS} idle + {ACTIVE_SESSIONS} active sessions"
    return [Row(label, "services.check()", "ours", timed.median_after_first(), timed.peak_kib)], [
        f"the check sends {timed.statements} statement(s) whatever the number of sessions"
    ]


@contextmanager
def sessions(db: Database) -> Iterator[None]:
    """Idle sessions, and active ones each running a query (pg_sleep) until released."""
    idle = [psycopg.connect(db.conninfo, autocommit=True) for _ in range(IDLE_SESSIONS)]
    active = [psycopg.connect(db.conninfo, autocommit=True) for _ in range(ACTIVE_SESSIONS)]
    threads = [threading.Thread(target=_sleep, args=(conn,)) for conn in active]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        for conn in active:
            conn.cancel()
        for thread in threads:
            thread.join()
        for conn in idle + active:
            conn.close()


def _sleep(conn: psycopg.Connection) -> None:
    try:
        conn.execute("SELECT pg_sleep(600)")
    except psycopg.errors.QueryCanceled:
        pass
