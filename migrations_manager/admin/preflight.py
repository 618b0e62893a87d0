"""The read-only pre-flight pages: the safety check, and the preview of one migration file.

Both need ``view_migration`` only. The safety result is also shown, fresh, by the run
confirmation (``safety_context``); the lint findings link to the line of the preview they
concern (``#line-N``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.utils.text import Truncator

from .. import services
from ..exceptions import MigrationsManagerError
from ..types import Blocker, CheckReport, LintFinding, State
from .listing import FRAMEWORK_VAR, framework_query
from .source import highlighted, source_lines

if TYPE_CHECKING:
    from .options import MigrationAdmin

QUERY_EXCERPT = 160  # characters of a blocker's query shown; its tooltip holds what the check read
IDLE_IN_TRANSACTION = ("idle in transaction", "idle in transaction (aborted)")


@dataclass(frozen=True)
class Finding:
    """A lint finding and the preview line it points at."""

    finding: LintFinding
    url: str


@dataclass(frozen=True)
class BlockerRow:
    """A session in the way of a pending statement, as the safety tables show it."""

    blocker: Blocker
    statement_url: str
    terminate_url: str  # empty: not a session to end from here

    @property
    def idle_in_transaction(self) -> bool:
        """The usual culprit: a transaction left open by a client that does nothing."""
        return self.blocker.state in IDLE_IN_TRANSACTION

    @property
    def query_excerpt(self) -> str:
        return Truncator(self.blocker.query or "").chars(QUERY_EXCERPT)

    @property
    def durations(self) -> list[str]:
        """How long: in its state, with its transaction open, waiting for its lock."""
        blocker, said = self.blocker, []
        if blocker.state_seconds is not None:
            state = blocker.state or "in this state"
            said.append(f"{state} for {services.duration(blocker.state_seconds)}")
        if blocker.xact_seconds is not None:
            said.append(f"transaction open for {services.duration(blocker.xact_seconds)}")
        if blocker.waiting_seconds is not None:
            said.append(f"waiting for its lock for {services.duration(blocker.waiting_seconds)}")
        return said


@dataclass(frozen=True)
class BlockedTable:
    relation: str
    rows: list[BlockerRow]


def check_view(model_admin: MigrationAdmin, request: HttpRequest) -> HttpResponse:
    """Run the safety check now (read-only) and show every part of its answer."""
    model_admin.require(request, model_admin.has_view_permission)
    framework = request.GET.get(FRAMEWORK_VAR) or None
    context: dict[str, Any] = {"title": "Safety check", "framework": framework}
    try:
        report = services.check(framework=framework)
    except MigrationsManagerError as error:
        context["problem"] = error.message
        return model_admin.render(request, "check.html", context)
    can_run = report.pending_count > 0 and model_admin.has_run_permission(request)
    context.update(
        safety_context(model_admin, report, framework),
        again_url=request.get_full_path(),
        run_url=model_admin.url("run", query=framework_query(framework)) if can_run else None,
    )
    return model_admin.render(request, "check.html", context)


def safety_context(
    model_admin: MigrationAdmin, report: CheckReport, framework: str | None
) -> dict[str, Any]:
    """What ``includes/safety.html`` shows: the report, its blockers per table, its findings."""
    return {
        "check": report,
        "blocked_tables": _blocked_tables(model_admin, report.blockers, framework),
        "check_findings": findings(model_admin, report.lint, framework),
    }


def _blocked_tables(
    model_admin: MigrationAdmin, blockers: Sequence[Blocker], framework: str | None
) -> list[BlockedTable]:
    tables: dict[str, list[BlockerRow]] = {}
    for blocker in blockers:
        url = line_url(model_admin, blocker.file, blocker.line, framework)
        end = model_admin.url("terminate", str(blocker.pid), query=framework_query(framework))
        if services.is_own_session(blocker.application_name):
            end = ""  # one of this tool's runs: it is cancelled from its page, not ended
        tables.setdefault(blocker.relation, []).append(BlockerRow(blocker, url, end))
    return [BlockedTable(relation, rows) for relation, rows in tables.items()]


def findings(
    model_admin: MigrationAdmin, found: Sequence[LintFinding], framework: str | None
) -> list[Finding]:
    return [Finding(item, line_url(model_admin, item.file, item.line, framework)) for item in found]


def line_url(model_admin: MigrationAdmin, name: str, line: int, framework: str | None) -> str:
    """The preview of ``name``, scrolled to ``line``."""
    return model_admin.url("preview", name, query=framework_query(framework)) + f"#line-{line}"


def preview_view(model_admin: MigrationAdmin, request: HttpRequest, name: str) -> HttpResponse:
    """A migration file highlighted, its lint findings at their lines, its up / down sections,
    and for a ``.cjs`` file the SQL node-pg-migrate would run."""
    model_admin.require(request, model_admin.has_view_permission)
    framework = request.GET.get(FRAMEWORK_VAR) or None
    context: dict[str, Any] = {"title": f"Preview of {name}", "name": name, "framework": framework}
    try:
        preview = services.preview(
            name, framework=framework, run_code=model_admin.has_run_permission(request)
        )
    except MigrationsManagerError as error:
        context["problem"] = error.message
        return model_admin.render(request, "preview.html", context)
    detect_params = {
        "migration": preview.filename,
        **({FRAMEWORK_VAR: framework} if framework else {}),
    }
    context.update(
        _file_state(model_admin, request, preview.filename, framework),
        preview=preview,
        source=source_lines(preview.content, preview.filename, preview.lint),
        findings=findings(model_admin, preview.lint, framework),
        # A section that is lines of the file shown above is pointed at, not shown again.
        up=None if preview.up_lines else highlighted(preview.up, "section.sql"),
        down=None if preview.down_lines else highlighted(preview.down, "section.sql"),
        node_sql=highlighted(preview.sql, "dry-run.sql"),
        detect_url=model_admin.url("detect_schema", query=f"?{urlencode(detect_params)}"),
    )
    return model_admin.render(request, "preview.html", context)


def _file_state(
    model_admin: MigrationAdmin, request: HttpRequest, name: str, framework: str | None
) -> dict[str, Any]:
    """The file's state against the tracking table, and the run / mark-as-applied buttons the
    user may press when it is pending (each POSTs to its confirmation page)."""
    try:
        report = services.status(framework=framework)
    except MigrationsManagerError as error:
        return {"state_problem": error.message}
    status = next((s for s in report.migrations if s.name == name and s.migration), None)
    pending = status is not None and status.state is State.PENDING
    can_run = pending and model_admin.has_run_permission(request)
    can_mark = pending and model_admin.has_mark_permission(request)
    return {
        "status": status,
        "run_action": model_admin.url("run") if can_run else None,
        "mark_action": model_admin.url("mark_applied", name) if can_mark else None,
    }
