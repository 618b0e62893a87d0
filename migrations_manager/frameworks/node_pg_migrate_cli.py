"""node-pg-migrate's own CLI, which executes the standard mode's ``.cjs`` / ``.js`` migrations.

The runner stays in charge of the order, the advisory lock, the audit log and the progress lines;
node-pg-migrate executes one file, by name, on the same tracking table, and writes its own row:

    node-pg-migrate up 1700000000000_add-users --migrations-dir DIR
        --migrations-table pgmigrations --migrations-schema public
        --database-url-var MIGRATIONS_MANAGER_TARGET_URL
        --no-lock --no-single-transaction --check-order --no-verbose

- ``--no-lock``: the runner already holds the advisory lock node-pg-migrate would take (same
  key) on its own session; node-pg-migrate trying it too would find it taken and give up.
- ``--no-single-transaction``: the migration runs in its own transaction with its tracking row
  (node-pg-migrate's per-migration mode, as the runner runs ``.sql`` files), and the dry run
  prints that BEGIN / COMMIT.
- The target URL travels in an environment variable, never on the command line.

Dry run: node-pg-migrate's ``--dry-run`` still creates its tracking table when it is absent, and
reads the applied set from it. For ``up`` it is pointed at a temporary table (schema
``pg_temp``: private to its session, gone when it exits), so it prints a migration's up SQL
whatever the real state; for ``down`` it reads the real table in a read-only session (the
migration must be applied). Nothing persists, except what a migration function does through
``pgm.db`` itself, as in node-pg-migrate's own dry run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pglast import ast
from psycopg import conninfo

from .. import db
from ..analysis.statements import Statement, parse_statements
from ..exceptions import UsageError
from ..runner import external_failure, run_external
from ..types import Direction, ExternalCommand, ExternalFailure, Migration, TableRef

EXECUTOR = "node-pg-migrate"
EXECUTABLE = "node-pg-migrate"
#: Where ``make`` installs node-pg-migrate for the project (``migrations_manager/node``'s pins).
PROJECT_LOCAL_BINARY = Path("var", "node", "node_modules", ".bin", EXECUTABLE)
URL_VARIABLE = "MIGRATIONS_MANAGER_TARGET_URL"
SETTING = "MIGRATIONS_MANAGER['NODE_PG_MIGRATE']"
#: A schema name PostgreSQL reads as "this session's temporary schema".
TEMPORARY_SCHEMA = "pg_temp"


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

    def command(self, migration: Migration, direction: Direction) -> ExternalCommand:
        """The command that executes ``migration`` in ``direction`` and writes its row."""
        return self._command(migration, direction, self.table.schema, ("--no-verbose",))

    def dry_run(self, migration: Migration, direction: Direction) -> PrintedSql:
        """The SQL node-pg-migrate would run for ``migration``, from its ``--dry-run`` output.

        Raises:
            UsageError: a down dry run of a migration that is not applied.
            MigrationFailed: node-pg-migrate failed (loading the files, or the migration's
                function threw).
            SQLSyntaxError: what it printed does not parse.
        """
        up = direction is Direction.UP
        schema = TEMPORARY_SCHEMA if up else self.table.schema
        command = self._command(migration, direction, schema, ("--dry-run",), read_only=not up)
        result = run_external(command)
        if result.returncode != 0:
            raise external_failure(migration.name, command, result)
        printed = _printed_block(result.stdout, migration, direction)
        if printed is None:
            raise not_applied(migration)
        statements = parse_statements(
            printed, name=f"{migration.name} (SQL printed by node-pg-migrate's dry run)"
        )
        return self._without_bookkeeping(statements, schema)

    def _command(
        self,
        migration: Migration,
        direction: Direction,
        schema: str,
        extra: tuple[str, ...],
        *,
        read_only: bool = False,
    ) -> ExternalCommand:
        argv = (
            *(os.fspath(self.binary), direction.value, migration.identifier),
            *("--migrations-dir", os.fspath(self.directory)),
            *("--migrations-table", self.table.name, "--migrations-schema", schema),
            *("--database-url-var", URL_VARIABLE),
            *("--no-lock", "--no-single-transaction", "--check-order", *extra),
        )
        url = self._url(read_only=read_only)
        return ExternalCommand(
            argv=argv,
            executor=EXECUTOR,
            env=((URL_VARIABLE, url),),
            cwd=self.directory,
            read_failure=read_failure,
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
        kept = [s for s in statements if not isinstance(s.node, ast.TransactionStmt)]
        if kept and _writes_row_of(kept[-1], self.table.name, schema):
            kept.pop()
        transactional = any(isinstance(s.node, ast.TransactionStmt) for s in statements)
        return PrintedSql(tuple(kept), transactional)


def not_applied(migration: Migration) -> UsageError:
    return UsageError(
        f"{migration.name} is not applied: node-pg-migrate shows the down SQL of applied "
        "migrations only."
    )


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


def _printed_block(stdout: str, migration: Migration, direction: Direction) -> str | None:
    """The SQL node-pg-migrate printed after ``### MIGRATION <name> (UP) ###``, if it did."""
    marker = f"### MIGRATION {migration.identifier} ({direction.value.upper()}) ###"
    lines = stdout.splitlines()
    if marker not in lines:
        return None
    printed = lines[lines.index(marker) + 1 :]
    if printed and printed[-1] == "Migrations complete!":
        printed.pop()
    return "\n".join(printed).strip()


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
