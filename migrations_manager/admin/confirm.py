"""The two-step pages that change the target: run pending migrations, mark one as applied.

Both follow Django's delete view: a GET (or a POST without ``post=yes``) shows exactly what
will happen, or why it cannot; a POST with ``post=yes`` checks the permission again, acts
through ``services``, reports with a message and redirects (post/redirect/get).

A run's page shows the safety check of its files, made then; its POST runs through the safety
gate, which checks again. When the gate would refuse (errors: a lint error, a statement sure to
fail, a live blocker, a failed ledger), running takes a second, explicit confirmation: a
reason, which the audit log keeps with what it overrode. The mark-as-applied page first shows
what schema detection finds of the file's objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.urls import reverse

from .. import services
from ..conf import app_settings
from ..exceptions import ApprovalRequired, GateRefused, MigrationsManagerError
from ..models import MigrationRun
from ..types import MigrationStatus, Plan, SegmentMode, State
from ..web import actor_of
from .detection import schema_context
from .listing import framework_query
from .preflight import safety_context

if TYPE_CHECKING:
    from .options import MigrationAdmin

CONFIRMED = "yes"
ADMIN = MigrationRun.Source.ADMIN


def run_view(model_admin: MigrationAdmin, request: HttpRequest) -> HttpResponse:
    """Run the pending migrations named by ``?name=`` (repeated; none: all of them)."""
    model_admin.require(request, model_admin.has_run_permission)
    params = _params(request)
    names = params.getlist("name") or None
    framework = params.get("framework") or None
    if _confirmed(request):
        return _run(model_admin, request, names, framework)
    return _run_confirmation(model_admin, request, names, framework)


def _run_confirmation(
    model_admin: MigrationAdmin,
    request: HttpRequest,
    names: Sequence[str] | None,
    framework: str | None,
    *,
    refused: GateRefused | ApprovalRequired | None = None,
) -> HttpResponse:
    """Step one: the plan, its exact SQL and the safety check of its files, fresh; a check the
    gate would refuse (or the gate's refusal of the POST, ``refused``) asks for a reason. With
    the approval policy asking for one, the page asks for a change request instead (a reason
    too: the approvers read it)."""
    context: dict[str, Any] = {
        "title": "Run migrations",
        "framework": framework,
        "reason": request.POST.get("reason", ""),
        "reason_error": refused.message if refused else None,
        "gate_mode": services.gate_mode(),
    }
    try:
        preview = services.plan_run(names, framework=framework)
        # The POST names exactly the files shown: a file added meanwhile never sneaks in.
        shown = [step.migration.name for step in preview.plan.steps]
        check = services.check(shown, framework=framework) if shown else None
    except MigrationsManagerError as error:
        context["problem"] = error.message
        return model_admin.render(request, "run_confirmation.html", context)
    if check is not None:
        context.update(safety_context(model_admin, check, framework))
        errors = refused.errors if refused else check.errors
        needs_approval = services.approval_required(errors)
        context.update(
            gate_errors=errors,
            needs_approval=needs_approval,
            needs_reason=needs_approval or (bool(errors) and context["gate_mode"] == "enforce"),
        )
    context.update(
        plan=preview.plan,
        sql_text=preview.sql_text,
        names=shown,
        expect=[f"{step.migration.sha256}:{step.name}" for step in preview.plan.steps],
        segments=segment_rows(preview.plan),
        transaction_mode=transaction_mode(preview.plan),
        lock_timeout=app_settings.LOCK_TIMEOUT,
        lock_retries=app_settings.LOCK_RETRIES,
        confirm_label=_run_label(len(shown)),
    )
    return model_admin.render(request, "run_confirmation.html", context)


def _run(
    model_admin: MigrationAdmin,
    request: HttpRequest,
    names: Sequence[str] | None,
    framework: str | None,
) -> HttpResponse:
    reason = request.POST.get("reason", "").strip()
    try:
        # The world may have changed since the page was shown: the run checks again, now, and
        # runs only the very files the page showed, byte for byte.
        report = services.run_pending(
            names,
            actor=actor_of(request, source=ADMIN),
            framework=framework,
            reason=reason,
            expect=confirmed_files(request.POST.getlist("expect")),
        )
    except ApprovalRequired as required:
        if required.request is None or not reason:
            return _run_confirmation(model_admin, request, names, framework, refused=required)
        return _ask_approval(model_admin, request, required.request["migrations"], framework)
    except GateRefused as refused:
        return _run_confirmation(model_admin, request, names, framework, refused=refused)
    except MigrationsManagerError as error:
        # Refused before anything ran (another run holds the lock, no longer pending...).
        model_admin.message_user(request, error.message, messages.ERROR)
        return model_admin.redirect("changelist", query=framework_query(framework))
    level = messages.SUCCESS if report.ok else messages.ERROR
    model_admin.message_user(request, services.summarize(report), level)
    # The run's audit record is its result page: applied files, or the failure and its excerpt.
    site = model_admin.admin_site.name
    return HttpResponseRedirect(
        reverse(f"{site}:migrations_manager_migrationrun_change", args=[report.run_id])
    )


def _ask_approval(
    model_admin: MigrationAdmin, request: HttpRequest, names: Sequence[str], framework: str | None
) -> HttpResponse:
    """The change request of the run the policy holds back, then its page."""
    try:
        created = services.create_request(
            names,
            actor=actor_of(request, source=ADMIN),
            reason=request.POST.get("reason", "").strip(),
            framework=framework,
        )
    except MigrationsManagerError as error:
        model_admin.message_user(request, error.message, messages.ERROR)
        return model_admin.redirect("changelist", query=framework_query(framework))
    model_admin.message_user(
        request, f"Change request {created.pk} created: another user approves it.", messages.INFO
    )
    site = model_admin.admin_site.name
    return HttpResponseRedirect(
        reverse(f"{site}:migrations_manager_changerequest_change", args=[created.pk])
    )


def _run_label(count: int) -> str:
    return f"Yes, run {count} migration{'' if count == 1 else 's'}"


def confirmed_files(values: Sequence[str]) -> dict[str, str]:
    """``sha256:name`` values of the confirmation form -> {name: sha256} (a value of another
    shape names no file, and so refuses the run)."""
    confirmed = {}
    for value in values:
        digest, _, name = value.partition(":")
        confirmed[name] = digest
    return confirmed


def segment_rows(plan: Plan) -> list[dict[str, Any]]:
    """The plan's segments as the confirmation table shows them."""
    return [
        {
            "number": index,
            "mode": str(segment.mode),
            "how": SEGMENT_MODES[segment.mode],
            "steps": segment.steps,
        }
        for index, segment in enumerate(plan.segments, start=1)
    ]


SEGMENT_MODES = {
    SegmentMode.ATOMIC: "one transaction: these files and their tracking rows commit together, "
    "or nothing of them does",
    SegmentMode.NO_TRANSACTION: "outside a transaction: each statement commits by itself; the "
    "tracking row is written after the last",
    SegmentMode.EXTERNAL: "run by node-pg-migrate, in a session and transaction of its own",
}


def transaction_mode(plan: Plan) -> str:
    """How the plan commits, in the words the confirmation page shows."""
    if plan.atomic:
        return (
            "One transaction: the files and their tracking rows commit together. If any "
            "statement fails, the entire batch is rolled back and nothing is applied."
        )
    return (
        f"{len(plan.segments)} segments, run in order, each committing as the table says. A "
        "failure rolls back its own segment when it is one transaction; earlier segments "
        "stay applied, later ones do not run."
    )


def mark_view(model_admin: MigrationAdmin, request: HttpRequest, name: str) -> HttpResponse:
    """Record the pending migration ``name`` as applied without running it."""
    model_admin.require(request, model_admin.has_mark_permission)
    framework = _params(request).get("framework") or None
    if _confirmed(request):
        return _mark(model_admin, request, name, framework)
    return _mark_confirmation(model_admin, request, name, framework)


def _mark_confirmation(
    model_admin: MigrationAdmin,
    request: HttpRequest,
    name: str,
    framework: str | None,
    refused: GateRefused | None = None,
) -> HttpResponse:
    """Step one of mark-as-applied, or again with the gate's refusal, which asks a reason."""
    context: dict[str, Any] = {
        "title": "Mark as applied",
        "name": name,
        "framework": framework,
        "gate_errors": refused.errors if refused else (),
        "needs_reason": refused is not None,
        "reason_error": refused.message if refused else None,
        "reason": request.POST.get("reason", ""),
    }
    try:
        report = services.status(framework=framework)
    except MigrationsManagerError as error:
        context["problem"] = error.message
        return model_admin.render(request, "mark_confirmation.html", context)
    status = next((s for s in report.migrations if s.name == name), None)
    problem = _mark_problem(name, status)
    context.update(report=report, status=status, problem=problem)
    if problem is None:
        context.update(schema_context(model_admin, name, framework))
    return model_admin.render(request, "mark_confirmation.html", context)


def _mark_problem(name: str, status: MigrationStatus | None) -> str | None:
    if status is None or status.migration is None:
        return f"No migration file named {name!r}."
    if status.state is not State.PENDING:
        return f"{name} is {status.state}: only a pending migration can be marked as applied."
    return None


def _mark(
    model_admin: MigrationAdmin, request: HttpRequest, name: str, framework: str | None
) -> HttpResponse:
    try:
        actor = actor_of(request, source=ADMIN)
        reason = request.POST.get("reason", "").strip()
        result = services.mark_applied(name, actor=actor, framework=framework, reason=reason)
    except GateRefused as refused:
        return _mark_confirmation(model_admin, request, name, framework, refused)
    except MigrationsManagerError as error:
        model_admin.message_user(request, error.message, messages.ERROR)
    else:
        model_admin.message_user(request, result.message, messages.SUCCESS)
    return model_admin.redirect("changelist", query=framework_query(framework))


def _params(request: HttpRequest) -> QueryDict:
    return request.POST if request.method == "POST" else request.GET


def _confirmed(request: HttpRequest) -> bool:
    return request.method == "POST" and request.POST.get("post") == CONFIRMED
