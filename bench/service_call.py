"""Time one service call inside an already started Django process (no start-up cost).

    python bench/service_call.py NAME [ARG]

NAME: run, up, status, lint, lint-after-catalog, detect-schema, check, drift or snapshot.

Prints one JSON line: {"seconds": ..., "statements": ..., "result": ...}. ``statements`` counts
what the process sent to PostgreSQL during the call (every cursor execute).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import django
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "truss.settings")

SENT = {"statements": 0}
_execute = psycopg.Cursor.execute


def _counting_execute(self, *args, **kwargs):
    SENT["statements"] += 1
    return _execute(self, *args, **kwargs)


def call(name: str, argument: str | None):
    from migrations_manager import services
    from migrations_manager.audit import Actor

    actor = Actor(name="bench")
    calls = {
        "run": lambda: services.run_pending(actor=actor).ok,
        "up": lambda: services.migrate_up(actor=actor).ok,
        "status": lambda: services.status().summary,
        "check": lambda: services.check().safe,
        "lint": lambda: len(services.lint([argument] if argument else None).findings),
        "lint-after-catalog": lambda: lint_after_catalog(argument),
        "detect-schema": lambda: services.detect_schema(migration=argument).recommendation,
        "drift": lambda: len(services.drift().differences),
        "snapshot": snapshot_tables,
        "api-status": api_status,
        "run-dead-webhooks": run_with_dead_webhooks,
    }
    return calls[name]()


_READ: dict[str, tuple] = {}


def lint_after_catalog(name: str | None) -> int:
    """The lint of one file as the service runs it, its catalog reads (sizes, shapes, planner
    estimates) made by the first call only: the next calls time the lint itself."""
    from migrations_manager.services.inspection import (
        analyse_file,
        catalog_tables,
        lint_findings,
        locate,
        planned_rows,
        relation_names,
        workspace,
    )

    if name not in _READ:
        with workspace(None, offline_ok=False, suffix=":bench") as space:
            path, migration = locate(space.adapter, name)
            analysed = [analyse_file(space.adapter, path, migration)]
            tables = catalog_tables(space.conn, relation_names(analysed))
            planned = planned_rows(space.conn, analysed)
            _READ[name] = (analysed, tables, planned, space.server_version)
    analysed, tables, planned, version = _READ[name]
    findings = lint_findings(
        analysed,
        table_sizes=tables.sizes,
        server_version=version,
        tables=tables.shapes,
        planned=planned,
    )
    return len(findings)


def snapshot_tables() -> int:
    from migrations_manager import db
    from migrations_manager.introspection.catalog import snapshot

    with db.connection(read_only=True) as conn:
        return len(snapshot(conn).tables)


DEAD_WEBHOOKS = 3


def run_with_dead_webhooks() -> bool:
    """services.run_pending() while three webhooks point at a receiver that accepts the
    connection and never answers (each try waits WEBHOOK_TIMEOUT): only the run is timed."""
    import socket

    from migrations_manager import services
    from migrations_manager.audit import Actor
    from migrations_manager.models import Webhook
    from migrations_manager.observability.sealing import seal

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)  # connections complete in the backlog; nothing ever reads them
    url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
    Webhook.objects.all().delete()
    for index in range(DEAD_WEBHOOKS):
        Webhook.objects.create(
            name=f"silent-{index}",
            url_sealed=seal(url),
            url_host="127.0.0.1",
            secret_sealed=seal("bench"),
            events=["run.started", "run.succeeded", "run.failed"],
        )
    return services.run_pending(actor=Actor(name="bench")).ok


def api_status() -> int:
    """GET /api/migrations/idempotent/status through Django's whole request stack."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(username="bench", is_superuser=True)
    client = Client()
    client.force_login(user)
    response = client.get("/api/migrations/idempotent/status")
    assert response.status_code == 200, response.content[:500]
    return len(response.json()["migrations"])


def main() -> None:
    name = sys.argv[1]
    argument = sys.argv[2] if len(sys.argv) > 2 else None
    repeat = int(os.environ.get("BENCH_REPEAT_IN_PROCESS", "1"))
    django.setup()
    psycopg.Cursor.execute = _counting_execute
    timings = []
    result = None
    for _ in range(repeat):
        SENT["statements"] = 0
        started = time.perf_counter()
        result = call(name, argument)
        timings.append(time.perf_counter() - started)
    print(json.dumps({"seconds": timings, "statements": SENT["statements"], "result": result}))


if __name__ == "__main__":
    main()
