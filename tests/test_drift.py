"""Drift: the live database against a replay of its applied migrations, on a real server."""

from __future__ import annotations

import json
import threading
from io import StringIO

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import ConfigurationError, LockNotAcquired
from migrations_manager.services.replay import scratch_database
from tests.api.conftest import BASE, ROLES, token_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TWENTY = [
    "CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL)",
    "CREATE UNIQUE INDEX users_email ON users (lower(email))",
    "CREATE TABLE orders (id serial PRIMARY KEY,"
    " user_id bigint REFERENCES users ON DELETE CASCADE)",
    "ALTER TABLE orders ADD COLUMN amount numeric(10, 2) NOT NULL DEFAULT 0",
    "CREATE INDEX orders_user ON orders (user_id)",
    "CREATE TYPE mood AS ENUM ('ok', 'sad')",
    "ALTER TABLE users ADD COLUMN feeling mood",
    "CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 100",
    "CREATE FUNCTION order_total(bigint) RETURNS numeric LANGUAGE sql STABLE"
    " AS 'SELECT sum(amount) FROM orders WHERE user_id = $1'",
    "CREATE SCHEMA audit",
    "CREATE TABLE audit.events (at timestamptz NOT NULL DEFAULT now(), what text)",
    "CREATE INDEX events_at ON audit.events (at)",
    "ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount >= 0)",
    "CREATE SEQUENCE invoice_numbers START 1000",
    "CREATE TABLE invoices (number integer DEFAULT nextval('invoice_numbers'), note varchar(40))",
    "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
    "CREATE TRIGGER invoices_touch BEFORE UPDATE ON invoices FOR EACH ROW EXECUTE FUNCTION touch()",
    "CREATE MATERIALIZED VIEW user_count AS SELECT count(*) AS n FROM users",
    "ALTER TABLE invoices ADD COLUMN paid boolean NOT NULL DEFAULT false",
    "CREATE INDEX invoices_unpaid ON invoices (number) WHERE NOT paid",
]


def run(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("pgmigrate", *args, stdout=out, stderr=StringIO())
    except CommandError as error:
        return error.returncode, out.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def applied(target_db):
    for number, statement in enumerate(TWENTY, start=1):
        target_db.write(f"{number:03}_step.sql", f"{statement};")
    report = services.run_pending(actor=Actor.command_line())
    assert report.ok and len(report.completed) == 20
    return target_db


def test_an_untouched_database_has_no_drift(applied):
    code, out = run("drift", "--json")
    body = json.loads(out)
    assert code == 0
    assert (body["drifted"], body["differences"], len(body["replayed"])) == (False, [], 20)
    assert body["tracking_table"] == "public.pgmigrations"


def test_three_changes_by_hand_are_exactly_the_drift(applied):
    applied.execute(
        "ALTER TABLE users ADD COLUMN nickname text;"
        " DROP INDEX orders_user;"
        " ALTER TABLE invoices ALTER COLUMN note TYPE text"
    )
    code, out = run("drift", "--json")
    assert code == 4
    found = {
        (d["change"], d["object_type"], d["name"]): d["ddl"] for d in json.loads(out)["differences"]
    }
    assert found == {
        ("extra", "column", "public.users.nickname"): (
            "ALTER TABLE public.users DROP COLUMN nickname;"
        ),
        ("missing", "index", "public.orders_user"): (
            "CREATE INDEX orders_user ON public.orders USING btree (user_id);"
        ),
        ("changed", "column", "public.invoices.note"): (
            "ALTER TABLE public.invoices ALTER COLUMN note TYPE character varying(40)"
            " USING note::character varying(40);"
        ),
    }
    # The DDL of the report undoes the drift.
    applied.execute("\n".join(found.values()))
    assert run("drift")[0] == 0


def test_the_text_report_says_each_difference_and_its_ddl(applied):
    applied.execute("DROP INDEX orders_user")
    code, out = run("drift")
    assert code == 4
    assert "  [missing] index public.orders_user is missing" in out.splitlines()
    assert "      CREATE INDEX orders_user ON public.orders USING btree (user_id);" in out
    assert out.splitlines()[-1] == "Drift: 1 difference(s)."


def test_pending_files_are_not_drift(applied):
    applied.write("021_later.sql", "CREATE TABLE later (id int);")
    assert run("drift")[0] == 0


def test_the_scratch_database_is_dropped_even_when_the_replay_fails(applied, pg_admin_url):
    # A file edited after it was applied no longer replays.
    applied.write("005_step.sql", "CREATE INDEX orders_user ON missing_table (user_id);")
    code, out = run("drift")
    assert code == 1 and "[replay stopped] 005_step.sql" in out
    assert scratch_databases(pg_admin_url) == set()


def test_the_scratch_database_goes_where_drift_database_url_says(applied, settings, pg_admin_url):
    """On the server of DRIFT_DATABASE_URL (here: its maintenance database, not the target)."""
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "DRIFT_DATABASE_URL": "x"}
    with pytest.raises(ConfigurationError):  # it is the URL used: a wrong one says so
        services.drift()
    settings.MIGRATIONS_MANAGER = {
        **settings.MIGRATIONS_MANAGER,
        "DRIFT_DATABASE_URL": pg_admin_url,
    }
    applied.execute("DROP INDEX orders_user")
    assert [d.name for d in services.drift().differences] == ["public.orders_user"]
    assert scratch_databases(pg_admin_url) == set()


def test_the_scratch_database_is_dropped_on_an_interruption(target_db, pg_admin_url):
    with pytest.raises(KeyboardInterrupt), scratch_database() as conn:
        assert scratch_databases(pg_admin_url) == {conn.info.dbname}
        raise KeyboardInterrupt
    assert scratch_databases(pg_admin_url) == set()


def test_a_run_in_progress_is_never_read_as_drift(applied, settings):
    """Drift takes the run's lock: while a run holds it, drift waits (up to LOCK_WAIT)."""
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "LOCK_WAIT": 0.0}
    holder = applied.connect()
    holder.execute("SELECT pg_advisory_lock(7241865325823964)")
    with pytest.raises(LockNotAcquired):
        services.drift()
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "LOCK_WAIT": 10.0}
    release = threading.Timer(0.5, holder.execute, ("SELECT pg_advisory_unlock_all()",))
    release.start()
    assert not services.drift().drifted
    release.join()


def test_code_migrations_are_listed_not_replayed(applied):
    applied.write(
        "021_code.cjs",
        "exports.up = (pgm) => { pgm.sql('CREATE TABLE from_code (id int)'); };\n"
        "exports.down = () => {};\n",
    )
    with psycopg.connect(applied.url, autocommit=True) as conn:
        conn.execute("CREATE TABLE from_code (id int)")
        conn.execute("INSERT INTO pgmigrations (name, run_on) VALUES ('021_code', now())")
    report = services.drift()
    assert [item.name for item in report.not_replayed] == ["021_code.cjs"]
    assert "never runs a file's code" in report.not_replayed[0].reason
    assert [(d.change, d.name) for d in report.differences] == [("extra", "public.from_code")]


def scratch_databases(admin_url: str) -> set[str]:
    with psycopg.connect(admin_url) as conn:
        query = "SELECT datname FROM pg_database WHERE datname LIKE 'truss\\_drift\\_%'"
        return {row[0] for row in conn.execute(query).fetchall()}


def test_the_api_answers_a_viewer_with_the_report(applied):
    applied.execute("ALTER TABLE users ADD COLUMN nickname text")
    viewer = token_client(UserFactory(username="viewer", **ROLES["viewer"]))
    response = viewer.get(BASE + "drift")
    assert response.status_code == 200
    body = response.json()
    assert body["drifted"] is True
    assert [(d["change"], d["name"]) for d in body["differences"]] == [
        ("extra", "public.users.nickname")
    ]
    assert APIClient().get(BASE + "drift").status_code == 401
    nobody = token_client(UserFactory(username="nobody", **ROLES["staff"]))
    assert nobody.get(BASE + "drift").status_code == 403


def test_another_framework_s_code_migration_is_listed_with_the_reason(target_db):
    """A Knex ledger with one applied .js file: drift says it cannot replay it, and shows what
    it made as extra (the ledger and its lock table are left out)."""
    target_db.execute(
        'CREATE TABLE knex_migrations ("id" serial primary key, "name" varchar(255),'
        ' "batch" integer, "migration_time" timestamptz);'
        ' CREATE TABLE knex_migrations_lock ("index" serial primary key, "is_locked" integer);'
        " INSERT INTO knex_migrations_lock (is_locked) VALUES (0);"
        " INSERT INTO knex_migrations (name, batch, migration_time)"
        " VALUES ('20240101000001_things.js', 1, now());"
        " CREATE TABLE things (id int)"
    )
    target_db.write(
        "20240101000001_things.js",
        raw='exports.up = (knex) => knex.raw("CREATE TABLE things (id int)");\n',
    )
    report = services.drift()
    assert report.framework == "knex"
    [skipped] = report.not_replayed
    assert skipped.name == "20240101000001_things.js" and "knex" in skipped.reason.lower()
    assert [(d.change, d.name) for d in report.differences] == [("extra", "public.things")]
