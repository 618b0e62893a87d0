"""The approval policy, and what an approval binds a run to.

With ``APPROVALS = "unsafe"`` a run the safety gate would refuse becomes a change request; with
``"always"`` every run does. An approved request runs bound to the plan its approvers saw: the
run recomputes its plan under the run's lock and refuses unless the files (byte for byte), the
segments, the target and the ledger's applied set are still those of the request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..conf import app_settings
from ..exceptions import PlanRefused
from ..types import Direction, GateFinding, Plan, State, StatusReport, StepAction
from .session import Session

OFF = "off"
UNSAFE = "unsafe"
ALWAYS = "always"
POLICIES = (OFF, UNSAFE, ALWAYS)


def policy() -> str:
    """The policy in force: unset or ``off`` runs as asked; a mistyped value fails closed
    (every run needs approval), as the gate's mode does."""
    value = app_settings.APPROVALS
    if value in (None, "", OFF):
        return OFF
    return UNSAFE if value == UNSAFE else ALWAYS


def required(errors: Sequence[GateFinding]) -> bool:
    """Whether a plan the gate found ``errors`` in may only run as an approved request."""
    return policy() == ALWAYS or (policy() == UNSAFE and bool(errors))


def request_body(plan: Plan) -> dict[str, Any] | None:
    """The body of the change request that asks for ``plan``: only a run of pending migrations
    can be asked for (a roll back or a mark has no request)."""
    if not all(s.direction is Direction.UP and s.action is StepAction.APPLY for s in plan.steps):
        return None
    return {"migrations": [step.name for step in plan.steps], "reason": ""}


@dataclass(frozen=True)
class BoundPlan:
    """What an approval binds a run to; ``request_id`` names the approved request."""

    target_key: str
    files: tuple[tuple[str, str], ...]  # (name, SHA-256), in run order
    segments: tuple[tuple[str, tuple[str, ...]], ...]  # (mode, names)
    applied: tuple[str, ...]
    request_id: int | None = None
    #: The gate's findings the approvers saw (``finding_key``): the approval overrides these.
    seen: frozenset[tuple[Any, ...]] = frozenset()
    #: Run only when the gate finds nothing: the approval overrides nothing.
    only_when_safe: bool = False

    def unseen(self, errors: Sequence[GateFinding]) -> list[GateFinding]:
        """The findings of ``errors`` the approvers did not see (all of them, when the request
        runs only when safe): a blocker that came since, a new lint error..."""
        if self.only_when_safe:
            return list(errors)
        return [error for error in errors if finding_key(error) not in self.seen]


def finding_key(finding: GateFinding | dict[str, Any]) -> tuple[Any, ...]:
    """What identifies a finding of the gate across two checks of the same plan."""
    fields = ("kind", "file", "line", "rule", "message")
    if isinstance(finding, dict):
        return tuple(finding.get(name) for name in fields)
    return tuple(getattr(finding, name) for name in fields)


def bound_plan(current: Session, plan: Plan, report: StatusReport) -> BoundPlan:
    """The binding of ``plan``, computed on the session's target from its ledger ``report``."""
    return BoundPlan(
        target_key=current.target_key,
        files=tuple((step.name, step.migration.sha256) for step in plan.steps),
        segments=tuple((str(segment.mode), segment.names) for segment in plan.segments),
        applied=tuple(s.name for s in report.migrations if s.state is not State.PENDING),
    )


def refuse_unapproved(approved: BoundPlan, now: BoundPlan) -> None:
    """Refuse a run whose plan is no longer the approved one.

    Raises:
        PlanRefused: ``kind="approval"``; ``details`` says what changed.
    """
    files, hashes = dict(approved.files), dict(now.files)
    changes = {
        "target": approved.target_key != now.target_key,
        "files": sorted(n for n in files.keys() & hashes.keys() if files[n] != hashes[n]),
        "added": sorted(hashes.keys() - files.keys()),
        "gone": sorted(files.keys() - hashes.keys()),
        "segments": approved.segments != now.segments,
        "applied": sorted(set(approved.applied) ^ set(now.applied)),
    }
    details = {what: changed for what, changed in changes.items() if changed}
    if not details:
        return
    said = ", ".join(_changed(what, value) for what, value in details.items())
    raise PlanRefused(
        f"The plan is no longer the one approved ({said}): nothing ran. Ask for a new change "
        "request.",
        kind="approval",
        details=details,
    )


def _changed(what: str, value: Any) -> str:
    labels = {
        "target": "the target differs",
        "files": "changed files",
        "added": "new files",
        "gone": "files no longer to run",
        "segments": "the segments differ",
        "applied": "the ledger's applied set changed",
    }
    return labels[what] + (f": {', '.join(value)}" if isinstance(value, list) else "")
