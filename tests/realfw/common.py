"""What the interoperability tests with real frameworks share: our side of each scenario."""

from __future__ import annotations

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.types import RunReport

ACTOR = Actor(name="realfw")


def states() -> list[tuple[str, str]]:
    """Our status, as (name, state) pairs in the framework's order."""
    return [(m.name, m.state.value) for m in services.status().migrations]


def mark(name: str, framework: str | None = None) -> None:
    """Record ``name`` as applied (nothing runs) and check that a row was written."""
    result = services.mark_applied(name, actor=ACTOR, framework=framework)
    assert result.ok and result.written, result.message


def run_pending() -> RunReport:
    """Run every pending migration in one transaction and check that it succeeded."""
    report = services.run_pending(actor=ACTOR)
    assert report.ok, report.failure
    return report
