"""The JSON bodies of the change requests (``requests``, ``requests/{id}/...``)."""

from __future__ import annotations

from rest_framework import serializers

from ..models import ChangeRequest, MigrationRun
from .serializers import (
    ExactTextField,
    IdempotentRunSerializer,
    MigrationNameField,
    StrictSerializer,
    UTCDateTimeField,
    ext,
)

# ---- requests ----------------------------------------------------------------------------------


class ChangeRequestCreateSerializer(StrictSerializer):
    """Body of ``POST requests``: the run's body (``{}`` or the names), a reason, a window."""

    migrations = serializers.ListField(
        child=MigrationNameField(),
        required=False,
        allow_empty=False,
        help_text="File names of pending migrations; omit to ask for all of them, in order.",
    )
    reason = ExactTextField(max_length=2000, help_text="Why the change is asked for.")
    not_before = UTCDateTimeField(required=False, help_text="The window opens (scheduler).")
    not_after = UTCDateTimeField(required=False, help_text="The window ends: then it expires.")
    only_when_safe = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Run only when the safety gate finds nothing (retried inside the window).",
    )


class DecisionSerializer(StrictSerializer):
    """Body of ``POST requests/{id}/approve`` and ``.../reject``."""

    comment = ExactTextField(required=False, allow_blank=True, max_length=2000, default="")


class RequestQuerySerializer(StrictSerializer):
    """``?state=`` of ``GET requests``."""

    state = serializers.ChoiceField(choices=ChangeRequest.State.choices, required=False)


# ---- responses ---------------------------------------------------------------------------------


class ApprovalSerializer(serializers.Serializer):
    approver = serializers.CharField(source="approver_name")
    source = serializers.ChoiceField(choices=MigrationRun.Source.choices)
    decision = serializers.CharField(help_text="approved or rejected.")
    comment = serializers.CharField()
    decided_at = UTCDateTimeField()


class ChangeRequestSerializer(serializers.Serializer):
    """A change request: the plan it is bound to, the check when it was asked, its approvals."""

    id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=ChangeRequest.State.choices)
    created_at = UTCDateTimeField()
    requester = serializers.CharField(source="requester_name")
    source = serializers.ChoiceField(choices=MigrationRun.Source.choices)
    reason = serializers.CharField()
    target = serializers.CharField()
    framework = serializers.CharField()
    tracking_table = serializers.CharField()
    migrations = serializers.ListField(
        source="selected", child=serializers.CharField(), allow_null=True
    )
    files = serializers.ListField(child=serializers.DictField(), help_text="name and sha256.")
    segments = serializers.ListField(child=serializers.DictField(), help_text="mode and files.")
    applied = serializers.ListField(child=serializers.CharField())
    sql = serializers.CharField(source="sql_text", help_text="The exact SQL of the plan.")
    check = serializers.DictField(source="check_result", help_text="safe, and the gate's errors.")
    not_before = UTCDateTimeField(allow_null=True)
    not_after = UTCDateTimeField(allow_null=True)
    only_when_safe = serializers.BooleanField()
    approvals = ApprovalSerializer(source="approvals.all", many=True)
    outcome = serializers.CharField()
    finished_at = UTCDateTimeField(allow_null=True)
    runs = serializers.SerializerMethodField(help_text="The ids of the audit log's runs of it.")

    def get_runs(self, request: ChangeRequest) -> list[int]:
        return list(request.runs.order_by("id").values_list("id", flat=True))


class RequestRunSerializer(IdempotentRunSerializer):
    """``POST requests/{id}/execute``: the run's body, and the request as it ended."""

    request = serializers.SerializerMethodField(help_text=ext("The change request."))

    def get_request(self, report: object) -> dict:
        return ChangeRequestSerializer(self.context["change_request"]).data
