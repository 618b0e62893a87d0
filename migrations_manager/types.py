"""The frozen dataclasses and enums every layer speaks.

Services return these; the admin, the REST serializers and the command render them. Nothing here
touches a database or Django.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from psycopg import sql


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


@dataclass(frozen=True)
class DetectedTable:
    schema: str
    table: str
    framework: str

    @property
    def ref(self) -> TableRef:
        return TableRef(self.schema, self.table)


@dataclass(frozen=True)
class StatusReport:
    framework: str
    tracking_table: TableRef
    detected_tables: tuple[DetectedTable, ...]
    migrations: tuple[MigrationStatus, ...]

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

    ``argv`` is safe to show; ``env`` (added to the runner's environment) may hold the target's
    password and is never shown. ``executor`` names who guarantees the step's transaction;
    ``read_failure`` reads the program's (stdout, stderr) after a non-zero exit.
    """

    argv: tuple[str, ...]
    executor: str
    env: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    cwd: Path | None = None
    read_failure: Callable[[str, str], ExternalFailure] | None = field(
        default=None, compare=False, repr=False
    )


@dataclass(frozen=True)
class Step:
    """One unit of a plan: a migration in a direction, and the SQL it runs.

    ``statements`` are exact source texts from the file; ``tracking`` are the statements that
    write or remove the tracking row(s), composed with ``psycopg.sql``. A step with ``external``
    is executed by that command instead: its statements and tracking then describe what the
    command runs (as its own dry run printed them), and the runner sends none of them itself.
    ``resumed_from`` counts the statements of a non-transactional step that an earlier, failed
    run already completed: execution starts after them.
    """

    migration: Migration
    direction: Direction
    statements: tuple  # of analysis.statements.Statement
    tracking: tuple[sql.Composable, ...]
    transactional: bool = True
    external: ExternalCommand | None = None
    resumed_from: int = 0


@dataclass(frozen=True)
class Plan:
    """What a run will do.

    ``setup`` runs first (e.g. creating the tracking table); ``finish`` holds tracking statements
    written once for the whole plan after its last step (a batch number, a single current
    version...). ``single_transaction`` puts setup, steps and finish in one transaction.
    """

    steps: tuple[Step, ...]
    framework: str
    tracking_table: TableRef
    single_transaction: bool = False
    setup: tuple[sql.Composable, ...] = ()
    finish: tuple[sql.Composable, ...] = ()


@dataclass(frozen=True)
class StepResult:
    name: str
    direction: Direction
    duration: float
    ok: bool
    error: str | None = None
    #: The external program that ran the step in its own transaction (``None``: this runner).
    executor: str | None = None


@dataclass(frozen=True)
class RunReport:
    """What a run did: the steps that completed, and the failure that stopped it, if any."""

    plan: Plan
    completed: tuple[StepResult, ...]
    failure: object | None = None  # exceptions.MigrationFailed
    dry_run: bool = False
    sql_text: str = ""
    run_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


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
    ``statement`` / ``required_mode`` name the pending statement that would wait.
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
