"""Routes of the REST API; the project mounts them at ``api/migrations/``.

    path("api/migrations/", include("migrations_manager.api.urls")),

The contract's paths have no trailing slash (``idempotent/status``), hence the router's
``trailing_slash=False``. Any other path under the mount point is a JSON 404
(``not_found.UnknownEndpoint``).
"""

from __future__ import annotations

from django.urls import re_path
from rest_framework.routers import SimpleRouter

from .not_found import UnknownEndpoint
from .viewsets import (
    FleetViewSet,
    HistoryViewSet,
    IdempotentViewSet,
    MigrationsViewSet,
    RequestsViewSet,
    RunsViewSet,
    SessionsViewSet,
)

app_name = "migrations_manager_api"

router = SimpleRouter(trailing_slash=False)
router.register("idempotent", IdempotentViewSet, basename="idempotent")
router.register("history", HistoryViewSet, basename="history")
router.register("runs", RunsViewSet, basename="runs")
router.register("requests", RequestsViewSet, basename="requests")
router.register("sessions", SessionsViewSet, basename="sessions")
router.register("fleet", FleetViewSet, basename="fleet")
# check and preview/{filename} sit at the root of api/migrations/.
router.register("", MigrationsViewSet, basename="migrations")

urlpatterns = [*router.urls, re_path(r"", UnknownEndpoint.as_view(), name="not-found")]
