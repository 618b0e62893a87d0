"""Change requests: a run asked for, approved by others than its requester, then executed
bound to the plan they approved, on the ordinary run path (``run_pending``).

    created = services.create_request(["002_x.sql"], actor=alice, reason="ticket 42")
    services.approve_request(created.pk, actor=bob, comment="looked at the SQL")
    report = services.execute_request(created.pk, actor=alice)

A request may carry a window: ``not_before`` / ``not_after``; ``run_due`` (the scheduler's
tick) executes the approved requests whose window is open, leaves for its next tick those the
gate or another run's lock refuses now, and expires those whose window ended.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .. import audit, targets
from ..conf import app_settings, target_name
from ..exceptions import (
    GateRefused,
    LockNotAcquired,
    MigrationsManagerError,
    PlanRefused,
    RequestNotFound,
    SelfApproval,
    UsageError,
)
from ..executor import Progress, render
from ..models import Approval, ChangeRequest
from ..types import RunReport
from .approvals import BoundPlan, bound_plan, finding_key
from .common import ledger_findings
from .execution import audited, resume_lookup, summarize
from .gate import findings, is_reason
from .idempotent import pending_plan, run_pending
from .session import session

logger = logging.getLogger(__name__)

State = ChangeRequest.State
#: Refusals of the moment: the scheduler tries the request again on its next tick.
TRANSIENT = (GateRefused, LockNotAcquired)


def create_request(
    names: Sequence[str] | None = None,
    *,
    actor: audit.Actor,
    reason: str,
    framework: str | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    only_when_safe: bool = False,
) -> ChangeRequest:
    """Ask for a run of the pending migrations (all, or ``names``): its plan, the exact SQL
    and the gate's findings now, kept for the approvers; nothing runs.

    Raises:
        UsageError: no reason, a window that ends before it starts, nothing to run, or names
            unknown / not pending.
    """
    if not is_reason(reason):
        raise UsageError("A change request needs a reason: the approvers read it.")
    if not_before and not_after and not_after <= not_before:
        raise UsageError("The window ends (not_after) before it starts (not_before).")
    with session(framework=framework, suffix=":request", lock=False) as current:
        plan, report = pending_plan(current, names, describe=True, resume=resume_lookup(current))
        if not plan.steps:
            raise UsageError("No migrations to run: there is nothing to request.")
        errors = findings(current, plan, ledger_findings(current.tracking.adapter, report))
        sql_text = render(plan, current.settings, current.lock_key, current.conn)
        bound = bound_plan(current, plan, report)
    return ChangeRequest.objects.create(
        requester=actor.user if getattr(actor.user, "pk", None) else None,
        requester_name=actor.name[:150],
        source=actor.source,
        reason=audit.storable(reason),
        target=target_name(),
        target_key=bound.target_key[:255],
        framework=framework or "",
        tracking_table=str(plan.tracking_table)[:255],
        selected=list(names) if names is not None else None,
        files=[{"name": name, "sha256": sha256} for name, sha256 in bound.files],
        segments=[{"mode": mode, "files": list(files)} for mode, files in bound.segments],
        applied=list(bound.applied),
        sql_text=audit.storable(sql_text),
        check_result={
            "safe": not errors,
            "errors": [dataclasses.asdict(error) for error in errors],
        },
        not_before=not_before,
        not_after=not_after,
        only_when_safe=only_when_safe,
    )


def list_requests(*, state: str | None = None) -> QuerySet[ChangeRequest]:
    """The change requests, newest first, with their approvals; optionally in one state."""
    requests = ChangeRequest.objects.select_related("requester").prefetch_related("approvals")
    return requests.filter(state=state) if state else requests


def get_request(request_id: int) -> ChangeRequest:
    """One change request.

    Raises:
        RequestNotFound: no request has that id.
    """
    found = list_requests().filter(pk=request_id).first()
    if found is None:
        raise RequestNotFound(f"No change request {request_id}.")
    return found


def approve_request(request_id: int, *, actor: audit.Actor, comment: str = "") -> ChangeRequest:
    """Approve a pending request; with ``APPROVERS`` approvals that have not expired, it is
    approved.

    Raises:
        SelfApproval: ``actor`` asked for it (by user, or by name from the command line).
        PlanRefused: it is not pending (``kind="state"``).
        UsageError: ``actor`` approved it already.
    """
    with transaction.atomic():
        request = _locked(request_id)
        _require_state(request, State.PENDING, "approved")
        if _is_requester(actor, request):
            raise SelfApproval(
                f"{actor.name} asked for change request {request.pk}: another person approves it."
            )
        if _valid_approvals(request).filter(approver_name=actor.name).exists():
            raise UsageError(f"{actor.name} approved change request {request.pk} already.")
        _decide(request, actor, Approval.Decision.APPROVED, comment)
        if _valid_approvals(request).values("approver_name").distinct().count() >= _needed():
            request.state = State.APPROVED
            request.save(update_fields=["state"])
    return get_request(request_id)


def reject_request(request_id: int, *, actor: audit.Actor, comment: str = "") -> ChangeRequest:
    """Reject a pending or approved request: it never runs.

    Raises:
        PlanRefused: it is neither pending nor approved (``kind="state"``).
    """
    with transaction.atomic():
        request = _locked(request_id)
        _require_state(request, (State.PENDING, State.APPROVED), "rejected")
        _decide(request, actor, Approval.Decision.REJECTED, comment)
        _end(request, State.REJECTED, f"Rejected by {actor.name}.")
    return get_request(request_id)


def execute_request(
    request_id: int,
    *,
    actor: audit.Actor,
    progress: Progress | None = None,
    lock_retries: int | None = None,
) -> RunReport:
    """Run an approved request through ``run_pending``, bound to its plan: a file changed,
    another target, other segments or another applied set refuse it (and fail it). Every
    refusal is a row of the audit log linked to the request.

    Raises:
        PlanRefused: not approved (``state``), its window not open (``window``), its approvals
            or its window ran out (``expired``), the plan changed (``approval``).
        GateRefused / LockNotAcquired...: as any run (the request stays approved).
    """
    request = get_request(request_id)
    # On the target it was asked for, whatever target the caller has in scope.
    with targets.using(request.target):
        return _execute(request, actor=actor, progress=progress, lock_retries=lock_retries)


def _execute(
    request: ChangeRequest,
    *,
    actor: audit.Actor,
    progress: Progress | None,
    lock_retries: int | None,
) -> RunReport:
    with audited(
        actor,
        "run",
        files=request.file_names,
        reason=request.reason,
        framework=request.framework or None,
        change_request_id=request.pk,
    ):
        _admit(request)
    try:
        report = run_pending(
            request.selected,
            actor=actor,
            framework=request.framework or None,
            reason=request.reason,
            progress=progress,
            lock_retries=lock_retries,
            approval=_bound(request),
        )
    except PlanRefused as refused:
        if refused.kind == "approval":
            _end(request, State.FAILED, refused.message)
        raise
    _end(request, State.EXECUTED if report.ok else State.FAILED, summarize(report))
    return report


def run_due(*, actor: audit.Actor) -> list[tuple[int, str]]:
    """One tick of the scheduler: each approved request with a window, executed if it is open
    (retried on the next tick when the gate or a lock refuses it now), expired once it ended.
    Returns each request tried with what came of it."""
    outcomes = []
    windowed = ChangeRequest.objects.filter(state=State.APPROVED).exclude(
        not_before=None, not_after=None
    )
    for request in windowed.order_by("not_before", "id"):
        if request.not_before and request.not_before > timezone.now():
            continue
        try:
            report = execute_request(request.pk, actor=actor)
        except TRANSIENT as error:
            outcomes.append((request.pk, f"not now ({error.message}); tried again later"))
        except MigrationsManagerError as error:
            outcomes.append((request.pk, error.message))
        else:
            outcomes.append((request.pk, summarize(report)))
    return outcomes


def _admit(request: ChangeRequest) -> None:
    """Refuse a request that may not run now; an approval or a window that ran out expires it."""
    _require_state(request, State.APPROVED, "executed")
    now = timezone.now()
    if request.not_after and now > request.not_after:
        _expire(request, f"Its window ended at {request.not_after:%Y-%m-%d %H:%M:%S %Z}.")
    if request.not_before and now < request.not_before:
        raise PlanRefused(
            f"Change request {request.pk} runs from {request.not_before:%Y-%m-%d %H:%M:%S %Z} "
            "on: nothing ran.",
            kind="window",
        )
    if _valid_approvals(request).values("approver_name").distinct().count() < _needed():
        hours = float(app_settings.APPROVAL_TTL) / 3600
        _expire(request, f"Its approvals are older than {hours:g} h.")


def _expire(request: ChangeRequest, why: str) -> None:
    _end(request, State.EXPIRED, f"{why} Nothing ran.")
    raise PlanRefused(
        f"Change request {request.pk} expired: {why} Nothing ran; ask for a new one.",
        kind="expired",
    )


def _bound(request: ChangeRequest) -> BoundPlan:
    return BoundPlan(
        target_key=request.target_key,
        files=tuple((entry["name"], entry["sha256"]) for entry in request.files),
        segments=tuple((entry["mode"], tuple(entry["files"])) for entry in request.segments),
        applied=tuple(request.applied),
        request_id=request.pk,
        seen=frozenset(finding_key(error) for error in request.check_result.get("errors", [])),
        only_when_safe=request.only_when_safe,
    )


def _locked(request_id: int) -> ChangeRequest:
    found = ChangeRequest.objects.select_for_update().filter(pk=request_id).first()
    if found is None:
        raise RequestNotFound(f"No change request {request_id}.")
    return found


def _require_state(request: ChangeRequest, states: str | tuple[str, ...], doing: str) -> None:
    allowed = (states,) if isinstance(states, str) else states
    if request.state not in allowed:
        raise PlanRefused(
            f"Change request {request.pk} is {request.state}: it cannot be {doing}.",
            kind="state",
        )


def _is_requester(actor: audit.Actor, request: ChangeRequest) -> bool:
    """The same person: the same Django user, or the same name (the command line's OS user
    has no Django user; its name is all there is to compare)."""
    same_user = actor.user is not None and getattr(actor.user, "pk", None) == request.requester_id
    return same_user or actor.name == request.requester_name


def _decide(request: ChangeRequest, actor: audit.Actor, decision: str, comment: str) -> None:
    Approval.objects.create(
        change_request=request,
        approver=actor.user if getattr(actor.user, "pk", None) else None,
        approver_name=actor.name[:150],
        source=actor.source,
        decision=decision,
        comment=audit.storable(comment),
    )


def _valid_approvals(request: ChangeRequest) -> QuerySet[Approval]:
    """The approvals of ``request`` that still count (younger than ``APPROVAL_TTL``)."""
    since = timezone.now() - timedelta(seconds=float(app_settings.APPROVAL_TTL))
    return request.approvals.filter(decision=Approval.Decision.APPROVED, decided_at__gte=since)


def _needed() -> int:
    return max(1, int(app_settings.APPROVERS))


def _end(request: ChangeRequest, state: str, outcome: str) -> None:
    """Move ``request`` to its final ``state``, unless another process moved it first."""
    ChangeRequest.objects.filter(pk=request.pk, state=request.state).update(
        state=state, outcome=audit.storable(outcome), finished_at=timezone.now()
    )
    request.state = state
