"""Standard mode: create, up, down and redo on node-pg-migrate's ``pgmigrations``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import audit
from ..conf import app_settings
from ..exceptions import PlanRefused, UsageError
from ..executor import Progress, render
from ..frameworks.base import TrackingAdapter
from ..planning import Grouping, make_plan
from ..types import Direction, Migration, Plan, RunReport, State, StatusReport
from .common import ResumeLookup, build_step, migrations_directory, no_resume, status_of
from .execution import audited, execute_audited, resume_lookup
from .gate import gate
from .session import Session, session

# ---- create -----------------------------------------------------------------------------------


def create_migration(name: str, *, cjs: bool = False) -> Path:
    """Write ``<ms timestamp>_<name>.sql`` (or ``.cjs``) from node-pg-migrate's template."""
    return migrations_directory().create(name, extension=".cjs" if cjs else ".sql")


# ---- standard mode: up / down / redo ----------------------------------------------------------


def migrate_up(
    target: int | str | None = None,
    *,
    actor: audit.Actor,
    dry_run: bool = False,
    progress: Progress | None = None,
    reason: str = "",
    lock_retries: int | None = None,
) -> RunReport:
    """Apply pending migrations in node-pg-migrate's order, each in its own transaction with
    its row. The safety gate checks the plan first (``reason`` overrides its refusal).

    Args:
        target: ``None`` for all pending, a count, or the name of the last one to apply.
    """
    options = _Options("up", actor, dry_run, progress, reason, lock_retries)
    return _standard_run(options, lambda report, adapter: _up_selection(report, target))


def migrate_down(
    count: int = 1,
    *,
    actor: audit.Actor,
    dry_run: bool = False,
    progress: Progress | None = None,
    reason: str = "",
    lock_retries: int | None = None,
) -> RunReport:
    """Roll back the last ``count`` applied migrations with their down sections."""
    options = _Options("down", actor, dry_run, progress, reason, lock_retries)
    return _standard_run(options, lambda report, adapter: _down_selection(report, count))


def redo(
    count: int = 1,
    *,
    actor: audit.Actor,
    dry_run: bool = False,
    progress: Progress | None = None,
    reason: str = "",
    lock_retries: int | None = None,
) -> RunReport:
    """Roll back the last ``count`` applied migrations, then apply them again."""

    def select(report: StatusReport, adapter: TrackingAdapter) -> list[tuple[Migration, Direction]]:
        downs = _down_selection(report, count)
        return downs + [(migration, Direction.UP) for migration, _ in reversed(downs)]

    return _standard_run(_Options("redo", actor, dry_run, progress, reason, lock_retries), select)


Selection = Callable[[StatusReport, TrackingAdapter], list[tuple[Migration, Direction]]]


@dataclass(frozen=True)
class _Options:
    command: str
    actor: audit.Actor
    dry_run: bool
    progress: Progress | None
    reason: str
    lock_retries: int | None


def _standard_run(options: _Options, select: Selection) -> RunReport:
    suffix = f":{options.command}"
    if options.dry_run:
        with session(standard=True, suffix=suffix, lock=False) as current:
            plan = _standard_plan(current, select, describe=True, resume=resume_lookup(current))
            text = render(plan, current.settings, current.lock_key, current.conn)
            return RunReport(plan, (), dry_run=True, sql_text=text)
    with (
        audited(options.actor, options.command, reason=options.reason) as attempt,
        session(standard=True, suffix=suffix) as current,
    ):
        plan = _standard_plan(current, select, resume=resume_lookup(current))
        overridden = gate(current, plan, (), reason=options.reason)
        return execute_audited(
            current,
            plan,
            attempt,
            options.progress,
            overridden=overridden,
            lock_retries=options.lock_retries,
        )


def _standard_plan(
    current: Session,
    select: Selection,
    *,
    describe: bool = False,
    resume: ResumeLookup = no_resume,
) -> Plan:
    tracking = current.tracking
    report = status_of(current.conn, tracking)
    _check_standard_history(report)
    adapter = tracking.adapter
    selected = select(report, adapter)
    reverted = {m.name for m, direction in selected if direction is Direction.DOWN}
    steps = [
        build_step(
            adapter,
            tracking,
            migration,
            direction,
            # A file this plan reverts first (redo) runs up from its first statement.
            resume=no_resume if migration.name in reverted else resume,
            describe=describe,
        )
        for migration, direction in selected
    ]
    return make_plan(
        steps, adapter, tracking.table, grouping=Grouping.EACH, table_exists=tracking.exists
    )


def _check_standard_history(report: StatusReport) -> None:
    """Refuse what node-pg-migrate refuses: a missing file, or a pending one before an applied."""
    orphaned = [s.name for s in report.migrations if s.state is State.ORPHANED]
    if orphaned:
        raise PlanRefused(
            f"Migration {orphaned[0]} is recorded as applied but its file is missing from "
            f"{app_settings.migrations_dir}.",
            kind="missing",
        )
    seen_pending = None
    for status in report.migrations:
        if status.state is State.PENDING:
            seen_pending = seen_pending or status.name
        elif seen_pending:
            raise PlanRefused(
                f"Not run migration {seen_pending} is preceding already run migration "
                f"{status.name}: node-pg-migrate refuses this order too.",
                kind="order",
            )


def _up_selection(
    report: StatusReport, target: int | str | None
) -> list[tuple[Migration, Direction]]:
    pending = [s.migration for s in report.pending]
    if target is None:
        chosen = pending
    elif isinstance(target, int):
        if target < 1:
            raise UsageError("The number of migrations to run must be at least 1.")
        chosen = pending[:target]
    else:
        names = [m.name for m in pending]
        index = _index_of(target, pending)
        if index is None:
            raise UsageError(
                f"{target} is not a pending migration (pending: {', '.join(names) or 'none'})."
            )
        chosen = pending[: index + 1]
    return [(migration, Direction.UP) for migration in chosen]


def _index_of(name: str, migrations: Sequence[Migration]) -> int | None:
    for index, migration in enumerate(migrations):
        if name in (migration.name, migration.identifier):
            return index
    return None


def _down_selection(report: StatusReport, count: int) -> list[tuple[Migration, Direction]]:
    if count < 1:
        raise UsageError("The number of migrations to roll back must be at least 1.")
    # The standard history is a prefix of the files in name order (checked before), so the
    # last applied files are the last ones node-pg-migrate ran.
    applied = [s for s in report.migrations if s.state in (State.APPLIED, State.MODIFIED)]
    return [(status.migration, Direction.DOWN) for status in reversed(applied[-count:])]
