"""Idempotent mode: run pending migrations, or mark them applied, writing the rows the framework
that owns the tracking table would write itself.

A run is one plan (``planning``): consecutive files that can run in a transaction share one
with their rows; a no-transaction file and a ``.cjs`` file are segments of their own; "run all
pending" runs every segment in order. ``atomic`` refuses a plan of more than one segment;
``expect`` binds the run to the files a confirmation showed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from .. import audit
from ..exceptions import MigrationFailed, MigrationNotFound, PlanRefused, UsageError
from ..executor import Progress, render
from ..planning import Grouping, make_plan
from ..sources import validate_name
from ..types import Direction, MigrationStatus, Plan, RunReport, State, StatusReport
from .approvals import BoundPlan, bound_plan, refuse_unapproved
from .common import (
    ResumeLookup,
    build_step,
    ledger_findings,
    no_resume,
    record_step,
    select_pending,
    status_of,
)
from .execution import audited, begin_audited, execute_audited, resume_lookup
from .gate import gate
from .session import Session, session

RECORDED = (State.APPLIED, State.MODIFIED)


@dataclass(frozen=True)
class MarkResult:
    """The answer of ``mark_applied``; ``written`` is False when it was already recorded (or
    for a dry run, whose ``sql_text`` is what would be written)."""

    ok: bool
    migration: str
    framework: str
    tracking_table: str
    message: str
    written: bool
    dry_run: bool = False
    sql_text: str = ""
    #: What the framework's own mark records along with it (yoyo: its pending dependencies).
    recorded_with: tuple[str, ...] = ()


def plan_run(names: Sequence[str] | None = None, *, framework: str | None = None) -> RunReport:
    """What ``run_pending`` would do, without doing it: the same plan, rendered."""
    with session(framework=framework, suffix=":plan", lock=False) as current:
        plan, _ = pending_plan(current, names, describe=True, resume=resume_lookup(current))
        return _dry_run(current, plan)


def run_pending(
    names: Sequence[str] | None = None,
    *,
    actor: audit.Actor,
    framework: str | None = None,
    reason: str = "",
    progress: Progress | None = None,
    atomic: bool = False,
    expect: Mapping[str, str] | None = None,
    lock_retries: int | None = None,
    approval: BoundPlan | None = None,
) -> RunReport:
    """Run the pending migrations (all, or ``names``), segment after segment.

    A failure rolls back its atomic segment and is reported in ``RunReport.failure``, saying
    what earlier segments left applied.

    The safety gate checks the plan first, on the run's connection and inside its lock
    (``services.gate``): with errors, it runs only with a ``reason``, which the audit log keeps
    with what it overrode.

    Args:
        atomic: refuse a plan of more than one segment (the "entire batch" promise).
        expect: file name -> SHA-256 of exactly the files to run (what a confirmation showed):
            any difference refuses the run.
        lock_retries: how many times a segment a lock timeout stops is tried again (default:
            the ``LOCK_RETRIES`` setting).
        approval: the approved change request this run executes: its plan must be this one.

    Raises:
        GateRefused: the gate found errors and no reason was given (nothing ran).
        ApprovalRequired: the approval policy asks for a change request (nothing ran).
        PlanRefused: the files changed since ``expect`` or since ``approval``, or an ``atomic``
            run needs several segments (nothing ran).
        LockNotAcquired: another run (ours or the framework's) holds the lock (nothing ran).
        UsageError: names unknown, not pending, repeated, or not expressible by the framework.
        UnsupportedMigration / SQLSyntaxError: a file cannot run; found before anything ran.
    """
    request_id = approval.request_id if approval else None
    with (
        audited(
            actor,
            "run",
            files=names or (),
            reason=reason,
            framework=framework,
            change_request_id=request_id,
        ) as attempt,
        session(framework=framework, suffix=":run") as current,
    ):
        plan, report = pending_plan(current, names, resume=resume_lookup(current))
        refuse_unconfirmed(plan, expect)
        if approval is not None:
            refuse_unapproved(approval, bound_plan(current, plan, report))
        if atomic:
            refuse_segments(plan)
        ledger = ledger_findings(current.tracking.adapter, report)
        overridden = gate(current, plan, ledger, reason=reason, approval=approval)
        return execute_audited(
            current,
            plan,
            attempt,
            progress,
            overridden=overridden,
            lock_retries=lock_retries,
        )


def pending_plan(
    current: Session,
    names: Sequence[str] | None,
    *,
    describe: bool = False,
    resume: ResumeLookup = no_resume,
) -> tuple[Plan, StatusReport]:
    """The plan of a run of the pending migrations (all, or ``names``), and the ledger's
    status it was planned from."""
    tracking = current.tracking
    adapter = tracking.adapter
    report = status_of(current.conn, tracking)
    migrations = [status.migration for status in select_pending(report, names)]
    adapter.check_record(report.migrations, migrations)
    steps = [
        build_step(adapter, tracking, m, Direction.UP, resume=resume, describe=describe)
        for m in migrations
    ]
    plan = make_plan(
        steps, adapter, tracking.table, grouping=Grouping.BATCH, table_exists=tracking.exists
    )
    return plan, report


def _dry_run(current: Session, plan: Plan) -> RunReport:
    text = render(plan, current.settings, current.lock_key, current.conn)
    return RunReport(plan, (), dry_run=True, sql_text=text)


def refuse_unconfirmed(plan: Plan, expect: Mapping[str, str] | None) -> None:
    """Refuse a plan that is not exactly the files ``expect`` confirmed, byte for byte.

    Raises:
        PlanRefused: a file changed, appeared or is no longer to run.
    """
    if expect is None:
        return
    planned = {step.name: step.migration.sha256 for step in plan.steps}
    if planned == dict(expect):
        return
    details = {
        "changed": sorted(n for n in planned.keys() & expect.keys() if planned[n] != expect[n]),
        "added": sorted(planned.keys() - expect.keys()),
        "gone": sorted(expect.keys() - planned.keys()),
    }
    said = "; ".join(f"{what}: {', '.join(names)}" for what, names in details.items() if names)
    raise PlanRefused(
        f"The migrations to run are no longer those confirmed ({said}): nothing ran. Look at "
        "the plan again, then confirm it.",
        kind="changed",
        details=details,
    )


def refuse_segments(plan: Plan) -> None:
    """Refuse a plan that cannot commit as one transaction.

    Raises:
        PlanRefused: the plan has more than one segment.
    """
    if plan.atomic:
        return
    parts = "; ".join(f"{s.mode}: {', '.join(s.names)}" for s in plan.segments)
    raise PlanRefused(
        f"These migrations cannot run in one transaction ({parts}): an atomic run refuses "
        "them, and nothing ran. Run the others first, then these one by one, or run without "
        "atomic.",
        kind="atomic",
        details=[{"files": list(s.names), "mode": str(s.mode)} for s in plan.segments],
    )


def mark_applied(
    name: str,
    *,
    actor: audit.Actor,
    framework: str | None = None,
    dry_run: bool = False,
    reason: str = "",
) -> MarkResult:
    """Record ``name`` as applied in the framework's own format, without running it: a plan
    of record-only steps, through the executor: ``name``'s, after those of what the framework's
    own mark records with it (yoyo: its pending dependencies).

    Already recorded: a success that writes nothing. Recorded as failed, or a record the
    framework cannot express (out of order where it keeps one current version): refused. The
    safety gate refuses it too while the framework records another migration as failed, unless
    a ``reason`` is given.

    Raises:
        InvalidMigrationName / MigrationNotFound: the name is malformed / has no file.
        GateRefused / UsageError: see above. MigrationFailed: writing the row failed.
    """
    if dry_run:
        validate_name(name, extensions=())
        with session(framework=framework, suffix=":mark", lock=False) as current:
            status = _status_named(status_of(current.conn, current.tracking), name)
            if status.state in RECORDED:
                return _mark_result(current, name, written=False)
            plan = _mark_plan(current, status)
            text = render(plan, current.settings, current.lock_key, current.conn)
            result = _mark_result(current, name, written=False, plan=plan)
            return replace(result, dry_run=True, sql_text=text)
    with audited(
        actor, "mark-applied", files=[name], framework=framework, reason=reason
    ) as attempt:
        validate_name(name, extensions=())
        with session(framework=framework, suffix=":mark") as current:
            ledger = status_of(current.conn, current.tracking)
            status = _status_named(ledger, name)
            if status.state in RECORDED:
                result = _mark_result(current, name, written=False)
                audit.unchanged(begin_audited(current, attempt, attempt.files), result.message)
                return result
            plan = _mark_plan(current, status)
            findings = ledger_findings(current.tracking.adapter, ledger)
            overridden = gate(current, plan, findings, reason=reason)
            report = execute_audited(current, plan, attempt, overridden=overridden)
            if report.failure is not None:
                raise MigrationFailed(report.failure)
            return _mark_result(current, name, written=True, plan=plan)


def _mark_plan(current: Session, status: MigrationStatus) -> Plan:
    tracking = current.tracking
    adapter = tracking.adapter
    report = status_of(current.conn, tracking)
    if status.state is State.FAILED:
        # Not a gate finding a reason overrides: the framework's failed row is in the way of the
        # applied row this would write.
        raise PlanRefused(
            f"{adapter.label} records {status.name} as failed; repair the tracking table with "
            "the framework's own tool before marking it applied.",
            kind="ledger",
        )
    if status.state is not State.PENDING:
        raise UsageError(f"{status.name} is {status.state}: only a pending one can be marked.")
    marked = adapter.marked_with(status.migration, report.migrations)
    adapter.check_record(report.migrations, marked)
    return make_plan(
        [record_step(migration) for migration in marked],
        adapter,
        tracking.table,
        grouping=Grouping.BATCH,
        table_exists=tracking.exists,
    )


def _status_named(report: StatusReport, name: str) -> MigrationStatus:
    for status in report.migrations:
        if status.name == name and status.migration is not None:
            return status
    raise MigrationNotFound(f"No migration file named {name!r}.")


def _mark_result(
    current: Session, name: str, *, written: bool, plan: Plan | None = None
) -> MarkResult:
    table = str(current.tracking.table)
    adapter = current.tracking.adapter
    also = tuple(step.name for step in plan.steps if step.name != name) if plan else ()
    with_them = f" with {', '.join(also)}, which it depends on," if also else ""
    if written:
        message = (
            f"Recorded {name}{with_them} as applied in {table} ({adapter.label}); nothing ran."
        )
    else:
        message = f"{name} is already recorded as applied in {table}; nothing was written."
    return MarkResult(True, name, adapter.name, table, message, written, recorded_with=also)
