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
    logger.info("run %s started", run.pk, extra={"truss": run_fields(run, "run")})
    if run.overridden:
        fields = {**run_fields(run, "gate-override"), "reason": run.reason}
        fields["overridden"] = len(run.overridden)
        logger.warning("run %s overrides the safety gate", run.pk, extra={"truss": fields})


def log_finished(run: MigrationRun) -> None:
    what = "refusal" if run.outcome == MigrationRun.Outcome.REFUSED else "run"
    level = logging.INFO if run.outcome == MigrationRun.Outcome.SUCCEEDED else logging.WARNING
    logger.log(level, "run %s %s", run.pk, run.outcome, extra={"truss": run_fields(run, what)})
