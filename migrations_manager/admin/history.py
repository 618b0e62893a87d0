"""The audit log as a read-only admin: who ran what, when, against which target, how it ended.

A run's page doubles as the result page the run confirmation redirects to: its template shows
the applied files, or the failed file with its error, line and excerpt, above the record.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from ..models import MigrationEvent, MigrationRun


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

    list_display = ("started_at", "outcome_badge", "command", "files_text", "actor")
    list_filter = ("outcome", "command", "source")
    search_fields = ("actor", "summary", "target", "files")
    date_hierarchy = "started_at"
    inlines = [MigrationEventInline]
    fields = readonly_fields = (
        "started_at",
        "finished_at",
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

    @admin.display(description="files")
    def files_text(self, run: MigrationRun) -> str:
        return ", ".join(run.files) or "—"

    @admin.display(description="outcome", ordering="outcome")
    def outcome_badge(self, run: MigrationRun) -> str:
        return badge(run.outcome, run.get_outcome_display())


def badge(kind: str, text: str) -> str:
    """A coloured label that also says what it means in words (never colour alone)."""
    return format_html('<span class="mm-badge mm-badge--{}">{}</span>', kind, text)
