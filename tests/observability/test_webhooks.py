"""Webhooks against a real HTTP receiver on 127.0.0.1 and a real PostgreSQL: signed bodies,
retries on 5xx, a dead receiver that never holds a run up, nothing for a dry run, secrets
never kept or shown in clear."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import GateRefused
from migrations_manager.models import MigrationRun, Webhook, WebhookDelivery
from migrations_manager.observability import outbox, signing
from migrations_manager.observability.events import Event
from migrations_manager.observability.sealing import unseal
from tests.factories import UserFactory

from .receiver import closed_port, receiver, subscribe

pytestmark = pytest.mark.django_db(transaction=True)

ACTOR = Actor(name="tester")
SECRET = "whsec-0123456789"
ALL_EVENTS = [event.value for event in Event]


@pytest.fixture(autouse=True)
def quick_tries(settings):
    settings.MIGRATIONS_MANAGER = {
        **settings.MIGRATIONS_MANAGER,
        "WEBHOOK_BACKOFF": 0.01,
        "WEBHOOK_TIMEOUT": 2.0,
    }


def webhook(url: str, *, events=ALL_EVENTS, format: str = "json", name: str = "ops") -> Webhook:
    return subscribe(url, secret=SECRET, events=events, format=format, name=name)


def delivered() -> list[WebhookDelivery]:
    assert outbox.drain(30)
    return list(WebhookDelivery.objects.order_by("id"))


def test_a_run_sends_started_and_succeeded_signed(target_db):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    with receiver() as hook:
        webhook(hook.url)
        report = services.run_pending(actor=ACTOR)
        got = hook.wait_for(2)
    assert report.ok
    assert [json.loads(item.body)["event"] for item in got] == ["run.started", "run.succeeded"]
    run = MigrationRun.objects.get()
    for item in got:
        assert signing.verify(SECRET, item.headers[signing.HEADER], item.body)
        assert not signing.verify("another secret", item.headers[signing.HEADER], item.body)
        body = json.loads(item.body)
        assert body["run"]["id"] == run.pk and body["run"]["files"] == ["001_a.sql"]
        assert item.headers["X-Truss-Event"] == body["event"]
        assert str(body["delivery"]) == item.headers["X-Truss-Delivery"]  # signed with it
    started = json.loads(got[0].body)["run"]
    assert started["outcome"] == "running" and started["finishedAt"] is None
    finished = json.loads(got[1].body)["run"]
    assert finished["outcome"] == "succeeded" and finished["summary"] == run.summary
    assert [d.status for d in delivered()] == ["delivered", "delivered"]


def test_a_tampered_or_old_body_does_not_verify():
    body = b'{"event":"run.failed"}'
    header = signing.sign(SECRET, body)
    assert signing.verify(SECRET, header, body)
    assert not signing.verify(SECRET, header, body.replace(b"failed", b"succeeded"))
    old = signing.sign(SECRET, body, timestamp=1_000_000)
    assert not signing.verify(SECRET, old, body)
    assert not signing.verify(SECRET, "v1=deadbeef", body)
    when = header.split(",")[0]
    assert not signing.verify(SECRET, f"{when},v1=\u00e9\u00e9", body)  # not ASCII: no crash


def test_a_5xx_is_tried_again_until_it_is_delivered(target_db):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    with receiver(500, 503) as hook:
        webhook(hook.url, events=["run.succeeded"])
        services.run_pending(actor=ACTOR)
        got = hook.wait_for(3)
        [delivery] = delivered()
    assert len(got) == 3 and len({item.headers["X-Truss-Delivery"] for item in got}) == 1
    assert delivery.status == "delivered" and delivery.attempts == 3
    assert delivery.response_status == 200


def test_a_4xx_is_not_tried_again(target_db):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    with receiver(404) as hook:
        webhook(hook.url, events=["run.succeeded"])
        services.run_pending(actor=ACTOR)
        [delivery] = delivered()
        assert len(hook.received) == 1
    assert delivery.status == "failed" and delivery.attempts == 1 and delivery.error == "HTTP 404"


def test_a_dead_receiver_fails_its_deliveries_not_the_run(target_db):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    url = f"http://127.0.0.1:{closed_port()}/secret-token-in-path"
    webhook(url)
    report = services.run_pending(actor=ACTOR)
    assert report.ok and target_db.exists("a")
    deliveries = delivered()
    assert [d.status for d in deliveries] == ["failed", "failed"]
    assert all(d.attempts == 3 and d.response_status is None for d in deliveries)
    assert all("secret-token-in-path" not in d.error and d.error for d in deliveries)


def test_a_refused_run_is_an_event_too(target_db):
    target_db.execute("CREATE TABLE a (id int)")
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    with receiver() as hook:
        webhook(hook.url, events=["run.refused"])
        with pytest.raises(GateRefused):
            services.run_pending(actor=ACTOR)
        [got] = hook.wait_for(1)
    body = json.loads(got.body)
    assert body["event"] == "run.refused"
    assert body["run"]["failure"]["gate"]["refused"] is True


def test_a_failed_run_is_an_event_with_its_failure(target_db):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);\nSELECT 1/0;")
    with receiver() as hook:
        webhook(hook.url, events=["run.failed"])
        report = services.run_pending(actor=ACTOR, reason="the failure is what is tested")
        [got] = hook.wait_for(1)
    assert not report.ok
    body = json.loads(got.body)
    assert body["event"] == "run.failed" and body["run"]["failure"]["sqlstate"] == "22012"


def test_nothing_is_sent_for_a_dry_run(target_db):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    with receiver() as hook:
        webhook(hook.url)
        assert services.plan_run().sql_text
        assert services.migrate_up(None, actor=ACTOR, dry_run=True).dry_run
        services.mark_applied("001_a.sql", actor=ACTOR, dry_run=True)
        assert delivered() == [] and hook.received == []
    assert not target_db.exists("a")


def test_the_slack_format_has_a_text(target_db):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    with receiver() as hook:
        webhook(hook.url, events=["run.succeeded"], format="slack")
        services.run_pending(actor=ACTOR)
        [got] = hook.wait_for(1)
    body = json.loads(got.body)
    assert "run.succeeded" in body["text"] and "001_a.sql" in body["text"]
    assert body["truss"]["run"]["outcome"] == "succeeded"
    assert signing.verify(SECRET, got.headers[signing.HEADER], got.body)


def test_an_inactive_or_unsubscribed_webhook_gets_nothing(target_db):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    with receiver() as hook:
        webhook(hook.url, events=["run.failed"], name="failures")
        idle = webhook(hook.url, name="idle")
        idle.active = False
        idle.save()
        services.run_pending(actor=ACTOR)
        assert delivered() == [] and hook.received == []


def test_the_admin_keeps_url_and_secret_sealed_and_never_shows_them(target_db):
    client = Client()
    client.force_login(UserFactory(username="admin", superuser=True))
    url = "https://hooks.example.com/services/T000/B000/XXXXSECRETXXXX"
    page = client.post(
        "/admin/migrations_manager/webhook/add/",
        {
            "name": "slack",
            "url": url,
            "secret": SECRET,
            "events": ["run.failed", "run.refused"],
            "format": "slack",
            "active": "on",
        },
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    stored = Webhook.objects.get(name="slack")
    row = json.dumps(list(Webhook.objects.values().filter(pk=stored.pk)), default=str)
    assert "XXXXSECRETXXXX" not in row and SECRET not in row
    assert unseal(stored.url_sealed) == url and unseal(stored.secret_sealed) == SECRET
    assert stored.url_host == "hooks.example.com"
    change = client.get(f"/admin/migrations_manager/webhook/{stored.pk}/change/").content.decode()
    listing = client.get("/admin/migrations_manager/webhook/").content.decode()
    for shown in (change, listing):
        assert "XXXXSECRETXXXX" not in shown and SECRET not in shown
        assert "hooks.example.com" in shown
    kept = client.post(
        f"/admin/migrations_manager/webhook/{stored.pk}/change/",
        {"name": "slack", "url": "", "secret": "", "events": ["run.failed"], "format": "slack"},
    )
    assert kept.status_code == 302
    stored.refresh_from_db()
    assert unseal(stored.url_sealed) == url and unseal(stored.secret_sealed) == SECRET
    assert stored.events == ["run.failed"] and not stored.active


def test_a_webhook_needs_its_url_and_secret_when_added(target_db):
    client = Client()
    client.force_login(UserFactory(username="admin", superuser=True))
    page = client.post(
        "/admin/migrations_manager/webhook/add/",
        {"name": "x", "url": "", "secret": "", "events": ["run.failed"], "format": "json"},
    )
    assert page.status_code == 200 and not Webhook.objects.exists()
    assert page.content.decode().count("This field is required.") >= 2


def test_a_secret_sealed_under_another_key_fails_the_delivery_not_the_run(target_db, settings):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    with receiver() as hook:
        webhook(hook.url, events=["run.succeeded"])
        settings.SECRET_KEY = "another key entirely, rotated"
        assert services.run_pending(actor=ACTOR).ok
        [delivery] = delivered()
        assert hook.received == []
    assert delivery.status == "failed" and "SECRET_KEY" in delivery.error


def test_the_readme_s_verification_snippet_verifies_a_real_delivery(target_db):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    after = readme.split("A receiver checks it so:", 1)[1]
    snippet = after.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(snippet, "README.md", "exec"), namespace)  # the README's own code
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    with receiver() as hook:
        webhook(hook.url, events=["run.succeeded"])
        services.run_pending(actor=ACTOR)
        [got] = hook.wait_for(1)
    header = got.headers[signing.HEADER]
    assert namespace["verified"](SECRET, header, got.body)
    assert not namespace["verified"](SECRET, header, got.body + b" ")
    assert not namespace["verified"]("wrong", header, got.body)


def test_the_command_line_sends_its_deliveries_before_it_exits(target_db, tmp_path):
    """``pgmigrate run`` is a process of its own: its deliveries go out before it exits."""
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "truss.settings",
        "DJANGO_SECRET_KEY": str(django_settings.SECRET_KEY),
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
        "TRUSS_DATABASE_URL": target_db.url,
        "TRUSS_MIGRATIONS_DIR": str(target_db.directory),
        "TRUSS_VAR_DIR": str(tmp_path / "var"),
        "TRUSS_EMBEDDED": "0",
    }
    with receiver(503) as hook:
        webhook(hook.url, events=["run.succeeded"])
        done = subprocess.run(
            [sys.executable, "manage.py", "pgmigrate", "run"],
            cwd=Path(__file__).resolve().parents[2],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert len(hook.received) == 2  # the 503, then the delivery: both before the exit
    assert WebhookDelivery.objects.get().status == "delivered"


def test_a_redirect_is_not_followed_and_is_a_failure(target_db):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    with receiver(302) as hook:
        webhook(hook.url, events=["run.succeeded"])
        services.run_pending(actor=ACTOR)
        [delivery] = delivered()
        assert [item.path for item in hook.received] == ["/hooks/truss"]  # no GET /elsewhere
    assert delivery.status == "failed" and delivery.attempts == 1
    assert delivery.response_status == 302 and "redirect" in delivery.error


def test_a_receiver_that_drips_its_answer_is_cut_off_at_the_timeout(target_db, settings):
    settings.MIGRATIONS_MANAGER = {
        **settings.MIGRATIONS_MANAGER,
        "WEBHOOK_TIMEOUT": 1.0,
        "WEBHOOK_TRIES": 1,
    }
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    with receiver(drip=0.3) as hook:  # ~40 bytes at 0.3 s each: 12 s if never cut
        webhook(hook.url, events=["run.succeeded"])
        services.run_pending(actor=ACTOR)
        assert outbox.drain(8)  # far sooner than the drip would end
        [delivery] = WebhookDelivery.objects.all()
    assert delivery.status == "failed" and "within 1 s" in delivery.error


def test_a_url_that_cannot_be_sent_fails_its_delivery_without_showing_it(target_db, caplog):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    webhook("http://127.0.0.1:1/services/SECRETTOKEN\x01x", events=["run.succeeded"])
    webhook("https://example.invalid/hook/\u00fc-SECRETTOKEN", events=["run.succeeded"], name="b")
    services.run_pending(actor=ACTOR)
    deliveries = delivered()
    assert [d.status for d in deliveries] == ["failed", "failed"]
    assert all("SECRETTOKEN" not in d.error for d in deliveries)
    assert "SECRETTOKEN" not in caplog.text


def test_a_delivery_is_sent_once_whoever_asks_again(target_db):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    with receiver() as hook:
        webhook(hook.url, events=["run.succeeded"])
        services.run_pending(actor=ACTOR)
        [delivery] = delivered()
        for _ in range(3):  # a redelivered task, a sweep
            outbox.submit(delivery.pk)
        assert outbox.drain(10)
        assert len(hook.received) == 1


def test_inside_an_outer_transaction_the_started_event_still_says_running(target_db):
    from django.db import transaction

    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    with receiver() as hook:
        webhook(hook.url, events=["run.started", "run.succeeded"])
        with transaction.atomic():  # a project with ATOMIC_REQUESTS
            services.run_pending(actor=ACTOR)
        got = hook.wait_for(2)
    bodies = sorted((json.loads(item.body) for item in got), key=lambda b: b["delivery"])
    assert [(b["event"], b["run"]["outcome"]) for b in bodies] == [
        ("run.started", "running"),
        ("run.succeeded", "succeeded"),
    ]


def test_the_admin_refuses_a_url_it_could_not_send(target_db):
    client = Client()
    client.force_login(UserFactory(username="admin", superuser=True))
    page = client.post(
        "/admin/migrations_manager/webhook/add/",
        {
            "name": "x",
            "url": "https://example.com/hook/\u00fc",
            "secret": SECRET,
            "events": ["run.failed"],
            "format": "json",
        },
    )
    assert page.status_code == 200 and not Webhook.objects.exists()
    assert "Printable ASCII only" in page.content.decode()


def test_a_key_rotated_with_fallbacks_still_opens_the_secrets(target_db, settings):
    sealed = seal_now("https://example.com/hook")
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "the new key, rotated properly"
    settings.SECRET_KEY_FALLBACKS = [old]
    assert unseal(sealed) == "https://example.com/hook"


def seal_now(text: str) -> str:
    from migrations_manager.observability.sealing import seal

    return seal(text)


def test_a_user_who_may_only_read_sees_no_url_or_secret(target_db):
    """The admin's view-only pages of webhooks and deliveries render, and hold neither the
    URL's path (a Slack-style token) nor the signing secret."""
    from django.contrib.auth.models import Permission

    hook = webhook("https://hooks.example.com/services/T0/XXXXSECRETXXXX")
    viewer = UserFactory(username="viewer")
    for codename in ("view_webhook", "view_webhookdelivery"):
        viewer.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(viewer)
    for url in (
        "/admin/migrations_manager/webhook/",
        f"/admin/migrations_manager/webhook/{hook.pk}/change/",
        "/admin/migrations_manager/webhookdelivery/",
    ):
        page = client.get(url)
        shown = page.content.decode()
        assert page.status_code == 200, url
        assert "XXXXSECRETXXXX" not in shown and SECRET not in shown
        assert hook.url_host in shown or "webhookdelivery" in url
    assert (
        client.post(f"/admin/migrations_manager/webhook/{hook.pk}/change/", {}).status_code == 403
    )
