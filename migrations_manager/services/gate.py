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
from ..exceptions import ApprovalRequired, GateRefused
from ..types import GateFinding, Plan, Step, StepAction
from . import approvals
from .approvals import BoundPlan
from .inspection import Analysed
from .safety import review
from .session import Session

ENFORCE = "enforce"
WARN = "warn"
MODES = (ENFORCE, WARN)


def mode() -> str:
    """The gate's mode in force: ``warn`` only when set to exactly that; anything else enforces.
    A mistyped value fails closed: ``pgmigrate`` and WSGI servers run no system checks to
    report it (E002 does where they run)."""
    return WARN if app_settings.GATE == WARN else ENFORCE


def gate(
    current: Session,
    plan: Plan,
    ledger: Sequence[GateFinding],
    *,
    reason: str,
    approval: BoundPlan | None = None,
) -> tuple[GateFinding, ...]:
    """The errors the gate finds in ``plan``, which the caller records as overridden.

    Args:
        approval: the approved change request the run executes (its plan checked already): it
            overrides the findings its approvers saw, never one that came since.

    Raises:
        ApprovalRequired: the approval policy asks for a change request, and none is approved.
        GateRefused: there are errors, the gate enforces, and ``reason`` is blank; or, for an
            approved request, errors its approvers did not see (any, if it runs only when safe).
    """
    if not plan.steps:
        return ()
    errors = findings(current, plan, ledger)
    if approval is not None:
        unseen = approval.unseen(errors)
        if unseen and (mode() == ENFORCE or approval.only_when_safe):
            raise GateRefused(unseen)
        return errors
    if approvals.required(errors):
        raise ApprovalRequired(approvals.request_body(plan), errors)
    if errors and mode() == ENFORCE and not is_reason(reason):
        raise GateRefused(errors)
    return errors


def findings(
    current: Session, plan: Plan, ledger: Sequence[GateFinding]
) -> tuple[GateFinding, ...]:
    """What the gate finds in ``plan`` now: the ledger's findings, then the review's errors."""
    analysed = [analysed_step(step) for step in plan.steps if step.action is not StepAction.RECORD]
    return (*ledger, *review(current.conn, current.info, analysed).errors)


def is_reason(text: str) -> bool:
    """Whether ``text`` says something: a word or a number (blanks, zero-width spaces and
    punctuation alone are no reason for the audit log)."""
    return any(character.isalnum() for character in text)


def analysed_step(step: Step) -> Analysed:
    """A step of the plan as the review reads it: the statements that will run (after those an
    earlier run completed, for a resumed step). A program's step (``.cjs``) is opaque: what it
    does shows only when it runs."""
    if step.external is not None:
        return Analysed(step.name, "", step.first_line, step.transactional, opaque=True)
    statements = tuple(step.statements[step.resumed_from :])
    source = step.statements[0].source if step.statements else ""
    return Analysed(step.name, source, step.first_line, step.transactional, statements)
