"""The target switch of the Migrations panel: ``?target=NAME`` on any of its pages selects a
target for the user's session; every page of the panel then works on it (``targets.using``).
A target removed since it was selected falls back to ``default``, saying so."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse

from .. import targets
from ..conf import DEFAULT_TARGET, target_name
from ..exceptions import TargetNotFound
from .listing import Choice

if TYPE_CHECKING:
    from .options import MigrationAdmin

SESSION_KEY = "migrations_manager_target"
TARGET_VAR = "target"


def scoped(
    model_admin: MigrationAdmin,
    view: Callable[..., HttpResponse],
    request: HttpRequest,
    *args: Any,
    **kwargs: Any,
) -> HttpResponse:
    """``view`` on the target the request (``?target=``) or the session selects."""
    asked = request.GET.get(TARGET_VAR)
    name = asked or request.session.get(SESSION_KEY) or DEFAULT_TARGET
    try:
        config = targets.resolve(name)
    except TargetNotFound as error:
        model_admin.message_user(request, f"{error.message} Back to 'default'.", messages.ERROR)
        config = targets.resolve(DEFAULT_TARGET)
    request.session[SESSION_KEY] = config.name
    with targets.using(config):
        return view(request, *args, **kwargs)


def choices(request: HttpRequest, changelist_url: str) -> list[Choice]:
    """One link per target, when there is more than ``default`` to choose from."""
    configs = targets.everything() if request.user.is_authenticated else []
    if len(configs) < 2:
        return []
    current = target_name()
    return [
        Choice(
            config.name,
            f"{changelist_url}?{urlencode({TARGET_VAR: config.name})}",
            config.name == current,
        )
        for config in configs
    ]
