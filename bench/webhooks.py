"""A run while webhook receivers are dead: the run must take as long as without them
(deliveries go out after the run, from a background thread or a Celery worker)."""

from __future__ import annotations

import statistics
from pathlib import Path

import generate
from inprocess import app_env, call, fresh
from report import Row

MIGRATIONS = 100


def bench_webhooks(server, work: Path, rounds: int) -> tuple[list[Row], list[str]]:
    layouts = generate.write_all(work / "webhooks", MIGRATIONS)
    calls = {"run, no webhook": "run", "run, 3 webhooks that never answer": "run-dead-webhooks"}
    samples: dict[str, list[float]] = {label: [] for label in calls}
    peaks: dict[str, int] = dict.fromkeys(calls, 0)
    labels = list(calls)
    for round_index in range(rounds):
        order = labels[round_index % 2 :] + labels[: round_index % 2]
        for label in order:
            with fresh(server) as db:
                timed = call(calls[label], app_env(work, db, layouts["standard"]), repeat=1)
            samples[label].append(timed.seconds[0])
            peaks[label] = max(peaks[label], timed.peak_kib)
    benchmark = f"run N={MIGRATIONS}, webhook receivers dead"
    rows = [
        Row(benchmark, label, "floor" if index == 0 else "ours", statistics.median(s), peaks[label])
        for index, (label, s) in enumerate(samples.items())
    ]
    note = "dead webhooks: the receiver accepts connections and never answers (WEBHOOK_TIMEOUT 5 s)"
    return rows, [note]
