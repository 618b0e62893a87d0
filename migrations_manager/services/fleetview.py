"""The fleet view: every target's status side by side, read in parallel.

A bounded pool reads the targets; each reading has its own connect timeout and statement
budget (``FLEET_STATUS_TIMEOUT``), so a dead server costs its timeout, not the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from .. import targets
from ..conf import app_settings
from ..exceptions import MigrationsManagerError
from ..targets import TargetConfig
from ..types import State, StatusReport
from .overview import status

#: The row filters of the view: which rows each keeps.
FILTERS = ("behind", "failing", "unreachable")


@dataclass(frozen=True)
class FleetRow:
    """One target: reachable or not (``error``), its framework, counts per state, the pending
    migrations (what a run would apply) and the last migration applied."""

    target: str
    tags: tuple[str, ...]
    error: str = ""
    framework: str = ""
    counts: Mapping[str, int] = field(default_factory=dict)
    pending: tuple[str, ...] = ()
    last_applied: str | None = None
    last_applied_at: datetime | None = None

    @property
    def reachable(self) -> bool:
        return not self.error

    def matches(self, which: str | None) -> bool:
        """Whether the row is kept by the filter ``which`` (None: every row)."""
        if which == "behind":
            return self.counts.get(State.PENDING, 0) > 0
        if which == "failing":
            return self.counts.get(State.FAILED, 0) > 0
        if which == "unreachable":
            return not self.reachable
        return True


def fleet_status(tag: str | None = None, which: str | None = None) -> list[FleetRow]:
    """A row per target (with ``tag`` only those carrying it), in name order, ``default``
    first; ``which`` (one of ``FILTERS``) keeps only the rows behind, failing or unreachable."""
    configs = targets.everything(tag)
    if not configs:
        return []
    timeout = float(app_settings.FLEET_STATUS_TIMEOUT)
    workers = min(int(app_settings.FLEET_POOL_SIZE), len(configs))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="truss-fleet-view") as pool:
        rows = list(pool.map(lambda config: _row(config, timeout), configs))
    return [row for row in rows if row.matches(which)]


def _row(config: TargetConfig, timeout: float) -> FleetRow:
    # libpq takes whole seconds (and at least 2) for its connect timeout.
    connect = max(2, round(timeout))
    try:
        with targets.using(config, CONNECT_TIMEOUT=connect):
            report = status(budget=f"{int(timeout * 1000)}ms")
    except MigrationsManagerError as error:
        return FleetRow(config.name, config.tags, error=error.message)
    name, at = _last_applied(report)
    pending = tuple(status.name for status in report.pending)
    return FleetRow(
        config.name, config.tags, "", report.framework, report.summary, pending, name, at
    )


def _last_applied(report: StatusReport) -> tuple[str | None, datetime | None]:
    applied = [s for s in report.migrations if s.state is not State.PENDING and s.applied_at]
    if not applied:
        return None, None
    last = max(applied, key=lambda s: (s.applied_at, s.name))
    return last.name, last.applied_at
