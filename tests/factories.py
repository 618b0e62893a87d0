"""factory-boy factories for what the app stores in Django's database: users holding the app's
permissions, runs of the audit log with their per-migration events, webhooks and deliveries."""

from __future__ import annotations

from collections.abc import Sequence

import factory
from django.contrib.auth.models import Permission
from django.utils import timezone
from factory.django import DjangoModelFactory

from migrations_manager.models import MigrationRun, WebhookDelivery
from migrations_manager.observability.events import Event
from migrations_manager.observability.sealing import seal

PASSWORD = "correct horse battery staple"


class UserFactory(DjangoModelFactory):
    """A staff user; ``permissions=[codename, ...]`` grants exactly those of the app (an unknown
    codename fails, rather than granting less than the test means)."""

    class Meta:
        model = "auth.User"
        django_get_or_create = ("username",)
        skip_postgeneration_save = True  # permissions are rows of their own

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password(PASSWORD)
    is_staff = True

    class Params:
        superuser = factory.Trait(is_superuser=True)

    @factory.post_generation
    def permissions(self, create: bool, codenames: Sequence[str] | None, **kwargs: object) -> None:
        codenames = list(codenames or ())
        found = Permission.objects.filter(
            content_type__app_label="migrations_manager", codename__in=codenames
        )
        assert found.count() == len(set(codenames)), f"unknown codename in {codenames}"
        self.user_permissions.add(*found)


class MigrationRunFactory(DjangoModelFactory):
    """A finished run of the audit log, as the command line records one (``succeeded``)."""

    class Meta:
        model = "migrations_manager.MigrationRun"

    actor = "alice"
    source = MigrationRun.Source.CLI
    command = "up"
    target = "postgresql://127.0.0.1:5432/app"
    framework = "node-pg-migrate"
    tracking_table = "public.pgmigrations"
    files = factory.LazyFunction(lambda: ["001_a.sql"])
    outcome = MigrationRun.Outcome.SUCCEEDED
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyAttribute(lambda run: run.started_at)

    class Params:
        refused = factory.Trait(
            outcome=MigrationRun.Outcome.REFUSED, files=[], summary="Refused by the safety gate."
        )
        running = factory.Trait(outcome=MigrationRun.Outcome.RUNNING, finished_at=None)


class MigrationEventFactory(DjangoModelFactory):
    """One migration of a run: applied (``ok``), in 0.012 s."""

    class Meta:
        model = "migrations_manager.MigrationEvent"

    run = factory.SubFactory(MigrationRunFactory)
    name = "001_a.sql"
    direction = "up"
    duration = 0.012
    ok = True


class WebhookFactory(DjangoModelFactory):
    """An active webhook receiving every event, its URL and secret sealed as the admin does."""

    class Meta:
        model = "migrations_manager.Webhook"

    name = factory.Sequence(lambda n: f"hook{n}")
    url_sealed = factory.LazyFunction(lambda: seal("https://hooks.example.com/truss"))
    url_host = "hooks.example.com"
    secret_sealed = factory.LazyFunction(lambda: seal("s3cret"))
    events = factory.LazyFunction(lambda: [event.value for event in Event])


class WebhookDeliveryFactory(DjangoModelFactory):
    """A delivered event of a run."""

    class Meta:
        model = "migrations_manager.WebhookDelivery"

    webhook = factory.SubFactory(WebhookFactory)
    run = factory.SubFactory(MigrationRunFactory)
    event = Event.RUN_SUCCEEDED.value
    body = factory.LazyAttribute(lambda delivery: {"event": delivery.event})
    status = WebhookDelivery.Status.DELIVERED
    attempts = 1
    response_status = 200
    created_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyAttribute(lambda delivery: delivery.created_at)
