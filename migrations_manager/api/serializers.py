"""The JSON bodies of the contract (``spec/api.md``): plain serializers over the services' types.

Response serializers render the dataclasses of ``types`` / ``services`` (and the audit models);
``pgmigrate --json`` prints the very same ones, so the API and the command never disagree.
Request serializers validate bodies and query strings: the views hand ``services`` only what
they accepted. Names are checked for shape here (strings of valid Unicode); whether a name can
designate a file is decided by the service, with the directory in hand.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import ISO_8601

from .. import payloads
from ..frameworks import registry
from ..models import MigrationRun
from ..services import summarize
from ..types import RunReport, SegmentMode, State

HISTORY_PAGE_SIZE = 50
HISTORY_MAX_PAGE_SIZE = 500

# ---- fields ------------------------------------------------------------------------------------


def ext(help_text: str) -> str:
    """The help text of a field the contract adds to the seed's bodies: "(ext) ..."."""
    return f"(ext) {help_text}"


class UTCDateTimeField(serializers.DateTimeField):
    """ISO 8601 in UTC with ``Z``; naive values (``timestamp without time zone``) are UTC."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format=ISO_8601, default_timezone=UTC, **kwargs)


class ExactTextField(serializers.CharField):
    """A string as sent: kept exactly (no trimming, no number coercion), valid Unicode."""

    default_error_messages = {
        "not_a_string": "Must be a string.",
        "not_unicode": "Must be valid Unicode text.",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(trim_whitespace=False, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate from a JSON "\ud800" escape
            self.fail("not_unicode")
        return super().to_internal_value(data)


class MigrationNameField(ExactTextField):
    """A migration file name as sent."""

    default_error_messages = {
        "not_a_string": "A migration name must be a string.",
        "not_unicode": "A migration name must be valid Unicode text.",
    }


class FrameworkChoiceField(serializers.ChoiceField):
    """One of the registered frameworks (read when the field is built: extras included)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=registry.names(), **kwargs)


# ---- requests ----------------------------------------------------------------------------------

#: Query parameters read on any endpoint: DRF's own, and the target (``ApiDefaults``).
DRF_QUERY_PARAMETERS = frozenset({"format", "target"})


class StrictSerializer(serializers.Serializer):
    """Refuses keys it does not declare: a misspelt ``"migratons"`` or a ``?migrations=`` in the
    query string is a 400, never silently "run everything"."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if hasattr(data, "keys"):
            unknown = sorted(set(data.keys()) - set(self.fields) - DRF_QUERY_PARAMETERS)
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown parameter: not read by this endpoint."] for name in unknown}
                )
            empty = sorted(
                name
                for name in data.keys() & self.fields
                if _empty_where_banned(self.fields[name], data.get(name))
            )
            if empty:  # ``?page_size=`` is no default page size: it says nothing readable
                raise serializers.ValidationError({name: ["Must not be empty."] for name in empty})
        return super().to_internal_value(data)


def _empty_where_banned(field: serializers.Field, value: Any) -> bool:
    """An empty string given for a field that is not text allowed to be blank."""
    return value == "" and not getattr(field, "allow_blank", False)


class FrameworkQuerySerializer(StrictSerializer):
    """``?framework=NAME`` of the idempotent endpoints (empty: detected)."""

    framework = FrameworkChoiceField(
        required=False,
        allow_blank=True,
        help_text="Use this framework's tracking table when several are detected.",
    )


class Sha256Field(serializers.RegexField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(r"\A[0-9a-f]{64}\Z", **kwargs)


class RunRequestSerializer(StrictSerializer):
    """Body of ``POST idempotent/run``: empty (every pending migration) or the names to run."""

    migrations = serializers.ListField(
        child=MigrationNameField(),
        required=False,
        allow_empty=False,
        help_text="File names of pending migrations; omit to run all of them, in order.",
    )
    atomic = serializers.BooleanField(
        required=False,
        default=False,
        help_text=ext("Refuse the run unless it commits as ONE transaction (one segment)."),
    )
    reason = ExactTextField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text=ext(
            "Why to run although the safety gate refuses (lint errors, statements sure to fail, "
            "live blockers, a failed ledger): kept in the audit log with what it overrode."
        ),
    )
    lock_retries = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=100,
        help_text=ext(
            "Times a segment stopped by a lock timeout or a deadlock is tried again "
            "(default: the LOCK_RETRIES setting, 3)."
        ),
    )
    expect = serializers.DictField(
        child=Sha256Field(),
        required=False,
        allow_empty=False,
        help_text=ext(
            "File name -> SHA-256 (hex) of exactly the files to run, as a confirmation showed "
            "them: any file changed, added or gone refuses the run (409)."
        ),
    )


class MarkRequestSerializer(StrictSerializer):
    """Body of ``POST idempotent/mark-applied``."""

    migration = MigrationNameField(help_text="File name of the migration to record as applied.")
    reason = ExactTextField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text=ext("Why to record it although the safety gate refuses (a failed ledger)."),
    )


class HistoryQuerySerializer(StrictSerializer):
    """Filters and page of the audit log (the paginator ignores a bad page size: not here)."""

    outcome = serializers.ChoiceField(
        choices=MigrationRun.Outcome.choices, required=False, allow_blank=True
    )
    user = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=150,
        help_text="Who ran it: a Django user or an OS user.",
    )
    page = serializers.IntegerField(required=False, min_value=1)
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=HISTORY_MAX_PAGE_SIZE
    )


# ---- status ------------------------------------------------------------------------------------


class DetectedTableSerializer(serializers.Serializer):
    schema = serializers.CharField()
    table = serializers.CharField()
    framework = serializers.CharField()


class MigrationStatusSerializer(serializers.Serializer):
    name = serializers.CharField()
    state = serializers.ChoiceField(
        choices=[state.value for state in State],
        help_text=ext("failed: recorded as failed or dirty by the framework."),
    )
    applied_at = UTCDateTimeField(allow_null=True)
    stored_hash = serializers.CharField(
        allow_null=True, help_text="What the framework stored, as it stored it."
    )
    file_hash = serializers.CharField(allow_null=True, help_text="SHA-256 (hex) of the file.")
    compared_with = serializers.ChoiceField(
        choices=["framework", "recorded", "unavailable"],
        allow_null=True,
        help_text=ext(
            "What an applied file was compared with: framework (the checksum its framework "
            "stored); recorded (a ledger without checksum: the SHA-256 this tool recorded when "
            "it applied or marked the file on this target, then in stored_hash when they "
            "differ); unavailable (no ledger checksum, applied by another tool: whether the "
            "file changed since cannot be told). Null when nothing is recorded."
        ),
    )


class StatusSummarySerializer(serializers.Serializer):
    applied = serializers.IntegerField()
    pending = serializers.IntegerField()
    modified = serializers.IntegerField()
    orphaned = serializers.IntegerField()
    failed = serializers.IntegerField(help_text=ext("Recorded as failed or dirty."))


class StatusWarningSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["unknown-ledger", "ambiguous-ledger", "no-migrations"])
    message = serializers.CharField()


class StatusReportSerializer(serializers.Serializer):
    """Body of ``GET idempotent/status`` (and ``pgmigrate status --json``)."""

    framework = serializers.CharField()
    tracking_table = serializers.CharField()
    detected_tables = DetectedTableSerializer(many=True)
    migrations = MigrationStatusSerializer(many=True)
    summary = StatusSummarySerializer()
    warnings = StatusWarningSerializer(
        many=True,
        required=False,
        help_text=ext(
            "What makes the states doubtful: unknown-ledger (a table like a ledger no adapter "
            "reads) or ambiguous-ledger (several ledgers the directory's files do not tell "
            "apart): runs and marks are refused until the framework is named; no-migrations "
            "(none in the directory while the ledger has rows); absent when nothing."
        ),
    )

    def to_representation(self, instance: Any) -> dict[str, Any]:
        body = super().to_representation(instance)
        if not body.get("warnings"):
            body.pop("warnings", None)  # the seed's body, unchanged, when all is well
        return body


# ---- run and mark-applied ----------------------------------------------------------------------

# ``transaction`` values that are not one transaction for the batch, and what they mean.
TRANSACTION_NOTES = {
    "segments": (
        "These migrations ran in several segments, in order: consecutive files that can run "
        "in a transaction shared one, with their tracking rows; a file that cannot (a "
        "no-transaction directive, CREATE INDEX CONCURRENTLY...) ran alone, statement by "
        "statement; a .cjs/.js file ran through node-pg-migrate. A failure rolls back its own "
        "segment only: see segments."
    ),
    "node-pg-migrate": (
        "These .cjs/.js migrations were executed by node-pg-migrate: each ran with its "
        "pgmigrations row in a transaction of node-pg-migrate's own, so the transaction "
        "guarantee is node-pg-migrate's, per migration, not one for the batch."
    ),
    "none": (
        "This migration runs outside a transaction (a no-transaction directive, or a statement "
        "PostgreSQL refuses in one): each statement commits on its own, and its tracking row "
        "is written only once the last one has succeeded (after a failure, what completed "
        "stays and no row is written: see failed)."
    ),
}


class AppliedSerializer(serializers.Serializer):
    name = serializers.CharField()
    hash = serializers.CharField(help_text="SHA-256 (hex) of the file that ran.")


class FailureSerializer(serializers.Serializer):
    """The migration that failed, what PostgreSQL said, where, and what stays applied.

    Rendered by ``types.Failure.as_dict``, the one rendering the API, ``--json``, the admin and
    the audit log share; the fields here document it.
    """

    name = serializers.CharField()
    error = serializers.CharField()
    statement = serializers.CharField(help_text="The lines around the failing one, numbered.")
    line = serializers.IntegerField(allow_null=True, help_text=ext("Line of the file."))
    column = serializers.IntegerField(allow_null=True, help_text=ext("Column of that line."))
    sqlstate = serializers.CharField(allow_null=True, help_text=ext("PostgreSQL's error code."))
    kept = serializers.ListField(
        child=serializers.CharField(),
        help_text=ext("Migrations earlier segments committed: they stay applied."),
    )
    rolled_back = serializers.ListField(
        child=serializers.CharField(),
        help_text=ext("Migrations of the failing segment, whose work its rollback undid."),
    )
    outcome_unknown = serializers.BooleanField(
        help_text=ext("The connection broke at COMMIT: whether it committed is unknown.")
    )
    completed_statements = serializers.IntegerField(
        required=False,
        help_text=ext("A no-transaction migration: the statements that completed (they stay)."),
    )
    total_statements = serializers.IntegerField(required=False)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return instance.as_dict()


class SegmentSerializer(serializers.Serializer):
    """One segment of a run's plan: its files, how it commits, how it ended."""

    files = serializers.ListField(child=serializers.CharField())
    mode = serializers.ChoiceField(choices=[mode.value for mode in SegmentMode])
    outcome = serializers.ChoiceField(
        choices=["planned", "applied", "rolled back", "failed", "not run"]
    )


class IdempotentRunSerializer(serializers.Serializer):
    """Body of ``POST idempotent/run``: the seed's four fields, then what ran and how."""

    ok = serializers.BooleanField()
    summary = serializers.SerializerMethodField()
    applied = serializers.SerializerMethodField()
    failed = FailureSerializer(source="failure", allow_null=True)
    framework = serializers.CharField(
        source="plan.framework", help_text=ext("Whose tracking table recorded the run.")
    )
    tracking_table = serializers.CharField(
        source="plan.tracking_table", help_text=ext("The tracking table written.")
    )
    transaction = serializers.SerializerMethodField()
    note = serializers.SerializerMethodField()
    segments = serializers.SerializerMethodField()

    def get_summary(self, report: RunReport) -> str:
        return summarize(report)

    @extend_schema_field(SegmentSerializer(many=True))
    def get_segments(self, report: RunReport) -> list[dict[str, Any]]:
        return payloads.segments(report)

    @extend_schema_field(AppliedSerializer(many=True))
    def get_applied(self, report: RunReport) -> list[dict[str, Any]]:
        migrations = {step.migration.name: step.migration for step in report.plan.steps}
        applied = [
            {"name": result.name, "hash": migrations[result.name].sha256}
            for result in report.completed
        ]
        return AppliedSerializer(applied, many=True).data

    @extend_schema_field(
        serializers.CharField(
            help_text=ext(
                "single: one transaction for the batch; none: a file that runs outside a "
                "transaction, statement by statement; node-pg-migrate: .cjs/.js files it ran, "
                "each in a transaction of its own; segments: several of these, in order (see "
                "segments)."
            )
        )
    )
    def get_transaction(self, report: RunReport) -> str:
        modes = {segment.mode for segment in report.plan.segments}
        if len(report.plan.segments) <= 1 and modes <= {SegmentMode.ATOMIC}:
            return "single"
        if modes == {SegmentMode.EXTERNAL}:
            return next(step.external.executor for step in report.plan.steps if step.external)
        if len(report.plan.segments) == 1:
            return "none"
        return "segments"

    @extend_schema_field(
        serializers.CharField(allow_null=True, help_text=ext("Whose transaction it was."))
    )
    def get_note(self, report: RunReport) -> str | None:
        """Whose transaction guarantee it was, when it was not one for the batch."""
        if not report.plan.steps:
            return None
        return TRANSACTION_NOTES.get(self.get_transaction(report))


class RunPlanSerializer(IdempotentRunSerializer):
    """``pgmigrate run --dry-run --json``: the run body of nothing run, with the exact SQL."""

    sql = serializers.CharField(source="sql_text")


class MarkResultSerializer(serializers.Serializer):
    """Body of ``POST idempotent/mark-applied`` (and ``pgmigrate mark-applied --json``, whose
    ``--dry-run`` adds ``sql``)."""

    ok = serializers.BooleanField()
    migration = serializers.CharField()
    framework = serializers.CharField()
    tracking_table = serializers.CharField()
    message = serializers.CharField()
    recorded_with = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text=ext(
            "What the framework's own mark records along with it (yoyo: the pending "
            "migrations it depends on), recorded first; absent when nothing else."
        ),
    )

    def to_representation(self, instance: Any) -> dict[str, Any]:
        body = super().to_representation(instance)
        if not body.get("recorded_with"):
            body.pop("recorded_with", None)  # the body of a mark of one file stays as it was
        if instance.dry_run:
            body["sql"] = instance.sql_text
        return body


# ---- history (the audit log) -------------------------------------------------------------------


class MigrationEventSerializer(serializers.Serializer):
    name = serializers.CharField()
    direction = serializers.CharField(help_text="up, down, or mark (recorded without running).")
    duration = serializers.FloatField(allow_null=True, help_text="Seconds.")
    ok = serializers.BooleanField()
    error = serializers.CharField()


class MigrationRunSerializer(serializers.Serializer):
    """One command that changed, or tried to change, the target."""

    id = serializers.IntegerField()
    started_at = UTCDateTimeField()
    finished_at = UTCDateTimeField(allow_null=True)
    actor = serializers.CharField(help_text="The Django user, or the OS user of the CLI.")
    user = serializers.CharField(source="user.get_username", allow_null=True)
    client_address = serializers.CharField(allow_null=True)
    source = serializers.ChoiceField(choices=MigrationRun.Source.choices)
    command = serializers.CharField()
    target = serializers.CharField()
    target_name = serializers.CharField(help_text=ext("The target's name (`?target=`)."))
    framework = serializers.CharField()
    tracking_table = serializers.CharField()
    files = serializers.ListField(child=serializers.CharField())
    outcome = serializers.ChoiceField(choices=MigrationRun.Outcome.choices)
    summary = serializers.CharField()
    failure = serializers.DictField(allow_null=True)
    reason = serializers.CharField()
    overridden = serializers.ListField(
        child=serializers.DictField(),
        help_text=ext("What the safety gate found and the run went past (a reason, or warn)."),
    )
    events = MigrationEventSerializer(source="events.all", many=True)


# ---- errors (documentation of the bodies ``exceptions.exception_handler`` writes) --------------


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField(help_text="A sentence saying what went wrong.")
    fields = serializers.DictField(
        required=False, help_text="Per field, the messages of a body or query string refused."
    )


class LockHolderSerializer(serializers.Serializer):
    pid = serializers.IntegerField(allow_null=True)
    application = serializers.CharField(allow_null=True)


class LockRefusedSerializer(serializers.Serializer):
    """409: nothing ran. Another run holds the target's advisory lock (``holder``), or the plan
    was refused (``refused``: ``ledger``, ``changed``, ``atomic`` or ``framework``, with
    ``details``)."""

    ok = serializers.BooleanField()
    error = serializers.CharField()
    holder = LockHolderSerializer(required=False)
    gate = serializers.JSONField(
        required=False,
        help_text=ext('The safety gate\'s refusal: {"refused": true, "errors": [findings]}.'),
    )
    needs_approval = serializers.BooleanField(
        required=False,
        help_text=ext("The approval policy asks for a change request: `request` is its body."),
    )
    request = serializers.JSONField(required=False, allow_null=True)
    refused = serializers.ChoiceField(
        choices=[
            "ledger",
            "changed",
            "atomic",
            "framework",
            "approval",
            "expired",
            "state",
            "window",
        ],
        required=False,
        help_text=ext("Why."),
    )
    details = serializers.JSONField(required=False, help_text=ext("What was refused."))


class MarkFailedSerializer(serializers.Serializer):
    """422: writing the tracking row failed on the target; nothing was recorded."""

    ok = serializers.BooleanField()
    error = serializers.CharField()
    failed = FailureSerializer()
