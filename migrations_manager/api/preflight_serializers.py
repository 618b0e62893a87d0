"""The JSON bodies of the pre-flight endpoints: ``check``, ``preview/{filename}``,
``idempotent/detect-schema`` (and ``pgmigrate lint --json``), over the dataclasses of ``types``.

Field names are the contract's (``spec/api.md``): the check body speaks camelCase
(``pendingCount``), as the seed does, so its fields name their snake_case attribute in
``source``; the schema report keeps the seed's snake_case. Fields the contract adds to the seed's
bodies say "(ext)" in their help text, which the OpenAPI schema shows.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import serializers

from .. import services
from ..analysis.objects import ObjectType
from ..analysis.rules.base import Severity
from ..services.schema import EITHER_SQL_OR_MIGRATION
from .serializers import (
    ExactTextField,
    FrameworkQuerySerializer,
    MigrationNameField,
    StrictSerializer,
    ext,
)

# ---- requests ----------------------------------------------------------------------------------


class PreviewQuerySerializer(FrameworkQuerySerializer):
    """``?highlight=1`` (and ``?framework=``) of ``GET preview/{filename}``."""

    highlight = serializers.BooleanField(
        required=False, default=False, help_text=ext("Add html: the content highlighted.")
    )


class DetectSchemaRequestSerializer(StrictSerializer):
    """Body of ``POST idempotent/detect-schema``: the SQL, or the name of a migration file."""

    sql = ExactTextField(
        required=False,
        allow_blank=True,
        help_text="SQL to look for the objects of. Give exactly one of sql and migration.",
    )
    migration = MigrationNameField(
        required=False,
        help_text=ext("File name of a migration whose up section to look for the objects of."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("sql" in attrs) == ("migration" in attrs):
            raise serializers.ValidationError(EITHER_SQL_OR_MIGRATION)
        return attrs


# ---- bodies ------------------------------------------------------------------------------------


class OmitEmptySerializer(serializers.Serializer):
    """Leaves out the ``omitted_when_empty`` fields whose value is empty (None, False, "")."""

    omitted_when_empty: ClassVar[tuple[str, ...]] = ()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        body = super().to_representation(instance)
        for name in self.omitted_when_empty:
            if not body.get(name):
                body.pop(name, None)
        return body


class LintFindingSerializer(serializers.Serializer):
    file = serializers.CharField()
    line = serializers.IntegerField(help_text="Line of the file.")
    rule = serializers.CharField(help_text="MM001...; MM000: the file does not parse.")
    severity = serializers.ChoiceField(choices=[severity.value for severity in Severity])
    message = serializers.CharField()
    hint = serializers.CharField()
    statement = serializers.CharField(help_text=ext("An excerpt of the statement."))


class BlockerSerializer(serializers.Serializer):
    """A live session holding or waiting for a lock a pending statement would wait for."""

    pid = serializers.IntegerField()
    state = serializers.CharField(allow_null=True, help_text="pg_stat_activity.state")
    lockMode = serializers.CharField(source="lock_mode", help_text="The session's lock mode.")
    relation = serializers.CharField()
    waitingSeconds = serializers.FloatField(
        source="waiting_seconds", allow_null=True, help_text="Queued for it; null: granted."
    )
    xactSeconds = serializers.FloatField(
        source="xact_seconds", allow_null=True, help_text="Its transaction has been open."
    )
    query = serializers.CharField(allow_null=True)
    granted = serializers.BooleanField(help_text=ext("False: the session is queued itself."))
    stateSeconds = serializers.FloatField(
        source="state_seconds", allow_null=True, help_text=ext("In that state for.")
    )
    file = serializers.CharField(help_text=ext("The pending migration that would wait."))
    line = serializers.IntegerField(help_text=ext("Line of the statement that would wait."))
    statement = serializers.CharField(help_text=ext("What the statement does."))
    requiredMode = serializers.CharField(
        source="required_mode", help_text=ext("The lock mode the statement needs.")
    )
    applicationName = serializers.CharField(
        source="application_name",
        allow_null=True,
        help_text=ext("pg_stat_activity.application_name: whose session it is."),
    )


class GateFindingSerializer(serializers.Serializer):
    """A reason the safety gate refuses a run."""

    kind = serializers.ChoiceField(choices=["lint", "will-fail", "blocker", "ledger", "lock"])
    message = serializers.CharField()
    file = serializers.CharField(allow_null=True)
    line = serializers.IntegerField(allow_null=True)
    rule = serializers.CharField(allow_null=True, help_text="The lint rule, for kind lint.")
    hint = serializers.CharField()


class CheckReportSerializer(serializers.Serializer):
    """Body of ``POST check`` (and ``pgmigrate check --json``): the seed's eight fields, then
    the server version, the lint findings and the blockers."""

    database = serializers.CharField()
    user = serializers.CharField()
    pendingCount = serializers.IntegerField(source="pending_count")
    pendingFiles = serializers.ListField(
        source="pending_files",
        child=serializers.CharField(),
        help_text="File names of the pending migrations, in run order.",
    )
    lockCount = serializers.IntegerField(
        source="lock_count", help_text="Locks of the target database not granted."
    )
    activeTxCount = serializers.IntegerField(
        source="active_tx_count",
        help_text="Other sessions of the target database in a transaction, not idle.",
    )
    warnings = serializers.ListField(child=serializers.CharField())
    safe = serializers.BooleanField(help_text="True only when warnings is empty.")
    serverVersion = serializers.CharField(
        source="server_version", help_text=ext("The server's version (SHOW server_version).")
    )
    lint = LintFindingSerializer(
        many=True, help_text=ext("Lock-safety lint of the pending files; error adds a warning.")
    )
    blockers = BlockerSerializer(
        many=True, help_text=ext("Sessions the pending statements would wait for.")
    )
    errors = GateFindingSerializer(
        many=True,
        help_text=ext(
            "What the safety gate would refuse a run of these files for (each also a warning)."
        ),
    )
    gateMode = serializers.SerializerMethodField(
        help_text=ext(
            'The safety gate in force (MIGRATIONS_MANAGER["GATE"]): enforce refuses a run with '
            "errors unless it gives a reason; warn runs and records them."
        )
    )

    def get_gateMode(self, report: Any) -> str:  # noqa: N802 (the contract's camelCase)
        return services.gate_mode()


class PreviewSerializer(OmitEmptySerializer):
    """Body of ``GET preview/{filename}`` (and ``pgmigrate preview --json``)."""

    omitted_when_empty = ("html", "sql_withheld")

    filename = serializers.CharField()
    content = serializers.CharField()
    lines = serializers.IntegerField(help_text="Lines as an editor numbers them.")
    up = serializers.CharField(allow_null=True, help_text=ext("The SQL run up."))
    down = serializers.CharField(allow_null=True, help_text=ext("The SQL run down."))
    sql = serializers.CharField(
        allow_null=True,
        help_text=ext(
            "For a .cjs/.js file, the SQL node-pg-migrate builds for it (on a read-only "
            "session); only for a user who may run migrations: building it runs the file's code."
        ),
    )
    sql_withheld = serializers.BooleanField(
        required=False,
        help_text=ext("True when sql was not built because the user may only read."),
    )
    html = serializers.CharField(
        required=False, help_text=ext("With ?highlight=1: the content highlighted, as HTML.")
    )
    lint = LintFindingSerializer(many=True, help_text=ext("Lock-safety lint of the file."))


class SchemaFindingSerializer(OmitEmptySerializer):
    """One object the SQL creates, and whether the target has it."""

    omitted_when_empty = ("differs", "reason")

    type = serializers.ChoiceField(choices=[kind.value for kind in ObjectType])
    name = serializers.CharField()
    exists = serializers.BooleanField()
    differs = serializers.BooleanField(
        required=False, help_text=ext("Present (true) when it exists in another shape.")
    )
    reason = serializers.CharField(required=False, help_text=ext("How it differs."))
    line = serializers.IntegerField(allow_null=True, help_text=ext("Line of the statement."))


class DataChangeSerializer(serializers.Serializer):
    """A statement whose effect the catalog cannot show."""

    statement = serializers.CharField(help_text="INSERT, UPDATE, DELETE, GRANT, DROP...")
    target = serializers.CharField(allow_null=True)
    line = serializers.IntegerField()


class SchemaReportSerializer(OmitEmptySerializer):
    """Body of ``POST idempotent/detect-schema`` (and ``pgmigrate detect-schema --json``)."""

    omitted_when_empty = ("data_changes",)

    findings = SchemaFindingSerializer(many=True)
    all_objects_exist = serializers.BooleanField()
    some_objects_exist = serializers.BooleanField()
    recommendation = serializers.CharField()
    data_changes = DataChangeSerializer(
        many=True,
        required=False,
        help_text=ext("Statements whose effect the catalog cannot show (absent when none)."),
    )


class DifferenceSerializer(serializers.Serializer):
    change = serializers.ChoiceField(choices=["missing", "extra", "changed"])
    object_type = serializers.CharField()
    name = serializers.CharField()
    sentence = serializers.CharField()
    ddl = serializers.CharField(
        allow_null=True, help_text="What brings the live database to the migrations' shape."
    )


class NotReplayedSerializer(serializers.Serializer):
    name = serializers.CharField()
    reason = serializers.CharField()


class DriftReportSerializer(serializers.Serializer):
    """Body of ``GET /api/migrations/drift`` (and ``pgmigrate drift --json``)."""

    framework = serializers.CharField()
    tracking_table = serializers.CharField()
    drifted = serializers.BooleanField()
    replayed = serializers.ListField(child=serializers.CharField())
    not_replayed = NotReplayedSerializer(many=True)
    replay_failure = serializers.CharField(allow_null=True)
    differences = DifferenceSerializer(many=True)


class LintReportSerializer(serializers.Serializer):
    """``pgmigrate lint --json``: the files read, their findings, how many are errors."""

    files = serializers.ListField(child=serializers.CharField())
    findings = LintFindingSerializer(many=True)
    errors = serializers.IntegerField()


# ---- live control ------------------------------------------------------------------------------


class TerminateRequestSerializer(StrictSerializer):
    """Body of ``POST sessions/{pid}/terminate``."""

    reason = ExactTextField(
        max_length=2000, help_text="Why end it: kept in the audit log with the session's facts."
    )
    framework = serializers.CharField(required=False, allow_blank=True)


class TerminationSerializer(serializers.Serializer):
    """A session ended because the safety check listed it as blocking the pending migrations."""

    pid = serializers.IntegerField()
    terminated = serializers.BooleanField(help_text="False: the session was already gone.")
    message = serializers.CharField()
    blocker = BlockerSerializer()


class SessionProgressSerializer(serializers.Serializer):
    """What the run's session does now, read from the server."""

    pid = serializers.IntegerField()
    state = serializers.CharField(allow_null=True)
    waitEvent = serializers.SerializerMethodField()
    querySeconds = serializers.FloatField(source="query_seconds", allow_null=True)
    query = serializers.CharField(allow_null=True, help_text="The statement it runs now.")
    phase = serializers.CharField(allow_null=True, help_text="A CREATE INDEX's phase.")
    blocksTotal = serializers.IntegerField(source="blocks_total", allow_null=True)
    blocksDone = serializers.IntegerField(source="blocks_done", allow_null=True)
    tuplesTotal = serializers.IntegerField(source="tuples_total", allow_null=True)
    tuplesDone = serializers.IntegerField(source="tuples_done", allow_null=True)

    def get_waitEvent(self, progress: Any) -> str | None:  # noqa: N802 (camelCase, as the check)
        if progress.wait_event_type is None:
            return None
        return f"{progress.wait_event_type}: {progress.wait_event}"


class RunProgressSerializer(serializers.Serializer):
    """Body of ``GET runs/{id}`` and ``POST runs/{id}/cancel``."""

    id = serializers.IntegerField(source="run_id")
    command = serializers.CharField()
    outcome = serializers.CharField(help_text="running, succeeded, failed, refused, cancelled.")
    files = serializers.ListField(child=serializers.CharField())
    current = serializers.CharField(allow_null=True, help_text="The migration it is on.")
    startedAt = serializers.DateTimeField(source="started_at")
    summary = serializers.CharField()
    live = SessionProgressSerializer(allow_null=True)
