"""Plain-text renderings of the pre-flight reports for ``pgmigrate`` (one string per line)."""

from __future__ import annotations

from collections.abc import Iterable

from ..models import ChangeRequest
from ..types import CheckReport, DriftReport, LintFinding, SchemaReport


def lint_lines(findings: Iterable[LintFinding]) -> list[str]:
    """``file:line: severity RULE message`` and the hint beneath, like a compiler's output."""
    lines = []
    for finding in findings:
        lines.append(
            f"{finding.file}:{finding.line}: {finding.severity} {finding.rule} {finding.message}"
        )
        lines.append(f"    hint: {finding.hint}")
    return lines


def check_lines(report: CheckReport) -> list[str]:
    lines = [
        f"Database: {report.database} (user {report.user}, PostgreSQL {report.server_version})",
        f"Pending: {report.pending_count}"
        + (f" ({', '.join(report.pending_files)})" if report.pending_files else ""),
        f"Waiting locks: {report.lock_count}  Active transactions: {report.active_tx_count}",
    ]
    for blocker in report.blockers:
        lines.append(
            f"Blocker: pid {blocker.pid} ({blocker.state or 'state unknown'}) "
            f"{'holds' if blocker.granted else 'waits for'} {blocker.lock_mode} on "
            f"{blocker.relation}; {blocker.file}:{blocker.line} {blocker.statement} needs "
            f"{blocker.required_mode}"
        )
    lines.extend(lint_lines(report.lint))
    lines.extend(f"Warning: {warning}" for warning in report.warnings)
    return lines


def schema_lines(report: SchemaReport) -> list[str]:
    lines = []
    for finding in report.findings:
        state = "differs" if finding.differs else "exists" if finding.exists else "missing"
        line = f"  [{state:^7}] {finding.type} {finding.name}"
        lines.append(line + (f": {finding.reason}" if finding.reason else ""))
    lines.extend(f"  [changes] {change.text}" for change in report.data_changes)
    lines.append(report.recommendation)
    return lines


def drift_lines(report: DriftReport) -> list[str]:
    """Each difference with its DDL, what was not replayed, and the verdict."""
    lines = [f"Framework: {report.framework}  tracking table: {report.tracking_table}"]
    lines.append(f"Replayed {len(report.replayed)} applied migration(s) into a scratch database.")
    lines.extend(f"  [not replayed] {item.name}: {item.reason}" for item in report.not_replayed)
    if report.replay_failure:
        lines.append(f"  [replay stopped] {report.replay_failure}")
    for difference in report.differences:
        lines.append(f"  [{difference.change:^7}] {difference.sentence}")
        if difference.ddl:
            lines.extend(f"      {line}" for line in difference.ddl.splitlines())
    lines.append(
        f"Drift: {len(report.differences)} difference(s)." if report.drifted else "No drift."
    )
    return lines


def request_line(request: ChangeRequest) -> str:
    """``#3 approved  alice  2026-12-08 01:02  001_a.sql, 002_b.sql``."""
    files = ", ".join(request.file_names)
    return (
        f"#{request.pk} {request.state:<8} {request.requester_name}  "
        f"{request.created_at:%Y-%m-%d %H:%M}  {files}"
    )


def request_lines(request: ChangeRequest) -> list[str]:
    """A change request in full: who asked and why, the window, the check, the approvals,
    and the exact SQL."""
    lines = [request_line(request), f"Reason: {request.reason}"]
    lines.append(f"Target: {request.target} ({request.target_key})")
    if request.not_before or request.not_after:
        lines.append(
            f"Window: {request.not_before or 'now'} to {request.not_after or 'open'}"
            + (" (only when safe)" if request.only_when_safe else "")
        )
    for segment in request.segments:
        lines.append(f"Segment ({segment['mode']}): {', '.join(segment['files'])}")
    errors = request.check_result.get("errors", [])
    lines.append("Check: safe" if not errors else f"Check: {len(errors)} error(s)")
    lines.extend(f"  [{error['kind']}] {error['message']}" for error in errors)
    for approval in request.approvals.all():
        comment = f": {approval.comment}" if approval.comment else ""
        lines.append(
            f"{approval.decision.capitalize()} by {approval.approver_name} at "
            f"{approval.decided_at:%Y-%m-%d %H:%M}{comment}"
        )
    if request.outcome:
        lines.append(f"Outcome: {request.outcome}")
    return [*lines, "SQL:", request.sql_text]
