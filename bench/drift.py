"""Drift end to end (the replay of every applied migration into a scratch database, two
snapshots, the comparison) beside ``psql -1 -f`` of the same files; and the snapshot alone of a
2,000-table schema. Service calls are timed inside one process (Django started once)."""

from __future__ import annotations

import statistics
from pathlib import Path

import generate
import psycopg
from contenders import psql_floor
from inprocess import app_env, call, fresh
from measure import measure
from report import Row

DRIFT_MIGRATIONS = 300
SNAPSHOT_TABLES = 2000
CHUNK = 100  # tables created per transaction (each holds a lock per table until it commits)


def bench_drift(server, work: Path, rounds: int) -> tuple[list[Row], list[str]]:
    layouts = generate.write_all(work / "drift", DRIFT_MIGRATIONS)
    floor = psql_floor(server.psql)
    psql_seconds, psql_peak = [], 0
    for _ in range(rounds):
        with fresh(server) as db:
            argv, env, cwd = floor.command(db, layouts, work)
            result = measure(argv, env=env, cwd=cwd)
            psql_seconds.append(result.seconds)
            psql_peak = max(psql_peak, result.peak_kib)
    with fresh(server) as db:
        env = app_env(work, db, layouts["standard"])
        call("run", env, repeat=1)  # applied once; drift then replays it every call
        drift = call("drift", env, repeat=rounds)
    benchmark = f"drift N={DRIFT_MIGRATIONS}"
    rows = [
        Row(benchmark, floor.name, "floor", statistics.median(psql_seconds), psql_peak),
        Row(
            benchmark,
            "services.drift() (replay, 2 snapshots, compare)",
            "ours",
            statistics.median(drift.seconds),
            drift.peak_kib,
        ),
    ]
    return rows + bench_snapshot(server, work, rounds), [
        f"drift sends {drift.statements // rounds} statement(s) per call to PostgreSQL, "
        f"the replay's included"
    ]


def bench_snapshot(server, work: Path, rounds: int) -> list[Row]:
    with fresh(server) as db:
        with psycopg.connect(db.conninfo, autocommit=True) as conn:
            for first in range(1, SNAPSHOT_TABLES + 1, CHUNK):  # a transaction each: locks
                last = min(first + CHUNK, SNAPSHOT_TABLES + 1)
                conn.execute("".join(generate.up_sql(i) for i in range(first, last)).encode())
        snapshot = call("snapshot", app_env(work, db, work), repeat=rounds + 1)
    return [
        Row(
            f"snapshot, {SNAPSHOT_TABLES} tables",
            "introspection.catalog.snapshot() (one round trip)",
            "ours",
            snapshot.median_after_first(),
            snapshot.peak_kib,
        )
    ]
