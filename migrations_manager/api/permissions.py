"""Who may call what: the Django permissions of ``models.Migration``, checked per action.

The admin checks the same codenames (``models.VIEW_PERMISSION``...), so a user's rights are the
same on both. A viewset's ``permission_classes`` guards its reads; an ``@action`` that changes the
target names its own class.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from ..models import MARK_PERMISSION, RUN_PERMISSION, VIEW_PERMISSION, Migration


class MigrationPermission(BasePermission):
    """An authenticated user holding ``codename`` (a superuser holds them all).

    An anonymous request is refused as unauthenticated (401 with ``WWW-Authenticate``), a user
    without the permission with 403 and ``message``.
    """

    codename: ClassVar[str]
    doing: ClassVar[str]

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(self.permission()))

    @classmethod
    def permission(cls) -> str:
        return Migration.permission(cls.codename)

    @property
    def message(self) -> str:  # type: ignore[override]
        return f"{self.doing} needs the permission {self.permission()}."


class CanViewMigrations(MigrationPermission):
    codename = VIEW_PERMISSION
    doing = "Viewing migrations"


class CanRunMigrations(MigrationPermission):
    codename = RUN_PERMISSION
    doing = "Running migrations"


class CanMarkMigrations(MigrationPermission):
    codename = MARK_PERMISSION
    doing = "Marking migrations as applied"
