"""Webhook deliveries: one row per event and webhook, sent after the run's row is committed,
never in the run's way.

``notify`` writes the deliveries and hands their ids to the outbox; ``deliver`` claims one
(a second sender of the same delivery finds it claimed and leaves it), POSTs it, trying again
on a 5xx, a 408/429, a timeout or a refused connection (``WEBHOOK_TRIES`` tries, the wait
doubling from ``WEBHOOK_BACKOFF``), and records how it went. A try never outlasts
``WEBHOOK_TIMEOUT`` as a whole (a receiver answering a byte at a time is cut off), a redirect
is not followed (it is a failure: the body would not reach its receiver), and nothing of the
URL, which may carry a token, reaches the recorded error or the log.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.db.models import Q
from django.utils import timezone

from ..conf import app_settings
from ..exceptions import ConfigurationError
from ..models import MigrationRun, Webhook, WebhookDelivery
from . import events, outbox, signing
from .sealing import unseal

logger = logging.getLogger("migrations_manager.events")

RETRIED_STATUSES = frozenset({408, 429})
# A delivery claimed this long ago by a sender that never closed it (its process died) is
# pending again.
STALE_CLAIM = timedelta(minutes=10)


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
        delivery = WebhookDelivery.objects.create(
            webhook=webhook, run=run, event=str(event), body={}
        )
        delivery.body = events.payload(event, run, delivery.pk, slack=webhook.format == "slack")
        delivery.save(update_fields=["body"])
        ids.append(delivery.pk)
    for delivery_id in ids:
        outbox.submit(delivery_id)
    return ids


def deliver(delivery_id: int) -> WebhookDelivery | None:
    """Send delivery ``delivery_id`` unless another sender has it or had it already (a
    redelivered task, a swept delivery)."""
    if not _claim(delivery_id):
        return WebhookDelivery.objects.filter(pk=delivery_id).first()
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
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


def stale_ids() -> list[int]:
    """Deliveries no sender will finish: pending for a while (their process died before it
    sent them) or claimed long ago by a sender that never closed them."""
    now = timezone.now()
    pending = Q(status=WebhookDelivery.Status.PENDING, created_at__lt=now - timedelta(seconds=30))
    rows = WebhookDelivery.objects.filter(pending | _stale_claim(now)).order_by("pk")
    return list(rows.values_list("pk", flat=True))


def _claim(delivery_id: int) -> bool:
    """Take the delivery for this sender: one UPDATE, so two senders never both take it."""
    now = timezone.now()
    free = Q(status=WebhookDelivery.Status.PENDING) | _stale_claim(now)
    taken = WebhookDelivery.objects.filter(free, pk=delivery_id).update(
        status=WebhookDelivery.Status.SENDING, claimed_at=now
    )
    return taken == 1


def _stale_claim(now: datetime) -> Q:
    return Q(status=WebhookDelivery.Status.SENDING, claimed_at__lt=now - STALE_CLAIM)


def _post(url: str, secret: str, payload: bytes, delivery: WebhookDelivery) -> Answer:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "truss-migrations-manager",
        "X-Truss-Event": delivery.event,
        "X-Truss-Delivery": str(delivery.pk),
        signing.HEADER: signing.sign(secret, payload),
    }
    try:
        return _exchange(url, payload, headers, float(app_settings.WEBHOOK_TIMEOUT))
    except OSError as error:  # no connection, reset, timeout: what the network said
        return Answer(None, _scrubbed(f"{type(error).__name__}: {error}", url))
    except Exception as error:  # a URL the client cannot send: its text may quote the URL
        return Answer(None, f"{type(error).__name__}: the URL cannot be sent as it is")


def _exchange(url: str, payload: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """One POST, cut off ``timeout`` seconds after it started, whatever the receiver does."""
    parts = urlsplit(url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.hostname or "", parts.port, timeout=timeout)
    expired = threading.Event()
    watchdog = threading.Timer(timeout, _cut, args=(connection, expired))
    watchdog.daemon = True
    watchdog.start()
    late = Answer(None, f"no complete answer within {timeout:g} s")
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", target, body=payload, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)  # the answer's body is not kept: its start is drained
    except Exception:
        if expired.is_set():
            return late
        raise
    finally:
        watchdog.cancel()
        connection.close()
    if expired.is_set():
        return late
    if 300 <= response.status < 400:
        return Answer(response.status, f"HTTP {response.status}: redirects are not followed")
    return Answer(response.status, "" if response.status < 300 else f"HTTP {response.status}")


def _cut(connection: http.client.HTTPConnection, expired: threading.Event) -> None:
    """The try's time is up: shut its socket, which ends any read or write under way."""
    expired.set()
    if connection.sock is not None:
        try:
            connection.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _scrubbed(message: str, url: str) -> str:
    parts = urlsplit(url)
    for secret in {url, parts.path, parts.query, parts.netloc.partition("@")[0]} - {""}:
        message = message.replace(secret, "<url>")
    return message[:500]


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
        "webhook delivery %s %s to %s (%s tries)",
        delivery.pk,
        delivery.status,
        delivery.webhook.name,
        tries,
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
