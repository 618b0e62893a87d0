"""node-pg-migrate's own CLI, which executes the standard mode's ``.cjs`` / ``.js`` migrations.

The executor stays in charge of the order, the advisory lock, the audit log and the progress lines;
node-pg-migrate executes one file, by name, on the same tracking table, and writes its own row:

    node-pg-migrate up 1700000000000_add-users --migrations-dir DIR
        --migrations-table pgmigrations --migrations-schema public
        --database-url-var MIGRATIONS_MANAGER_TARGET_URL
        --no-lock --no-single-transaction --check-order --no-verbose

- ``--no-lock``: the executor already holds the advisory lock node-pg-migrate would take (same
  key) on its own session; node-pg-migrate trying it too would find it taken and give up.
- ``--no-single-transaction``: the migration runs in its own transaction with its tracking row
  (node-pg-migrate's per-migration mode, as ``up`` runs ``.sql`` files), and the dry run
  prints that BEGIN / COMMIT.
- The target URL travels in an environment variable, never on the command line.

Dry run: node-pg-migrate's ``--dry-run`` would create its tracking table when it is absent, and
runs the migration's function on a session that may write: a ``pgm.db.query("INSERT ...")`` in
it would write once in the dry run and again in the run. The dry run is ``node/dry_run.mjs``
instead: node-pg-migrate's own ``Migration`` class in its dry-run mode (the SQL it prints is the
SQL a run sends), on a session with ``default_transaction_read_only``, so that a write fails the
dry run instead of happening, and without node-pg-migrate's runner (no tracking table needed).

Every program started here sees only ``PATH`` and the target's URL (with the run's timeouts in
its ``options``): nothing else of this process's environment, its secrets included.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pglast import ast
from psycopg import conninfo

from .. import db
from ..analysis.statements import Statement, parse_statements
from ..exceptions import MigrationFailed
from ..executor import ExternalTimedOut, external_failure, minimal_environment, run_external
from ..types import Direction, ExternalCommand, ExternalFailure, Failure, Migration, TableRef

EXECUTOR = "node-pg-migrate"
EXECUTABLE = "node-pg-migrate"
#: Where ``make`` installs node-pg-migrate for the project (``migrations_manager/node``'s pins).
PROJECT_LOCAL_BINARY = Path("var", "node", "node_modules", ".bin", EXECUTABLE)
URL_VARIABLE = "MIGRATIONS_MANAGER_TARGET_URL"
SETTING = "MIGRATIONS_MANAGER['NODE_PG_MIGRATE']"
#: Our dry-run driver (node-pg-migrate's ``Migration`` class on a read-only session).
DRY_RUN_SCRIPT = Path(__file__).resolve().parent.parent / "node" / "dry_run.mjs"
READ_ONLY = "25006"  # SQLSTATE of a write in a read-only transaction
# Node's exit status when the module's top-level await never settled: the dry run awaited a
# migration function that never finished (a callback never called, a promise never settled).
UNSETTLED = 13
NEVER_SETTLES = (
    "its function never finishes: it takes a callback it never calls (node-pg-migrate waits "
    "for `run()` when `up` has two parameters: a Sequelize or Knex migration, not "
    "node-pg-migrate's?) or returns a promise that never settles. A run of it would wait for "
    "ever (until NODE_RUN_TIMEOUT)."
)


def locate(configured: str | os.PathLike | None, project_dir: Path) -> Path | None:
    """The node-pg-migrate executable, or ``None`` when it cannot run here.

    The configured path when set (and then only it: the setting says which one to use), else
    the project-local install (``var/node``), else ``node-pg-migrate`` on ``PATH``; the last two
    also need ``node`` on ``PATH``.
    """
    if configured:
        found = shutil.which(os.fspath(configured))
        return Path(found) if found else None
    if shutil.which("node") is None:
        return None
    local = project_dir / PROJECT_LOCAL_BINARY
    found = shutil.which(os.fspath(local)) or shutil.which(EXECUTABLE)
    return Path(found) if found else None


def missing_sentence(names: Sequence[str], configured: str | os.PathLike | None) -> str:
    """Why the JavaScript migrations ``names`` cannot run, and what to install."""
    if len(names) == 1:
        what = f"{names[0]} is a JavaScript migration: it needs"
    else:
        what = f"{len(names)} JavaScript migrations ({', '.join(names)}) need"
    if configured:
        found = f"{SETTING} is {os.fspath(configured)!r}, which is not an executable file"
    else:
        found = f"neither {PROJECT_LOCAL_BINARY} nor node-pg-migrate on PATH was found with Node.js"
    return (
        f"{what} node-pg-migrate (Node.js and the node-pg-migrate npm package) to run, and "
        f"{found}. Install Node.js and npm, then run `make node-tools` (it installs "
        f"node-pg-migrate into var/node), or set {SETTING} to a node-pg-migrate executable."
    )


@dataclass(frozen=True)
class PrintedSql:
    """What node-pg-migrate's dry run prints for one migration, split on PostgreSQL's parser.

    ``statements`` are the migration's own, without node-pg-migrate's BEGIN / COMMIT (then
    ``transactional``) and without its tracking row (the adapter composes the same statement).
    """

    statements: tuple[Statement, ...]
    transactional: bool


@dataclass(frozen=True)
class NodePgMigrateCli:
    """node-pg-migrate's CLI on one target, migrations directory and tracking table."""

    binary: Path
    directory: Path
    table: TableRef
    target: str  # libpq URL or conninfo of the target
    application_name: str
    session_settings: tuple[tuple[str, str], ...] = ()  # (lock_timeout, 5s)...
    #: Seconds a run's / a dry run's program may take before it is stopped (None: no limit).
    run_timeout: float | None = None
    dry_run_timeout: float | None = None

    def command(self, migration: Migration, direction: Direction) -> ExternalCommand:
        """The command that executes ``migration`` in ``direction`` and writes its row."""
        argv = (
            *(os.fspath(self.binary), direction.value, migration.identifier),
            *("--migrations-dir", os.fspath(self.directory)),
            *("--migrations-table", self.table.name, "--migrations-schema", self.table.schema),
            *("--database-url-var", URL_VARIABLE),
            *("--no-lock", "--no-single-transaction", "--check-order", "--no-verbose"),
        )
        return self._external(argv, read_only=False, timeout=self.run_timeout)

    def dry_run(
        self, migration: Migration, direction: Direction, earlier: Sequence[Migration] = ()
    ) -> PrintedSql:
        """The SQL node-pg-migrate would run for ``migration``, built by its own ``Migration``
        class in dry-run mode on a read-only session (``earlier``: the JavaScript migrations
        before it, whose ``shorthands`` it may use).

        Raises:
            MigrationFailed: the file does not load, its function threw, or it wrote to the
                database (refused: the session is read-only).
            SQLSyntaxError: what it printed does not parse.
        """
        node = shutil.which("node") or "node"
        argv = (
            node,
            os.fspath(DRY_RUN_SCRIPT),
            os.fspath(package_root(self.binary)),
            os.fspath(migration.path),
            direction.value,
            self.table.name,
            self.table.schema,
            *(os.fspath(m.path) for m in earlier),
        )
        command = self._external(argv, read_only=True, timeout=self.dry_run_timeout)
        try:
            result = run_external(command)
        except ExternalTimedOut as late:
            raise MigrationFailed(
                Failure(migration.name, f"node-pg-migrate's dry run was stopped: {late}")
            ) from late
        assert result is not None  # only a cancel request stops it, and none is given
        if result.returncode == UNSETTLED:
            raise MigrationFailed(Failure(migration.name, NEVER_SETTLES))
        if result.returncode != 0:
            failure = external_failure(migration.name, command, result)
            if failure.sqlstate == READ_ONLY:
                failure = failure.explained(
                    "Its function wrote to the database while node-pg-migrate built its SQL; the "
                    "dry run's session is read-only, so nothing was written."
                )
            raise MigrationFailed(failure)
        printed = json.loads(result.stdout.strip().splitlines()[-1])["sql"]
        statements = parse_statements(
            printed, name=f"{migration.name} (SQL printed by node-pg-migrate's dry run)"
        )
        return self._without_bookkeeping(statements, self.table.schema)

    def _external(
        self, argv: tuple[str, ...], *, read_only: bool, timeout: float | None
    ) -> ExternalCommand:
        return ExternalCommand(
            argv=argv,
            executor=EXECUTOR,
            env=minimal_environment(((URL_VARIABLE, self._url(read_only=read_only)),)),
            cwd=self.directory,
            read_failure=read_failure,
            timeout=timeout,
        )

    def _url(self, *, read_only: bool) -> str:
        settings = list(self.session_settings)
        if read_only:
            settings.append(("default_transaction_read_only", "on"))
        own = conninfo.conninfo_to_dict(self.target).get("options")
        options = [str(own)] if own else []
        options += [f"-c {name}={_escaped(str(value))}" for name, value in settings]
        query = {"application_name": self.application_name}
        if options:
            query["options"] = " ".join(options)
        return db.as_url(self.target, **query)

    def _without_bookkeeping(self, statements: list[Statement], schema: str) -> PrintedSql:
        kept = [s for s in statements if s.facts.transaction_control is None]
        if kept and _writes_row_of(kept[-1], self.table.name, schema):
            kept.pop()
        transactional = any(s.facts.transaction_control for s in statements)
        return PrintedSql(tuple(kept), transactional)


def package_root(binary: Path) -> Path:
    """The node-pg-migrate package a ``node-pg-migrate`` executable belongs to (``.bin`` holds a
    link to ``<package>/bin/node-pg-migrate.js``)."""
    return binary.resolve().parent.parent


def read_failure(stdout: str, stderr: str) -> ExternalFailure:
    """The error node-pg-migrate printed: its message, the statement it showed, the SQLSTATE.

    node-pg-migrate prints ``Error executing:``, the statement with a caret under the position
    PostgreSQL gave, then the thrown error (``error: relation "x" does not exist``, or
    ``TypeError: ...`` for a failing function) and, for a database error, its fields
    (``code: '42P01'``).
    """
    lines = stderr.splitlines()
    message = next((m for m in map(_error_message, lines) if m), None)
    if message is None:
        message = next(
            (line.strip() for line in reversed((stderr or stdout).splitlines()) if line.strip()),
            "node-pg-migrate failed without a message",
        )
    return ExternalFailure(message, _shown_statement(lines), _sqlstate(lines))


def _error_message(line: str) -> str | None:
    """``message`` of a line ``error: message`` / ``TypeError: message`` (a thrown error)."""
    kind, separator, message = line.partition(": ")
    if separator and kind.isidentifier() and kind.lower().endswith("error") and message.strip():
        return message.strip()
    return None


def _shown_statement(lines: list[str]) -> str:
    if "Error executing:" not in lines:
        return ""
    shown = lines[lines.index("Error executing:") + 1 :]
    end = shown.index("") if "" in shown else len(shown)
    return "\n".join(shown[:end])


def _sqlstate(lines: list[str]) -> str | None:
    for line in lines:
        field, _, value = line.strip().partition(": ")
        code = value.rstrip(",").strip("'")
        if field == "code" and len(code) == 5 and code.isalnum():
            return code
    return None


def _writes_row_of(statement: Statement, table: str, schema: str) -> bool:
    """Whether ``statement`` is node-pg-migrate's INSERT / DELETE of the tracking row."""
    node = statement.node
    if not isinstance(node, ast.InsertStmt | ast.DeleteStmt):
        return False
    relation = node.relation
    return relation.relname == table and relation.schemaname == schema


def _escaped(value: str) -> str:
    """A setting's value as libpq's ``options`` reads it (spaces and backslashes escaped)."""
    return value.replace("\\", "\\\\").replace(" ", "\\ ")
