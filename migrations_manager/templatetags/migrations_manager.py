"""The panel's template filters: ``{% load migrations_manager %}``.

``timestamp``: every time the admin shows (a migration's ``applied_at``, a run's start, a
webhook delivery's) in one format, to the second, with the time zone it is given in, so that a
time read off the list compares with one read off the history.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django import template
from django.utils.dateformat import format as date_format
from django.utils.timezone import localtime

register = template.Library()

TIMESTAMP_FORMAT = "Y-m-d H:i:s e"  # 2026-12-08 17:39:53 UTC
NO_TIME = "—"


@register.filter
def timestamp(value: datetime | None) -> str:
    """``value`` in the current time zone as ``TIMESTAMP_FORMAT``; None: a dash."""
    if value is None:
        return NO_TIME
    return date_format(localtime(aware(value)), TIMESTAMP_FORMAT)


def aware(value: datetime) -> datetime:
    """Tracking tables often store ``timestamp without time zone`` in UTC: say so."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
