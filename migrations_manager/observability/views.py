"""``GET /metrics``: the Prometheus text format; with ``METRICS_TOKEN`` set, only for
``Authorization: Bearer <token>`` (without it, open: system check W003 says so when DEBUG is
off). A scraper has no Django session, so the token, not a user, is what it shows."""

from __future__ import annotations

import hmac

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from ..conf import app_settings
from .metrics import HealthCache, TrussCollector

health_cache = HealthCache()
registry = CollectorRegistry(auto_describe=False)
registry.register(TrussCollector(health_cache))


def metrics(request: HttpRequest) -> HttpResponse:
    token = app_settings.METRICS_TOKEN
    if token and not _bearer_matches(request, str(token)):  # before anything else is said
        response = HttpResponse(
            "A bearer token is needed.\n", status=401, content_type="text/plain"
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def _bearer_matches(request: HttpRequest, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8"))
