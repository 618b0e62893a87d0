"""The target as a scrape sees it: every migration's state and who holds the run's lock, read
in one short session that never queues behind a run."""

from __future__ import annotations

from dataclasses import dataclass

from .. import db
from ..conf import app_settings
from ..exceptions import MigrationsManagerError
from ..introspection import catalog
from ..introspection.catalog import LockHolder
from ..types import StatusReport
from .common import resolve_tracking, status_of


@dataclass(frozen=True)
class TargetHealth:
    """``status`` and the run lock's ``holder`` (None: free), or the ``error`` that stopped
    the reading (an unreachable target, a statement over budget)."""

    status: StatusReport | None
    holder: LockHolder | None = None
    error: str | None = None

    @property
    def up(self) -> bool:
        return self.error is None


def target_health(*, budget: str = "2s") -> TargetHealth:
    """Read the target within ``budget`` per statement (and per lock wait)."""
    try:
        with db.connection(read_only=True, application_suffix=":metrics", budget=budget) as conn:
            report = status_of(conn, resolve_tracking(conn, framework=None))
            holder = catalog.advisory_lock_holder(conn, int(app_settings.ADVISORY_LOCK_KEY))
    except MigrationsManagerError as error:
        return TargetHealth(None, error=error.message)
    return TargetHealth(report, holder)
