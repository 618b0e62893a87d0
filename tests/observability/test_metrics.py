"""GET /metrics on a real target: parsed with prometheus-client's own parser, and its numbers
compared with pgmigrate status and the audit log."""

from __future__ import annotations

import psycopg
import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import GateRefused
from migrations_manager.models import MigrationEvent, MigrationRun
from migrations_manager.observability.views import health_cache

pytestmark = pytest.mark.django_db(transaction=True)

ACTOR = Actor(name="tester")


@pytest.fixture(autouse=True)
def fresh_reading():
    health_cache.clear()
    yield
    health_cache.clear()


def scrape(client: Client | None = None, **headers: str) -> dict[str, dict[tuple, float]]:
    """Every sample of /metrics: name -> {sorted label items: value}."""
    response = (client or Client()).get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            labels = tuple(sorted(sample.labels.items()))
            samples.setdefault(sample.name, {})[labels] = sample.value
    return samples


def test_the_migration_counts_are_the_status_counts(target_db):
    for index, name in enumerate(("a", "b", "c"), start=1):
        target_db.write(f"00{index}_{name}.sql", f"CREATE TABLE {name} (id int);")
    services.run_pending(["001_a.sql"], actor=ACTOR)
    (target_db.directory / "001_a.sql").write_text("CREATE TABLE a (id bigint);")
    samples = scrape()
    summary = services.status().summary
    for state in ("applied", "pending", "modified", "orphaned", "failed"):
        key = (("state", state), ("target", "default"))
        assert samples["truss_migrations"][key] == summary.get(state, 0), state
    assert samples["truss_migrations"][(("state", "pending"), ("target", "default"))] == 2
    assert samples["truss_target_up"][(("target", "default"),)] == 1


def test_the_run_counters_are_the_audit_log(target_db):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    services.run_pending(actor=ACTOR)
    target_db.write("002_b.sql", "CREATE TABLE a (id int);")
    with pytest.raises(GateRefused):
        services.run_pending(actor=ACTOR)
    target_db.write("002_b.sql", "SELECT 1/0;")
    services.run_pending(actor=ACTOR)
    samples = scrape()
    runs = samples["truss_runs_total"]
    expected = {
        (("command", r.command), ("outcome", r.outcome), ("source", r.source))
        for r in MigrationRun.objects.all()
    }
    assert set(runs) == expected
    assert sum(runs.values()) == MigrationRun.objects.count() == 3
    assert runs[(("command", "run"), ("outcome", "refused"), ("source", "cli"))] == 1
    assert samples["truss_gate_refusals_total"][()] == 1
    timed = MigrationEvent.objects.exclude(direction="retry").exclude(duration=None)
    assert samples["truss_migration_duration_seconds_count"][()] == timed.count() >= 1
    total = sum(event.duration for event in timed)
    assert samples["truss_migration_duration_seconds_sum"][()] == pytest.approx(total)
    assert samples["truss_runs_running"][()] == 0


def test_the_run_lock_shows_while_it_is_held(target_db, settings):
    key = settings.MIGRATIONS_MANAGER.get("ADVISORY_LOCK_KEY", 7241865325823964)
    with psycopg.connect(target_db.url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (key,))
        held = scrape()
        health_cache.clear()
        holder.execute("SELECT pg_advisory_unlock(%s)", (key,))
        free = scrape()
    assert held["truss_run_lock_held"][(("target", "default"),)] == 1
    assert held["truss_run_lock_held_seconds"][(("target", "default"),)] > 0
    assert free["truss_run_lock_held"][(("target", "default"),)] == 0
    assert free["truss_run_lock_held_seconds"][(("target", "default"),)] == 0


def test_an_unreachable_target_is_down_not_an_error(target_db, settings):
    settings.MIGRATIONS_MANAGER = {
        **settings.MIGRATIONS_MANAGER,
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none",
        "CONNECT_TIMEOUT": 2,
    }
    samples = scrape()
    assert samples["truss_target_up"][(("target", "default"),)] == 0
    assert "truss_migrations" not in samples
    assert samples["truss_runs_running"][()] == 0  # the audit log's part still answers


def test_a_scrape_does_not_queue_behind_a_lock_on_the_ledger(target_db, settings):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    services.run_pending(actor=ACTOR)
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "METRICS_BUDGET": "300ms"}
    with psycopg.connect(target_db.url) as holder:
        holder.execute("LOCK TABLE pgmigrations IN ACCESS EXCLUSIVE MODE")
        samples = scrape()
        holder.rollback()
    assert samples["truss_target_up"][(("target", "default"),)] == 0


def test_a_token_guards_the_metrics_when_set(target_db, settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "METRICS_TOKEN": "t0ken"}
    client = Client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Token t0ken").status_code == 401
    assert "truss_target_up" in scrape(client, HTTP_AUTHORIZATION="Bearer t0ken")
    assert client.post("/metrics", HTTP_AUTHORIZATION="Bearer t0ken").status_code == 405
    guarded = Client(enforce_csrf_checks=True)
    assert guarded.post("/metrics", HTTP_AUTHORIZATION="Bearer t0ken").status_code == 403


def test_doubts_of_the_status_are_metrics_too(target_db):
    target_db.execute(
        "CREATE TABLE deploy_migrations (id text PRIMARY KEY, applied_at timestamptz)"
    )
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    samples = scrape()["truss_status_warnings"]
    assert samples[(("kind", "unknown-ledger"), ("target", "default"))] == 1
    assert samples[(("kind", "no-migrations"), ("target", "default"))] == 0
