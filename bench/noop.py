"""The call a deploy script makes on every deploy, as a whole process: "anything to do?" once
every migration is applied.

Each tool applies the same ``size`` migrations to a database of its own; then its no-op call is
timed, interleaved round by round with the others: ``pgmigrate status``, ``dbmate status``,
``node-pg-migrate up`` and Django's ``migrate`` with nothing to do, beside ``psql -c 'SELECT 1'``
(the floor: a process that connects and asks one thing).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import generate
from contenders import Contender, available
from measure import measure
from report import Row

# The contender that applies, and how its apply command becomes the no-op one.
NO_OP_CALLS: dict[str, tuple[str, Callable[[list[str]], list[str]]]] = {
    "pgmigrate run (one transaction)": (
        "pgmigrate status",
        lambda argv: [*argv[: argv.index("run")], "status"],
    ),
    "dbmate up": ("dbmate status", lambda argv: [*argv[:-1], "status"]),
    "node-pg-migrate up": ("node-pg-migrate up (nothing to do)", list),
    "django migrate (RunSQL)": ("django migrate (nothing to do)", list),
}


@dataclass(frozen=True)
class Call:
    label: str
    kind: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path


def bench_noop(server, work: Path, size: int, rounds: int) -> tuple[list[Row], list[str]]:
    layouts = generate.write_all(work / f"noop-{size}", size)
    contenders, notes = available(server.psql)
    databases = []
    try:
        calls = []
        for contender in contenders:
            if contender.name not in NO_OP_CALLS:
                continue
            database = server.fresh()
            databases.append(database)
            calls.append(_applied(contender, database, layouts, work))
        floor_db = databases[0]
        floor = [server.psql, "-X", "-q", "-d", floor_db.conninfo, "-c", "SELECT 1"]
        calls.insert(0, Call("psql -c 'SELECT 1'", "floor", floor, dict(calls[0].env), work))
        rows = _timed(calls, rounds, f"no-op as a process, N={size}")
    finally:
        for database in databases:
            server.drop(database)
    return rows, [*notes, "no-op: each tool's own call once its migrations are all applied"]


def _applied(contender: Contender, database, layouts: dict[str, Path], work: Path) -> Call:
    """Apply the migrations with ``contender``; its no-op call on that database."""
    argv, env, cwd = contender.command(database, layouts, work)
    measure(argv, env=env, cwd=cwd)
    label, no_op = NO_OP_CALLS[contender.name]
    kind = "ours" if contender.kind == "ours" else "peer"
    return Call(label, kind, no_op(argv), dict(env), cwd)


def _timed(calls: list[Call], rounds: int, benchmark: str) -> list[Row]:
    samples: dict[str, list[tuple[float, int]]] = {call.label: [] for call in calls}
    for round_index in range(rounds):
        shift = round_index % len(calls)
        for call in calls[shift:] + calls[:shift]:
            result = measure(call.argv, env=call.env, cwd=call.cwd)
            samples[call.label].append((result.seconds, result.peak_kib))
    return [
        Row(
            benchmark,
            call.label,
            call.kind,
            statistics.median(seconds for seconds, _ in samples[call.label]),
            max(peak for _, peak in samples[call.label]),
        )
        for call in calls
    ]
