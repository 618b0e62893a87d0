"""The JSON bodies of the contract (``spec/api.md``), built from the services' dataclasses.

Shared by ``pgmigrate --json`` and the REST API so both print exactly the same fields.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from .services import MarkResult, summarize
from .types import (
    CheckReport,
    LintReport,
    MigrationStatus,
    Preview,
    RunReport,
    SchemaFinding,
    SchemaReport,
    StatusReport,
)


def timestamp(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with ``Z``; naive values (``timestamp without time zone``) are UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def migration_status(status: MigrationStatus) -> dict[str, Any]:
    return {
        "name": status.name,
        "state": status.state.value,
        "applied_at": timestamp(status.applied_at),
        "stored_hash": status.stored_hash,
        "file_hash": status.file_hash,
    }


def status_report(report: StatusReport) -> dict[str, Any]:
    return {
        "framework": report.framework,
        "tracking_table": str(report.tracking_table),
        "detected_tables": [
            {"schema": d.schema, "table": d.table, "framework": d.framework}
            for d in report.detected_tables
        ],
        "migrations": [migration_status(status) for status in report.migrations],
        "summary": report.summary,
    }


def run_report(report: RunReport) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ok": report.ok,
        "summary": summarize(report),
        "dryRun": report.dry_run,
        "applied": [
            {
                "name": r.name,
                "direction": r.direction.value,
                "duration": round(r.duration, 6),
                "executor": r.executor,
            }
            for r in report.completed
        ],
        "failed": report.failure.as_dict() if report.failure is not None else None,
        "plan": [
            {
                "name": step.migration.name,
                "direction": step.direction.value,
                "statements": len(step.statements),
                "transactional": step.transactional,
                "executor": step.external.executor if step.external is not None else None,
            }
            for step in report.plan.steps
        ],
    }
    if report.dry_run:
        body["sql"] = report.sql_text
    return body


def idempotent_run(report: RunReport) -> dict[str, Any]:
    """The body of ``POST idempotent/run``: the seed's four fields, plus what ran and how."""
    by_name = {step.migration.name: step.migration for step in report.plan.steps}
    body: dict[str, Any] = {
        "ok": report.ok,
        "summary": summarize(report),
        "applied": [
            {"name": result.name, "hash": by_name[result.name].sha256}
            for result in report.completed
        ],
        "failed": report.failure.as_dict() if report.failure is not None else None,
        "framework": report.plan.framework,
        "tracking_table": str(report.plan.tracking_table),
        "transaction": _transaction_mode(report),
    }
    note = TRANSACTION_NOTES.get(body["transaction"])
    if note and report.plan.steps:
        body["note"] = note
    if report.dry_run:
        body["sql"] = report.sql_text
    return body


TRANSACTION_NOTES = {
    "node-pg-migrate": (
        "These .cjs/.js migrations were executed by node-pg-migrate: each ran with its "
        "pgmigrations row in a transaction of node-pg-migrate's own, so the transaction "
        "guarantee is node-pg-migrate's, per migration, not one for the batch."
    ),
    "none": (
        "This migration ran outside a transaction (-- truss:no-transaction): each statement "
        "committed on its own; its tracking row was written after the last one succeeded."
    ),
}


def _transaction_mode(report: RunReport) -> str:
    if report.plan.single_transaction:
        return "single"
    if any(step.external is not None for step in report.plan.steps):
        return report.plan.steps[0].external.executor
    return "none"


def mark_result(result: MarkResult) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "migration": result.migration,
        "framework": result.framework,
        "tracking_table": result.tracking_table,
        "message": result.message,
    }


# ---- pre-flight ---------------------------------------------------------------------------------
# The pre-flight dataclasses list their fields in the contract's order: the check body is their
# fields with camelCase names (``pending_count`` -> ``pendingCount``), the schema report's keep
# their snake_case names (``all_objects_exist``), as the seed spells them.


def camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


def fields_of(item: Any, *, camel: bool = False) -> dict[str, Any]:
    """A dataclass as a JSON object: its fields in order, tuples of dataclasses as lists."""
    body = {}
    for field in dataclasses.fields(item):
        value = getattr(item, field.name)
        if isinstance(value, tuple):
            value = [fields_of(v, camel=camel) if dataclasses.is_dataclass(v) else v for v in value]
        body[camel_case(field.name) if camel else field.name] = value
    return body


def check_report(report: CheckReport) -> dict[str, Any]:
    """The body of ``POST check``: the seed's eight fields, then serverVersion, lint, blockers."""
    return fields_of(report, camel=True)


def preview(result: Preview) -> dict[str, Any]:
    """The body of ``GET preview/{filename}``; ``html`` only when it was asked for."""
    body = fields_of(result)
    if result.html is None:
        del body["html"]
    return body


def schema_finding(finding: SchemaFinding) -> dict[str, Any]:
    """``{type, name, exists}``, then ``differs`` / ``reason`` when there is one, and ``line``."""
    body = fields_of(finding)
    if not finding.differs:
        del body["differs"]
    if finding.reason is None:
        del body["reason"]
    return body


def schema_report(report: SchemaReport) -> dict[str, Any]:
    return {**fields_of(report), "findings": [schema_finding(f) for f in report.findings]}


def lint_report(report: LintReport) -> dict[str, Any]:
    return {**fields_of(report), "errors": report.errors}
