"""The use-cases of the migrations manager: the only API the admin, REST and command call.

Each function opens what it needs (the migrations directory, a target session), calls the layers
below (sources, frameworks, analysis, planning, executor) and returns a dataclass of ``types``.
Errors are ``exceptions.MigrationsManagerError`` subclasses, which know nothing of HTTP; each
front-end maps them. The modules of this package group the use-cases; import from here.

Each module is imported when one of its names is first used: a command that only reads the
status never loads the check, the lint rules or the executor. No module is named as one of the
names exported here (importing it would set the package's attribute to the module).

    from migrations_manager import services
    from migrations_manager.audit import Actor

    report = services.migrate_up(2, actor=Actor.command_line())
    report.ok, [step.name for step in report.completed]
"""

from __future__ import annotations

import importlib
from typing import Any

# Exported name -> (module of this package, its name there).
_EXPORTS: dict[str, tuple[str, str]] = {
    "approval_policy": ("approvals", "policy"),
    "approval_required": ("approvals", "required"),
    "approve_request": ("change", "approve_request"),
    "create_request": ("change", "create_request"),
    "execute_request": ("change", "execute_request"),
    "get_request": ("change", "get_request"),
    "list_requests": ("change", "list_requests"),
    "reject_request": ("change", "reject_request"),
    "run_due": ("change", "run_due"),
    "check": ("safety", "check"),
    "duration": ("safety", "duration"),
    "cjs_sql": ("cjs", "cjs_sql"),
    "cjs_warning": ("cjs", "cjs_warning"),
    "drift": ("replay", "drift"),
    "migrations_directory": ("common", "migrations_directory"),
    "RunProgress": ("control", "RunProgress"),
    "Termination": ("control", "Termination"),
    "cancel_run": ("control", "cancel_run"),
    "is_own_session": ("control", "is_own_session"),
    "live_session": ("control", "live_session"),
    "run_progress": ("control", "run_progress"),
    "terminate_session": ("control", "terminate_session"),
    "summarize": ("execution", "summarize"),
    "FleetReport": ("fleetruns", "FleetReport"),
    "fleet_run": ("fleetruns", "fleet_run"),
    "retry_fleet_run": ("fleetruns", "retry_fleet_run"),
    "run_fleet_target": ("fleetruns", "run_fleet_target"),
    "start_fleet_run": ("fleetruns", "start_fleet_run"),
    "wait_for_fleet": ("fleetruns", "wait_for_fleet"),
    "FleetRow": ("fleetview", "FleetRow"),
    "fleet_status": ("fleetview", "fleet_status"),
    "gate_mode": ("gate", "mode"),
    "TargetHealth": ("health", "TargetHealth"),
    "target_health": ("health", "target_health"),
    "MarkResult": ("idempotent", "MarkResult"),
    "mark_applied": ("idempotent", "mark_applied"),
    "plan_run": ("idempotent", "plan_run"),
    "run_pending": ("idempotent", "run_pending"),
    "ConnectionTest": ("inventory", "ConnectionTest"),
    "add_target": ("inventory", "add_target"),
    "list_targets": ("inventory", "list_targets"),
    "remove_target": ("inventory", "remove_target"),
    "show_target": ("inventory", "show_target"),
    "test_connection": ("inventory", "test_connection"),
    "lint": ("reading", "lint"),
    "preview": ("reading", "preview"),
    "detect_schema": ("schema", "detect_schema"),
    "create_migration": ("standard", "create_migration"),
    "migrate_down": ("standard", "migrate_down"),
    "migrate_up": ("standard", "migrate_up"),
    "redo": ("standard", "redo"),
    "status": ("overview", "status"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _EXPORTS[name]
    value = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
