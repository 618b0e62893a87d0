"""The ONE place where errors become HTTP answers: ``{"error": "sentence", ...}`` and a status.

Domain errors (``migrations_manager.exceptions``) know nothing of HTTP; this table gives each its
status, most specific class first. DRF's own errors (401, 403, 404, 405, 406, 413, 415, a body
that does not parse, a body the serializers refuse) keep their status and headers
(``WWW-Authenticate``) and get the same body shape. Anything else is a bug: it is left to
Django, which answers 500 without a traceback unless DEBUG is on.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions as drf
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..exceptions import (
    ApprovalRequired,
    AuditUnavailable,
    BodyTooLarge,
    ConfigurationError,
    GateRefused,
    InvalidMigrationName,
    IrreversibleMigration,
    LedgerUnreadable,
    LockNotAcquired,
    MigrationFailed,
    MigrationNotFound,
    MigrationsManagerError,
    PlanRefused,
    RequestNotFound,
    SelfApproval,
    SQLSyntaxError,
    TargetError,
    TargetNotFound,
    TargetUnavailable,
    UnsupportedMigration,
    UsageError,
)

STATUS_OF_ERROR: tuple[tuple[type[MigrationsManagerError], int], ...] = (
    (BodyTooLarge, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE),
    (InvalidMigrationName, status.HTTP_400_BAD_REQUEST),
    (MigrationNotFound, status.HTTP_404_NOT_FOUND),
    (RequestNotFound, status.HTTP_404_NOT_FOUND),
    (SelfApproval, status.HTTP_403_FORBIDDEN),
    (TargetNotFound, status.HTTP_404_NOT_FOUND),
    (UsageError, status.HTTP_400_BAD_REQUEST),
    (SQLSyntaxError, status.HTTP_400_BAD_REQUEST),
    (UnsupportedMigration, status.HTTP_400_BAD_REQUEST),
    (IrreversibleMigration, status.HTTP_400_BAD_REQUEST),
    (LockNotAcquired, status.HTTP_409_CONFLICT),
    (PlanRefused, status.HTTP_409_CONFLICT),
    (GateRefused, status.HTTP_409_CONFLICT),
    (ApprovalRequired, status.HTTP_409_CONFLICT),
    (LedgerUnreadable, status.HTTP_409_CONFLICT),
    (MigrationFailed, status.HTTP_422_UNPROCESSABLE_ENTITY),
    (TargetUnavailable, status.HTTP_503_SERVICE_UNAVAILABLE),
    (ConfigurationError, status.HTTP_503_SERVICE_UNAVAILABLE),
    # The target refused a query of the app itself (permissions...): not the request's fault.
    (TargetError, status.HTTP_503_SERVICE_UNAVAILABLE),
    (AuditUnavailable, status.HTTP_503_SERVICE_UNAVAILABLE),
    # A domain error not listed above is about what was asked, not about the server.
    (MigrationsManagerError, status.HTTP_400_BAD_REQUEST),
)

# Statuses whose body also says ``"ok": false``, like the run body a client reads there.
NOT_OK = (status.HTTP_409_CONFLICT, status.HTTP_422_UNPROCESSABLE_ENTITY)


class LengthRequired(drf.APIException):
    """A body sent without a length (chunked): the server cannot read it, so it is refused
    rather than taken for an empty one (which means "run every pending migration")."""

    status_code = status.HTTP_411_LENGTH_REQUIRED
    default_code = "length_required"
    default_detail = (
        "The request body has no Content-Length (chunked transfer encoding): this server "
        "cannot read it. Send the body with a Content-Length."
    )


class RequestTooLarge(drf.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is larger than the limit of {limit} bytes.")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """``REST_FRAMEWORK["EXCEPTION_HANDLER"]``: every error as ``{"error": ...}``."""
    if isinstance(exc, MigrationsManagerError):
        # No set_rollback() here: the audit row of a refused or failed command must stay even
        # under ATOMIC_REQUESTS.
        return domain_error_response(exc)
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = _drf_error_body(response.data)
    return response


def domain_error_response(error: MigrationsManagerError) -> Response:
    code = next(code for kind, code in STATUS_OF_ERROR if isinstance(error, kind))
    if isinstance(error, MigrationFailed):
        body = {"error": error.message, "failed": error.as_dict()}
    else:
        body = error.as_dict()
    if code in NOT_OK:
        body = {"ok": False, **body}
    return Response(body, status=code)


def _drf_error_body(data: Any) -> dict[str, Any]:
    if isinstance(data, dict) and set(data) == {"detail"}:
        return {"error": str(data["detail"])}
    # A validation error: every field's messages, and the first of them as the sentence.
    return {"error": _first_message(data), "fields": data}


def _first_message(detail: Any, path: tuple[str, ...] = ()) -> str:
    """``"migrations.0: Not a valid string."``: the first message, prefixed by where it is."""
    if isinstance(detail, dict) and detail:
        key, value = next(iter(detail.items()))
        label = () if key in ("non_field_errors", "detail") else (str(key),)
        return _first_message(value, path + label)
    if isinstance(detail, list) and detail:
        return _first_message(detail[0], path)
    where = ".".join(path)
    return f"{where}: {detail}" if where else str(detail)
