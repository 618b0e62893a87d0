"""Status: every migration's state against the tracking table in use."""

from __future__ import annotations

from .. import db
from ..types import StatusReport
from .common import resolve_tracking, status_of


def status(*, framework: str | None = None, budget: str | None = None) -> StatusReport:
    """Every migration's state against the tracking table in use (detected or pinned).

    Args:
        framework: use this framework's detected table (``?framework=`` / ``--framework``).
        budget: the longest a statement or lock wait may take (``"2s"``); the query errors
            (``TargetError``) rather than wait longer.

    Raises:
        UsageError: ``framework`` is unknown, or none of its tables was detected.
        TargetUnavailable: the target does not answer.
    """
    with db.connection(read_only=True, application_suffix=":status", budget=budget) as conn:
        return status_of(conn, resolve_tracking(conn, framework=framework))
