"""The audit log as a read-only admin: who ran what, when, against which target, how it ended.

A run's page doubles as the result page the run confirmation redirects to: its template shows
the applied files, or the failed file with its error, line and excerpt, above the record.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, path
from django.utils.html import format_html
from django.utils.text import Truncator

from ..models import MigrationEvent, MigrationRun
from ..sources import ascii_digits
from . import control
from .columns import timestamp_column

REASON_EXCERPT = 80  # characters of a run's reason in the list; its page shows all of it
SUMMARY_EXCERPT = 120  # characters of a run's summary in the list


class AuditLogPermissions:
    """Nothing of the audit log is added, changed or deleted by hand; whoever may read the
    migrations (``view_migration``) or the runs (``view_migrationrun``) reads all of it, the
    per-migration events included."""

    readers = ("view_migration", "view_migrationrun")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        app_label = MigrationRun._meta.app_label
        return super().has_view_permission(request, obj) or any(
            request.user.has_perm(f"{app_label}.{codename}") for codename in self.readers
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MigrationEventInline(AuditLogPermissions, admin.TabularInline):
    model = MigrationEvent
    fields = readonly_fields = ("name", "direction", "outcome", "duration_text", "error")
    extra = 0
    can_delete = False
    verbose_name = "migration"
    verbose_name_plural = "migrations of this run"

    @admin.display(description="outcome")
    def outcome(self, event: MigrationEvent) -> str:
        return badge("succeeded" if event.ok else "failed", "ok" if event.ok else "failed")

    @admin.display(description="duration")
    def duration_text(self, event: MigrationEvent) -> str:
        return "" if event.duration is None else f"{event.duration:.3f} s"


@admin.register(MigrationRun)
class MigrationRunAdmin(AuditLogPermissions, admin.ModelAdmin):
    """The runs, newest first, filtered by outcome, command and source."""

    list_display = (
        "started",
        "outcome_badge",
        "command",
        "source",
        "files_text",
        "actor",
        "summary_text",
        "reason_text",
    )
    list_filter = ("outcome", "command", "source")
    search_fields = ("actor", "summary", "target", "files", "reason")
    changelist_title = "Migration history"
    date_hierarchy = "started_at"
    inlines = [MigrationEventInline]
    fields = readonly_fields = (
        "started",
        "finished",
        "actor",
        "user",
        "client_address",
        "source",
        "command",
        "target",
        "framework",
        "tracking_table",
        "files_text",
        "outcome_badge",
        "summary",
        "reason",
    )

    class Media:
        css = {"all": ["migrations_manager/admin.css"]}

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return super().changelist_view(
            request, {"title": self.changelist_title, **(extra_context or {})}
        )

    def get_urls(self) -> list[URLPattern]:
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        cancel = path(
            "<int:run_id>/cancel/",
            self.admin_site.admin_view(self.cancel_view),
            name=f"{info}_cancel",
        )
        return [cancel, *super().get_urls()]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """A run's page; while the run lasts, where it is (refreshed) and a cancel button."""
        run = MigrationRun.objects.filter(pk=object_id).first() if ascii_digits(object_id) else None
        live = control.run_page_context(request, run) if run is not None else {}
        return super().change_view(request, object_id, form_url, {**live, **(extra_context or {})})

    def cancel_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        """POST: cancel the running run (needs ``run_migrations``)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm(f"{self.opts.app_label}.run_migrations"):
            raise PermissionDenied
        return control.cancel_view(request, run_id, message_user=self.message_user)

    started = timestamp_column("started_at", "started at")
    finished = timestamp_column("finished_at", "finished at")

    @admin.display(description="reason")
    def reason_text(self, run: MigrationRun) -> str:
        """Why a run went ahead although the safety check said it was not safe."""
        return Truncator(run.reason).chars(REASON_EXCERPT) if run.reason else "—"

    @admin.display(description="summary")
    def summary_text(self, run: MigrationRun) -> str:
        """What came of it: the applied files, the failure, or why it was refused."""
        return Truncator(run.summary).chars(SUMMARY_EXCERPT) if run.summary else "—"

    @admin.display(description="files")
    def files_text(self, run: MigrationRun) -> str:
        return ", ".join(run.files) or "—"

    @admin.display(description="outcome", ordering="outcome")
    def outcome_badge(self, run: MigrationRun) -> str:
        return badge(run.outcome, run.get_outcome_display())


def badge(kind: str, text: str) -> str:
    """A coloured label that also says what it means in words (never colour alone)."""
    return format_html('<span class="mm-badge mm-badge--{}">{}</span>', kind, text)
