"""Frameworks whose migrations form a dependency graph (Alembic, Django, yoyo).

Each ``Migration`` lists in ``requires`` the identifiers the framework applies before it. Here:
the order that respects those edges, the ancestors of a migration, and the base class of the
frameworks that refuse a history where a migration is applied before one it requires.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence

from ..exceptions import PlanRefused
from ..types import Migration, MigrationStatus, State
from .base import TrackingAdapter


def topological(migrations: Sequence[Migration]) -> list[Migration]:
    """``migrations`` with each one after those it requires; otherwise the given order is kept.

    Requirements outside ``migrations`` (another project's, a deleted file) are ignored; the
    members of a cycle keep their given order after everything else.
    """
    index = {m.identifier: position for position, m in enumerate(migrations)}
    waiting = {
        m.identifier: {r for r in m.requires if r in index and r != m.identifier}
        for m in migrations
    }
    children: dict[str, list[str]] = {identifier: [] for identifier in index}
    for identifier, required in waiting.items():
        for parent in required:
            children[parent].append(identifier)
    ready = [index[i] for i, required in waiting.items() if not required]
    heapq.heapify(ready)
    ordered: list[Migration] = []
    while ready:
        migration = migrations[heapq.heappop(ready)]
        ordered.append(migration)
        for child in children[migration.identifier]:
            waiting[child].discard(migration.identifier)
            if not waiting[child]:
                heapq.heappush(ready, index[child])
    placed = {m.identifier for m in ordered}
    return ordered + [m for m in migrations if m.identifier not in placed]


def ancestors(identifiers: Iterable[str], requires: Mapping[str, Sequence[str]]) -> set[str]:
    """Every identifier reachable from ``identifiers`` through ``requires`` (themselves excluded
    unless reached again)."""
    seen: set[str] = set()
    stack = [parent for identifier in identifiers for parent in requires.get(identifier, ())]
    while stack:
        identifier = stack.pop()
        if identifier not in seen:
            seen.add(identifier)
            stack.extend(requires.get(identifier, ()))
    return seen


class DependencyGraphAdapter(TrackingAdapter):
    """Base of the frameworks that refuse a migration recorded before one it requires.

    (Django raises ``InconsistentMigrationHistory``; Alembic's heads cannot express it.)
    """

    in_order_only = True

    def check_record(
        self, statuses: Sequence[MigrationStatus], migrations: Sequence[Migration]
    ) -> None:
        known = [status.migration for status in statuses if status.migration is not None]
        requires = {m.identifier: m.requires for m in known}
        pending = {
            status.migration.identifier: status.migration.name
            for status in statuses
            if status.migration is not None and status.state is State.PENDING
        }
        chosen = {m.identifier for m in migrations}
        for migration in migrations:
            missing = sorted(
                pending[a]
                for a in ancestors([migration.identifier], requires) - chosen
                if a in pending
            )
            if missing:
                raise PlanRefused(
                    f"{self.label} applies a migration only after the ones it depends on: "
                    f"{migration.name} needs {', '.join(missing)}, which is pending. "
                    "Include it, or record it first.",
                    kind="order",
                )
