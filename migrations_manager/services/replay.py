"""Drift: how the live database differs from what its applied migrations make.

The applied migrations are replayed, in file order and as a run executes them (``planning`` and
the ``Executor``, with the ledger's own rows), into a scratch database created for the purpose
on the target's server (or on ``DRIFT_DATABASE_URL``'s) and always dropped afterwards; then both
are read as snapshots and compared. Pending files are not drift. The whole comparison holds the
run's advisory lock (waiting up to ``LOCK_WAIT``): a run in progress is never read half-done.

Migrations made of code (a node-pg-migrate ``.cjs``, another framework's ``.py`` or ``.js``) are
not replayed: running a file's code to look at a schema is not something a reader may cause.
Each is listed with the reason, and what it created shows as extra.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import psycopg
from psycopg import conninfo

from .. import db
from ..conf import app_settings
from ..differences import Difference, differences
from ..exceptions import MigrationsManagerError
from ..executor import Executor
from ..introspection import catalog
from ..planning import Grouping, make_plan
from ..types import Direction, DriftReport, Migration, NotReplayed, State, Step
from .common import build_step, status_of
from .session import Session, session

_APPLIED = (State.APPLIED, State.MODIFIED)
CODE = "a code migration: drift never runs a file's code, what it created shows as extra"


def drift(*, framework: str | None = None) -> DriftReport:
    """Replay the applied migrations into a scratch database and compare it with the target.

    Raises:
        LockNotAcquired: a run holds the lock for longer than ``LOCK_WAIT``.
        TargetUnavailable / TargetError: the target, or the scratch database's server, cannot
            be reached or refuses (e.g. its role may not CREATE DATABASE).
    """
    with session(framework=framework, suffix=":drift") as current:
        tracking = current.tracking
        applied = [
            status.migration
            for status in status_of(current.conn, tracking).migrations
            if status.state in _APPLIED and status.migration is not None
        ]
        steps, skipped = _steps(current, sorted(applied, key=lambda m: m.sort_key))
        live = catalog.snapshot(current.conn)
        with scratch_database() as scratch:
            failure = _replay(current, scratch, steps)
            expected = catalog.snapshot(scratch)
    ledger = str(tracking.table)
    return DriftReport(
        framework=tracking.adapter.name,
        tracking_table=ledger,
        replayed=tuple(step.migration.name for step in steps),
        differences=_outside_ledger(differences(expected, live), ledger),
        not_replayed=tuple(skipped),
        replay_failure=failure,
    )


def _steps(
    current: Session, migrations: Sequence[Migration]
) -> tuple[list[Step], list[NotReplayed]]:
    """The steps that replay ``migrations``, and those that cannot be replayed."""
    adapter, steps, skipped = current.tracking.adapter, [], []
    for migration in migrations:
        if migration.extension in adapter.cli_extensions:
            skipped.append(NotReplayed(migration.name, CODE))
            continue
        try:
            steps.append(build_step(adapter, current.tracking, migration, Direction.UP))
        except MigrationsManagerError as error:
            skipped.append(NotReplayed(migration.name, error.message))
    return steps, skipped


def _replay(current: Session, scratch: psycopg.Connection, steps: Sequence[Step]) -> str | None:
    """Run ``steps`` on ``scratch`` as a run would; the failure that stopped it, if one did."""
    tracking = current.tracking
    plan = make_plan(
        steps, tracking.adapter, tracking.table, grouping=Grouping.BATCH, table_exists=False
    )
    report = Executor(scratch, settings=current.settings, lock_key=None).execute(plan)
    if report.failure is None:
        return None
    where = f", line {report.failure.line}" if report.failure.line else ""
    return f"{report.failure.name}{where}: {report.failure.error}"


@contextmanager
def scratch_database() -> Iterator[psycopg.Connection]:
    """A connection to a new empty database, dropped afterwards whatever happens (a failure,
    an interruption): on ``DRIFT_DATABASE_URL``'s server, else on the target's."""
    server = app_settings.DRIFT_DATABASE_URL or db.target_url()
    name = f"truss_drift_{uuid.uuid4().hex[:16]}"
    with db.connection(server, application_suffix=":drift") as admin:
        catalog.create_database(admin, name)
        try:
            scratch = conninfo.make_conninfo(server, dbname=name)
            with db.connection(scratch, application_suffix=":drift") as conn:
                yield conn
        finally:
            catalog.drop_database(admin, name)


def _outside_ledger(found: Sequence[Difference], ledger: str) -> tuple[Difference, ...]:
    """Differences but those of the ledger (its table, sequence, lock table...): its rows and
    the framework's own objects are the framework's business, not the migrations'."""
    return tuple(item for item in found if not item.name.startswith(ledger))
