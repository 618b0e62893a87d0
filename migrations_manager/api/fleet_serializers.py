"""The JSON bodies of the targets and fleets (``fleet/status``, ``fleet/runs``), which
``pgmigrate targets --json`` and ``pgmigrate fleet --json`` print as well."""

from __future__ import annotations

from rest_framework import serializers

from ..models import FleetRun, FleetTarget
from ..services.fleetview import FILTERS
from .serializers import ExactTextField, StrictSerializer, UTCDateTimeField, ext


class TargetSerializer(serializers.Serializer):
    """A target as configured (its URL has no password: none is ever stored)."""

    name = serializers.CharField()
    url = serializers.CharField(source="shown_url", allow_null=True, help_text="Never a password.")
    password_env = serializers.CharField(help_text="The variable that holds the password.")
    migrations_dir = serializers.CharField()
    framework = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    lock_timeout = serializers.CharField()


class ConnectionTestSerializer(serializers.Serializer):
    target = serializers.CharField()
    ok = serializers.BooleanField()
    server = serializers.CharField()
    error = serializers.CharField()


class FleetQuerySerializer(StrictSerializer):
    tag = serializers.CharField(required=False, help_text="Only the targets with this tag.")
    filter = serializers.ChoiceField(
        choices=FILTERS, required=False, help_text="Only the targets behind, failing, unreachable."
    )


class FleetRowSerializer(serializers.Serializer):
    target = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    reachable = serializers.BooleanField()
    error = serializers.CharField(help_text="Why the target could not be read (else empty).")
    framework = serializers.CharField()
    counts = serializers.DictField(child=serializers.IntegerField())
    pending = serializers.ListField(
        child=serializers.CharField(), help_text="What a run would apply, in order."
    )
    last_applied = serializers.CharField(allow_null=True)
    last_applied_at = UTCDateTimeField(allow_null=True)


class FleetRunRequestSerializer(StrictSerializer):
    """Body of ``POST fleet/runs``: which targets, and the run's rules."""

    tag = serializers.CharField(required=False, help_text="Only the targets with this tag.")
    concurrency = serializers.IntegerField(
        required=False, min_value=1, help_text="Targets at once (default FLEET_CONCURRENCY)."
    )
    canary = serializers.IntegerField(
        required=False,
        min_value=0,
        default=0,
        help_text="The first K targets run first; the others only if they all succeed.",
    )
    max_failures = serializers.IntegerField(
        required=False, min_value=1, help_text="Start no new target after this many failures."
    )
    reason = ExactTextField(
        required=False, allow_blank=True, help_text="Run past the safety gate (audited)."
    )


class FleetChildSerializer(serializers.Serializer):
    target = serializers.CharField()
    status = serializers.ChoiceField(choices=FleetTarget.Status.choices)
    attempts = serializers.IntegerField()
    error = serializers.CharField()
    sqlstate = serializers.CharField()
    duration = serializers.FloatField(allow_null=True, help_text="Seconds.")
    run_id = serializers.IntegerField(allow_null=True, help_text="Its audit run (`runs/{id}`).")


class FleetReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=FleetRun.Status.choices)
    ok = serializers.BooleanField()
    started_at = UTCDateTimeField()
    finished_at = UTCDateTimeField(allow_null=True)
    actor = serializers.CharField()
    tag = serializers.CharField()
    concurrency = serializers.IntegerField()
    canary = serializers.IntegerField()
    max_failures = serializers.IntegerField(allow_null=True)
    counts = serializers.DictField(child=serializers.IntegerField())
    targets = FleetChildSerializer(many=True, help_text=ext("One per target, in run order."))
