"""Errors of the migrations manager.

They carry data (file, statement, line, SQLSTATE, holder pid...) and know nothing of HTTP: the
admin, the REST API and the ``pgmigrate`` command each map them to their own way of answering.
"""

from __future__ import annotations

import dataclasses
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


class GateRefused(MigrationsManagerError):
    """The safety gate refused the run before anything ran: its fresh check, inside the run's
    lock, found errors, and no reason was given to run anyway. ``errors`` are those findings
    (``types.GateFinding``)."""

    def __init__(self, errors: Sequence[Any]) -> None:
        first = errors[0]
        where = f"{first.file}, line {first.line}: " if first.file and first.line else ""
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(
            f"The safety gate refuses this run: {where}{first.message}{more} To run anyway, "
            "give a reason: it goes to the audit log with what it overrode."
        )
        self.errors = tuple(errors)

    def as_dict(self) -> dict[str, Any]:
        errors = [dataclasses.asdict(error) for error in self.errors]
        return {**super().as_dict(), "gate": {"refused": True, "errors": errors}}


class ApprovalRequired(MigrationsManagerError):
    """The approval policy makes this run a change request: nothing ran. ``request`` is the
    body of the request to create (``None`` when the command cannot be requested: only a run of
    pending migrations can), ``errors`` what the gate found (``types.GateFinding``)."""

    def __init__(self, request: dict[str, Any] | None, errors: Sequence[Any]) -> None:
        why = "the safety gate refuses it" if errors else "every run needs approval"
        how = (
            "create a change request (POST /api/migrations/requests, `pgmigrate request create`)"
            if request is not None
            else "only a run of pending migrations can be requested"
        )
        super().__init__(f"This run needs approval ({why}): {how}; nothing ran.")
        self.request = request
        self.errors = tuple(errors)

    def as_dict(self) -> dict[str, Any]:
        errors = [dataclasses.asdict(error) for error in self.errors]
        return {
            **super().as_dict(),
            "needs_approval": True,
            "request": self.request,
            "gate": {"errors": errors},
        }


class SelfApproval(MigrationsManagerError):
    """The requester of a change request tried to approve it: four eyes means two people."""


class RequestNotFound(MigrationsManagerError, LookupError):
    """No change request has that id."""


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


class TargetNotFound(MigrationsManagerError, LookupError):
    """No target of that name (neither ``default`` nor a stored one)."""


class LockNotAcquired(MigrationsManagerError):
    """Another migration run holds the advisory lock of the target database."""

    def __init__(self, message: str, *, pid: int | None = None, application: str | None = None):
        super().__init__(message)
        self.pid = pid
        self.application = application

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "holder": {"pid": self.pid, "application": self.application}}


class UnsupportedMigration(MigrationsManagerError):
    """A migration this tool cannot execute here (a ``.cjs`` without Node.js, a ``.py``, a file
    that controls its own transaction...); ``line`` is the file line at fault, when there is one."""

    def __init__(self, message: str, *, names: Sequence[str] = (), line: int | None = None) -> None:
        super().__init__(message)
        self.names = tuple(names)
        self.line = line

    def as_dict(self) -> dict[str, Any]:
        body = super().as_dict()
        if self.line is not None:
            body["file"], body["line"] = self.names[0] if self.names else None, self.line
        return body


class UnreadableMigration(MigrationsManagerError):
    """A migration file, or the framework's own index of them, that cannot be read the way its
    framework reads it (not UTF-8, not its format): refused, and nothing ran."""


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
    """A migration (or the write of its tracking row) failed on the server.

    ``failure`` (``types.Failure``) says which, what PostgreSQL said, where, and what stays.
    """

    def __init__(self, failure: Any) -> None:
        super().__init__(failure.message)
        self.failure = failure

    def as_dict(self) -> dict[str, Any]:
        return self.failure.as_dict()


class LedgerUnreadable(MigrationsManagerError):
    """A table where the tracking table should be exists, in a shape no framework writes: it is
    never taken for "no tracking table" (every migration would then run again)."""


class PlanRefused(MigrationsManagerError):
    """The plan cannot run as asked, and nothing ran: the ledger is failed, dirty or locked by
    its framework, a file changed since it was confirmed, an atomic run needs more than one
    transaction, the history would be one the framework refuses (a pending migration before a
    recorded one, or before one it depends on), a recorded migration's file is gone, or the
    framework itself refuses the folder or the history the write would leave (an order, an id
    sequence, a changed applied file). ``kind`` names which (``ledger``, ``changed``,
    ``atomic``, ``order``, ``missing``, ``framework``); for a change request, ``approval``
    (the plan is no longer the approved one), ``expired`` (its approvals or its window ran out),
    ``state`` (not pending / approved) or ``window`` (its window has not opened)."""

    def __init__(self, message: str, *, kind: str, details: Any = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {**super().as_dict(), "refused": self.kind}
        if self.details is not None:
            body["details"] = self.details
        return body


def framework_refusal(framework: str, rule: str, files: Sequence[str], message: str) -> PlanRefused:
    """The refusal of a write the framework itself would refuse (or refuse to run after):
    ``rule`` names the framework's rule (``order``, ``consecutive-ids``, ``hash``...) and
    ``files`` the files at fault, first the one to act on."""
    return PlanRefused(
        message,
        kind="framework",
        details={"framework": framework, "rule": rule, "files": list(files)},
    )
