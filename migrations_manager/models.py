"""What the app persists in Django's own database: the audit log, and the permissions.

The migrations themselves live in the target database and the migrations directory; ``Migration``
is a table-less model that only carries the permissions the admin and the API check.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .templatetags.migrations_manager import timestamp

# The codenames the admin and the REST API check; ``Migration.permission()`` qualifies them.
VIEW_PERMISSION = "view_migration"  # Django's default "view" permission of ``Migration``
RUN_PERMISSION = "run_migrations"
MARK_PERMISSION = "mark_migrations"
TERMINATE_PERMISSION = "terminate_sessions"
APPROVE_PERMISSION = "approve_migrations"


class Migration(models.Model):
    """Holder of the app's permissions (no table: migrations are not stored here)."""

    class Meta:
        managed = False
        db_table = "migrations_manager_migration_unused"
        default_permissions = ("view",)
        permissions = [
            (RUN_PERMISSION, "Can run migrations"),
            (MARK_PERMISSION, "Can mark migrations as applied"),
            (TERMINATE_PERMISSION, "Can end sessions that block migrations"),
            (APPROVE_PERMISSION, "Can approve or reject change requests"),
        ]
        verbose_name = "migration"
        verbose_name_plural = "migrations"

    def __str__(self) -> str:
        return "migration"

    @classmethod
    def permission(cls, codename: str) -> str:
        """``app_label.codename``, as ``User.has_perm`` expects it."""
        return f"{cls._meta.app_label}.{codename}"


class MigrationRun(models.Model):
    """One command that changed (or tried to change) the target: up, down, redo, run, mark."""

    class Outcome(models.TextChoices):
        RUNNING = "running", "running"
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"
        REFUSED = "refused", "refused"
        CANCELLED = "cancelled", "cancelled"

    class Source(models.TextChoices):
        CLI = "cli", "command line"
        API = "api", "REST API"
        ADMIN = "admin", "admin"

    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="migration_runs",
    )
    actor = models.CharField(
        max_length=150, help_text="Django user name, or the OS user of the CLI."
    )
    client_address = models.GenericIPAddressField(null=True, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices)
    command = models.CharField(max_length=20)
    target = models.CharField(max_length=255, help_text="The target database.")
    target_name = models.CharField(
        max_length=100, default="default", db_index=True, help_text="The target it ran on."
    )
    framework = models.CharField(max_length=40)
    tracking_table = models.CharField(max_length=255)
    files = models.JSONField(default=list)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.RUNNING)
    summary = models.TextField(blank=True)
    failure = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="Why an unsafe run was confirmed anyway.")
    backend_pid = models.IntegerField(
        null=True, blank=True, help_text="The run's session on the target (to cancel it)."
    )
    backend_start = models.DateTimeField(
        null=True, blank=True, help_text="When that session started (a pid is reused)."
    )
    progress = models.JSONField(
        default=dict, blank=True, help_text="The migration running now, while the run lasts."
    )
    cancel_requested = models.BooleanField(default=False)
    overridden = models.JSONField(
        default=list,
        blank=True,
        help_text="What the safety gate found and the reason overrode (or, with the gate in "
        "warn mode, would have refused).",
    )
    change_request = models.ForeignKey(
        "ChangeRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="runs",
        help_text="The approved change request this run executed (its approvers approved it).",
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = "migration run"
        # "3 migration runs" under the admin's list; the list's title says "Migration history".
        verbose_name_plural = "migration runs"

    def __str__(self) -> str:
        return f"{self.command} by {self.actor} at {timestamp(self.started_at)} ({self.outcome})"


class ChangeRequest(models.Model):
    """A run asked for and waiting for approvers: the plan it is bound to, the check made when
    it was asked, and what became of it. Executing it recomputes the plan under the run's lock
    and refuses unless it is still this one (files and their hashes, segments, target, the
    ledger's applied set)."""

    class State(models.TextChoices):
        PENDING = "pending", "pending"
        APPROVED = "approved", "approved"
        REJECTED = "rejected", "rejected"
        EXECUTED = "executed", "executed"
        FAILED = "failed", "failed"
        EXPIRED = "expired", "expired"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="change_requests",
    )
    requester_name = models.CharField(
        max_length=150, help_text="Django user name, or the OS user of the CLI."
    )
    source = models.CharField(max_length=8, choices=MigrationRun.Source.choices)
    reason = models.TextField(help_text="Why the change is asked for.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    target = models.CharField(
        max_length=100, default="default", help_text="The name of the target it runs on."
    )
    target_key = models.CharField(
        max_length=255, help_text="The server (system identifier), database and tracking table."
    )
    framework = models.CharField(max_length=40)
    tracking_table = models.CharField(max_length=255)
    selected = models.JSONField(
        null=True, blank=True, help_text="The migrations asked for (null: every pending one)."
    )
    files = models.JSONField(default=list, help_text="Each file to run: its name and SHA-256.")
    segments = models.JSONField(default=list, help_text="The plan's segments: mode and files.")
    applied = models.JSONField(default=list, help_text="What the ledger recorded when asked.")
    sql_text = models.TextField(blank=True, help_text="The exact SQL the plan runs.")
    check_result = models.JSONField(
        default=dict, help_text="The safety gate's findings on the plan when it was asked."
    )
    not_before = models.DateTimeField(null=True, blank=True)
    not_after = models.DateTimeField(null=True, blank=True)
    only_when_safe = models.BooleanField(
        default=False, help_text="Run only when the gate finds nothing (no reason overrides)."
    )
    outcome = models.TextField(blank=True, help_text="How it ended (or why it was refused).")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"change request {self.pk} by {self.requester_name} ({self.state})"

    @property
    def file_names(self) -> list[str]:
        return [entry["name"] for entry in self.files]


class Approval(models.Model):
    """One approver's decision on a change request, with their comment."""

    class Decision(models.TextChoices):
        APPROVED = "approved", "approved"
        REJECTED = "rejected", "rejected"

    change_request = models.ForeignKey(
        ChangeRequest, on_delete=models.CASCADE, related_name="approvals"
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="approvals",
    )
    approver_name = models.CharField(max_length=150)
    source = models.CharField(max_length=8, choices=MigrationRun.Source.choices)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["decided_at", "id"]

    def __str__(self) -> str:
        return f"{self.decision} by {self.approver_name}"


class MigrationEvent(models.Model):
    """One migration within a run: its direction, duration and outcome."""

    run = models.ForeignKey(MigrationRun, on_delete=models.CASCADE, related_name="events")
    name = models.CharField(max_length=255)
    direction = models.CharField(max_length=8)
    duration = models.FloatField(null=True, blank=True, help_text="Seconds.")
    ok = models.BooleanField()
    error = models.TextField(blank=True)
    file_hash = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the file.")
    completed_statements = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="For a failed migration that runs outside a transaction: the statements "
        "that completed (they stay, and the next run resumes after them).",
    )
    completed_hash = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the completed statements' text."
    )
    target_key = models.CharField(
        max_length=255,
        blank=True,
        db_index=True,
        help_text="The server (system identifier), database and tracking table it ran on: a "
        "resume point belongs to that target only.",
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} {self.direction} ({'ok' if self.ok else 'failed'})"


class Webhook(models.Model):
    """A receiver told of every run's outcome: a signed JSON POST per event.

    Its URL and signing secret are kept encrypted (``sealed``): a Slack-style URL is a secret
    of its own. The admin shows the URL's host only, and never the secret.
    """

    class Format(models.TextChoices):
        JSON = "json", "JSON (signed)"
        SLACK = "slack", "Slack-compatible (signed)"

    name = models.CharField(max_length=100, unique=True)
    url_sealed = models.TextField(help_text="The receiver's URL, encrypted.")
    url_host = models.CharField(max_length=255, help_text="Where the URL points (shown).")
    secret_sealed = models.TextField(help_text="The HMAC-SHA256 signing secret, encrypted.")
    events = models.JSONField(default=list, help_text="The events it receives.")
    format = models.CharField(max_length=8, choices=Format.choices, default=Format.JSON)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One event sent (or being sent) to one webhook: what, how it went, each try counted."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        SENDING = "sending", "sending"  # claimed by one sender (no other sends it meanwhile)
        DELIVERED = "delivered", "delivered"
        FAILED = "failed", "failed"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    run = models.ForeignKey(
        MigrationRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    event = models.CharField(max_length=40)
    body = models.JSONField(help_text="The payload sent (signed as it was serialized).")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event} to {self.webhook} ({self.status})"


class Target(models.Model):
    """A database this tool manages besides the environment's (the target named ``default``).

    Nothing secret is stored: the URL has no password; it comes from the environment variable
    ``password_env`` names, a ``.pgpass`` file or a libpq service of the process that connects.
    """

    name = models.SlugField(max_length=100, unique=True)
    url = models.CharField(
        max_length=500, help_text="libpq URL or key=value conninfo, without a password."
    )
    password_env = models.CharField(
        max_length=100,
        blank=True,
        help_text="The environment variable that holds the password (else .pgpass or a service).",
    )
    migrations_dir = models.CharField(
        max_length=500, blank=True, help_text="Its migrations directory (default: the project's)."
    )
    framework = models.CharField(
        max_length=40, blank=True, help_text="Pin the framework (default: detected)."
    )
    tags = models.JSONField(default=list, blank=True)
    lock_timeout = models.CharField(
        max_length=20,
        blank=True,
        help_text="lock_timeout of its migrations (default: LOCK_TIMEOUT).",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FleetRun(models.Model):
    """One run of the pending migrations across several targets: one ``FleetTarget`` each."""

    class Status(models.TextChoices):
        RUNNING = "running", "running"
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"

    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="fleet_runs",
    )
    actor = models.CharField(max_length=150)
    source = models.CharField(max_length=8, choices=MigrationRun.Source.choices)
    tag = models.CharField(max_length=100, blank=True)
    concurrency = models.PositiveIntegerField()
    canary = models.PositiveIntegerField(default=0)
    max_failures = models.PositiveIntegerField(null=True, blank=True)
    reason = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"fleet run {self.pk} ({self.status})"


class FleetTarget(models.Model):
    """One target of a fleet run: its state, and the audit row of its run."""

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"
        REFUSED = "refused", "refused"
        SKIPPED = "skipped", "skipped"

    fleet = models.ForeignKey(FleetRun, on_delete=models.CASCADE, related_name="targets")
    target = models.CharField(max_length=100)
    position = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    dispatched = models.BooleanField(
        default=False, help_text="Handed to a worker (it may not have started yet)."
    )
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    sqlstate = models.CharField(max_length=5, blank=True)
    duration = models.FloatField(null=True, blank=True, help_text="Seconds.")
    run = models.ForeignKey(
        MigrationRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["fleet", "target"], name="one_child_per_target")
        ]

    def __str__(self) -> str:
        return f"{self.target} ({self.status})"
