"""Errors of the migrations manager.

They carry data (file, statement, line, SQLSTATE, holder pid...) and know nothing of HTTP: the
admin, the REST API and the ``pgmigrate`` command each map them to their own way of answering.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class MigrationsManagerError(Exception):
    """Base class: ``str(error)`` is a sentence fit to show to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def as_dict(self) -> dict[str, Any]:
        """The error as the JSON body the API and ``--json`` print."""
        return {"error": self.message}


class ConfigurationError(MigrationsManagerError):
    """The project's settings cannot work (no target URL, bad directory...)."""


class TargetUnavailable(MigrationsManagerError):
    """The target PostgreSQL does not answer, refuses the connection, or dropped it."""


class TargetError(MigrationsManagerError):
    """The target refused a query of the app itself (not of a migration): permissions..."""

    def __init__(self, message: str, *, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "sqlstate": self.sqlstate}


class AuditUnavailable(MigrationsManagerError):
    """The audit log (Django's database) cannot be written: nothing may run unrecorded."""


class UsageError(MigrationsManagerError):
    """The request itself is wrong: bad count, unknown or repeated names, not pending..."""


class UnsafeRun(UsageError):
    """The safety check of the files to run is not safe, and no reason was given to run anyway;
    ``check`` is the check's report (``types.CheckReport``)."""

    def __init__(self, check: Any) -> None:
        super().__init__(
            "The safety check says NOT SAFE. To run anyway, say why: the reason goes to the "
            "audit log."
        )
        self.check = check

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "warnings": list(self.check.warnings)}


class InvalidMigrationName(UsageError, ValueError):
    """A name that can never designate a file of the migrations directory."""


class BodyTooLarge(UsageError):
    """Input larger than the ``MAX_BODY_BYTES`` setting; nothing was parsed or sent."""

    def __init__(self, *, size: int, limit: int) -> None:
        super().__init__(
            f"The SQL is {size:,} bytes long; the limit is {limit:,} bytes (MAX_BODY_BYTES)."
        )
        self.size = size
        self.limit = limit

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "limit": self.limit}


class MigrationNotFound(MigrationsManagerError, LookupError):
    """A well-formed name with no migration file behind it."""


class LockNotAcquired(MigrationsManagerError):
    """Another migration run holds the advisory lock of the target database."""

    def __init__(self, message: str, *, pid: int | None = None, application: str | None = None):
        super().__init__(message)
        self.pid = pid
        self.application = application

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "holder": {"pid": self.pid, "application": self.application}}


class UnsupportedMigration(MigrationsManagerError):
    """A migration this tool cannot execute here (a ``.cjs`` without Node.js, a ``.py``...)."""

    def __init__(self, message: str, *, names: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.names = tuple(names)


class IrreversibleMigration(MigrationsManagerError):
    """A migration asked to roll back has no down section."""


class SQLSyntaxError(MigrationsManagerError):
    """PostgreSQL's parser refused the SQL; nothing was sent to the server."""

    def __init__(
        self, message: str, *, name: str | None, line: int, column: int, position: int
    ) -> None:
        where = f"{name}, line {line}" if name else f"line {line}"
        super().__init__(f"Syntax error in {where}, column {column}: {message}")
        self.parser_message = message
        self.name = name
        self.line = line
        self.column = column
        self.position = position

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "line": self.line, "column": self.column}


class MigrationFailed(MigrationsManagerError):
    """A statement of a migration failed on the server.

    Besides the contract's fields it may carry, when they apply: how many statements of a
    migration that runs outside a transaction had completed (they stay), what was done about an
    INVALID index a failed concurrent build left, and the sessions a lock timeout waited for.
    """

    def __init__(
        self,
        *,
        name: str,
        error: str,
        statement: str,
        line: int | None,
        column: int | None,
        sqlstate: str | None,
    ) -> None:
        where = f" (line {line})" if line else ""
        super().__init__(f'Migration "{name}" failed{where}: {error}')
        self.name = name
        self.error = error
        self.statement = statement
        self.line = line
        self.column = column
        self.sqlstate = sqlstate
        self.completed_statements: int | None = None
        self.completed_hash: str | None = None  # of the completed statements' text
        self.total_statements: int | None = None
        self.cleanup: str | None = None
        self.blockers: tuple[dict[str, Any], ...] = ()
        self.failed_statement: Any = None  # analysis.statements.Statement, when known

    def explain(self, sentence: str) -> None:
        """Add a sentence to the error (what happened around the failure, what to do)."""
        self.error = f"{self.error} {sentence}"
        self.message = f"{self.message} {sentence}"

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "error": self.error,
            "statement": self.statement,
            "line": self.line,
            "column": self.column,
            "sqlstate": self.sqlstate,
        }
        if self.completed_statements is not None:
            body["completed_statements"] = self.completed_statements
            body["total_statements"] = self.total_statements
        if self.cleanup:
            body["cleanup"] = self.cleanup
        if self.blockers:
            body["blockers"] = list(self.blockers)
        return body
