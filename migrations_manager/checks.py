"""System checks with stable ids (``python manage.py check``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.checks import Error, Tags, Warning, register

from .conf import app_settings


class Messages:
    NO_TARGET = "No target database is configured for the migrations manager."
    UNREACHABLE = "The target database does not answer: {reason}"
    NO_DIRECTORY = "The migrations directory {path} does not exist."
    BAD_GATE = "MIGRATIONS_MANAGER['GATE'] is {value!r}: the safety gate cannot work with it."
    BAD_APPROVALS = (
        "MIGRATIONS_MANAGER['APPROVALS'] is {value!r}: every run needs approval until it is "
        "one of the policies."
    )
    OPEN_METRICS = "/metrics answers anyone who reaches the app: no METRICS_TOKEN is set."


class Hints:
    NO_TARGET = "Set TRUSS_DATABASE_URL, or MIGRATIONS_MANAGER['DATABASE_URL'] in the settings."
    UNREACHABLE = "Check the URL, the network and that the server is running."
    NO_DIRECTORY = (
        "Create it (`python manage.py pgmigrate create NAME` does), or set TRUSS_MIGRATIONS_DIR."
    )
    BAD_GATE = 'Use "enforce" (refuse a run with errors unless it gives a reason) or "warn".'
    BAD_APPROVALS = 'Use "off" (or leave it unset), "unsafe" or "always" (TRUSS_APPROVALS).'
    OPEN_METRICS = (
        "Set TRUSS_METRICS_TOKEN (MIGRATIONS_MANAGER['METRICS_TOKEN']) and give Prometheus "
        "that bearer token."
    )


@register("migrations_manager")
def check_target(app_configs: Any = None, **kwargs: Any) -> list:
    if not app_settings.DATABASE_URL:
        return [Error(Messages.NO_TARGET, hint=Hints.NO_TARGET, id="migrations_manager.E001")]
    return []


# A "database" check, as Django's own: it connects only when the checks are run for databases
# (``check --database default``, ``migrate``), never before every other management command.
@register(Tags.database, "migrations_manager")
def check_target_answers(
    app_configs: Any = None, databases: Sequence[str] | None = None, **kwargs: Any
) -> list:
    from . import db
    from .exceptions import MigrationsManagerError

    if not databases or not app_settings.DATABASE_URL:
        return []  # no database asked for; a missing target is check_target's
    try:
        with db.connection(application_suffix=":check"):
            pass
    except MigrationsManagerError as error:
        return [
            Warning(
                Messages.UNREACHABLE.format(reason=error.message),
                hint=Hints.UNREACHABLE,
                id="migrations_manager.W001",
            )
        ]
    return []


@register("migrations_manager")
def check_directory(app_configs: Any = None, **kwargs: Any) -> list:
    path = app_settings.migrations_dir
    if path.is_dir():
        return []
    return [
        Warning(
            Messages.NO_DIRECTORY.format(path=path),
            hint=Hints.NO_DIRECTORY,
            id="migrations_manager.W002",
        )
    ]


@register("migrations_manager")
def check_gate(app_configs: Any = None, **kwargs: Any) -> list:
    from .services.gate import MODES

    value = app_settings.GATE
    if value in MODES:
        return []
    return [
        Error(
            Messages.BAD_GATE.format(value=value), hint=Hints.BAD_GATE, id="migrations_manager.E002"
        )
    ]


@register("migrations_manager")
def check_approvals(app_configs: Any = None, **kwargs: Any) -> list:
    from .services.approvals import POLICIES

    value = app_settings.APPROVALS
    if value is None or value in POLICIES:
        return []
    return [
        Error(
            Messages.BAD_APPROVALS.format(value=value),
            hint=Hints.BAD_APPROVALS,
            id="migrations_manager.E003",
        )
    ]


@register("migrations_manager")
def check_metrics(app_configs: Any = None, **kwargs: Any) -> list:
    from django.conf import settings

    if app_settings.METRICS_TOKEN or settings.DEBUG:
        return []
    return [Warning(Messages.OPEN_METRICS, hint=Hints.OPEN_METRICS, id="migrations_manager.W003")]
