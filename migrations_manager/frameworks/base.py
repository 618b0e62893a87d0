"""The contract every tracking-table adapter fulfils.

An adapter describes one migration framework's bookkeeping, mostly as data:

    @registry.register
    class DbmateAdapter(TrackingAdapter):
        name = "dbmate"
        label = "dbmate"
        table_names = ("schema_migrations",)
        signature = {"version": TEXT_TYPES}
        exact_columns = True

and overrides a method only where the framework's rules differ from the common case (a row per
migration, identified by the file name without extension, no checksum).

Contract, method by method:

- ``discover(directory)``: the migrations the framework reads from the directory, in the order
  the framework applies them. Names contain no path separator; identifiers are what the
  framework stores. Never raises for unrelated files: it ignores them.
- ``read_records(conn, table, migrations)``: what the table says, normalised to
  ``AppliedRecord``s, oldest first. Never creates the table; an absent table reads as ``[]``.
  Frameworks that store one current version expand it into one record per migration it covers.
- ``checksum(migration)`` / ``checksum_matches(migration, stored)``: the framework's OWN
  algorithm; ``None`` means the framework keeps no content checksum.
- ``up_section(migration)`` / ``down_section(migration)``: the SQL text to execute, with the file
  line it starts on. ``None`` for down means irreversible. Files we cannot execute raise
  ``UnsupportedMigration`` naming the framework's own command.
- ``runs_outside_transaction(migration)``: whether the framework runs the file without a
  transaction (its own marker: dbmate ``transaction:false``, goose ``NO TRANSACTION``...), on top
  of ``-- truss:no-transaction``. Such a file runs alone, statement by statement.
- ``record(table, migrations)`` / ``unrecord(table, migrations)``: the statements that write or
  remove the row(s) the framework itself writes, composed with ``psycopg.sql`` (so a dry run can
  print them and a run executes exactly those). They run inside the caller's transaction.
  ``record_marked`` is what mark-applied writes; the same rows unless the framework logs a mark
  differently from an apply (yoyo's ``_yoyo_log``). ``marked_with(migration, statuses)``: what
  the framework's own mark records along with it (yoyo's ``mark`` takes its pending
  dependencies first).
- ``check_record(statuses, migrations)``: refuse, with a sentence, what the framework cannot
  express (e.g. marking a migration applied out of order in a single-version framework), or
  would refuse to run after (node-pg-migrate's order check, postgres-migrations' ids and
  hashes); every write (run, mark-applied) goes through it.
- ``create_table(table)``: the framework's exact DDL, for frameworks the app may initialise
  (only the default, node-pg-migrate, in practice).
- ``own_lock(table, database)``: the lock the framework itself takes for its runs (advisory
  keys, or a lock row), which a run of ours takes too for its whole length; ``None`` for none.
  ``failure_blocks``: whether a migration the framework recorded as failed (dirty) stops the
  framework itself from running anything else, as it then stops us.

Adapters never read Django settings: everything they need arrives as arguments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

import psycopg
from psycopg import sql

from ..exceptions import PlanRefused, UnsupportedMigration, framework_refusal
from ..introspection.catalog import CatalogTable
from ..sources import MigrationsDirectory, read_text, runs_outside_transaction, sha256_of
from ..types import AppliedRecord, Migration, MigrationStatus, Section, State, TableRef

# format_type() spellings, grouped, for column signatures.
TEXT_TYPES = frozenset({"text", "character varying"})
INTEGER_TYPES = frozenset({"integer", "bigint", "smallint"})
TIMESTAMP_TYPES = frozenset({"timestamp without time zone", "timestamp with time zone"})


#: The name of a row whose identifying column is NULL (the framework never writes one): it
#: matches no file, so it shows as orphaned under this name.
NULL_IDENTIFIER = "(NULL)"


def stored_text(value: object) -> str:
    """A stored identifier as text, ``NULL_IDENTIFIER`` for a NULL."""
    return NULL_IDENTIFIER if value is None else str(value)


def type_family(format_type: str) -> str:
    """``character varying(255)`` → ``character varying``; ``timestamp(0) without time zone`` →
    ``timestamp without time zone``: signatures compare families, not modifiers."""
    base, _, rest = format_type.partition("(")
    if not rest:
        return format_type
    return (base + rest.partition(")")[2]).strip()


def numbered_names(migrations: Sequence[Migration]) -> sql.Composed:
    """``(VALUES (identifier, 1), ...) AS batch(name, position)``: one statement writes a batch's
    rows in file order (``ORDER BY position``) with values computed once in SQL."""
    rows = sql.SQL(", ").join(
        sql.SQL("({}, {})").format(sql.Literal(m.identifier), sql.Literal(position))
        for position, m in enumerate(migrations, start=1)
    )
    return sql.SQL("(VALUES {rows}) AS batch(name, position)").format(rows=rows)


@dataclass(frozen=True)
class FrameworkLock:
    """The lock a framework takes for its own runs.

    ``advisory_keys`` are session advisory locks (tried, never waited for); ``take`` writes a
    lock row and returns a row when it took it, ``release`` gives back only what this session
    took, ``holder`` reads who has it (one text: who, since when) while it is taken. The row
    lives in ``table``: while that table is absent there is nothing to hold (the framework
    creates it on its next run). ``release_command`` is the framework's own command that
    clears a lock a dead run left behind.
    """

    label: str
    advisory_keys: tuple[int, ...] = ()
    take: sql.Composable | None = None
    release: sql.Composable | None = None
    holder: sql.Composable | None = None
    table: TableRef | None = None
    release_command: str = ""

    @classmethod
    def row(
        cls,
        label: str,
        table: TableRef,
        *,
        take: sql.SQL,
        release: sql.SQL,
        holder: sql.SQL,
        release_command: str,
        **values: sql.Composable,
    ) -> FrameworkLock:
        """A lock row in ``table``: each statement formatted with ``{lock}`` (the table) and
        ``values``."""
        lock = table.identifier
        return cls(
            label,
            take=take.format(lock=lock, **values),
            release=release.format(lock=lock, **values),
            holder=holder.format(lock=lock, **values),
            table=table,
            release_command=release_command,
        )


class TrackingAdapter:
    """Base class: a row per migration, identified by the file name without extension."""

    name: ClassVar[str]
    label: ClassVar[str]
    #: Table names the framework uses, the default first (renames come from settings).
    table_names: ClassVar[tuple[str, ...]]
    #: Schema of the default table; ``None`` means the connection's current schema.
    default_schema: ClassVar[str | None] = "public"
    #: When set, the table is this framework's only in these schemas (Hasura's hdb_catalog...).
    only_schemas: ClassVar[frozenset[str]] = frozenset()
    #: Columns that identify the table: name -> accepted type families (``None``: any type).
    signature: ClassVar[Mapping[str, frozenset[str] | None]]
    #: True when the table has exactly these columns (a tie-breaker against look-alikes of a
    #: shared name such as ``migrations``; a name only this framework uses still matches with
    #: extra columns: a column someone added never turns the ledger into "no ledger").
    exact_columns: ClassVar[bool] = False
    #: Columns that, in a table of exactly ``signature``'s columns, make it this framework's
    #: ledger whatever its name (Knex's ``batch``, ``migration_time``): a ledger renamed in the
    #: framework's config is still found. Empty: only its names (or a config) identify it.
    key_columns: ClassVar[frozenset[str]] = frozenset()
    #: Tables that must / must not exist in the same schema for this framework to match.
    required_siblings: ClassVar[frozenset[str]] = frozenset()
    forbidden_siblings: ClassVar[frozenset[str]] = frozenset()
    #: Extensions of the migration files the framework reads, and of those we can execute.
    extensions: ClassVar[tuple[str, ...]] = (".sql",)
    executable_extensions: ClassVar[tuple[str, ...]] = (".sql",)
    #: Extensions of the files node-pg-migrate's CLI executes on the executor's behalf
    #: (``services/node.py``); only node-pg-migrate's adapter has any.
    cli_extensions: ClassVar[tuple[str, ...]] = ()
    #: The framework's own command, named when we refuse to execute one of its files.
    native_command: ClassVar[str] = ""
    #: Its command that repairs a failed or dirty record, named when we refuse to go past one.
    repair_command: ClassVar[str] = ""
    #: True when the framework refuses a history with a pending migration before an applied
    #: one (node-pg-migrate's checkOrder, Flyway's validate, single-version frameworks).
    in_order_only: ClassVar[bool] = False
    #: True when the framework reads its records in its own order (``order_by``) and requires
    #: them to be its first files, position by position, before running anything
    #: (node-pg-migrate's checkOrder, Kysely's ensureMigrationsInOrder). A record is appended
    #: to that history, so a pending file that sorts before an applied one can never be
    #: recorded: the framework would refuse the result for good.
    history_is_prefix: ClassVar[bool] = False
    #: True when the framework refuses to run anything while an applied file differs from the
    #: checksum it recorded (postgres-migrations' validateMigrationHashes): no write of ours
    #: goes past what would stop the framework's next run.
    modified_blocks: ClassVar[bool] = False
    #: True when the framework refuses to run anything while a migration is recorded as failed
    #: or dirty (golang-migrate's ``dirty``, Flyway's ``success = false``...). Otherwise a
    #: failure is only a log entry (Sqitch's ``fail`` event): the framework lists the migration
    #: as undeployed and simply tries it again, so it is pending, with the record's detail.
    failure_blocks: ClassVar[bool] = True
    #: Column holding the applied identifier, and the one holding the applied time.
    identifier_column: ClassVar[str] = "name"
    applied_at_column: ClassVar[str | None] = None
    order_by: ClassVar[tuple[str, ...]] = ()

    # ---- detection -------------------------------------------------------------------------

    def match_score(
        self,
        table: CatalogTable,
        siblings: frozenset[str],
        *,
        distinctive: bool = False,
        configured: bool = False,
    ) -> int | None:
        """How specifically ``table`` looks like this framework's table; ``None``: not at all.

        ``distinctive``: no other framework uses the table's name. ``configured``: the
        framework's config file names the table. Otherwise a table of another name is this
        framework's only by its ``key_columns`` and exactly its columns.
        """
        named = configured or table.name in self.table_names
        if not named and not self.key_columns & set(table.columns):
            return None
        if self.only_schemas and table.schema not in self.only_schemas:
            return None
        families = {column: type_family(kind) for column, kind in table.columns.items()}
        for column, accepted in self.signature.items():
            if column not in families or (
                accepted is not None and families[column] not in accepted
            ):
                return None
        if not self.required_siblings <= siblings or self.forbidden_siblings & siblings:
            return None
        exact = set(families) == set(self.signature)
        if not (exact or configured) and (not named or self.exact_columns and not distinctive):
            return None
        return (
            10 * len(self.signature)
            + (20 if configured else 10 if named else 0)
            + 5 * len(self.required_siblings)
            + 5 * len(self.only_schemas and {table.schema})
            + (3 if exact else 0)
            + (2 if table.schema == self.default_schema else 0)
        )

    def default_table(self, current_schema: str | None) -> TableRef:
        return TableRef(self.default_schema or current_schema or "public", self.table_names[0])

    # ---- files ---------------------------------------------------------------------------

    def discover(self, directory: MigrationsDirectory) -> list[Migration]:
        return [self.migration_for(path) for path in directory.files(self.extensions)]

    def migration_for(self, path) -> Migration:
        return Migration(
            name=path.name,
            identifier=self.identifier_for(path.name),
            path=path,
            sha256=sha256_of(path),
            sort_key=self.sort_key_for(path.name),
        )

    def identifier_for(self, file_name: str) -> str:
        return file_name.rsplit(".", 1)[0]

    def sort_key_for(self, file_name: str) -> tuple:
        """Where the framework puts the file among the others (its name, by default)."""
        return (file_name,)

    def up_section(self, migration: Migration) -> Section:
        self.ensure_executable(migration)
        return Section(read_text(migration.path), 1)

    def down_section(self, migration: Migration) -> Section | None:
        return None

    def runs_outside_transaction(self, migration: Migration) -> bool:
        return runs_outside_transaction(read_text(migration.path))

    def ensure_executable(self, migration: Migration) -> None:
        if migration.extension not in self.executable_extensions:
            command = f" Run it with {self.native_command}." if self.native_command else ""
            raise UnsupportedMigration(
                f"{migration.name} is a {migration.extension} migration of {self.label}: this "
                f"tool executes only {', '.join(self.executable_extensions)} files.{command}",
                names=[migration.name],
            )

    # ---- checksums -----------------------------------------------------------------------

    def checksum(self, migration: Migration) -> str | None:
        return None

    def checksum_matches(self, migration: Migration, stored: str | None) -> bool:
        expected = self.checksum(migration)
        return expected is None or stored is None or expected == stored

    # ---- the tracking table ----------------------------------------------------------------

    def read_records(
        self, conn: psycopg.Connection, table: TableRef, migrations: Sequence[Migration]
    ) -> list[AppliedRecord]:
        columns = [self.identifier_column, self.applied_at_column]
        query = sql.SQL("SELECT {columns} FROM {table} ORDER BY {order}").format(
            columns=sql.SQL(", ").join(sql.Identifier(c) if c else sql.NULL for c in columns),
            table=table.identifier,
            order=sql.SQL(", ").join(map(sql.Identifier, self.order_by or columns[:1])),
        )
        return [
            AppliedRecord(identifier=stored_text(identifier), applied_at=applied_at)
            for identifier, applied_at in conn.execute(query).fetchall()
        ]

    def record(self, table: TableRef, migrations: Sequence[Migration]) -> list[sql.Composable]:
        raise NotImplementedError

    def record_marked(
        self, table: TableRef, migrations: Sequence[Migration]
    ) -> list[sql.Composable]:
        return self.record(table, migrations)

    def unrecord(self, table: TableRef, migrations: Sequence[Migration]) -> list[sql.Composable]:
        raise UnsupportedMigration(f"Rolling back {self.label} migrations is not supported here.")

    def check_record(
        self, statuses: Sequence[MigrationStatus], migrations: Sequence[Migration]
    ) -> None:
        """Refuse what the framework cannot record, or would refuse to run after.

        With ``in_order_only``, recording ``migrations`` must not leave a pending migration
        before a recorded one (``PlanRefused``, kind ``order``: include it); with
        ``history_is_prefix`` too, the history with ``migrations`` appended must be the
        framework's first files, in its order (``PlanRefused``, kind ``framework``); with
        ``modified_blocks``, no applied file may differ from its checksum (``PlanRefused``
        too).
        """
        if self.modified_blocks:
            self._check_unmodified(statuses)
        if not self.in_order_only or not migrations:
            return
        self._check_pending_before(statuses, migrations)
        if self.history_is_prefix:
            self._check_history_prefix(statuses, migrations)

    def _check_unmodified(self, statuses: Sequence[MigrationStatus]) -> None:
        changed = [s.name for s in statuses if s.state is State.MODIFIED]
        if changed:
            raise framework_refusal(
                self.name,
                "hash",
                changed,
                f"{self.label} refuses to run anything while an applied migration differs from "
                f"the hash it recorded: {', '.join(changed)} changed since it ran. Restore the "
                "file as it ran (put a new change in a new migration), then run again.",
            )

    def _check_pending_before(
        self, statuses: Sequence[MigrationStatus], migrations: Sequence[Migration]
    ) -> None:
        chosen = {m.identifier for m in migrations}
        last = max(migrations, key=lambda m: m.sort_key)
        for status in statuses:
            migration = status.migration
            if (
                migration is not None
                and migration.identifier not in chosen
                and status.state is State.PENDING
                and migration.sort_key < last.sort_key
            ):
                raise PlanRefused(self.out_of_order_refusal(last, migration), kind="order")

    def _check_history_prefix(
        self, statuses: Sequence[MigrationStatus], migrations: Sequence[Migration]
    ) -> None:
        """Refuse, as the framework would refuse on its next run, a history (the records in
        the framework's order, then ``migrations`` appended in file order) that is not its
        first files position by position.

        Raises:
            PlanRefused: kind ``framework``, rule ``order``, naming the file out of place.
        """
        recorded = sorted((s for s in statuses if s.position is not None), key=_position)
        history = [s.migration.identifier if s.migration else s.name for s in recorded]
        history += [m.identifier for m in sorted(migrations, key=lambda m: m.sort_key)]
        files = [s for s in statuses if s.migration is not None]
        for ran, expected in zip(history, files, strict=False):
            assert expected.migration is not None
            if ran != expected.migration.identifier:
                raise self._history_refusal(ran, expected)

    def _history_refusal(self, ran: str, expected: MigrationStatus) -> Exception:
        if expected.state is State.PENDING:
            return framework_refusal(
                self.name,
                "order",
                [expected.name, ran],
                f"{self.label} refuses to run while {expected.name}, not run, precedes {ran}, "
                f"already run. Recording {expected.name} now would put it after {ran} in "
                f"{self.label}'s history, which {self.label} refuses for good: rename "
                f"{expected.name} so that it sorts after the last applied migration.",
            )
        return framework_refusal(
            self.name,
            "order",
            [expected.name, ran],
            f"{self.label} refuses its recorded history: {ran} is recorded where "
            f"{expected.name} comes in file order. Repair the tracking table first.",
        )

    def out_of_order_refusal(self, recorded: Migration, pending: Migration) -> str:
        """The sentence refusing to record ``recorded`` while the earlier ``pending`` is not."""
        return (
            f"{self.label} applies migrations in order: recording {recorded.name} while "
            f"{pending.name} is pending would leave a history {self.label} refuses. "
            f"Include {pending.name}, or record it first."
        )

    def marked_with(
        self, migration: Migration, statuses: Sequence[MigrationStatus]
    ) -> list[Migration]:
        """What the framework's own mark command records when asked for ``migration``, in the
        order it writes them: the migration alone, unless the framework takes more with it."""
        return [migration]

    def own_lock(self, table: TableRef, database: str) -> FrameworkLock | None:
        return None

    def create_table(self, table: TableRef) -> list[sql.Composable]:
        raise UnsupportedMigration(
            f"{self.label}'s tracking table {table} does not exist; let {self.label} create it."
        )

    # ---- state -----------------------------------------------------------------------------

    def statuses(
        self, migrations: Sequence[Migration], records: Sequence[AppliedRecord]
    ) -> list[MigrationStatus]:
        """Each migration's state, then the orphaned records, oldest first (a failure the
        framework only logs recorded nothing: no orphan of it)."""
        by_identifier = {record.identifier: record for record in records}
        positions = {record.identifier: index for index, record in enumerate(records)}
        known = set()
        result = []
        for migration in migrations:
            known.add(migration.identifier)
            status = self._status_of(migration, by_identifier.get(migration.identifier))
            result.append(replace(status, position=positions.get(migration.identifier)))
        result.extend(
            MigrationStatus(
                record.identifier,
                State.ORPHANED,
                record.applied_at,
                record.stored_hash,
                None,
                detail=record.detail,
                position=positions[record.identifier],
            )
            for record in records
            if record.identifier not in known and (self.failure_blocks or not record.failed)
        )
        return result

    def _status_of(self, migration: Migration, record: AppliedRecord | None) -> MigrationStatus:
        if record is not None and record.failed and not self.failure_blocks:
            return self._retried(migration, record)
        detail = record.detail if record else None
        if record is None:
            state = State.PENDING
        elif record.failed:
            state = State.FAILED
        else:
            matches, note = self._checksum_verdict(migration, record.stored_hash)
            state = State.APPLIED if matches else State.MODIFIED
            detail = detail or note
        return MigrationStatus(
            name=migration.name,
            state=state,
            applied_at=record.applied_at if record else None,
            stored_hash=record.stored_hash if record else None,
            file_hash=migration.sha256,
            migration=migration,
            detail=detail,
        )

    def _retried(self, migration: Migration, record: AppliedRecord) -> MigrationStatus:
        """A migration whose failure the framework only logged: pending, nothing applied."""
        detail = f"{record.detail}; {self.label} runs it again" if record.detail else None
        return MigrationStatus(
            migration.name, State.PENDING, None, None, migration.sha256, migration, detail
        )

    def _checksum_verdict(
        self, migration: Migration, stored: str | None
    ) -> tuple[bool, str | None]:
        """Whether the file still matches its row, and why not when that cannot be said."""
        try:
            return self.checksum_matches(migration, stored), None
        except UnicodeDecodeError:
            # The framework decodes the file to checksum it and fails the same way: whatever
            # was recorded, this file is not what it ran.
            return False, f"{migration.name} is not valid UTF-8: its checksum cannot be computed"


def _position(status: MigrationStatus) -> int:
    assert status.position is not None
    return status.position
