"""The fleet pages of the Migrations panel: every target side by side, a run of the pending
migrations across them (after a confirmation that shows each target's plan), and a fleet
run's progress (the page refreshes itself while the run lasts)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse

from .. import services
from ..exceptions import MigrationsManagerError
from ..models import MigrationRun
from ..services.fleetview import FILTERS
from ..web import actor_of
from .control import REFRESH_SECONDS
from .listing import Choice

if TYPE_CHECKING:
    from .options import MigrationAdmin

TAG_VAR = "tag"
FILTER_VAR = "filter"


def fleet_view(model_admin: MigrationAdmin, request: HttpRequest) -> HttpResponse:
    model_admin.require(request, model_admin.has_view_permission)
    tag = request.GET.get(TAG_VAR) or None
    which = request.GET.get(FILTER_VAR) if request.GET.get(FILTER_VAR) in FILTERS else None
    rows = services.fleet_status(tag, which)
    base = model_admin.url("fleet")
    filters = [Choice("all", _with(base, tag=tag), which is None)] + [
        Choice(name, _with(base, tag=tag, filter=name), which == name) for name in FILTERS
    ]
    context = {
        "title": f"Fleet{f' ({tag})' if tag else ''}",
        "rows": rows,
        "tag": tag,
        "filter_choices": filters,
        "run_url": _with(model_admin.url("fleet_run"), tag=tag),
    }
    return model_admin.render(request, "fleet.html", context)


def fleet_run_view(model_admin: MigrationAdmin, request: HttpRequest) -> HttpResponse:
    """GET: the confirmation (each target's pending migrations); POST: the run starts."""
    model_admin.require(request, model_admin.has_run_permission)
    params = request.POST if request.method == "POST" else request.GET
    tag = params.get(TAG_VAR) or None
    if request.method == "POST" and request.POST.get("post") == "yes":
        try:
            fleet_id = services.start_fleet_run(
                actor=actor_of(request, source=MigrationRun.Source.ADMIN),
                tag=tag,
                concurrency=_number(request.POST.get("concurrency")),
                canary=_number(request.POST.get("canary")) or 0,
                max_failures=_number(request.POST.get("max_failures")),
                reason=request.POST.get("reason", ""),
            )
        except MigrationsManagerError as error:
            model_admin.message_user(request, error.message, messages.ERROR)
            return model_admin.redirect("fleet", query=_with("", tag=tag))
        return model_admin.redirect("fleet_report", str(fleet_id))
    context = {
        "title": "Run pending migrations across the fleet",
        "rows": services.fleet_status(tag),
        "tag": tag or "",
    }
    return model_admin.render(request, "fleet_confirmation.html", context)


def fleet_report_view(
    model_admin: MigrationAdmin, request: HttpRequest, fleet_id: int
) -> HttpResponse:
    model_admin.require(request, model_admin.has_view_permission)
    if request.method == "POST":
        model_admin.require(request, model_admin.has_run_permission)
        try:
            count = services.retry_fleet_run(fleet_id)
        except MigrationsManagerError as error:
            model_admin.message_user(request, error.message, messages.ERROR)
        else:
            model_admin.message_user(request, f"{count} target(s) run again.", messages.SUCCESS)
        return model_admin.redirect("fleet_report", str(fleet_id))
    try:
        report = services.fleet_run(fleet_id)
    except MigrationsManagerError as error:
        return model_admin.render(
            request, "fleet_run.html", {"title": "Fleet run", "problem": error.message}
        )
    context: dict[str, Any] = {
        "title": f"Fleet run {report.id}",
        "report": report,
        "refresh": REFRESH_SECONDS if report.status == "running" else None,
    }
    return model_admin.render(request, "fleet_run.html", context)


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() else None


def _with(base: str, **params: str | None) -> str:
    kept = {key: value for key, value in params.items() if value}
    return f"{base}?{urlencode(kept)}" if kept else base or "?"
