"""The admin's "Change requests": the list, and a request's page with the plan's exact SQL, the
check its approvers read, the approvals, and the Approve / Reject / Execute buttons.

Nothing of a request is edited by hand; the buttons POST (with the CSRF token) to views that
check the permission again and call ``services``: approving needs ``approve_migrations`` (and
is refused to the requester), executing needs ``run_migrations``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.text import Truncator

from .. import services
from ..exceptions import MigrationsManagerError
from ..models import APPROVE_PERMISSION, RUN_PERMISSION, VIEW_PERMISSION, ChangeRequest
from ..sources import ascii_digits
from ..web import actor_of
from .control import ADMIN
from .history import REASON_EXCERPT, AuditLogPermissions, badge

# Each decision's service, by name: the admin loads at start-up; the services when first used.
DECISIONS = {"approve": "approve_request", "reject": "reject_request"}
BADGES = {
    "pending": "pending",
    "approved": "applied",
    "executed": "succeeded",
    "expired": "refused",
}


@admin.register(ChangeRequest)
class ChangeRequestAdmin(AuditLogPermissions, admin.ModelAdmin):
    """The change requests, newest first, filtered by state; read-only but for the buttons."""

    readers = (VIEW_PERMISSION, APPROVE_PERMISSION)
    list_display = (
        "id",
        "created_at",
        "state_badge",
        "requester_name",
        "files_text",
        "reason_text",
    )
    list_filter = ("state",)
    search_fields = ("requester_name", "reason", "files")
    fields = readonly_fields = (
        "created_at",
        "requester_name",
        "source",
        "reason",
        "state_badge",
        "target",
        "target_key",
        "tracking_table",
        "files_text",
        "not_before",
        "not_after",
        "only_when_safe",
        "outcome",
        "finished_at",
    )

    class Media:
        css = {"all": ["migrations_manager/admin.css"]}

    def get_urls(self) -> list[URLPattern]:
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        actions = [
            path(
                f"<int:request_id>/{action}/",
                self.admin_site.admin_view(self.action_view),
                {"action": action},
                name=f"{info}_{action}",
            )
            for action in (*DECISIONS, "execute")
        ]
        return [*actions, *super().get_urls()]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """A request's page; the buttons its state and the user's permissions allow."""
        found = (
            ChangeRequest.objects.filter(pk=object_id).first() if ascii_digits(object_id) else None
        )
        buttons = self._buttons(request, found) if found is not None else {}
        return super().change_view(
            request, object_id, form_url, {**buttons, **(extra_context or {})}
        )

    def _buttons(self, request: HttpRequest, found: ChangeRequest) -> dict[str, Any]:
        user = request.user
        own = user.pk == found.requester_id or user.get_username() == found.requester_name
        may_approve = self._may(request, APPROVE_PERMISSION)
        pending = found.state == ChangeRequest.State.PENDING
        approved = found.state == ChangeRequest.State.APPROVED
        return {
            "can_approve": may_approve and pending and not own,
            "can_reject": may_approve and (pending or approved),
            "can_execute": self._may(request, RUN_PERMISSION) and approved,
            "approvals": list(found.approvals.all()),
        }

    def _may(self, request: HttpRequest, codename: str) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    def action_view(self, request: HttpRequest, request_id: int, action: str) -> HttpResponse:
        """POST: approve, reject or execute the request, then back to its page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        actor = actor_of(request, source=ADMIN)
        try:
            if action == "execute":
                if not self._may(request, RUN_PERMISSION):
                    raise PermissionDenied
                report = services.execute_request(request_id, actor=actor)
                level = messages.SUCCESS if report.ok else messages.ERROR
                self.message_user(request, services.summarize(report), level)
            else:
                if not self._may(request, APPROVE_PERMISSION):
                    raise PermissionDenied
                decide = getattr(services, DECISIONS[action])
                comment = request.POST.get("comment", "")
                decided = decide(request_id, actor=actor, comment=comment)
                self.message_user(request, f"Change request {request_id} is {decided.state}.")
        except MigrationsManagerError as error:
            self.message_user(request, error.message, messages.ERROR)
        page = f"admin:{self.opts.app_label}_{self.opts.model_name}_change"
        return HttpResponseRedirect(reverse(page, args=[request_id]))

    @admin.display(description="state", ordering="state")
    def state_badge(self, found: ChangeRequest) -> str:
        return badge(BADGES.get(found.state, "failed"), found.get_state_display())

    @admin.display(description="files")
    def files_text(self, found: ChangeRequest) -> str:
        return ", ".join(found.file_names) or "—"

    @admin.display(description="reason")
    def reason_text(self, found: ChangeRequest) -> str:
        return Truncator(found.reason).chars(REASON_EXCERPT)
