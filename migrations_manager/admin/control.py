"""Live control from the admin: end a session that blocks the pending migrations (from the
safety check page), and follow or cancel a running run (from its page, which refreshes itself
while the run lasts)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from .. import services
from ..exceptions import MigrationsManagerError
from ..models import MigrationRun
from ..web import actor_of
from .listing import FRAMEWORK_VAR, framework_query

if TYPE_CHECKING:
    from .options import MigrationAdmin

ADMIN = MigrationRun.Source.ADMIN
REFRESH_SECONDS = 2


def terminate_view(model_admin: MigrationAdmin, request: HttpRequest, pid: int) -> HttpResponse:
    """End session ``pid``: a confirmation showing what it blocks, then, with a reason, the end."""
    model_admin.require(request, model_admin.has_terminate_permission)
    params = request.POST if request.method == "POST" else request.GET
    framework = params.get(FRAMEWORK_VAR) or None
    if request.method == "POST" and request.POST.get("post") == "yes":
        try:
            result = services.terminate_session(
                pid,
                actor=actor_of(request, source=ADMIN),
                reason=request.POST.get("reason", ""),
                framework=framework,
            )
        except MigrationsManagerError as error:
            model_admin.message_user(request, error.message, messages.ERROR)
        else:
            model_admin.message_user(request, result.message, messages.SUCCESS)
        return model_admin.redirect("check", query=framework_query(framework))
    context: dict[str, Any] = {"title": f"End session {pid}", "pid": pid, "framework": framework}
    try:
        report = services.check(framework=framework)
    except MigrationsManagerError as error:
        context["problem"] = error.message
    else:
        context["blockers"] = [b for b in report.blockers if b.pid == pid]
    return model_admin.render(request, "terminate_confirmation.html", context)


def run_page_context(request: HttpRequest, run: MigrationRun) -> dict[str, Any]:
    """What a run's page adds while the run lasts: where it is, live, and the cancel button."""
    if run.outcome != MigrationRun.Outcome.RUNNING:
        return {}
    try:
        progress = services.run_progress(run.pk)
    except MigrationsManagerError as error:
        return {"refresh": REFRESH_SECONDS, "progress_problem": error.message}
    can_cancel = request.user.has_perm(f"{run._meta.app_label}.run_migrations")
    return {"refresh": REFRESH_SECONDS, "progress": progress, "can_cancel": can_cancel}


def cancel_view(request: HttpRequest, run_id: int, *, message_user: Any) -> HttpResponse:
    """Cancel the run ``run_id`` (POST only), then back to its page."""
    try:
        services.cancel_run(run_id, actor=actor_of(request, source=ADMIN))
    except MigrationsManagerError as error:
        message_user(request, error.message, messages.ERROR)
    else:
        message_user(request, f"Run {run_id}: its statement was cancelled.", messages.WARNING)
    return HttpResponseRedirect(request.path.removesuffix("cancel/") + "change/")
