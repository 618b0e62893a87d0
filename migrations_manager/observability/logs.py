"""One structured line per run, refusal, gate override and delivery, through the logger
``migrations_manager.events``: its ``truss`` extra holds the fields (run id, target, user,
surface, outcome...). ``jsonlog.JsonFormatter`` writes them as one JSON object a line (the
project's ``TRUSS_LOG_FORMAT=json``).
"""

from __future__ import annotations

import logging
from typing import Any

from ..models import MigrationRun

logger = logging.getLogger("migrations_manager.events")


def run_fields(run: MigrationRun, what: str) -> dict[str, Any]:
    return {
        "what": what,
        "run": run.pk,
        "command": run.command,
        "target": run.target,
        "user": run.actor,
        "surface": run.source,
        "outcome": run.outcome,
        "files": len(run.files),
    }


def log_started(run: MigrationRun) -> None:
    logger.info("%s started", _said(run), extra={"truss": run_fields(run, "run")})
    if run.overridden:
        fields = {**run_fields(run, "gate-override"), "reason": run.reason}
        fields["overridden"] = len(run.overridden)
        logger.warning("%s overrides the safety gate", _said(run), extra={"truss": fields})


def log_finished(run: MigrationRun) -> None:
    what = "refusal" if run.outcome == MigrationRun.Outcome.REFUSED else "run"
    level = logging.INFO if run.outcome == MigrationRun.Outcome.SUCCEEDED else logging.WARNING
    said = f"{_said(run)} {run.outcome}"
    logger.log(level, "%s", said, extra={"truss": run_fields(run, what)})


def _said(run: MigrationRun) -> str:
    """The line's text: what the JSON fields hold, for the text format."""
    return f"run {run.pk} ({run.command} by {run.actor} via {run.source} on {run.target or '?'})"
