"""One structured line per run, refusal, gate override and delivery (logger
``migrations_manager.events``), and the JSON form of those lines."""

from __future__ import annotations

import json
import logging

import pytest

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import GateRefused
from migrations_manager.models import MigrationRun
from migrations_manager.observability import outbox
from migrations_manager.observability.jsonlog import JsonFormatter

from .receiver import closed_port, subscribe

pytestmark = pytest.mark.django_db(transaction=True)

ACTOR = Actor(name="tester")
EVENTS = "migrations_manager.events"


@pytest.fixture
def lines(caplog):
    caplog.set_level(logging.INFO, logger=EVENTS)

    def fields() -> list[dict]:
        return [record.truss for record in caplog.records if record.name == EVENTS]

    return fields


def test_a_run_logs_its_start_and_its_outcome(target_db, lines):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    services.run_pending(actor=ACTOR)
    run = MigrationRun.objects.get()
    started, finished = lines()
    assert started == {
        "what": "run",
        "run": run.pk,
        "command": "run",
        "target": run.target,
        "user": "tester",
        "surface": "cli",
        "outcome": "running",
        "files": 1,
    }
    assert finished == {**started, "outcome": "succeeded"}


def test_a_refusal_and_an_override_log_a_line_each(target_db, lines):
    target_db.execute("CREATE TABLE a (id int)")
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    with pytest.raises(GateRefused):
        services.run_pending(actor=ACTOR)
    services.run_pending(actor=ACTOR, reason="INC-42: accepted")
    said = lines()
    assert said[0]["what"] == "refusal" and said[0]["outcome"] == "refused"
    override = next(line for line in said if line["what"] == "gate-override")
    assert override["reason"] == "INC-42: accepted" and override["overridden"] >= 1
    assert said[-1]["outcome"] == "failed"  # the table exists: the override did not change that


def test_a_delivery_logs_how_it_went(target_db, lines, settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "WEBHOOK_BACKOFF": 0.01}
    subscribe(f"http://127.0.0.1:{closed_port()}/", secret="s", name="dead")
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    services.run_pending(actor=ACTOR)
    assert outbox.drain(30)
    [delivery] = [line for line in lines() if line["what"] == "delivery"]
    assert delivery["outcome"] == "failed" and delivery["attempts"] == 3
    assert delivery["event"] == "run.succeeded" and delivery["webhook"] == "dead"


def test_the_json_format_is_one_object_a_line():
    record = logging.LogRecord(EVENTS, logging.WARNING, __file__, 1, "run %s failed", (7,), None)
    record.truss = {"what": "run", "run": 7, "outcome": "failed"}
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert parsed["message"] == "run 7 failed" and parsed["level"] == "warning"
    assert parsed["run"] == 7 and parsed["outcome"] == "failed" and parsed["logger"] == EVENTS
