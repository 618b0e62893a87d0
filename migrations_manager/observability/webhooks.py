"""Webhook deliveries: one row per event and webhook, sent after the run's row is committed,
never in the run's way.

``notify`` writes the deliveries and hands their ids to the outbox (a Celery task when
``CELERY_APP`` names one, else the in-process queue); ``deliver`` POSTs one delivery, trying
again on a 5xx, a 429, a timeout or a refused connection (``WEBHOOK_TRIES`` tries, the wait
doubling from ``WEBHOOK_BACKOFF``), and records how it went.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.utils import timezone

from ..conf import app_settings
from ..exceptions import ConfigurationError
from ..models import MigrationRun, Webhook, WebhookDelivery
from . import events, outbox, signing
from .sealing import unseal

logger = logging.getLogger("migrations_manager.events")

RETRIED_STATUSES = frozenset({408, 429})


@dataclass(frozen=True)
class Answer:
    """How one try went: the HTTP status (None without a response) and what went wrong."""

    status: int | None
    error: str = ""

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def worth_retrying(self) -> bool:
        if self.status is None:
            return True
        return self.status >= 500 or self.status in RETRIED_STATUSES


def notify(event: events.Event, run: MigrationRun) -> list[int]:
    """Write a delivery of ``event`` for each active webhook that subscribes to it, and queue
    them; the ids written."""
    ids = []
    for webhook in Webhook.objects.filter(active=True):
        if str(event) not in webhook.events:
            continue
        if webhook.format == Webhook.Format.SLACK:
            payload = events.slack_body(event, run)
        else:
            payload = events.body(event, run)
        delivery = WebhookDelivery.objects.create(
            webhook=webhook, run=run, event=str(event), body=payload
        )
        ids.append(delivery.pk)
    for delivery_id in ids:
        outbox.submit(delivery_id)
    return ids


def deliver(delivery_id: int) -> WebhookDelivery | None:
    """Send delivery ``delivery_id`` (unless it was sent already: a redelivered task)."""
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return delivery
    try:
        url, secret = unseal(delivery.webhook.url_sealed), unseal(delivery.webhook.secret_sealed)
    except ConfigurationError as error:
        return _close(delivery, Answer(None, error.message), tries=0)
    payload = json.dumps(delivery.body, separators=(",", ":"), default=str).encode("utf-8")
    tries, answer = 0, Answer(None)
    for tries in range(1, int(app_settings.WEBHOOK_TRIES) + 1):
        answer = _post(url, secret, payload, delivery)
        if answer.delivered or not answer.worth_retrying:
            break
        if tries < int(app_settings.WEBHOOK_TRIES):
            time.sleep(float(app_settings.WEBHOOK_BACKOFF) * 2 ** (tries - 1))
    return _close(delivery, answer, tries=tries)


def _post(url: str, secret: str, payload: bytes, delivery: WebhookDelivery) -> Answer:
    request = urllib.request.Request(
        url,
        data=payload,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "truss-migrations-manager",
            "X-Truss-Event": delivery.event,
            "X-Truss-Delivery": str(delivery.pk),
            signing.HEADER: signing.sign(secret, payload),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=float(app_settings.WEBHOOK_TIMEOUT)) as got:
            return Answer(got.status)
    except urllib.error.HTTPError as error:
        return Answer(error.code, f"HTTP {error.code}")
    except (urllib.error.URLError, OSError) as error:
        # Never the URL itself in the log: it may carry a token (Slack's do).
        reason = getattr(error, "reason", error)
        return Answer(None, f"{type(error).__name__}: {reason}".replace(url, "<url>"))


def _close(delivery: WebhookDelivery, answer: Answer, *, tries: int) -> WebhookDelivery:
    delivery.attempts = tries
    delivery.response_status = answer.status
    delivery.error = "" if answer.delivered else answer.error or f"HTTP {answer.status}"
    delivery.status = (
        WebhookDelivery.Status.DELIVERED if answer.delivered else WebhookDelivery.Status.FAILED
    )
    delivery.finished_at = timezone.now()
    delivery.save(update_fields=["attempts", "response_status", "error", "status", "finished_at"])
    logger.info(
        "webhook delivery %s",
        delivery.status,
        extra={
            "truss": {
                "what": "delivery",
                "delivery": delivery.pk,
                "webhook": delivery.webhook.name,
                "event": delivery.event,
                "run": delivery.run_id,
                "outcome": delivery.status,
                "attempts": tries,
                "status": answer.status,
            }
        },
    )
    return delivery
