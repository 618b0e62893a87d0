"""Fleet runs on real databases, in this process's pool (no broker): every target on the
ordinary run path, one failure kept to its target with its SQLSTATE, a retry that runs only
what did not succeed, a failed canary that stops the rest, and max-failures."""

from __future__ import annotations

import pytest

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import UsageError
from migrations_manager.models import FleetTarget, MigrationRun

from .conftest import conflicting, fix, ledger_rows

pytestmark = pytest.mark.django_db(transaction=True)

ACTOR = Actor(name="tester")
DUPLICATE_TABLE = "42P07"


def outcome(fleet_id: int) -> services.FleetReport:
    report = services.wait_for_fleet(fleet_id, poll=0.1, timeout=180)
    assert report.status != "running", report
    return report


def test_one_failing_target_fails_alone_and_a_retry_runs_only_it(fleet):
    databases = fleet(20, "eu")
    bad = databases[7]
    conflicting(bad)
    fleet_id = services.start_fleet_run(actor=ACTOR, tag="eu", concurrency=4)
    report = outcome(fleet_id)
    assert report.status == "failed"
    by_target = {child.target: child for child in report.targets}
    failed = by_target.pop("eu-07")
    assert failed.status == "failed" and failed.sqlstate == DUPLICATE_TABLE, failed
    assert "widgets_pkey" in failed.error
    assert {child.status for child in by_target.values()} == {"succeeded"}
    assert [ledger_rows(db) for db in databases] == [1] * 7 + [0] + [1] * 12
    # Each target's audit row names it; the failed one links to its own.
    run = MigrationRun.objects.get(pk=failed.run_id)
    assert (run.target_name, run.outcome) == ("eu-07", "failed")
    assert MigrationRun.objects.filter(target_name__startswith="eu-").count() == 20

    fix(bad)
    assert services.retry_fleet_run(fleet_id) == 1
    again = outcome(fleet_id)
    assert again.ok and {child.status for child in again.targets} == {"succeeded"}
    assert [ledger_rows(db) for db in databases] == [1] * 20
    assert MigrationRun.objects.filter(target_name__startswith="eu-").count() == 21
    assert {c.target: c.attempts for c in again.targets if c.attempts != 1} == {"eu-07": 2}


def test_a_failed_canary_stops_every_other_target(fleet):
    databases = fleet(5, "canary")
    conflicting(databases[0])
    report = outcome(services.start_fleet_run(actor=ACTOR, tag="canary", canary=2))
    statuses = [child.status for child in report.targets]
    assert statuses[0] == "failed" and statuses[1] == "succeeded"
    assert statuses[2:] == ["skipped"] * 3
    assert [ledger_rows(db) for db in databases[2:]] == [0, 0, 0]
    assert not MigrationRun.objects.filter(target_name__in=["canary-02", "canary-03"]).exists()
    assert not any(db.exists("public.widgets") for db in databases[2:])


def test_no_target_starts_after_max_failures(fleet):
    databases = fleet(4, "mf")
    conflicting(databases[0])
    report = outcome(services.start_fleet_run(actor=ACTOR, tag="mf", concurrency=1, max_failures=1))
    assert [child.status for child in report.targets] == ["failed"] + ["skipped"] * 3
    assert FleetTarget.objects.filter(status="skipped", attempts=0).count() == 3


def test_a_gate_refusal_is_a_refused_target_and_nothing_runs_there(fleet):
    """The gate of the ordinary run path applies per target: a table the migration would
    create exists already (made by hand), so that target is refused; the other runs."""
    databases = fleet(2, "gate")
    databases[0].execute("CREATE TABLE widgets (label text)")
    report = outcome(services.start_fleet_run(actor=ACTOR, tag="gate"))
    first, second = report.targets
    assert first.status == "refused" and "safety gate" in first.error, first
    assert MigrationRun.objects.get(pk=first.run_id).outcome == "refused"
    assert ledger_rows(databases[0]) == 0 and second.status == "succeeded"


def test_no_target_with_the_tag_is_a_usage_error(db):
    with pytest.raises(UsageError, match="No target carries the tag"):
        services.start_fleet_run(actor=ACTOR, tag="nothing-has-it")
