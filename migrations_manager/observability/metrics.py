"""Prometheus metrics, read at scrape time: the target's migrations (``services.target_health``,
within a budget and cached a few seconds, so a scrape never queues behind a run and a burst of
scrapes is one reading) and the audit log's counts (so every process of the app, and a restart,
tell the same numbers: they are the audit log's).

The target is labelled ``default``: the one the settings name.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from .. import services
from ..conf import app_settings
from ..models import MigrationEvent, MigrationRun
from ..services import TargetHealth

TARGET = "default"
STATES = ("applied", "pending", "modified", "orphaned", "failed")
# Seconds a migration took, the histogram's upper bounds.
DURATION_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 60.0, 300.0, 1800.0)
RETRY_DIRECTION = "retry"  # the events of attempts tried again (audit.RETRY)


@dataclass
class _Cached:
    health: TargetHealth
    read_at: float


class HealthCache:
    """The last reading of the target, kept ``METRICS_CACHE_SECONDS``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: _Cached | None = None

    def get(self) -> TargetHealth:
        with self._lock:  # concurrent scrapes wait for one reading rather than each making one
            now = time.monotonic()
            last = self._last
            if last is None or now - last.read_at >= float(app_settings.METRICS_CACHE_SECONDS):
                health = services.target_health(budget=str(app_settings.METRICS_BUDGET))
                self._last = last = _Cached(health, now)
            return last.health

    def clear(self) -> None:
        with self._lock:
            self._last = None


class TrussCollector(Collector):
    def __init__(self, cache: HealthCache) -> None:
        self.cache = cache

    def collect(self) -> Iterator[Metric]:
        yield from target_metrics(self.cache.get())
        yield from audit_metrics()


def target_metrics(health: TargetHealth) -> Iterator[Metric]:
    up = GaugeMetricFamily(
        "truss_target_up", "1 when the last reading of the target worked.", labels=["target"]
    )
    up.add_metric([TARGET], 1.0 if health.up else 0.0)
    yield up
    if health.status is not None:
        migrations = GaugeMetricFamily(
            "truss_migrations",
            "Migrations by state, as pgmigrate status counts them.",
            labels=["target", "state"],
        )
        for state in STATES:
            migrations.add_metric([TARGET, state], float(health.status.summary.get(state, 0)))
        yield migrations
        doubts = GaugeMetricFamily(
            "truss_status_warnings",
            "What makes the states doubtful (unknown-ledger, no-migrations), as status says.",
            labels=["target", "kind"],
        )
        for kind in ("unknown-ledger", "ambiguous-ledger", "no-migrations"):
            count = sum(1 for warning in health.status.warnings if warning.kind == kind)
            doubts.add_metric([TARGET, kind], float(count))
        yield doubts
    held = GaugeMetricFamily(
        "truss_run_lock_held", "1 while a run holds the target's run lock.", labels=["target"]
    )
    held.add_metric([TARGET], 1.0 if health.holder is not None else 0.0)
    yield held
    seconds = GaugeMetricFamily(
        "truss_run_lock_held_seconds",
        "How long the session holding the run lock has existed (0 when free).",
        labels=["target"],
    )
    holder = health.holder
    seconds.add_metric([TARGET], float(holder.session_seconds or 0.0) if holder else 0.0)
    yield seconds


def audit_metrics() -> Iterator[Metric]:
    yield _runs()
    yield _running()
    yield _durations()
    yield _retries()
    yield from _gate()


def _runs() -> Metric:
    runs = CounterMetricFamily(
        "truss_runs",
        "Runs in the audit log by command, surface and outcome.",
        labels=["command", "source", "outcome"],
    )
    finished = MigrationRun.objects.exclude(outcome=MigrationRun.Outcome.RUNNING)
    rows = finished.values("command", "source", "outcome").annotate(n=Count("id"))
    for row in rows.order_by("command", "source", "outcome"):
        runs.add_metric([row["command"], row["source"], row["outcome"]], float(row["n"]))
    return runs


def _running() -> Metric:
    running = GaugeMetricFamily("truss_runs_running", "Runs the audit log says are running.")
    count = MigrationRun.objects.filter(outcome=MigrationRun.Outcome.RUNNING).count()
    running.add_metric([], float(count))
    return running


def _durations() -> Metric:
    timed = MigrationEvent.objects.exclude(direction=RETRY_DIRECTION).filter(duration__isnull=False)
    counts = {
        f"le{i}": Count("id", filter=Q(duration__lte=b)) for i, b in enumerate(DURATION_BUCKETS)
    }
    totals = timed.aggregate(total=Count("id"), seconds=Sum("duration"), **counts)
    buckets = [(str(bound), float(totals[f"le{i}"])) for i, bound in enumerate(DURATION_BUCKETS)]
    buckets.append(("+Inf", float(totals["total"])))
    family = HistogramMetricFamily(
        "truss_migration_duration_seconds", "How long each migration took (audit log events)."
    )
    family.add_metric([], buckets, float(totals["seconds"] or 0.0))
    return family


def _retries() -> Metric:
    retries = CounterMetricFamily(
        "truss_lock_retries", "Attempts stopped by a lock timeout or a deadlock, tried again."
    )
    retries.add_metric([], float(MigrationEvent.objects.filter(direction=RETRY_DIRECTION).count()))
    return retries


def _gate() -> Iterator[Metric]:
    refusals = CounterMetricFamily(
        "truss_gate_refusals", "Runs the safety gate refused (no reason given)."
    )
    refused = MigrationRun.objects.filter(
        outcome=MigrationRun.Outcome.REFUSED, failure__gate__refused=True
    )
    refusals.add_metric([], float(refused.count()))
    yield refusals
    overrides = CounterMetricFamily(
        "truss_gate_overrides", "Runs that went ahead despite the gate's findings (a reason)."
    )
    overrides.add_metric([], float(MigrationRun.objects.exclude(overridden=[]).count()))
    yield overrides
