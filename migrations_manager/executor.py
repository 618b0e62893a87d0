"""The one executor: a plan becomes the exact command stream, which is executed or rendered.

``commands(plan)`` is every command a run sends, in order: per segment its ``BEGIN``, the
statements of each migration, the restoration of the run's session settings after each of
them, the tracking rows, the check that the run still holds its advisory lock, and ``COMMIT``
(or, for a ``.cjs`` file, the program that runs it). ``Executor.execute`` sends that stream on
the run's connection; ``render`` prints the very same stream: a dry run, a preview and a
confirmation page show what runs, by construction.

Segments (``planning``):

- atomic: one transaction; a failure rolls back the segment (and only it: earlier segments
  committed and stay);
- no-transaction: each statement commits by itself; the lock is checked after each one; the
  rows are written in a transaction after the last; a failure leaves the statements before it,
  and a later run on the same target resumes after them if the file is unchanged;
- external: the program (node-pg-migrate) runs the file in its own session and transaction
  and writes its row, while this session holds the lock.

Between migrations the session is restored (``RESET ALL``, the authenticated role, the run's
timeouts): a ``SET`` or ``RESET ALL`` in one file never reaches the next or the app's own queries.
"""

from __future__ import annotations

import enum
import os
import random
import shlex
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import psycopg
from pglast import ast
from psycopg import sql

from .analysis.statements import LineIndex, Statement, comments, texts_hash
from .introspection import catalog, queries
from .types import (
    Direction,
    ExternalCommand,
    ExternalFailure,
    Failure,
    Plan,
    RunReport,
    Segment,
    SegmentMode,
    Step,
    StepAction,
    StepResult,
)

#: ``progress(event, step, detail)``: ``start``; ``done`` (its statements ran; in an atomic
#: segment, they commit with the segment); ``failed`` (``detail["error"]``); ``retry``
#: (``detail["attempt"]`` failed on a lock, the next one after ``detail["wait"]`` seconds);
#: ``rolled back`` (a step that was done, undone with its segment's transaction).
Progress = Callable[[str, Step, dict[str, Any]], None]

EXCERPT_CONTEXT_LINES = 2


def _ignore_progress(event: str, step: Step, detail: dict[str, Any]) -> None:
    """Default progress callback: says nothing."""


class Kind(enum.Enum):
    BEGIN = "begin"
    COMMIT = "commit"
    SETUP = "setup"  # the tracking table, when it does not exist yet
    START = "start"  # a step begins (progress; a comment when rendered)
    STATEMENT = "statement"  # one statement of a migration file
    RESTORE = "restore"  # the run's session settings, back after a migration
    VERIFY_LOCK = "verify-lock"  # the run's advisory lock must still be held
    TRACK = "track"  # the segment's tracking rows
    EXTERNAL = "external"  # a program executes the step
    END = "end"  # a step is done (progress)


@dataclass(frozen=True)
class Command:
    """One element of the command stream; ``sql`` is what is sent, when something is."""

    kind: Kind
    segment: int
    step: Step | None = None
    statement: Statement | None = None
    sql: sql.Composable | None = None


@dataclass(frozen=True)
class SessionSettings:
    """The settings every statement of a run runs under (``lock_timeout``...)."""

    values: tuple[tuple[str, str], ...] = ()

    def restore(self) -> sql.Composable:
        """One round trip that undoes whatever session state a migration changed."""
        settings = sql.SQL(", ").join(
            sql.SQL("pg_catalog.set_config({}, {}, false)").format(
                sql.Literal(name), sql.Literal(value)
            )
            for name, value in self.values
        )
        restore = queries.RESTORE_SESSION
        return sql.SQL("{}; SELECT {}").format(restore, settings) if self.values else restore


@dataclass(frozen=True)
class _Part:
    """One segment of a plan, with what its commands need: its index, the setup it opens
    with (the first segment only), the run's settings and lock."""

    index: int
    segment: Segment
    setup: tuple[sql.Composable, ...]
    settings: SessionSettings
    lock_key: int | None


def commands(plan: Plan, settings: SessionSettings, lock_key: int | None) -> Iterator[Command]:
    """The exact command stream of ``plan``."""
    for index, segment in enumerate(plan.segments):
        setup = plan.setup if index == 0 else ()
        yield from segment_commands(_Part(index, segment, setup, settings, lock_key))


def segment_commands(part: _Part) -> Iterator[Command]:
    return _SEGMENT_COMMANDS[part.segment.mode](part)


def _atomic(part: _Part) -> Iterator[Command]:
    index = part.index
    yield Command(Kind.BEGIN, index, sql=sql.SQL("BEGIN"))
    yield from (Command(Kind.SETUP, index, sql=statement) for statement in part.setup)
    for step in part.segment.steps:
        yield Command(Kind.START, index, step)
        yield from _statements(index, step)
        if step.action is StepAction.APPLY:
            yield Command(Kind.RESTORE, index, step, sql=part.settings.restore())
        yield Command(Kind.END, index, step)
    yield from (Command(Kind.TRACK, index, sql=row) for row in part.segment.tracking)
    yield from _verify_lock(index, part.lock_key)
    yield Command(Kind.COMMIT, index, sql=sql.SQL("COMMIT"))


def _no_transaction(part: _Part) -> Iterator[Command]:
    index, (step,) = part.index, part.segment.steps
    yield from _own_transaction(index, Kind.SETUP, part.setup)
    yield Command(Kind.START, index, step)
    for position, statement in enumerate(step.statements):
        if position >= step.resumed_from:
            yield Command(Kind.STATEMENT, index, step, statement)
            yield from _verify_lock(index, part.lock_key, step, statement)
    yield Command(Kind.RESTORE, index, step, sql=part.settings.restore())
    yield from _own_transaction(index, Kind.TRACK, part.segment.tracking, step)
    yield Command(Kind.END, index, step)


def _external(part: _Part) -> Iterator[Command]:
    index, (step,) = part.index, part.segment.steps
    yield from _own_transaction(index, Kind.SETUP, part.setup)
    yield Command(Kind.START, index, step)
    # ``sql``: the rows the program writes itself (shown, never sent by the executor).
    tracking = part.segment.tracking
    rows = sql.SQL(";\n").join(tracking) if tracking else None
    yield Command(Kind.EXTERNAL, index, step, sql=rows)
    yield Command(Kind.END, index, step)


_SEGMENT_COMMANDS: dict[SegmentMode, Callable[[_Part], Iterator[Command]]] = {
    SegmentMode.ATOMIC: _atomic,
    SegmentMode.NO_TRANSACTION: _no_transaction,
    SegmentMode.EXTERNAL: _external,
}


def _statements(index: int, step: Step) -> Iterator[Command]:
    for statement in step.statements:
        yield Command(Kind.STATEMENT, index, step, statement)


def _own_transaction(
    index: int, kind: Kind, statements: Sequence[sql.Composable], step: Step | None = None
) -> Iterator[Command]:
    if statements:
        yield Command(Kind.BEGIN, index, step, sql=sql.SQL("BEGIN"))
        yield from (Command(kind, index, step, sql=statement) for statement in statements)
        yield Command(Kind.COMMIT, index, step, sql=sql.SQL("COMMIT"))


def _verify_lock(
    index: int, lock_key: int | None, step: Step | None = None, after: Statement | None = None
) -> Iterator[Command]:
    """The check that the run still holds its lock (``after`` the statement it follows)."""
    if lock_key is not None:
        query = queries.ADVISORY_LOCK_HELD.format(key=sql.Literal(lock_key))
        yield Command(Kind.VERIFY_LOCK, index, step, after, sql=query)


# ---- rendering ---------------------------------------------------------------------------------


def render(
    plan: Plan,
    settings: SessionSettings,
    lock_key: int | None,
    conn: psycopg.Connection | None = None,
) -> str:
    """The command stream of ``plan`` as SQL text, with comments saying where each part is."""
    lines: list[str] = []
    segment = None
    for command in commands(plan, settings, lock_key):
        if command.segment != segment:
            segment = command.segment
            lines.append(_segment_heading(plan, segment))
        lines.extend(_RENDERERS[command.kind](command, conn))
    return "\n".join(lines) + "\n" if lines else ""


def _segment_heading(plan: Plan, index: int) -> str:
    segment = plan.segments[index]
    files = ", ".join(segment.names)
    how = {
        SegmentMode.ATOMIC: "one transaction, with their tracking rows",
        SegmentMode.NO_TRANSACTION: "each statement commits by itself, then the tracking row",
        SegmentMode.EXTERNAL: "run by its program, in a session and transaction of its own",
    }[segment.mode]
    return f"-- segment {index + 1} of {len(plan.segments)} ({segment.mode}: {how}): {files}"


def _sql_lines(command: Command, conn: psycopg.Connection | None) -> list[str]:
    assert command.sql is not None
    return [command.sql.as_string(conn) + ";"]


def _start_lines(command: Command, conn: psycopg.Connection | None) -> list[str]:
    step = command.step
    assert step is not None
    lines = [f"-- {step.name} ({step.direction})"]
    if step.action is StepAction.RECORD:
        lines.append("-- recorded as applied, without running it")
    if step.absorbed:
        first, last = step.absorbed
        lines.append(
            f"-- its own BEGIN (line {first}) and COMMIT (line {last}) are left out: it runs in "
            "the segment's transaction"
        )
    if step.resumed_from:
        lines.append(
            f"-- resumes at statement {step.resumed_from + 1}: the first {step.resumed_from} "
            "completed in an earlier run that failed, on this target, with this same file"
        )
    return lines


def _statement_lines(command: Command, conn: psycopg.Connection | None) -> list[str]:
    assert command.statement is not None
    return [terminated(command.statement)]


def terminated(statement: Statement) -> str:
    """The statement as a script holds it: its ``;`` on a line of its own when the statement
    ends in a line comment (which would swallow it)."""
    found = comments(statement.text)
    ends_in_comment = (
        bool(found) and not found[-1].block and "\n" not in statement.text[found[-1].start :]
    )
    return statement.text + ("\n;" if ends_in_comment else ";")


def _restore_lines(command: Command, conn: psycopg.Connection | None) -> list[str]:
    return ["-- the run's session settings, restored", *_sql_lines(command, conn)]


def _verify_lines(command: Command, conn: psycopg.Connection | None) -> list[str]:
    return ["-- the run's advisory lock must still be held", *_sql_lines(command, conn)]


def _external_lines(command: Command, conn: psycopg.Connection | None) -> list[str]:
    step = command.step
    assert step is not None and step.external is not None
    lines = [
        f"-- executed by {step.external.executor}, in its own session:",
        f"--   {shlex.join(step.external.argv)}",
    ]
    if not step.statements:  # a run does not build it: the migration's code runs once
        return lines
    body = [terminated(statement) for statement in step.statements]
    if command.sql is not None:
        body.append(command.sql.as_string(conn) + ";")
    if step.transactional:
        return [*lines, "BEGIN;", *body, "COMMIT;"]
    return [*lines, "-- outside a transaction (pgm.noTransaction()):", *body]


def _nothing(command: Command, conn: psycopg.Connection | None) -> list[str]:
    return []


_RENDERERS: dict[Kind, Callable[[Command, psycopg.Connection | None], list[str]]] = {
    Kind.BEGIN: _sql_lines,
    Kind.COMMIT: _sql_lines,
    Kind.SETUP: _sql_lines,
    Kind.START: _start_lines,
    Kind.STATEMENT: _statement_lines,
    Kind.RESTORE: _restore_lines,
    Kind.VERIFY_LOCK: _verify_lines,
    Kind.TRACK: _sql_lines,
    Kind.EXTERNAL: _external_lines,
    Kind.END: _nothing,
}


# ---- execution ---------------------------------------------------------------------------------


class _Stop(Exception):
    """Ends a segment: the failure, built once where it happened."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


class RunInterrupted(BaseException):
    """The run was interrupted (Ctrl-C, a signal) while it executed: ``report`` says what had
    committed and where it stopped, for the audit log; ``original`` is then raised again."""

    def __init__(self, report: RunReport, original: BaseException) -> None:
        super().__init__(str(original))
        self.report = report
        self.original = original


#: SQLSTATEs after which a segment is tried again: lock_not_available (lock_timeout ran out)
#: and deadlock_detected. Nothing of the failed attempt stays (its transaction rolled back, or
#: the statement never completed).
RETRYABLE = frozenset({"55P03", "40P01"})
MAX_BACKOFF = 10.0
CANCEL_POLL = 0.25  # seconds between two looks at a cancel request, where the run waits itself
QUERY_CANCELED = "57014"  # what PostgreSQL says when a statement is cancelled


@dataclass(frozen=True)
class Retries:
    """How many times a segment stopped by a lock timeout or a deadlock is tried again, after
    ``backoff`` seconds doubling each time (jittered, capped at 10 s). ``explain`` adds to each
    failed attempt what it waited for, ``record`` keeps it (the audit log) with the step it
    stopped in."""

    count: int = 0
    backoff: float = 0.5
    explain: Callable[[Failure], Failure] = lambda failure: failure
    record: Callable[[Failure, int, Step], None] = lambda failure, attempt, step: None

    def wait(self, attempt: int) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (``attempt`` counts from 1)."""
        return min(MAX_BACKOFF, self.backoff * 2 ** (attempt - 1)) * random.uniform(0.75, 1.0)


class Executor:
    """Executes command streams on one autocommit connection that holds the run's lock."""

    def __init__(
        self,
        conn: psycopg.Connection,
        *,
        settings: SessionSettings,
        lock_key: int | None,
        progress: Progress | None = None,
        retries: Retries | None = None,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> None:
        """``cancelled`` says whether someone asked the run to stop: it is asked where a
        ``pg_cancel_backend`` cannot reach the run (waiting to try again, a program running
        a step on its own connection)."""
        self.conn = conn
        self.settings = settings
        self.lock_key = lock_key
        self.progress = progress or _ignore_progress
        self.retries = retries or Retries()
        self.cancelled = cancelled
        self._current: Step | None = None  # the step being executed
        self._running: Statement | None = None  # the statement being executed, if any
        self._done = 0  # statements of the current step completed (resumed ones included)
        self._failed_at: tuple[Step, float] | None = None  # the failing step, since when

    def execute(self, plan: Plan) -> RunReport:
        """Run ``plan`` segment after segment; a failure stops the run and is reported (the
        failing segment rolled back when atomic), never raised.

        Raises:
            RunInterrupted: an interruption (KeyboardInterrupt...) stopped it; it carries the
                report of what had committed, and the interruption.
        """
        completed: list[StepResult] = []
        for index, segment in enumerate(plan.segments):
            part = _Part(
                index, segment, plan.setup if index == 0 else (), self.settings, self.lock_key
            )
            ran: list[StepResult] = []
            try:
                self._attempts(part, ran)
            except _Stop as stop:
                return self._stopped(plan, completed, index, ran, stop.failure)
            except BaseException as interruption:
                failure = self._interrupted(segment, interruption)
                report = self._stopped(plan, completed, index, ran, failure)
                raise RunInterrupted(report, interruption) from interruption
            completed.extend(ran)
        return RunReport(plan, tuple(completed))

    def _attempts(self, part: _Part, ran: list[StepResult]) -> None:
        """Run a segment, again after a lock timeout or a deadlock while retries are left: the
        whole segment when atomic, the statement that stopped when no-transaction."""
        attempts: list[Failure] = []
        while True:
            try:
                self._segment(part.segment, list(segment_commands(part)), ran)
                return
            except _Stop as stop:
                failure = stop.failure
                if not self._retryable(part.segment, failure, len(attempts)):
                    if attempts:
                        failure = replace(failure, attempts=tuple(attempts))
                    self._failed(failure)
                    raise _Stop(failure) from stop
            failure = self.retries.explain(failure)
            attempts.append(failure)
            step = self._current or part.segment.steps[0]
            self.retries.record(failure, len(attempts), step)
            pause = self.retries.wait(len(attempts))
            self.progress(
                "retry", step, {"error": failure, "attempt": len(attempts), "wait": pause}
            )
            self._back_off(pause, failure)
            for result in ran if part.segment.mode is SegmentMode.ATOMIC else ():
                self.progress("rolled back", _step_named(part.segment, result.name), {})
            ran.clear()
            part = self._again(part, step)

    def _failed(self, failure: Failure) -> None:
        """The ``failed`` progress event, once no attempt is left (a retried one is not)."""
        if self._failed_at is not None:
            step, started = self._failed_at
            elapsed = time.perf_counter() - started
            self.progress("failed", step, {"error": failure, "duration": elapsed})

    def _back_off(self, pause: float, failure: Failure) -> None:
        """Wait ``pause`` seconds before the next attempt, unless the run is cancelled in the
        meantime (its session is idle: ``pg_cancel_backend`` has nothing to cancel)."""
        deadline = time.monotonic() + pause
        while not self.cancelled():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, CANCEL_POLL))
        self._failed(failure)
        raise _Stop(_cancelled(failure, "while it waited to try again"))

    def _retryable(self, segment: Segment, failure: Failure, tried: int) -> bool:
        return (
            failure.sqlstate in RETRYABLE
            and tried < self.retries.count
            and segment.mode is not SegmentMode.EXTERNAL
            and not self.conn.broken
            and self._left_nothing(failure)
        )

    def _left_nothing(self, failure: Failure) -> bool:
        """Whether the statement that failed left nothing a new attempt would trip on: a
        concurrent index build leaves an INVALID index, which only a named CREATE INDEX
        CONCURRENTLY can find and drop again (an unnamed one gets a new name each time, a
        REINDEX CONCURRENTLY its ``_ccnew`` copies)."""
        statement = failure.failed_statement
        node = statement.node if statement is not None else None
        if isinstance(node, ast.ReindexStmt):
            return not _concurrently(node.params)
        if not (isinstance(node, ast.IndexStmt) and node.concurrent):
            return True
        if not node.idxname:
            return False
        return catalog.relation_exists(self.conn, _index_name(node).as_string(self.conn)) is False

    def _again(self, part: _Part, step: Step) -> _Part:
        """The part to send for the next attempt: a no-transaction step resumes at the
        statement that stopped (the ones before it committed), without the set-up it did
        (unless the set-up is what stopped, before the step started)."""
        if part.segment.mode is not SegmentMode.NO_TRANSACTION or self._current is None:
            return part
        again = replace(step, resumed_from=self._done)
        return replace(part, segment=replace(part.segment, steps=(again,)), setup=())

    def _stopped(
        self,
        plan: Plan,
        completed: list[StepResult],
        index: int,
        ran: list[StepResult],
        failure: Failure,
    ) -> RunReport:
        segment = plan.segments[index]
        atomic = segment.mode is SegmentMode.ATOMIC and not failure.outcome_unknown
        for result in ran if atomic else ():
            self.progress("rolled back", _step_named(segment, result.name), {})

        kept = tuple(result.name for result in completed)
        failure = replace(failure, kept=kept, rolled_back=segment.names if atomic else ())
        return RunReport(plan, tuple(completed), failure, failed_segment=index)

    def _interrupted(self, segment: Segment, interruption: BaseException) -> Failure:
        """The failure an interruption leaves: the segment rolled back, or the statements of a
        no-transaction step that completed (they stay, and a later run resumes after them)."""
        step = self._current or segment.steps[0]
        failure = Failure(step.name, f"interrupted by {type(interruption).__name__}")
        self._abandon()
        if step.transactional or step.external is not None:
            return failure
        failure = partial_failure(failure, step, self._done)
        statement = self._running
        if statement is not None and not self.conn.broken and not self.conn.closed:
            failure = replace(failure, cleanup=drop_invalid_index(self.conn, statement, failure))
        return failure

    def _segment(self, segment: Segment, stream: Sequence[Command], ran: list[StepResult]) -> None:
        """Send ``stream``, appending to ``ran`` each step that ran (an atomic segment's count
        once it committed)."""
        started: dict[str, float] = {}
        self._current = None
        self._running = None
        for command in stream:
            step = command.step
            if command.kind is Kind.START:
                self._current, self._done = step, step.resumed_from
                started[step.name] = time.perf_counter()
                self.progress("start", step, {"pid": self.conn.info.backend_pid})
            elif command.kind is Kind.END:
                duration = time.perf_counter() - started[step.name]
                executor = step.external.executor if step.external else None
                ran.append(StepResult(step.name, step.direction, duration, True, executor=executor))
                self.progress("done", step, {"duration": duration})
            else:
                self._send(command, self._current or segment.steps[0], started)

    def _send(self, command: Command, step: Step, started: dict[str, float]) -> None:
        try:
            _SENDERS[command.kind](self, command, step)
        except _Stop as stop:
            failure = stop.failure
            if not step.transactional and step.external is None:
                failure = self._partial(failure, step)
            self._abandon()
            self._failed_at = (step, started.get(step.name, time.perf_counter()))
            raise _Stop(failure) from stop

    def _partial(self, failure: Failure, step: Step) -> Failure:
        """A failure of a no-transaction step says which of its statements stay."""
        if failure.completed_statements is None:
            failure = partial_failure(failure, step, self._done)
        return failure

    def _abandon(self) -> None:
        """Roll back what the failing segment left open (nothing of it commits)."""
        if self.conn.broken or self.conn.closed:
            return
        try:
            self.conn.rollback()  # sends nothing when no transaction is open
        except psycopg.Error:
            pass  # the connection is gone: nothing of the transaction committed either

    # ---- one sender per kind of command ------------------------------------------------------

    def _statement(self, command: Command, step: Step) -> None:
        statement = command.statement
        assert statement is not None
        self._running = statement
        try:
            self.conn.execute(statement.text.encode())
        except psycopg.Error as error:
            failure = failure_of(step.name, statement, error)
            if not step.transactional and not self.conn.broken:
                failure = partial_failure(failure, step, self._done)
                cleanup = drop_invalid_index(self.conn, statement, failure)
                failure = replace(failure, cleanup=cleanup)
            raise _Stop(failure) from error
        self._running = None
        self._done += 1

    def _sql(self, command: Command, step: Step) -> None:
        assert command.sql is not None
        try:
            self.conn.execute(command.sql)
        except psycopg.Error as error:
            raise _Stop(self._sql_failure(command, step, error)) from error

    def _sql_failure(self, command: Command, step: Step, error: psycopg.Error) -> Failure:
        text = command.sql.as_string(self.conn) if not self.conn.closed else ""
        if command.kind is Kind.COMMIT:
            return commit_failed(step.name, error, broken=self.conn.broken)
        what = {
            Kind.TRACK: "writing the tracking row failed",
            Kind.SETUP: "creating the tracking table failed",
            Kind.RESTORE: "restoring the run's session settings failed",
            Kind.BEGIN: "starting the transaction failed",
        }.get(command.kind, "the run's own statement failed")
        return Failure(step.name, f"{what}: {primary(error)}", text, sqlstate=error.sqlstate)

    def _verify(self, command: Command, step: Step) -> None:
        assert command.sql is not None
        try:
            cursor = self.conn.execute(command.sql)
            while cursor.nextset():  # the answer is the last statement's
                pass
            row = cursor.fetchone()
        except psycopg.Error as error:
            raise _Stop(self._sql_failure(command, step, error)) from error
        if row and row[0]:
            return
        raise _Stop(
            Failure(
                step.name,
                "the run's advisory lock was released while it ran (a statement of the migration "
                "unlocked it): the run stopped, so that no other run overlaps it.",
            )
        )

    def _external(self, command: Command, step: Step) -> None:
        assert step.external is not None
        try:
            result = run_external(step.external, cancelled=self.cancelled)
        except ExternalTimedOut as late:
            failure = Failure(
                step.name,
                f"{step.external.executor} was stopped: {late}",
                shlex.join(step.external.argv),
            )
            raise _Stop(
                failure.explained(
                    f"Its connection closed, so the server rolled back the transaction it had "
                    f"open; nothing of {step.name} stays. A migration function that never calls "
                    "back or never settles its promise waits for ever (NODE_RUN_TIMEOUT)."
                )
            ) from late
        except OSError as error:
            raise _Stop(
                Failure(
                    step.name,
                    f"{step.external.executor} could not be started: {error}",
                    shlex.join(step.external.argv),
                )
            ) from error
        if result is None:
            failure = Failure(step.name, "", shlex.join(step.external.argv))
            raise _Stop(
                _cancelled(failure, f"while {step.external.executor} ran it").explained(
                    f"{step.external.executor} was stopped: its connection closed, so the "
                    "server rolled back the transaction it had open."
                )
            )
        if result.returncode != 0:
            raise _Stop(external_failure(step.name, step.external, result))


_SENDERS: dict[Kind, Callable[[Executor, Command, Step], None]] = {
    Kind.BEGIN: Executor._sql,
    Kind.COMMIT: Executor._sql,
    Kind.SETUP: Executor._sql,
    Kind.STATEMENT: Executor._statement,
    Kind.RESTORE: Executor._sql,
    Kind.VERIFY_LOCK: Executor._verify,
    Kind.TRACK: Executor._sql,
    Kind.EXTERNAL: Executor._external,
}


# ---- failures ------------------------------------------------------------------------------------


def partial_failure(failure: Failure, step: Step, done: int) -> Failure:
    """``failure`` of a no-transaction step after ``done`` of its statements completed."""
    total = len(step.statements)
    if not done:
        note = "It runs outside a transaction; none of its statements completed."
    elif step.direction is Direction.DOWN:
        note = (
            f"It runs outside a transaction: {_ran(done)} of {total} of its down section "
            "completed and stay; it is still recorded as applied. Repair the database by hand "
            "before rolling it back again."
        )
    else:
        resume = "" if done < total else " (only its tracking row is left to write)"
        note = (
            f"It runs outside a transaction: {_ran(done)} of {total} completed and stay; it is "
            f"not recorded as applied. The next run on this database resumes at statement "
            f"{done + 1}{resume} if the file is unchanged (changed, it starts again at "
            "statement 1)."
        )
    return replace(
        failure.explained(note),
        completed_statements=done,
        total_statements=total,
        completed_hash=texts_hash(step.statements[:done]),
    )


def _ran(done: int) -> str:
    return f"statements 1 to {done}" if done > 1 else "statement 1"


def _step_named(segment: Segment, name: str) -> Step:
    return next(step for step in segment.steps if step.name == name)


def commit_failed(name: str, error: psycopg.Error, *, broken: bool) -> Failure:
    """The failure of a COMMIT: refused by the server (rolled back), or unknown (link lost)."""
    if not broken:
        return Failure(
            name, f"COMMIT failed: {primary(error)}", "COMMIT", sqlstate=error.sqlstate
        ).explained("The transaction was rolled back.")
    return Failure(
        name, primary(error), "COMMIT", sqlstate=error.sqlstate, outcome_unknown=True
    ).explained(
        "The connection failed while the transaction was being committed: whether it "
        "committed is unknown. Check the status before running anything again."
    )


class ExternalTimedOut(Exception):
    """The program ran past its command's ``timeout`` and was stopped."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no end within {seconds:g} s")
        self.seconds = seconds


def run_external(
    command: ExternalCommand, *, cancelled: Callable[[], bool] = lambda: False
) -> subprocess.CompletedProcess | None:
    """Run ``command`` to its end, with its own environment only; None when ``cancelled``
    said so first and the program was stopped (its own connection closes with it).

    Raises:
        ExternalTimedOut: it ran past ``command.timeout`` and was stopped.
    """
    deadline = None if command.timeout is None else time.monotonic() + command.timeout
    with subprocess.Popen(
        command.argv,
        env=dict(command.env),
        cwd=command.cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        while True:
            try:
                stdout, stderr = child.communicate(timeout=CANCEL_POLL)
            except subprocess.TimeoutExpired:
                late = deadline is not None and time.monotonic() > deadline
                if late or cancelled():
                    child.terminate()
                    child.communicate()
                    if late:
                        raise ExternalTimedOut(float(command.timeout or 0)) from None
                    return None
                continue
            return subprocess.CompletedProcess(command.argv, child.returncode, stdout, stderr)


def external_failure(
    name: str, command: ExternalCommand, result: subprocess.CompletedProcess
) -> Failure:
    """The failure the program printed; a line only if it gave one."""
    if command.read_failure is not None:
        found = command.read_failure(result.stdout, result.stderr)
    else:
        last = (result.stderr or result.stdout).strip().splitlines()
        found = ExternalFailure(last[-1] if last else f"exit status {result.returncode}")
    return Failure(name, found.error, found.excerpt, sqlstate=found.sqlstate)


def drop_invalid_index(
    conn: psycopg.Connection, statement: Statement, failure: Failure
) -> str | None:
    """Drop the INVALID index a failed CREATE INDEX CONCURRENTLY left, and say so.

    Only an index this very statement was building is dropped: not when the failure is that
    the name was taken (42P07), and not an unnamed one (its name is the server's choice).
    """
    node = statement.node
    if not (isinstance(node, ast.IndexStmt) and node.concurrent) or failure.sqlstate == "42P07":
        return None
    if not node.idxname:
        return (
            "An unnamed CREATE INDEX CONCURRENTLY failed: look for an INVALID index on "
            f"{node.relation.relname} (pg_index.indisvalid = false) and drop it with DROP INDEX "
            "CONCURRENTLY."
        )
    found = catalog.invalid_index(conn, _index_name(node).as_string(conn))
    if found is None:
        return None
    index = sql.Identifier(*found)
    try:
        conn.execute(sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(index))
    except psycopg.Error as error:
        return (
            f"The failed build left the INVALID index {index.as_string(conn)}, which could not "
            f"be dropped ({primary(error)}): drop it with DROP INDEX CONCURRENTLY."
        )
    return f"The INVALID index {index.as_string(conn)} the failed build left was dropped."


def _index_name(node: ast.IndexStmt) -> sql.Identifier:
    """The name of the index ``node`` builds, in the table's schema (an index's own)."""
    schema = node.relation.schemaname
    return sql.Identifier(schema, node.idxname) if schema else sql.Identifier(node.idxname)


def _concurrently(params: Sequence[ast.Node] | None) -> bool:
    """Whether a REINDEX's options hold CONCURRENTLY."""
    return any(
        isinstance(option, ast.DefElem) and option.defname == "concurrently"
        for option in params or ()
    )


def _cancelled(failure: Failure, when: str) -> Failure:
    """A run stopped on a cancel request where no statement ran to be cancelled."""
    return replace(failure, error=f"cancelled {when}", sqlstate=QUERY_CANCELED)


def failure_of(name: str, statement: Statement, error: psycopg.Error) -> Failure:
    """The failure of ``statement``, naming the file line and column PostgreSQL pointed at."""
    position = _error_position(error)
    lines = LineIndex(statement.text)
    if position is None:
        line, column = statement.line, None
    else:
        offset = min(position - 1, max(len(statement.text) - 1, 0))
        line = statement.line + lines.line_of(offset) - 1
        column = lines.column_of(offset) + (statement.column - 1 if line == statement.line else 0)
    return Failure(
        name,
        primary(error),
        excerpt(statement, line),
        line,
        column,
        error.sqlstate,
        failed_statement=statement,
    )


def excerpt(statement: Statement, line: int) -> str:
    """The statement's lines around ``line`` (a file line number), numbered like an editor."""
    text_lines = statement.text.splitlines() or [""]
    index = line - statement.line
    first = max(index - EXCERPT_CONTEXT_LINES, 0)
    last = min(index + EXCERPT_CONTEXT_LINES + 1, len(text_lines))
    return "\n".join(f"{statement.line + i:>5} | {text_lines[i]}" for i in range(first, last))


def _error_position(error: psycopg.Error) -> int | None:
    diag = getattr(error, "diag", None)
    raw = diag.statement_position if diag else None
    return int(raw) if raw else None


def primary(error: psycopg.Error) -> str:
    """PostgreSQL's primary message of ``error`` (its first line otherwise)."""
    diag = getattr(error, "diag", None)
    if diag is not None and diag.message_primary:
        return diag.message_primary
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def minimal_environment(extra: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """What a program the executor starts may see of this process: ``PATH`` and ``extra``."""
    return (("PATH", os.environ.get("PATH", os.defpath)), *extra)
