"""The safety check: is now a good moment to run the pending migrations?

Beyond the counts (waiting locks, busy transactions, pending files), it reads which tables each
pending statement locks and in which mode, and names the live sessions that hold or wait for a
conflicting lock on exactly those tables: the statement would queue behind them, and every query
on the table behind it. The whole check costs a handful of queries, whatever the number of
sessions, files or tables.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import psycopg

from .. import audit
from ..analysis.lockmodes import LockMode, conflicts
from ..analysis.locks import LockRequirement
from ..analysis.statements import Statement
from ..conf import app_settings
from ..frameworks.detection import Tracking
from ..introspection import catalog
from ..introspection.activity import (
    ActivitySummary,
    RelationLock,
    activity_summary,
    relation_locks,
)
from ..types import Blocker, CheckReport, Failure, GateFinding, LintFinding, Migration
from .common import ledger_findings, select_pending, status_of
from .conflicts import schema_conflicts
from .inspection import (
    Analysed,
    analyse_file,
    catalog_tables,
    lint_findings,
    planned_rows,
    relation_names,
    workspace,
)
from .session import framework_lock_findings, target_key


def check(names: Sequence[str] | None = None, *, framework: str | None = None) -> CheckReport:
    """The pre-flight report of the pending migrations against the target, now.

    Args:
        names: check only these pending migrations (a run of some of them); the waiting locks
            and active transactions are the database's, whatever the names.
        framework: use this framework's detected tracking table (as ``status`` does).

    Raises:
        TargetUnavailable / ConfigurationError: the target cannot be reached.
        UsageError: ``framework`` is unknown or not detected; a name is repeated, unknown or
            not pending.
    """
    with workspace(framework, offline_ok=False, suffix=":check") as space:
        assert space.conn is not None and space.info is not None and space.tracking is not None
        return check_on(space.conn, space.info, space.tracking, names)


def check_on(
    conn: psycopg.Connection,
    info: catalog.ServerInfo,
    tracking: Tracking,
    names: Sequence[str] | None = None,
) -> CheckReport:
    """``check`` on a session already open: a run checks on its own connection, inside its
    lock, so that what it checked is what it runs."""
    report = status_of(conn, tracking)
    pending = [status.migration for status in select_pending(report, names)]
    key = target_key(conn, info, tracking)
    analysed = [_to_run(tracking, migration, key) for migration in pending]
    activity = activity_summary(conn)
    reviewed = review(conn, info, analysed)
    errors = (
        *framework_lock_findings(conn, tracking, info.database),
        *ledger_findings(tracking.adapter, report),
        *reviewed.errors,
    )
    warnings = [*_warnings(activity, len(pending), errors), *(w.message for w in report.warnings)]
    return CheckReport(
        database=info.database,
        user=info.user,
        pending_count=len(pending),
        pending_files=tuple(m.name for m in pending),
        lock_count=activity.lock_count,
        active_tx_count=activity.active_tx_count,
        warnings=tuple(warnings),
        safe=not warnings,
        server_version=info.server_version,
        lint=reviewed.lint,
        blockers=reviewed.blockers,
        errors=errors,
    )


def _to_run(tracking: Tracking, migration: Migration, key: str) -> Analysed:
    """What a run of ``migration`` would execute: its statements after those a failed run
    completed (it resumes there); a program (``.cjs``) opaque."""
    item = analyse_file(tracking.adapter, migration.path, migration)
    if item is None:
        return Analysed(migration.name, "", 1, True, opaque=True)
    done = 0 if item.in_transaction else audit.resume_point(key, migration, item.statements)
    return replace(item, statements=item.statements[done:]) if done else item


@dataclass(frozen=True)
class Review:
    """What the files of a plan meet on the target: lint findings (table sizes from the
    catalog, the plan taken as a whole), sessions in the way, statements sure to fail
    (``conflicts``), and statements that may fail (``doubts``, kind ``may-fail``: they would
    fail on what the check could only guess, after a DO block, a CALL, a migration it cannot
    read... never a reason to refuse a run)."""

    lint: tuple[LintFinding, ...]
    blockers: tuple[Blocker, ...]
    conflicts: tuple[GateFinding, ...]
    doubts: tuple[GateFinding, ...] = ()

    @property
    def errors(self) -> tuple[GateFinding, ...]:
        """What the safety gate refuses a run for: error-level lint findings (not silenced),
        statements sure to fail, live blockers."""
        lint = (
            GateFinding("lint", f.message, f.file, f.line, f.rule, f.hint)
            for f in self.lint
            if f.severity == "error"
        )
        blockers = (
            GateFinding("blocker", blocker_sentence(b), b.file, b.line, hint=BLOCKER_HINT)
            for b in self.blockers
        )
        return (*lint, *self.conflicts, *blockers)


BLOCKER_HINT = (
    "Wait until that session ends its transaction, or end the session (its owner, or "
    "pg_terminate_backend) before running."
)


def review(
    conn: psycopg.Connection, info: catalog.ServerInfo, analysed: Sequence[Analysed]
) -> Review:
    """The review of ``analysed`` (in plan order): a handful of queries, whatever their number."""
    relations = relation_names(analysed)
    tables = catalog_tables(conn, relations)
    locks = relation_locks(conn, relations, server_version=info.server_version_num)
    lint = lint_findings(
        analysed,
        table_sizes=tables.sizes,
        server_version=info.server_version_num,
        tables=tables.shapes,
        planned=planned_rows(conn, analysed),
    )
    parsed = [item for item in analysed if item.syntax_error is None]
    conflicts = schema_conflicts(conn, info, parsed)
    return Review(
        tuple(lint),
        tuple(find_blockers(analysed, locks)),
        conflicts.certain,
        conflicts.doubtful,
    )


def find_blockers(analysed: Iterable[Analysed], locks: Sequence[RelationLock]) -> list[Blocker]:
    """One blocker per (session, relation): the first pending statement that would wait for it,
    and the strongest conflicting mode the session holds or waits for there."""
    by_name: dict[str, list[RelationLock]] = {}
    for lock in sorted(locks, key=lambda item: -LockMode.from_pg_locks(item.mode).level):
        by_name.setdefault(lock.requested, []).append(lock)
    found: dict[tuple[int, str], Blocker] = {}
    for item in analysed:
        for requirement in item.requirements():
            for lock in by_name.get(requirement.qualified_name, ()):
                key = (lock.pid, lock.relation)
                if key not in found and conflicts(requirement.mode, lock.mode):
                    found[key] = _blocker(lock, item.name, requirement)
    return list(found.values())


def _blocker(lock: RelationLock, file: str, requirement: LockRequirement) -> Blocker:
    return Blocker(
        pid=lock.pid,
        state=lock.state,
        lock_mode=str(LockMode.from_pg_locks(lock.mode)),
        relation=lock.relation,
        waiting_seconds=_rounded(lock.waiting_seconds),
        xact_seconds=_rounded(lock.xact_seconds),
        query=" ".join(lock.query.split()) if lock.query else lock.query,
        granted=lock.granted,
        state_seconds=_rounded(lock.state_seconds),
        file=file,
        line=requirement.line,
        statement=requirement.description,
        required_mode=str(requirement.mode),
        application_name=lock.application_name,
    )


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)


# ---- warnings: one sentence per condition ----------------------------------------------------


def _warnings(activity: ActivitySummary, pending: int, errors: Sequence[GateFinding]) -> list[str]:
    warnings = []
    if activity.lock_count:
        warnings.append(
            f"{activity.lock_count} waiting lock(s) in pg_locks: migrations may deadlock or "
            "queue behind them."
        )
    threshold = int(app_settings.ACTIVE_TX_THRESHOLD)
    if activity.active_tx_count > threshold:
        warnings.append(
            f"{activity.active_tx_count} active transactions (more than {threshold}): consider "
            "running during low traffic."
        )
    if not pending:
        warnings.append("No pending migrations: nothing to do.")
    warnings.extend(error_sentence(error) for error in errors)
    return warnings


def error_sentence(error: GateFinding) -> str:
    """A gate error as one warning of the check: where it is, what, and the rule if any."""
    if error.kind == "blocker":
        return error.message
    where = f"{error.file}, line {error.line}: " if error.file and error.line else ""
    rule = f" [{error.rule}]" if error.rule else ""
    return f"{where}{error.message}{rule}"


def blocker_sentence(blocker: Blocker, *, waits: str = "will wait for") -> str:
    """``ALTER TABLE users will wait for pid 4242, idle in transaction for 12 min (...)``."""
    state = blocker.state or "in an unknown state"
    if blocker.state_seconds is not None:
        state += f" for {duration(blocker.state_seconds)}"
    verb = "holds" if blocker.granted else "is itself waiting for"
    return (
        f"{blocker.statement} {waits} pid {blocker.pid}, {state} "
        f"({verb} {blocker.lock_mode} on {blocker.relation})."
    )


def explain_lock_timeout(conn: psycopg.Connection, failure: Failure) -> Failure:
    """``failure`` naming the sessions its statement waited for until lock_timeout.

    Read right after the timeout, on the run's own session (its transaction is over): the
    blockers are usually still there — an idle transaction does not go away by itself.
    """
    statement = failure.failed_statement
    if not isinstance(statement, Statement) or conn.closed or conn.broken:
        return failure
    analysed = Analysed(failure.name, statement.text, statement.line, True, (statement,))
    names = relation_names([analysed])
    info = catalog.server_info(conn)
    locks = relation_locks(conn, names, server_version=info.server_version_num)
    blockers = find_blockers([analysed], locks)
    explained = failure.explained(
        *(blocker_sentence(blocker, waits="waited for") for blocker in blockers)
    )
    return dataclasses.replace(
        explained, blockers=tuple(dataclasses.asdict(blocker) for blocker in blockers)
    )


def duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``3 h 05 min``: how long, as a person says it."""
    if seconds < 60:
        return f"{int(seconds)} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
