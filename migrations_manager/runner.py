"""Executes a plan on the target: advisory lock, transactions, tracking rows, progress.

A plan (``types.Plan``) is built by the services from migration files and an adapter; the runner
knows nothing of frameworks. It either executes the plan or renders it as the exact SQL text it
would send (``render``): the dry run is the run with execution switched off.

Transaction modes:
- one transaction per step (the standard mode, node-pg-migrate's default): a failure leaves the
  earlier steps applied and nothing of the failing one;
- one transaction for the whole plan (the idempotent ``run``): a failure leaves nothing;
- a step marked non-transactional runs each statement in autocommit, and writes its tracking
  rows only after its last statement succeeded;
- a step with an external command (a ``.cjs`` migration, which node-pg-migrate executes) runs
  that program, in its own session and transaction, while this runner holds the lock; it can
  join no transaction of ours.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from pglast import ast
from psycopg import sql

from .analysis.statements import LineIndex, Statement, texts_hash
from .exceptions import LockNotAcquired, MigrationFailed, UnsupportedMigration
from .introspection import catalog
from .types import ExternalCommand, ExternalFailure, Plan, RunReport, Step, StepResult

Progress = Callable[[str, Step, dict[str, Any]], None]

EXCERPT_CONTEXT_LINES = 2
LOCK_POLL_INTERVAL = 0.2


def _ignore_progress(event: str, step: Step, detail: dict[str, Any]) -> None:
    """Default progress callback: says nothing."""


class Runner:
    """Runs plans on one connection, which must be in autocommit mode."""

    def __init__(
        self,
        conn: psycopg.Connection,
        *,
        lock_key: int,
        lock_wait: float = 0.0,
        progress: Progress | None = None,
    ) -> None:
        self.conn = conn
        self.lock_key = lock_key
        self.lock_wait = lock_wait
        self.progress = progress or _ignore_progress

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the session advisory lock for the block, or raise ``LockNotAcquired``.

        The lock is tried without blocking and retried until ``lock_wait`` runs out: a waiter
        never sits in a transaction, so it can never deadlock with a CREATE INDEX CONCURRENTLY
        of the holder.
        """
        deadline = time.monotonic() + self.lock_wait
        while not catalog.try_advisory_lock(self.conn, self.lock_key):
            if time.monotonic() >= deadline:
                raise self._lock_refused()
            time.sleep(LOCK_POLL_INTERVAL)
        try:
            yield
        finally:
            if not self.conn.closed and not self.conn.broken:
                catalog.advisory_unlock(self.conn, self.lock_key)

    def _lock_refused(self) -> LockNotAcquired:
        holder = catalog.advisory_lock_holder(self.conn, self.lock_key)
        database = self.conn.info.dbname
        message = f"Another migration run holds the lock on {database}"
        if holder is None:
            return LockNotAcquired(message + ".")
        application = f", {holder.application_name}" if holder.application_name else ""
        return LockNotAcquired(
            f"{message} (pid {holder.pid}{application}).",
            pid=holder.pid,
            application=holder.application_name or None,
        )

    def execute(self, plan: Plan) -> RunReport:
        """Run ``plan``; a failing statement ends the run and is reported, never raised.

        A connection that breaks outside a statement (at BEGIN or COMMIT, or killed between
        two statements) is reported as a failure too, saying when the outcome is unknown.
        """
        _refuse_external_steps_in_a_batch(plan)
        completed: list[StepResult] = []
        try:
            if plan.single_transaction:
                return self._execute_as_one(plan, completed)
            self._run_tracking(plan.steps[0].migration.name if plan.steps else "", plan.setup)
            for step in plan.steps:
                completed.append(self._run_step(step))
            if plan.finish:
                with self.conn.transaction():
                    self._run_tracking(plan.steps[-1].migration.name, plan.finish)
        except MigrationFailed as failure:
            return RunReport(plan, tuple(completed), failure)
        except psycopg.Error as error:
            return RunReport(plan, tuple(completed), connection_lost(plan, completed, error))
        return RunReport(plan, tuple(completed))

    def _execute_as_one(self, plan: Plan, completed: list[StepResult]) -> RunReport:
        try:
            with self.conn.transaction():
                self._run_tracking(plan.steps[0].migration.name if plan.steps else "", plan.setup)
                for step in plan.steps:
                    completed.append(self._run_step(step, own_transaction=False))
                if plan.finish:
                    self._run_tracking(plan.steps[-1].migration.name, plan.finish)
        except MigrationFailed as failure:
            return RunReport(plan, (), failure)
        return RunReport(plan, tuple(completed))

    def _run_step(self, step: Step, *, own_transaction: bool = True) -> StepResult:
        self.progress("start", step, {})
        started = time.perf_counter()
        try:
            if step.external is not None:
                self._run_external(step, step.external)
            elif not step.transactional:
                self._run_statements(step)
                with self.conn.transaction():
                    self._run_tracking(step.migration.name, step.tracking)
            elif own_transaction:
                with self.conn.transaction():
                    self._run_statements(step)
                    self._run_tracking(step.migration.name, step.tracking)
            else:
                self._run_statements(step)
                self._run_tracking(step.migration.name, step.tracking)
        except MigrationFailed as failure:
            self.progress("failed", step, {"error": failure, "duration": _since(started)})
            raise
        executor = step.external.executor if step.external is not None else None
        result = StepResult(
            step.migration.name, step.direction, _since(started), ok=True, executor=executor
        )
        self.progress("done", step, {"duration": result.duration})
        return result

    def _run_external(self, step: Step, command: ExternalCommand) -> None:
        """Run ``command``; the lock stays held on this runner's session meanwhile."""
        try:
            result = run_external(command)
        except OSError as error:
            raise failure_without_line(
                step.migration.name,
                f"{command.executor} could not be started: {error}",
                shlex.join(command.argv),
            ) from error
        if result.returncode != 0:
            raise external_failure(step.migration.name, command, result)

    def _run_statements(self, step: Step) -> None:
        for index, statement in enumerate(step.statements):
            if index < step.resumed_from:
                continue  # completed by an earlier run; they stay
            try:
                self.conn.execute(statement.text.encode())
            except psycopg.Error as error:
                failure = failure_of(step.migration.name, statement, error)
                if not step.transactional:
                    self._outside_transaction_failed(step, index, failure)
                raise failure from error

    def _outside_transaction_failed(self, step: Step, index: int, failure: MigrationFailed) -> None:
        """Statements that ran before stay: say which, and clean up a failed concurrent build."""
        done = index
        failure.completed_statements = done
        failure.completed_hash = texts_hash(step.statements[:done])
        failure.total_statements = len(step.statements)
        if done:
            ran = f"statements 1 to {done}" if done > 1 else "statement 1"
            failure.explain(
                f"It runs outside a transaction: {ran} of {failure.total_statements} completed "
                "and stay; it is not recorded as applied, and the next run resumes at statement "
                f"{done + 1}."
            )
        else:
            failure.explain("It runs outside a transaction; none of its statements completed.")
        if not self.conn.broken:
            failure.cleanup = drop_invalid_index(self.conn, failure.failed_statement, failure)

    def _run_tracking(self, name: str, statements: tuple[sql.Composable, ...]) -> None:
        for statement in statements:
            try:
                self.conn.execute(statement)
            except psycopg.Error as error:
                raise failure_without_line(
                    name,
                    f"writing the tracking row failed: {_primary(error)}",
                    statement.as_string(self.conn),
                    error.sqlstate,
                ) from error


def _refuse_external_steps_in_a_batch(plan: Plan) -> None:
    """An external step commits in its own session and writes its own row: it can neither join
    one transaction of ours nor have its row written again with the batch's (``Plan.finish``)."""
    external = [step.migration.name for step in plan.steps if step.external is not None]
    if external and (plan.single_transaction or plan.finish):
        raise UnsupportedMigration(
            f"{external[0]} runs in its executor's own session and transaction, which writes "
            "its tracking row: it cannot join a batch.",
            names=external,
        )


def run_external(command: ExternalCommand) -> subprocess.CompletedProcess:
    """Run ``command`` to its end (no timeout: a migration takes the time it takes)."""
    return subprocess.run(
        command.argv,
        env={**os.environ, **dict(command.env)},
        cwd=command.cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def external_failure(
    name: str, command: ExternalCommand, result: subprocess.CompletedProcess
) -> MigrationFailed:
    """A ``MigrationFailed`` from what the program printed; a line only if it gave one."""
    if command.read_failure is not None:
        found = command.read_failure(result.stdout, result.stderr)
    else:
        last = (result.stderr or result.stdout).strip().splitlines()
        found = ExternalFailure(last[-1] if last else f"exit status {result.returncode}")
    return failure_without_line(name, found.error, found.excerpt, found.sqlstate)


def failure_without_line(
    name: str, error: str, statement: str, sqlstate: str | None = None
) -> MigrationFailed:
    """A ``MigrationFailed`` that no file line can be given for."""
    return MigrationFailed(
        name=name, error=error, statement=statement, line=None, column=None, sqlstate=sqlstate
    )


def connection_lost(
    plan: Plan, completed: list[StepResult], error: psycopg.Error
) -> MigrationFailed:
    """The failure of a transaction's BEGIN / COMMIT / ROLLBACK: the link broke there."""
    index = min(len(completed), len(plan.steps) - 1)
    name = plan.steps[index].migration.name if plan.steps else ""
    failure = failure_without_line(name, _primary(error), "COMMIT", error.sqlstate)
    failure.explain(
        "The connection failed while the transaction was being committed: whether it "
        "committed is unknown. Check the status before running anything again."
    )
    return failure


def drop_invalid_index(
    conn: psycopg.Connection, statement: Statement, failure: MigrationFailed
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
    schema = node.relation.schemaname
    name = sql.Identifier(schema, node.idxname) if schema else sql.Identifier(node.idxname)
    found = catalog.invalid_index(conn, name.as_string(conn))
    if found is None:
        return None
    index = sql.Identifier(*found)
    try:
        conn.execute(sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(index))
    except psycopg.Error as error:
        return (
            f"The failed build left the INVALID index {index.as_string(conn)}, which could not "
            f"be dropped ({_primary(error)}): drop it with DROP INDEX CONCURRENTLY."
        )
    return f"The INVALID index {index.as_string(conn)} the failed build left was dropped."


def failure_of(name: str, statement: Statement, error: psycopg.Error) -> MigrationFailed:
    """A ``MigrationFailed`` naming the file line and column PostgreSQL pointed at."""
    position = _error_position(error)
    lines = LineIndex(statement.text)
    if position is None:
        line, column = statement.line, None
    else:
        offset = min(position - 1, max(len(statement.text) - 1, 0))
        line = statement.line + lines.line_of(offset) - 1
        column = lines.column_of(offset) + (statement.column - 1 if line == statement.line else 0)
    failure = MigrationFailed(
        name=name,
        error=_primary(error),
        statement=excerpt(statement, line),
        line=line,
        column=column,
        sqlstate=error.sqlstate,
    )
    failure.failed_statement = statement
    return failure


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


def _primary(error: psycopg.Error) -> str:
    diag = getattr(error, "diag", None)
    if diag is not None and diag.message_primary:
        return diag.message_primary
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _since(started: float) -> float:
    return time.perf_counter() - started


def render(plan: Plan, conn: psycopg.Connection | None = None) -> str:
    """The exact SQL the runner would send for ``plan``, with transaction boundaries."""
    parts: list[str] = ["BEGIN;"] if plan.single_transaction else []
    parts.extend(_as_text(statement, conn) + ";" for statement in plan.setup)
    for step in plan.steps:
        parts.append(f"-- {step.migration.name} ({step.direction})")
        own = step.transactional and not plan.single_transaction
        if step.external is not None:
            parts.append(f"-- executed by {step.external.executor}, in its own session:")
            parts.append(f"--   {shlex.join(step.external.argv)}")
        if own:
            parts.append("BEGIN;")
        if not step.transactional:
            parts.append("-- runs outside a transaction (each statement commits by itself)")
        if step.resumed_from:
            parts.append(
                f"-- resumes at statement {step.resumed_from + 1}: the first "
                f"{step.resumed_from} completed in an earlier run that failed"
            )
        parts.extend(statement.text + ";" for statement in step.statements[step.resumed_from :])
        parts.extend(_as_text(tracking, conn) + ";" for tracking in step.tracking)
        if own:
            parts.append("COMMIT;")
    if plan.finish:
        parts.append("-- tracking")
        own = not plan.single_transaction
        parts.extend(["BEGIN;"] if own else [])
        parts.extend(_as_text(tracking, conn) + ";" for tracking in plan.finish)
        parts.extend(["COMMIT;"] if own else [])
    if plan.single_transaction:
        parts.append("COMMIT;")
    return "\n".join(parts) + "\n"


def _as_text(statement: sql.Composable, conn: psycopg.Connection | None) -> str:
    return statement.as_string(conn)
