"""The safety gate: every command that changes the target checks its own plan first.

Inside the run's lock, on its connection, the plan about to execute is reviewed (``check.review``)
and the ledger read: an error-level lint finding (not silenced), a statement sure to fail against
the live schema, a session in the way of a lock the plan needs, a migration the framework
records as failed. With any of them the run is refused before anything runs, the same on every
surface, unless a reason is given; the reason and what it overrode go to the audit log. With
``GATE = "warn"`` the run goes on and the log keeps what the gate would have refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..conf import app_settings
from ..exceptions import GateRefused
from ..types import GateFinding, Plan, Step, StepAction
from .check import review
from .inspection import Analysed
from .session import Session

ENFORCE = "enforce"
WARN = "warn"
MODES = (ENFORCE, WARN)


def mode() -> str:
    """The gate's mode in force: ``enforce`` (the default) or ``warn``."""
    return str(app_settings.GATE)


def gate(
    current: Session, plan: Plan, ledger: Sequence[GateFinding], *, reason: str
) -> tuple[GateFinding, ...]:
    """The errors the gate finds in ``plan``, which the caller records as overridden.

    Raises:
        GateRefused: there are errors, the gate enforces, and ``reason`` is blank.
    """
    if not plan.steps:
        return ()
    analysed = [analysed_step(step) for step in plan.steps if _runs_statements(step)]
    errors = (*ledger, *review(current.conn, current.info, analysed).errors)
    if errors and mode() == ENFORCE and not reason.strip():
        raise GateRefused(errors)
    return errors


def _runs_statements(step: Step) -> bool:
    return step.action is StepAction.APPLY and bool(step.statements)


def analysed_step(step: Step) -> Analysed:
    """A step of the plan as the review reads it: the statements that will run."""
    first = step.statements[0]
    return Analysed(
        step.name, first.source, step.first_line, step.transactional, tuple(step.statements)
    )
