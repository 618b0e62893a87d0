"""The migration list: every file and orphaned row with its state, filtered, searched, paged.

The whole status comes from ``services.status()``; filtering by state, searching by name and
paging happen here, on the report, so thousands of migrations render one page at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, QueryDict

from .. import services
from ..exceptions import MigrationsManagerError, UsageError
from ..sources import ascii_digits
from ..templatetags.migrations_manager import aware
from ..types import MigrationStatus, State, StatusReport

if TYPE_CHECKING:
    from .options import MigrationAdmin

STATE_VAR = "state"
SEARCH_VAR = "q"
FRAMEWORK_VAR = "framework"
PAGE_VAR = "p"
TITLE = "Migrations"


@dataclass(frozen=True)
class Row:
    """One line of the list, with the actions the user may take on it."""

    status: MigrationStatus
    applied_at: datetime | None
    preview_url: str | None
    run_url: str | None
    mark_url: str | None


@dataclass(frozen=True)
class Choice:
    """A link of the state filter, the framework switch or the paginator."""

    label: str
    url: str
    selected: bool
    count: int | None = None


def migration_list(
    model_admin: MigrationAdmin, request: HttpRequest, extra_context: dict[str, Any] | None
) -> HttpResponse:
    framework = request.GET.get(FRAMEWORK_VAR) or None
    try:
        report = services.status(framework=framework)
    except UsageError as error:
        if framework is None:
            return _render_error(model_admin, request, error)
        # An unknown or undetected ?framework=: back to the table in use, saying why.
        model_admin.message_user(request, error.message, messages.ERROR)
        return model_admin.redirect("changelist")
    except MigrationsManagerError as error:
        return _render_error(model_admin, request, error)
    state = _state(request.GET.get(STATE_VAR))
    search = request.GET.get(SEARCH_VAR, "").strip()
    shown = _matching(in_list_order(report.migrations), state, search)
    page = Paginator(shown, model_admin.list_per_page).get_page(request.GET.get(PAGE_VAR))
    context = {
        "title": TITLE,
        "report": report,
        "rows": [_row(model_admin, request, status, framework) for status in page],
        "page_links": _page_links(request.GET, page),
        "shown_count": len(shown),
        "state_choices": _state_choices(request.GET, report, state),
        "has_active_filters": bool(state or search),
        "clear_filters_url": _query(request.GET, **{STATE_VAR: None, SEARCH_VAR: None}),
        "framework_choices": _framework_choices(request.GET, report),
        "search": search,
        "search_var": SEARCH_VAR,
        "kept_params": [(k, v) for k, v in request.GET.items() if k not in (SEARCH_VAR, PAGE_VAR)],
        "pending_count": len(report.pending),
        "run_all_url": _run_url(model_admin, (), framework),
        "check_url": model_admin.url("check", query=framework_query(framework)),
        "detect_url": model_admin.url("detect_schema", query=framework_query(framework)),
        "drift_url": model_admin.url("drift", query=framework_query(framework)),
        **(extra_context or {}),
    }
    return model_admin.render(request, "change_list.html", context)


def _render_error(
    model_admin: MigrationAdmin, request: HttpRequest, error: MigrationsManagerError
) -> HttpResponse:
    return model_admin.render(request, "change_list.html", {"title": TITLE, "error": error.message})


def in_list_order(migrations: Sequence[MigrationStatus]) -> list[MigrationStatus]:
    """The files in the framework's order, and each orphaned row among them where its name
    falls (the report lists orphans last): an orphan is read next to its neighbours.

    An orphan's name is what the framework stores for a file (its identifier): it is compared
    with the files' identifiers, numbers as numbers (Flyway's version 10 comes after 9)."""
    orphans = sorted((s for s in migrations if s.migration is None), key=lambda s: _natural(s.name))
    ordered: list[MigrationStatus] = []
    for status in migrations:
        if status.migration is None:
            continue
        mine = _natural(status.migration.identifier)
        while orphans and _natural(orphans[0].name) < mine:
            ordered.append(orphans.pop(0))
        ordered.append(status)
    return ordered + orphans


def _natural(name: str) -> list[tuple[int, int | str]]:
    """``name``'s sort key: runs of digits compare as numbers, ahead of any text."""
    return [
        (0, int(part)) if ascii_digits(part) else (1, part)
        for part in re.split(r"(\d+)", name)
        if part
    ]


def _matching(
    migrations: Sequence[MigrationStatus], state: State | None, search: str
) -> list[MigrationStatus]:
    """The migrations in ``state`` (any when None) whose name contains ``search``, any case."""
    needle = search.casefold()
    return [
        status
        for status in migrations
        if (state is None or status.state is state) and needle in status.name.casefold()
    ]


def _state(value: str | None) -> State | None:
    """The state asked for by ``?state=``; an unknown value shows every state."""
    return State(value) if value in {state.value for state in State} else None


def _row(
    model_admin: MigrationAdmin,
    request: HttpRequest,
    status: MigrationStatus,
    framework: str | None,
) -> Row:
    pending = status.state is State.PENDING
    can_run = pending and model_admin.has_run_permission(request)
    can_mark = pending and model_admin.has_mark_permission(request)
    query = framework_query(framework)
    # Only a migration with a file gets links: an orphaned row's name is whatever the table
    # holds (db-migrate's start with "/"), which no URL of the panel can carry.
    has_file = status.migration is not None
    return Row(
        status=status,
        applied_at=aware(status.applied_at) if status.applied_at else None,
        preview_url=model_admin.url("preview", status.name, query=query) if has_file else None,
        run_url=_run_url(model_admin, (status.name,), framework) if can_run else None,
        mark_url=model_admin.url("mark_applied", status.name, query=query) if can_mark else None,
    )


def framework_query(framework: str | None) -> str:
    """The query string that keeps the tracking table chosen with ``?framework=``."""
    return f"?{urlencode({FRAMEWORK_VAR: framework})}" if framework else ""


def _run_url(model_admin: MigrationAdmin, names: Iterable[str], framework: str | None) -> str:
    """The run confirmation for ``names`` (none: every pending one) on the table in use."""
    params = [("name", name) for name in names]
    params += [(FRAMEWORK_VAR, framework)] if framework else []
    return model_admin.url("run", query=f"?{urlencode(params)}" if params else "")


def _state_choices(params: QueryDict, report: StatusReport, current: State | None) -> list[Choice]:
    everything = Choice("All", _query(params, **{STATE_VAR: None, PAGE_VAR: None}), current is None)
    return [everything] + [
        Choice(
            state.value,
            _query(params, **{STATE_VAR: state.value, PAGE_VAR: None}),
            current is state,
            report.count(state),
        )
        for state in State
    ]


def _framework_choices(params: QueryDict, report: StatusReport) -> list[Choice]:
    """One link per detected tracking table, when there are several (each is shown)."""
    if len(report.detected_tables) < 2:
        return []
    return [
        Choice(
            f"{detected.framework} ({detected.ref})",
            _query(params, **{FRAMEWORK_VAR: detected.framework, PAGE_VAR: None}),
            detected.framework == report.framework and detected.ref == report.tracking_table,
        )
        for detected in report.detected_tables
    ]


def _page_links(params: QueryDict, page: Page) -> list[Choice]:
    if page.paginator.num_pages < 2:
        return []
    numbers = page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return [
        Choice(str(number), "", False)
        if number == page.paginator.ELLIPSIS
        else Choice(str(number), _query(params, **{PAGE_VAR: str(number)}), number == page.number)
        for number in numbers
    ]


def _query(params: QueryDict, **changes: str | None) -> str:
    """``params`` with ``changes`` applied (``None`` removes a key), as a query string."""
    query = params.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None:
            query[key] = value
    return f"?{query.urlencode()}" if query else "?"
