"""``MigrationAdmin``: the Migrations panel, hung off the table-less ``Migration`` model."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from .. import highlight
from ..models import Migration
from . import confirm, control, detection, drift, fleets, listing, preflight, switch


@admin.register(Migration)
class MigrationAdmin(admin.ModelAdmin):
    """The target's migrations, read through ``services`` (no table stands behind the model).

    Besides the list, the pages are the safety check, the preview of a file, schema detection
    and the confirmations of run and mark-applied. Every page is a view of ``get_urls()``
    wrapped by ``admin_site.admin_view`` (staff login, CSRF, never cached). Templates come from
    ``template_names()``: a project replaces one page with the matching ``*_template``
    attribute on a subclass, or by shadowing ``admin/migrations_manager/migration/<page>.html``.

    Permissions are the codenames the REST API checks: reading (list, check, preview, detection,
    drift) needs ``view_migration``; the run and mark-applied pages need ``run_migrations`` /
    ``mark_migrations`` on top of it.
    """

    list_per_page = 100
    change_list_template: str | None = None
    run_confirmation_template: str | None = None
    mark_confirmation_template: str | None = None
    check_template: str | None = None
    preview_template: str | None = None
    detect_schema_template: str | None = None
    drift_template: str | None = None

    class Media:
        css = {"all": ["migrations_manager/admin.css", highlight.STYLESHEET]}

    # ---- permissions ------------------------------------------------------------------------

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_run_permission(self, request: HttpRequest) -> bool:
        return self._has_perm_and_view(request, "run_migrations")

    def has_mark_permission(self, request: HttpRequest) -> bool:
        return self._has_perm_and_view(request, "mark_migrations")

    def has_terminate_permission(self, request: HttpRequest) -> bool:
        return self._has_perm_and_view(request, "terminate_sessions")

    def _has_perm_and_view(self, request: HttpRequest, codename: str) -> bool:
        perm = f"{self.opts.app_label}.{codename}"
        return self.has_view_permission(request) and request.user.has_perm(perm)

    def require(self, request: HttpRequest, allowed: Callable[[HttpRequest], bool]) -> None:
        """Raise ``PermissionDenied`` (403) unless ``allowed(request)``: checked on every
        request, POST included, whatever the page showed."""
        if not allowed(request):
            raise PermissionDenied

    # ---- URLs -------------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        pages = [
            ("", self.changelist_view, "changelist"),
            ("check/", partial(preflight.check_view, self), "check"),
            ("detect-schema/", partial(detection.detect_view, self), "detect_schema"),
            ("drift/", partial(drift.drift_view, self), "drift"),
            ("run/", partial(confirm.run_view, self), "run"),
            ("fleet/", partial(fleets.fleet_view, self), "fleet"),
            ("fleet/run/", partial(fleets.fleet_run_view, self), "fleet_run"),
            ("fleet/runs/<int:fleet_id>/", partial(fleets.fleet_report_view, self), "fleet_report"),
            ("<str:name>/preview/", partial(preflight.preview_view, self), "preview"),
            ("<str:name>/mark-applied/", partial(confirm.mark_view, self), "mark_applied"),
            ("sessions/<int:pid>/terminate/", partial(control.terminate_view, self), "terminate"),
        ]
        return [
            path(route, self._admin_view(view), name=f"{prefix}_{page}")
            for route, view, page in pages
        ]

    def _admin_view(self, view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        wrapped = self.admin_site.admin_view(partial(switch.scoped, self, view))
        wrapped.model_admin = self  # as ModelAdmin.get_urls marks its own views
        return wrapped

    def url(self, page: str, *args: str, query: str = "") -> str:
        """The URL of one of this panel's pages (``changelist``, ``check``, ``detect_schema``,
        ``drift``, ``run``, ``preview``, ``mark_applied``)."""
        name = f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_{page}"
        return reverse(name, args=args) + query

    def redirect(self, page: str, *args: str, query: str = "") -> HttpResponseRedirect:
        return HttpResponseRedirect(self.url(page, *args, query=query))

    # ---- pages ------------------------------------------------------------------------------

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self.require(request, self.has_view_permission)
        return listing.migration_list(self, request, extra_context)

    def render(self, request: HttpRequest, page: str, context: dict[str, Any]) -> TemplateResponse:
        """A ``TemplateResponse`` for ``page`` with the admin's context around ``context``."""
        request.current_app = self.admin_site.name
        full_context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "media": self.media,
            "has_run_permission": self.has_run_permission(request),
            "has_terminate_permission": self.has_terminate_permission(request),
            "changelist_url": self.url("changelist"),
            "fleet_url": self.url("fleet"),
            "target_choices": switch.choices(request, self.url("changelist")),
            **context,
        }
        return TemplateResponse(request, self.template_names(page), full_context)

    def template_names(self, page: str) -> list[str]:
        """The override chain of ``page`` (e.g. ``run_confirmation.html``), most specific first."""
        override = getattr(self, f"{page.removesuffix('.html')}_template", None)
        app_label, model_name = self.opts.app_label, self.opts.model_name
        chain = [f"admin/{app_label}/{model_name}/{page}", f"admin/{app_label}/{page}"]
        return [override, *chain] if override else chain
