"""The drift page: the live database against a replay of its applied migrations.

Read-only for the target (it needs ``view_migration``): the replay goes into a scratch database
that is dropped afterwards, and code migrations are never run, only listed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse

from .. import services
from ..exceptions import MigrationsManagerError
from .listing import FRAMEWORK_VAR

if TYPE_CHECKING:
    from .options import MigrationAdmin


def drift_view(model_admin: MigrationAdmin, request: HttpRequest) -> HttpResponse:
    """Compare now and show every difference with its DDL."""
    model_admin.require(request, model_admin.has_view_permission)
    framework = request.GET.get(FRAMEWORK_VAR) or None
    context: dict[str, Any] = {"title": "Drift", "again_url": request.get_full_path()}
    try:
        context["drift"] = services.drift(framework=framework)
    except MigrationsManagerError as error:
        context["problem"] = error.message
    return model_admin.render(request, "drift.html", context)
