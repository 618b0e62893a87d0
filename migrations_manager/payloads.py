"""The JSON body of the standard-mode commands (``pgmigrate up/down/redo --json``), which the
REST API does not serve.

Every other body is a serializer of the REST API (``api/serializers.py``,
``api/preflight_serializers.py``), which ``pgmigrate --json`` prints as well.
"""

from __future__ import annotations

from typing import Any

from .services import summarize
from .types import RunReport


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
        "segments": segments(report),
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


def segments(report: RunReport) -> list[dict[str, Any]]:
    """The plan's segments: their files, how each commits, how each ended."""
    return [
        {"files": list(segment.names), "mode": segment.mode.value, "outcome": outcome}
        for segment, outcome in zip(
            report.plan.segments,
            map(report.segment_outcome, range(len(report.plan.segments))),
            strict=True,
        )
    ]
