"""Plain-text renderings of the pre-flight reports for ``pgmigrate`` (one string per line)."""

from __future__ import annotations

from collections.abc import Iterable

from ..types import CheckReport, LintFinding, SchemaReport


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
