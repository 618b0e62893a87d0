"""What the admin and the REST API take from an HTTP request for the audit log: who and from where.

    actor = actor_of(request, source=MigrationRun.Source.API)
    services.run_pending(actor=actor)

The client address is ``REMOTE_ADDR``. ``X-Forwarded-For`` is believed only when the
``TRUSTED_PROXY_COUNT`` setting says how many reverse proxies stand in front of the app: each of
them appends the address it received the request from, so the entry that many places from the
right is the one the outermost trusted proxy saw; entries left of it are the client's own claim.
"""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest

from .audit import Actor
from .conf import app_settings


def actor_of(request: HttpRequest, *, source: str) -> Actor:
    """The authenticated user of ``request`` and its client address, as the audit log records."""
    return Actor.for_user(request.user, source=source, address=client_address(request))


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address, or None when neither source holds a valid one."""
    proxies = int(app_settings.TRUSTED_PROXY_COUNT)
    forwarded = _forwarded_address(request.META.get("HTTP_X_FORWARDED_FOR", ""), proxies)
    return forwarded or _valid_ip(request.META.get("REMOTE_ADDR"))


def _forwarded_address(header: str, proxies: int) -> str | None:
    if proxies <= 0:
        return None
    hops = [hop.strip() for hop in header.split(",") if hop.strip()]
    # Fewer entries than trusted proxies: the request did not come through all of them, so
    # nothing in the header is vouched for.
    return _valid_ip(hops[-proxies]) if len(hops) >= proxies else None


def _valid_ip(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(value or ""))
    except ValueError:
        return None
