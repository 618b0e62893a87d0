"""The use-cases of the migrations manager: the only API the admin, REST and command call.

Each function opens what it needs (the migrations directory, a target session), calls the layers
below (sources, frameworks, analysis, planning, executor) and returns a dataclass of ``types``.
Errors are ``exceptions.MigrationsManagerError`` subclasses, which know nothing of HTTP; each
front-end maps them. The modules of this package group the use-cases; import from here.

    from migrations_manager import services
    from migrations_manager.audit import Actor

    report = services.migrate_up(2, actor=Actor.command_line())
    report.ok, [step.name for step in report.completed]
"""

from .check import check
from .cjs import cjs_sql, cjs_warning
from .common import migrations_directory
from .control import (
    RunProgress,
    Termination,
    cancel_run,
    is_own_session,
    live_session,
    run_progress,
    terminate_session,
)
from .execution import summarize
from .gate import mode as gate_mode
from .idempotent import MarkResult, mark_applied, plan_run, run_pending
from .preview import lint, preview
from .schema import detect_schema
from .standard import create_migration, migrate_down, migrate_up, redo
from .status import status

__all__ = [
    "MarkResult",
    "RunProgress",
    "Termination",
    "cancel_run",
    "is_own_session",
    "live_session",
    "run_progress",
    "terminate_session",
    "check",
    "cjs_sql",
    "cjs_warning",
    "create_migration",
    "detect_schema",
    "gate_mode",
    "lint",
    "mark_applied",
    "plan_run",
    "preview",
    "run_pending",
    "migrate_down",
    "migrate_up",
    "migrations_directory",
    "redo",
    "status",
    "summarize",
]
