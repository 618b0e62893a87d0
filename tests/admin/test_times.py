"""Every time the admin shows is in one format, to the second, with its time zone: the
migration list, the history list, a run's page, the webhook deliveries."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from tests.factories import MigrationRunFactory, WebhookDeliveryFactory

from .helpers import LIST_URL, result_url

pytestmark = pytest.mark.django_db

STARTED = datetime(2026, 12, 8, 17, 39, 53, tzinfo=UTC)
FINISHED = datetime(2026, 12, 8, 17, 41, 2, tzinfo=UTC)
# Django's default renderings, which the admin no longer uses for these times.
OTHER_FORMATS = re.compile(r"[ap]\.m\.|Dec\. 8|\b5:39\b")


def shown(content: str) -> set[str]:
    return set(re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [A-Za-z/_]+", content))


@pytest.fixture
def run():
    return MigrationRunFactory(started_at=STARTED, finished_at=FINISHED)


def test_history_list_and_run_page_say_the_time_zone(reader, run):
    listing = reader.get(reverse("admin:migrations_manager_migrationrun_changelist"))
    assert "2026-12-08 17:39:53 UTC" in shown(listing.content.decode())
    page = reader.get(result_url(run.pk)).content.decode()
    assert {"2026-12-08 17:39:53 UTC", "2026-12-08 17:41:02 UTC"} <= shown(page)
    assert "up by alice at 2026-12-08 17:39:53 UTC (succeeded)" in page  # its title
    assert not OTHER_FORMATS.search(page)


def test_times_follow_the_current_time_zone_and_name_it(reader, run, settings):
    settings.TIME_ZONE = "Europe/Paris"
    listing = reader.get(reverse("admin:migrations_manager_migrationrun_changelist"))
    assert "2026-12-08 18:39:53 CET" in shown(listing.content.decode())


def test_webhook_deliveries_use_the_same_format(login, run):
    WebhookDeliveryFactory(run=run, created_at=STARTED, finished_at=FINISHED)
    client = login("view_webhookdelivery")
    listing = client.get(reverse("admin:migrations_manager_webhookdelivery_changelist"))
    content = listing.content.decode()
    assert "2026-12-08 17:39:53 UTC" in shown(content)
    assert not OTHER_FORMATS.search(content)


def test_the_migration_list_uses_the_same_format(reader, five_states):
    content = reader.get(LIST_URL).content.decode()
    applied = [time for time in shown(content) if time.endswith(" UTC")]
    assert applied, "the applied migrations show when they were applied"
    assert not OTHER_FORMATS.search(content)
