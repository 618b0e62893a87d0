"""The events a webhook subscribes to, and the body each one sends (JSON, or Slack's form)."""

from __future__ import annotations

import enum
from typing import Any

from django.utils import timezone

from ..models import MigrationRun


class Event(enum.StrEnum):
    RUN_STARTED = "run.started"
    RUN_SUCCEEDED = "run.succeeded"
    RUN_FAILED = "run.failed"
    RUN_REFUSED = "run.refused"
    RUN_CANCELLED = "run.cancelled"


# The event a closed run's outcome is.
_CLOSING = {
    MigrationRun.Outcome.SUCCEEDED: Event.RUN_SUCCEEDED,
    MigrationRun.Outcome.FAILED: Event.RUN_FAILED,
    MigrationRun.Outcome.REFUSED: Event.RUN_REFUSED,
    MigrationRun.Outcome.CANCELLED: Event.RUN_CANCELLED,
}


def closing_event(run: MigrationRun) -> Event | None:
    return _CLOSING.get(run.outcome)


def payload(event: Event, run: MigrationRun, delivery: int, *, slack: bool = False) -> dict:
    """What delivery ``delivery`` of ``event`` sends: the JSON body, or Slack's message with it.

    The delivery's id is in the body, so it is signed with it: a receiver tells a repeat by it.
    """
    json_body = {"delivery": delivery, **body(event, run)}
    return slack_body(event, run, json_body) if slack else json_body


def body(event: Event, run: MigrationRun) -> dict[str, Any]:
    """The JSON body of ``event``: the run as the audit log has it (its failure included)."""
    return {
        "event": str(event),
        "sentAt": timezone.now().isoformat(),
        "run": {
            "id": run.pk,
            "command": run.command,
            "outcome": run.outcome,
            "source": run.source,
            "actor": run.actor,
            "target": run.target,
            "framework": run.framework,
            "trackingTable": run.tracking_table,
            "files": list(run.files),
            "startedAt": run.started_at.isoformat(),
            "finishedAt": run.finished_at.isoformat() if run.finished_at else None,
            "summary": run.summary,
            "reason": run.reason,
            "overridden": list(run.overridden or []),
            "failure": run.failure,
        },
    }


def slack_body(event: Event, run: MigrationRun, json_body: dict[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook message (``text``), the JSON body alongside for machines.

    What comes from users or the database is escaped (``&``, ``<``, ``>``), so a name or an
    error text cannot mention a channel or make a link.
    """
    files = ", ".join(run.files[:5]) + (" …" if len(run.files) > 5 else "")
    said = run.summary or "started"
    text = (
        f"*{event}*: `{_slack(run.command)}` by {_slack(run.actor)} on "
        f"{_slack(run.target or 'the target')}"
        f"{f' ({_slack(files)})' if files else ''}: {_slack(said)}"
    )
    return {"text": text, "truss": json_body}


def _slack(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
