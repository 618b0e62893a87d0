"""Columns of the read-only admin pages shown the panel's way rather than Django's default."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.db.models import Model

from ..templatetags.migrations_manager import timestamp


def timestamp_column(field: str, description: str) -> Callable[[Any, Model], str]:
    """A list / read-only column showing the datetime ``field`` as every time of the panel is
    shown (``timestamp``), where Django's default would be "Dec. 8, 2026, 5:39 p.m."."""

    @admin.display(description=description, ordering=field)
    def column(model_admin: Any, obj: Model) -> str:
        return timestamp(getattr(obj, field))

    return column
