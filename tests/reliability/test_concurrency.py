"""Simultaneous requests through the real HTTP stack: one target, one advisory lock, one winner.

A threaded WSGI server serves the app; each client thread opens its own TCP connection with a
token. The winner is held at a gate (a table another session locks) until every other request
has been answered, so the outcome never depends on timing: the others find the lock taken.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import Future, as_completed

import pytest

from migrations_manager.models import MigrationRun
from tests.reliability.conftest import (
    MARK,
    PGMIGRATIONS_DDL,
    RUN,
    Answer,
    LiveApi,
    simultaneously,
)
from tests.utils import Target

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 50
RUN_APPLICATION = "truss-migrations:run"
MARK_APPLICATION = "truss-migrations:mark"
FILES = ["001_a.sql", "002_b.sql", "003_c.sql"]


def first_answers(futures: list[Future], count: int) -> list[Answer]:
    """The first ``count`` answers to arrive, whichever requests they answer."""
    answers = []
    for future in as_completed(futures, timeout=120):
        answers.append(future.result())
        if len(answers) == count:
            return answers
    raise AssertionError(f"only {len(answers)} answers arrived")


def duplicate_rows(target: Target) -> list[tuple]:
    return target.query("SELECT name, count(*) FROM pgmigrations GROUP BY name HAVING count(*) > 1")


@pytest.fixture
def batch(target_db, gate):
    """Three pending migrations; the first inserts into the gate ``entry``, where it waits while
    the gate is closed. ``entry`` counts the times the batch ran."""
    entry = gate("entry")
    target_db.write(FILES[0], "INSERT INTO entry VALUES (1);\nCREATE TABLE a (id int);")
    target_db.write(FILES[1], "CREATE TABLE b (id int);")
    target_db.write(FILES[2], "CREATE TABLE c (id int);")
    return target_db, entry


def test_fifty_simultaneous_runs_apply_the_batch_once(live_api: LiveApi, batch):
    target, entry = batch
    entry.close()
    pool, futures = simultaneously([lambda: live_api.post(RUN)] * CLIENTS)
    with pool:
        refused = first_answers(futures, CLIENTS - 1)
        winner = entry.wait_for(RUN_APPLICATION)  # still running: every other request failed
        entry.open()
        answers = [future.result(timeout=120) for future in futures]

    assert Counter(answer.status for answer in answers) == {200: 1, 409: CLIENTS - 1}
    assert {answer.status for answer in refused} == {409}
    for answer in refused:
        assert answer.body["ok"] is False
        assert answer.body["holder"] == {"pid": winner, "application": RUN_APPLICATION}
        assert f"pid {winner}, {RUN_APPLICATION}" in answer.body["error"]
    [applied] = [answer.body for answer in answers if answer.status == 200]
    assert [item["name"] for item in applied["applied"]] == FILES

    assert target.scalar("SELECT count(*) FROM entry") == 1
    assert sorted(row[0] for row in target.query("SELECT name FROM pgmigrations")) == [
        "001_a",
        "002_b",
        "003_c",
    ]
    assert duplicate_rows(target) == []
    runs = MigrationRun.objects.filter(command="run")
    assert Counter(runs.values_list("outcome", flat=True)) == {
        "succeeded": 1,
        "refused": CLIENTS - 1,
    }
    succeeded = runs.get(outcome="succeeded")
    assert list(succeeded.events.values_list("name", "ok")) == [(name, True) for name in FILES]
    for run in runs.filter(outcome="refused"):
        assert run.failure["holder"] == {"pid": winner, "application": RUN_APPLICATION}
        assert not run.events.exists() and run.source == "api"


def test_mark_applied_is_refused_while_a_run_holds_the_target(live_api, batch):
    """The run holds the lock: marking one of its files is refused, and the run applies it."""
    target, entry = batch
    entry.close()
    pool, [running] = simultaneously([lambda: live_api.post(RUN)])
    with pool:
        winner = entry.wait_for(RUN_APPLICATION)
        marked = live_api.post(MARK, {"migration": FILES[1]})
        entry.open()
        ran = running.result(timeout=120)

    assert marked.status == 409 and marked.body["holder"]["pid"] == winner
    assert ran.status == 200 and target.exists("b")
    assert target.scalar("SELECT count(*) FROM pgmigrations WHERE name = '002_b'") == 1
    again = live_api.post(MARK, {"migration": FILES[1]})
    assert again.status == 200 and "already recorded" in again.body["message"]
    assert duplicate_rows(target) == []
    outcomes = list(MigrationRun.objects.order_by("id").values_list("command", "outcome"))
    assert outcomes == [  # the run's row was opened before it reached the gate
        ("run", "succeeded"),
        ("mark-applied", "refused"),
        ("mark-applied", "succeeded"),
    ]


def test_a_run_while_a_mark_writes_its_row_is_refused_and_never_runs_the_marked_file(
    live_api, batch, gate
):
    """The mark holds the lock while it writes (its INSERT waits at the tracking table): the
    run is refused; run again afterwards, it skips the marked file."""
    target, _ = batch
    target.execute(PGMIGRATIONS_DDL)
    tracking = gate("pgmigrations")
    tracking.close()
    pool, [marking] = simultaneously([lambda: live_api.post(MARK, {"migration": FILES[0]})])
    with pool:
        holder = tracking.wait_for(MARK_APPLICATION)
        refused = live_api.post(RUN)
        tracking.open()
        marked = marking.result(timeout=120)

    assert refused.status == 409 and refused.body["holder"] == {
        "pid": holder,
        "application": MARK_APPLICATION,
    }
    assert marked.status == 200 and not target.exists("a")
    ran = live_api.post(RUN)
    assert [item["name"] for item in ran.body["applied"]] == FILES[1:]
    assert not target.exists("a") and target.scalar("SELECT count(*) FROM entry") == 0
    assert duplicate_rows(target) == []


ROUNDS = 12


def test_run_and_mark_racing_on_one_file_never_both_win(live_api, target_db):
    """No gate: whichever takes the lock first wins; the other is refused (409), or finds the
    work done (the run: not pending, 400; the mark: already recorded, 200). In every round the
    file has one row, and its table exists exactly when the run applied it."""
    for round_ in range(ROUNDS):
        name = f"{round_:03d}_t.sql"
        target_db.write(name, f"CREATE TABLE t{round_} (id int);")
        pool, (run, mark) = simultaneously(
            [
                lambda name=name: live_api.post(RUN, {"migrations": [name]}),
                lambda name=name: live_api.post(MARK, {"migration": name}),
            ]
        )
        with pool:
            ran, marked = run.result(timeout=120), mark.result(timeout=120)
        run_applied = ran.status == 200 and ran.body["applied"] == [
            {"name": name, "hash": ran.body["applied"][0]["hash"]}
        ]
        mark_wrote = marked.status == 200 and "Recorded" in marked.body["message"]
        assert run_applied != mark_wrote, (ran, marked)
        assert ran.status in (200, 400, 409) and marked.status in (200, 409)
        assert target_db.exists(f"t{round_}") == run_applied
        rows = target_db.scalar("SELECT count(*) FROM pgmigrations WHERE name = %s", (name[:-4],))
        assert rows == 1
        effective = [
            run
            for run in MigrationRun.objects.filter(outcome="succeeded")
            if run.files == [name] and run.events.exists()
        ]
        assert len(effective) == 1
    assert duplicate_rows(target_db) == []
