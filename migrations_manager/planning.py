"""The planner: migrations become a ``Plan`` of steps grouped in segments, before anything runs.

A segment is consecutive steps that commit the same way (``types.SegmentMode``):

- ``atomic``: consecutive files that can run in a transaction share one, with their tracking
  rows (``Grouping.BATCH``: the idempotent run, mark-applied), or each file has its own
  (``Grouping.EACH``: ``up`` / ``down`` / ``redo``, node-pg-migrate's per-migration mode);
- ``no-transaction``: a file that cannot run in a transaction, because it says so (a directive
  of ours or of its framework) or because PostgreSQL refuses one of its statements inside one
  (``CREATE INDEX CONCURRENTLY``, ``VACUUM``, ``ALTER SYSTEM``...), runs alone, statement by
  statement;
- ``external``: a ``.cjs`` file that node-pg-migrate executes in its own session.

Transaction control inside a file is decided here too. A file whose only transaction-control
statements are a leading ``BEGIN`` and a trailing ``COMMIT`` wraps itself: the two are left out
and the file joins its segment's transaction. Any other ``BEGIN``, ``COMMIT``, ``ROLLBACK``,
``SAVEPOINT``, ``PREPARE TRANSACTION``..., and whatever releases the run's advisory lock
(``DISCARD ALL``, ``pg_advisory_unlock_all()``), is refused with its file and line.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from psycopg import sql

from .analysis.statements import Statement
from .exceptions import UnsupportedMigration
from .frameworks.base import TrackingAdapter
from .types import Direction, Plan, Segment, SegmentMode, Step, StepAction, TableRef

#: The wrapper a file may carry around itself (``START TRANSACTION`` / ``END`` included).
OPENING = ("begin", "start")
CLOSING = ("commit",)


class Grouping(enum.Enum):
    """How transactional steps share transactions."""

    BATCH = "batch"  # consecutive transactional steps form one atomic segment
    EACH = "each"  # every step is a segment of its own


@dataclass(frozen=True)
class Shape:
    """A section's statements as they will run: ``statements`` without the self-wrapping
    ``BEGIN`` / ``COMMIT`` (their lines in ``absorbed``); ``wrapped`` when there was one."""

    statements: tuple[Statement, ...]
    absorbed: tuple[int, ...] = ()

    @property
    def wrapped(self) -> bool:
        return bool(self.absorbed)


def shape(statements: Sequence[Statement], name: str) -> Shape:
    """The statements of ``name`` as the run sends them, or a refusal naming the line.

    Raises:
        UnsupportedMigration: transaction control other than a self-wrapping BEGIN … COMMIT, a
            statement that releases the run's lock, a COPY through the client (STDIN / STDOUT),
            or a statement PostgreSQL refuses inside the file's own transaction.
    """
    for statement in statements:
        _refuse_unsendable(statement, name)
    controls = [s for s in statements if s.facts.transaction_control]
    if not controls:
        return Shape(tuple(statements))
    stray = _stray(statements, controls)
    if stray is not None:
        unclosed = stray is statements[0] and _is(stray, OPENING)
        raise _refused(
            name,
            stray,
            (
                "opens a transaction the file never commits (its last statement is no COMMIT). "
                if unclosed
                else "controls the transaction itself. "
            )
            + "A migration may wrap itself in one plain BEGIN … COMMIT (its first and last "
            "statements), which the run absorbs; any other transaction control would split or "
            "undo the run's own transaction.",
        )
    inner = tuple(statements[1:-1])
    inside = next((s for s in inner if s.no_transaction), None)
    if inside is not None:
        raise _refused(
            name,
            inside,
            "cannot run inside a transaction block, and the file wraps itself in BEGIN … COMMIT: "
            "PostgreSQL would refuse it. Remove the BEGIN and COMMIT.",
        )
    return Shape(inner, (statements[0].line, statements[-1].line))


def _refuse_unsendable(statement: Statement, name: str) -> None:
    """Refuse what a run cannot send as it is: a statement that releases the run's lock, or a
    COPY whose data only an interactive client provides (the session would wait for it)."""
    if statement.facts.ends_session_state:
        raise _refused(
            name,
            statement,
            "releases every advisory lock of the session, the run's own included: another "
            "run could then start while this one goes on. Remove it (the run restores its "
            "session between migrations by itself).",
        )
    if statement.facts.client_copy:
        raise _refused(
            name,
            statement,
            "copies data through the client (STDIN or STDOUT), which only psql provides. "
            "Write the rows as INSERT statements, or COPY from a file on the server.",
        )


def _stray(statements: Sequence[Statement], controls: Sequence[Statement]) -> Statement | None:
    """The first transaction-control statement that is not part of a self-wrapping
    ``BEGIN`` … ``COMMIT``; ``None`` when the file is exactly so wrapped."""
    first, last = statements[0], statements[-1]
    opens = _is(first, OPENING)
    closes = opens and last is not first and _is(last, CLOSING)
    for statement in controls:
        if not ((statement is first and opens) or (statement is last and closes)):
            return statement
    return None if closes else first  # a BEGIN whose COMMIT is missing


def _is(statement: Statement, kinds: tuple[str, ...]) -> bool:
    return statement.facts.transaction_control in kinds and statement.facts.plain


def _refused(name: str, statement: Statement, why: str) -> UnsupportedMigration:
    first_line = statement.text.strip().splitlines()[0] if statement.text.strip() else ""
    return UnsupportedMigration(
        f"{name}, line {statement.line}: {first_line} {why} Nothing ran.",
        names=[name],
        line=statement.line,
    )


def make_plan(
    steps: Sequence[Step],
    adapter: TrackingAdapter,
    table: TableRef,
    *,
    grouping: Grouping,
    table_exists: bool,
) -> Plan:
    """``steps`` grouped in segments, each with the statements that write its rows."""
    segments = [
        Segment(mode, group, _tracking(adapter, table, group, mode))
        for mode, group in _groups(steps, grouping)
    ]
    setup = () if table_exists or not steps else tuple(adapter.create_table(table))
    return Plan(tuple(segments), adapter.name, table, setup)


def _groups(
    steps: Sequence[Step], grouping: Grouping
) -> list[tuple[SegmentMode, tuple[Step, ...]]]:
    groups: list[tuple[SegmentMode, tuple[Step, ...]]] = []
    for step in steps:
        mode = mode_of(step)
        joins = (
            grouping is Grouping.BATCH
            and mode is SegmentMode.ATOMIC
            and groups
            and groups[-1][0] is SegmentMode.ATOMIC
            and _same_kind(groups[-1][1][-1], step)
        )
        if joins:
            groups[-1] = (mode, (*groups[-1][1], step))
        else:
            groups.append((mode, (step,)))
    return groups


def mode_of(step: Step) -> SegmentMode:
    if step.action is StepAction.EXTERNAL:
        return SegmentMode.EXTERNAL
    return SegmentMode.ATOMIC if step.transactional else SegmentMode.NO_TRANSACTION


def _same_kind(left: Step, right: Step) -> bool:
    return left.action is right.action and left.direction is right.direction


def _tracking(
    adapter: TrackingAdapter, table: TableRef, steps: Sequence[Step], mode: SegmentMode
) -> tuple[sql.Composable, ...]:
    migrations = [step.migration for step in steps]
    first = steps[0]
    if first.action is StepAction.RECORD:
        return tuple(adapter.record_marked(table, migrations))
    if first.direction is Direction.UP:
        return tuple(adapter.record(table, migrations))
    return tuple(adapter.unrecord(table, migrations))
