"""Who may call what: the Django permissions of ``models.Migration``, checked per action.

The admin checks the same codenames (``models.VIEW_PERMISSION``...), so a user's rights are the
same on both. A viewset's ``permission_classes`` guards its reads; an ``@action`` that changes the
target names its own class.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from ..models import (
    APPROVE_PERMISSION,
    MARK_PERMISSION,
    RUN_PERMISSION,
    TERMINATE_PERMISSION,
    VIEW_PERMISSION,
    Migration,
)


class MigrationPermission(BasePermission):
    """An authenticated user holding one of ``codenames`` (a superuser holds them all).

    An anonymous request is refused as unauthenticated (401 with ``WWW-Authenticate``), a user
    without the permission with 403 and ``message``.
    """

    codenames: ClassVar[tuple[str, ...]]
    doing: ClassVar[str]

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return any(user.has_perm(permission) for permission in self.permissions())

    @classmethod
    def permissions(cls) -> list[str]:
        return [Migration.permission(codename) for codename in cls.codenames]

    @property
    def message(self) -> str:  # type: ignore[override]
        return f"{self.doing} needs the permission {' or '.join(self.permissions())}."


class CanViewMigrations(MigrationPermission):
    codenames = (VIEW_PERMISSION,)
    doing = "Viewing migrations"


class CanViewHistory(MigrationPermission):
    """The audit log: whoever may read the migrations, or the runs (``MigrationRun``'s own
    "view" permission), as in the admin."""

    codenames = (VIEW_PERMISSION, "view_migrationrun")
    doing = "Viewing the migration history"


class CanRunMigrations(MigrationPermission):
    codenames = (RUN_PERMISSION,)
    doing = "Running migrations"


class CanMarkMigrations(MigrationPermission):
    codenames = (MARK_PERMISSION,)
    doing = "Marking migrations as applied"


class CanTerminateSessions(MigrationPermission):
    codenames = (TERMINATE_PERMISSION,)
    doing = "Ending a session that blocks migrations"


class CanApproveMigrations(MigrationPermission):
    codenames = (APPROVE_PERMISSION,)
    doing = "Approving or rejecting a change request"
