"""JSON bodies built from the services' dataclasses: the standard-mode commands'
(``pgmigrate up/down/redo --json``) and the pre-flight ones (check, preview, detect-schema, lint).

The bodies of the REST API's endpoints are its serializers (``api/serializers.py``), which
``pgmigrate --json`` prints as well.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .services import summarize
from .types import (
    CheckReport,
    LintReport,
    Preview,
    RunReport,
    SchemaFinding,
    SchemaReport,
)


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
