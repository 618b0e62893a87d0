"""The frozen dataclasses and enums every layer speaks.

Services return these; the admin, the REST serializers and the command render them. Nothing here
touches a database or Django.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from psycopg import sql

from .analysis.datachanges import DataChange
from .differences import Difference


class State(enum.StrEnum):
    """A migration's state against the tracking table."""

    APPLIED = "applied"
    PENDING = "pending"
    MODIFIED = "modified"
    ORPHANED = "orphaned"
    FAILED = "failed"


class Direction(enum.StrEnum):
    UP = "up"
    DOWN = "down"


@dataclass(frozen=True, order=True)
class TableRef:
    """A schema-qualified table name, as stored in the catalog (no quoting, case kept)."""

    schema: str
    name: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def identifier(self) -> sql.Identifier:
        return sql.Identifier(self.schema, self.name)


@dataclass(frozen=True)
class Section:
    """A part of a migration file that runs as SQL, with the file line it starts on."""

    text: str
    first_line: int = 1


@dataclass(frozen=True)
class Migration:
    """One migration as a framework sees it in the migrations directory.

    ``name`` is what users see and send back (never a path: it contains no separator);
    ``identifier`` is what the framework stores in its tracking table for it; ``requires`` are
    the identifiers the framework applies before it (frameworks with a dependency graph).
    """

    name: str
    identifier: str
    path: Path
    sha256: str
    sort_key: tuple = field(compare=False)
    down_path: Path | None = None
    requires: tuple[str, ...] = ()

    @property
    def extension(self) -> str:
        return self.path.suffix.lower()


@dataclass(frozen=True)
class AppliedRecord:
    """What a tracking table says about one migration, normalised across frameworks."""

    identifier: str
    applied_at: datetime | None = None
    stored_hash: str | None = None
    failed: bool = False
    detail: str | None = None


@dataclass(frozen=True)
class MigrationStatus:
    name: str
    state: State
    applied_at: datetime | None
    stored_hash: str | None
    file_hash: str | None
    migration: Migration | None = field(default=None, compare=False, repr=False)
    detail: str | None = None
    #: Where the record comes in the framework's own reading of its table (its history
    #: order, e.g. node-pg-migrate's ``run_on, id``); None when nothing is recorded.
    position: int | None = field(default=None, compare=False)
    #: What an applied file was compared with: ``framework`` (the checksum its framework
    #: stored), ``recorded`` (for a ledger without one: the SHA-256 this tool recorded when it
    #: applied or marked the file on this target), ``unavailable`` (no ledger checksum, and
    #: applied by another tool); None when nothing is recorded or the file is gone.
    compared_with: str | None = None


@dataclass(frozen=True)
class DetectedTable:
    schema: str
    table: str
    framework: str

    @property
    def ref(self) -> TableRef:
        return TableRef(self.schema, self.table)


@dataclass(frozen=True)
class StatusWarning:
    """Something about the ledger or the directory that makes the states doubtful:
    ``unknown-ledger`` (a table like a ledger no adapter reads), ``ambiguous-ledger`` (several
    ledgers the directory's files do not tell apart) or ``no-migrations`` (the directory has
    none while the ledger has rows: the wrong directory?)."""

    kind: str
    message: str


@dataclass(frozen=True)
class StatusReport:
    framework: str
    tracking_table: TableRef
    detected_tables: tuple[DetectedTable, ...]
    migrations: tuple[MigrationStatus, ...]
    warnings: tuple[StatusWarning, ...] = ()
    #: Why ``tracking_table`` is the one in use (pinned, the only one, the directory's...).
    reason: str = ""

    def count(self, state: State) -> int:
        return sum(1 for status in self.migrations if status.state is state)

    @property
    def summary(self) -> dict[str, int]:
        return {state.value: self.count(state) for state in State}

    @property
    def pending(self) -> list[MigrationStatus]:
        return [status for status in self.migrations if status.state is State.PENDING]


@dataclass(frozen=True)
class ExternalFailure:
    """What an external program said when it failed: the error, the statement it showed."""

    error: str
    excerpt: str = ""
    sqlstate: str | None = None


@dataclass(frozen=True)
class ExternalCommand:
    """A program that executes a step by itself: its own session, transaction and tracking row.

    ``argv`` is safe to show; ``env`` (the whole environment the program gets) may hold the target's
    password and is never shown. ``executor`` names who guarantees the step's transaction;
    ``read_failure`` reads the program's (stdout, stderr) after a non-zero exit; past
    ``timeout`` seconds the program is stopped (its connection closes, its transaction rolls
    back).
    """

    argv: tuple[str, ...]
    executor: str
    env: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    cwd: Path | None = None
    read_failure: Callable[[str, str], ExternalFailure] | None = field(
        default=None, compare=False, repr=False
    )
    #: Seconds after which the program is stopped (None: no limit).
    timeout: float | None = None


class StepAction(enum.StrEnum):
    """What a step does to the target."""

    APPLY = "apply"  # run its statements (up or down), then write or remove its row(s)
    RECORD = "record"  # only write its row(s): mark-applied
    EXTERNAL = "external"  # a program runs it and writes its row (a node-pg-migrate .cjs file)


class SegmentMode(enum.StrEnum):
    """How a segment of a plan commits."""

    ATOMIC = "atomic"  # one transaction: its steps and their rows commit together, or nothing
    NO_TRANSACTION = "no-transaction"  # statement by statement; its rows after the last one
    EXTERNAL = "external"  # a program's own session and transaction


@dataclass(frozen=True)
class Step:
    """One migration of a plan, in one direction.

    ``statements`` are exact source texts from the file (a self-wrapping ``BEGIN`` / ``COMMIT``
    left out, their lines in ``absorbed``). A step with ``external`` is executed by that
    command: its statements then show what the command runs (as its own dry run printed them),
    and the executor sends none of them. ``resumed_from`` counts the statements of a
    no-transaction step that an earlier, failed run on the same target already completed.
    """

    migration: Migration
    direction: Direction
    statements: tuple  # of analysis.statements.Statement
    action: StepAction = StepAction.APPLY
    transactional: bool = True
    external: ExternalCommand | None = None
    resumed_from: int = 0
    absorbed: tuple[int, ...] = ()
    first_line: int = 1  # of the section the statements come from

    @property
    def name(self) -> str:
        return self.migration.name


@dataclass(frozen=True)
class Segment:
    """Consecutive steps that commit the same way.

    ``tracking`` writes (or removes) the rows of the segment's migrations, once for the whole
    segment (batch numbers and single-version frameworks need to see it whole): inside the
    transaction of an atomic segment, in a transaction after the statements of a
    no-transaction one. An external segment's rows are written by its program: ``tracking``
    then only shows them.
    """

    mode: SegmentMode
    steps: tuple[Step, ...]
    tracking: tuple[sql.Composable, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(step.name for step in self.steps)


@dataclass(frozen=True)
class Plan:
    """What a run will do: segments of steps, executed in order, each committing as its mode
    says. ``setup`` (creating the tracking table) runs in the first segment's transaction."""

    segments: tuple[Segment, ...]
    framework: str
    tracking_table: TableRef
    setup: tuple[sql.Composable, ...] = ()

    @property
    def steps(self) -> tuple[Step, ...]:
        return tuple(step for segment in self.segments for step in segment.steps)

    @property
    def atomic(self) -> bool:
        """True when the whole plan commits at once (the seed's "entire batch" promise)."""
        return len(self.segments) <= 1 and all(
            segment.mode is SegmentMode.ATOMIC for segment in self.segments
        )


@dataclass(frozen=True)
class StepResult:
    name: str
    direction: Direction
    duration: float
    ok: bool
    error: str | None = None
    #: The external program that ran the step in its own transaction (``None``: this executor).
    executor: str | None = None


@dataclass(frozen=True)
class Failure:
    """Why a run stopped: the migration, what PostgreSQL (or the program) said, and where.

    Built once by the executor; the services add facts with ``dataclasses.replace`` (the
    sessions a lock timeout waited for...). ``notes`` are sentences that follow the error;
    ``kept`` the migrations that earlier segments committed and that stay applied,
    ``rolled_back`` those whose work the failing segment's rollback undid. ``completed_*``
    describe a no-transaction step that stopped part-way (its completed statements stay).
    """

    name: str
    error: str
    statement: str = ""
    line: int | None = None
    column: int | None = None
    sqlstate: str | None = None
    notes: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()
    rolled_back: tuple[str, ...] = ()
    outcome_unknown: bool = False
    completed_statements: int | None = None
    total_statements: int | None = None
    completed_hash: str | None = None
    cleanup: str | None = None
    blockers: tuple[dict, ...] = ()
    #: The attempts before this one that a lock timeout or a deadlock ended (retried).
    attempts: tuple[Failure, ...] = ()
    failed_statement: object | None = field(default=None, compare=False, repr=False)

    @property
    def explanation(self) -> str:
        """The error and the sentences that explain it."""
        return " ".join((self.error, *self.notes))

    @property
    def message(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f'Migration "{self.name}" failed{where}: {self.explanation}'

    def explained(self, *sentences: str) -> Failure:
        return replace(self, notes=(*self.notes, *sentences))

    def as_dict(self) -> dict:
        """The one rendering of a failure: API, ``--json``, the admin and the audit log."""
        body: dict = {
            "name": self.name,
            "error": self.explanation,
            "statement": self.statement,
            "line": self.line,
            "column": self.column,
            "sqlstate": self.sqlstate,
            "kept": list(self.kept),
            "rolled_back": list(self.rolled_back),
            "outcome_unknown": self.outcome_unknown,
        }
        if self.completed_statements is not None:
            body["completed_statements"] = self.completed_statements
            body["total_statements"] = self.total_statements
        if self.cleanup:
            body["cleanup"] = self.cleanup
        if self.blockers:
            body["blockers"] = list(self.blockers)
        if self.attempts:
            body["attempts"] = [
                {"error": attempt.explanation, "sqlstate": attempt.sqlstate, "line": attempt.line}
                for attempt in self.attempts
            ]
        return body


@dataclass(frozen=True)
class RunReport:
    """What a run did: the steps that completed, and the failure that stopped it, if any.

    ``failed_segment`` is the index of the segment the failure stopped (``None``: none did);
    segments before it committed, those after it never started.
    """

    plan: Plan
    completed: tuple[StepResult, ...]
    failure: Failure | None = None
    failed_segment: int | None = None
    dry_run: bool = False
    sql_text: str = ""
    run_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None

    def segment_outcome(self, index: int) -> str:
        """``planned`` (dry run), ``applied``, ``rolled back``, ``failed`` or ``not run``."""
        if self.dry_run:
            return "planned"
        if self.failed_segment is None or index < self.failed_segment:
            return "applied"
        if index > self.failed_segment:
            return "not run"
        mode = self.plan.segments[index].mode
        return "rolled back" if mode is SegmentMode.ATOMIC else "failed"


# ---- pre-flight: check, preview, lint, schema detection ----------------------------------------


@dataclass(frozen=True)
class LintFinding:
    """A lint finding in a migration file: ``line`` is the file's line; ``severity`` is
    ``error`` / ``warning`` / ``notice``; ``rule`` a stable id (``MM001``...; ``MM000`` for a
    file that does not parse); ``statement`` an excerpt of the statement."""

    file: str
    line: int
    rule: str
    severity: str
    message: str
    hint: str
    statement: str = ""


@dataclass(frozen=True)
class LintReport:
    files: tuple[str, ...]
    findings: tuple[LintFinding, ...]

    @property
    def errors(self) -> int:
        return sum(1 for finding in self.findings if finding.severity == "error")


@dataclass(frozen=True)
class Blocker:
    """A live session holding or waiting for a lock that a pending statement would wait for.

    ``lock_mode`` is the session's mode on ``relation`` (SQL spelling, e.g. ``ROW EXCLUSIVE``);
    ``granted`` False means the session is itself queued for it. ``waiting_seconds`` is how long
    it has been queued (None when granted), ``xact_seconds`` how long its transaction has been
    open, ``state_seconds`` how long it has been in ``state``. ``file`` / ``line`` /
    ``statement`` / ``required_mode`` name the pending statement that would wait;
    ``application_name`` says whose session it is (this tool's own runs are never ended as
    blockers: they are cancelled).
    """

    pid: int
    state: str | None
    lock_mode: str
    relation: str
    waiting_seconds: float | None
    xact_seconds: float | None
    query: str | None
    granted: bool
    state_seconds: float | None
    file: str
    line: int
    statement: str
    required_mode: str
    application_name: str | None = None


@dataclass(frozen=True)
class GateFinding:
    """A reason the safety gate refuses a run: ``kind`` is ``lint`` (an error-level finding,
    ``rule`` its id), ``will-fail`` (a statement sure to fail against the live schema),
    ``blocker`` (a live session holding or awaiting a lock the plan needs), ``ledger`` (the
    framework records a failed or dirty migration) or ``lock`` (the framework's own migration
    lock is taken: a run of it, or a stale lock); ``hint`` says what to do."""

    kind: str
    message: str
    file: str | None = None
    line: int | None = None
    rule: str | None = None
    hint: str = ""


@dataclass(frozen=True)
class CheckReport:
    """The safety check: the seed's fields, then server version, lint findings and blockers.

    ``safe`` is True only when ``warnings`` is empty.
    """

    database: str
    user: str
    pending_count: int
    pending_files: tuple[str, ...]
    lock_count: int
    active_tx_count: int
    warnings: tuple[str, ...]
    safe: bool
    server_version: str
    lint: tuple[LintFinding, ...] = ()
    blockers: tuple[Blocker, ...] = ()
    #: What the safety gate would refuse a run of these files for (also among the warnings).
    errors: tuple[GateFinding, ...] = ()


@dataclass(frozen=True)
class Preview:
    """A migration file as it will run: its text, its sections and what the lint says of it.

    ``up`` / ``down`` are the SQL the active framework would run in each direction (None when
    the file has no such section or is not SQL); ``sql``, for a node-pg-migrate ``.cjs`` /
    ``.js`` file, is what its dry run prints (None where node-pg-migrate cannot run); ``html`` is
    the highlighted content, with line numbers, when asked for.
    """

    filename: str
    content: str
    lines: int
    up: str | None = None
    down: str | None = None
    sql: str | None = None
    html: str | None = None
    lint: tuple[LintFinding, ...] = ()
    #: A ``.cjs`` file whose SQL was not built: building it runs the file's code, and the
    #: caller may only read.
    sql_withheld: bool = False
    #: The first and last line of the file that ``up`` / ``down`` are, when a section is this
    #: file's own text (None: not a section of it, or another file's, like a ``.down.sql``).
    up_lines: tuple[int, int] | None = None
    down_lines: tuple[int, int] | None = None


@dataclass(frozen=True)
class SchemaFinding:
    """One object the SQL creates and whether the target already has it.

    ``differs`` is True when it exists but not as the SQL would make it (``reason`` says how).
    """

    type: str
    name: str
    exists: bool
    differs: bool = False
    reason: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class SchemaReport:
    findings: tuple[SchemaFinding, ...]
    all_objects_exist: bool
    some_objects_exist: bool
    recommendation: str
    #: Statements whose effect the catalog cannot show (rows, privileges, drops): with them,
    #: objects that exist never make the migration "safe" to mark as applied.
    data_changes: tuple[DataChange, ...] = ()


@dataclass(frozen=True)
class NotReplayed:
    """An applied migration drift could not replay, and why (its objects may show as extra)."""

    name: str
    reason: str


@dataclass(frozen=True)
class DriftReport:
    """How the live database differs from what its applied migrations make (``differences``:
    live is the database, expected the replay). ``replay_failure``: the replay stopped there,
    and what the later files make is not part of the expected side."""

    framework: str
    tracking_table: str
    replayed: tuple[str, ...]
    differences: tuple[Difference, ...]
    not_replayed: tuple[NotReplayed, ...] = ()
    replay_failure: str | None = None

    @property
    def drifted(self) -> bool:
        return bool(self.differences)
