"""The fleet in the admin, with the demo's embedded defaults (no broker): three targets added
through the Target admin, seen side by side, run from one confirmation; the panel's switch."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from psycopg import conninfo

from migrations_manager.models import FleetRun, MigrationRun, Target
from tests.utils import wait_until

from .conftest import ledger_rows

pytestmark = pytest.mark.django_db(transaction=True)

ADMIN = "/admin/migrations_manager/"
PANEL = f"{ADMIN}migration/"


@pytest.fixture
def staff(django_user_model):
    def make(*codenames: str) -> Client:
        user = django_user_model.objects.create_user(username="_".join(codenames), is_staff=True)
        user.user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label="migrations_manager", codename__in=codenames
            )
        )
        client = Client()
        client.force_login(user)
        return client

    return make


def form(directory: str, name: str, url: str, tags: str) -> dict[str, str]:
    return {
        "name": name,
        "url": url,
        "password_env": "",
        "migrations_dir": directory,
        "framework": "",
        "tags": tags,
        "lock_timeout": "",
    }


def test_three_targets_added_in_the_admin_seen_side_by_side_and_run_at_once(
    target_db, pg_admin_url, tmp_path, staff
):
    from tests.utils import fresh_database

    directory = tmp_path / "shared"
    directory.mkdir()
    (directory / "001_widgets.sql").write_text("-- Up Migration\nCREATE TABLE widgets (id int);\n")
    client = staff("view_migration", "run_migrations", "add_target", "view_target", "change_target")
    databases = []
    with (
        fresh_database(pg_admin_url, directory) as one,
        fresh_database(pg_admin_url, directory) as two,
        fresh_database(pg_admin_url, directory) as three,
    ):
        for number, database in enumerate((one, two, three)):
            params = conninfo.conninfo_to_dict(database.url)
            params.pop("password", None)
            answer = client.post(
                f"{ADMIN}target/add/",
                form(str(directory), f"shop-{number}", conninfo.make_conninfo(**params), "shop"),
            )
            assert answer.status_code == 302, answer.content.decode()[-2000:]
            databases.append(database)
        page = client.get(f"{PANEL}fleet/?tag=shop").content.decode()
        assert page.count("mm-fleet-row") == 3 and "shop-2" in page
        confirmation = client.get(f"{PANEL}fleet/run/?tag=shop").content.decode()
        assert confirmation.count("001_widgets.sql") == 3
        answer = client.post(f"{PANEL}fleet/run/", {"tag": "shop", "post": "yes"})
        assert answer.status_code == 302
        fleet = FleetRun.objects.get()
        assert answer["Location"].endswith(f"fleet/runs/{fleet.pk}/")

        def over() -> bool:
            fleet.refresh_from_db()
            return fleet.status != "running"

        wait_until(over, "the fleet run ended", timeout=120)
        assert fleet.status == "succeeded"
        assert [ledger_rows(db) for db in databases] == [1, 1, 1]
        report = client.get(answer["Location"]).content.decode()
        assert report.count("succeeded") >= 4 and 'http-equiv="refresh"' not in report
        assert MigrationRun.objects.filter(source="admin").count() == 3


def test_the_target_admin_refuses_a_password_and_tests_connections(target_db, staff):
    client = staff("add_target", "view_target", "change_target")
    answer = client.post(
        f"{ADMIN}target/add/", form("", "x", "postgresql://u:secret@127.0.0.1/db", "")
    )
    assert answer.status_code == 200 and "holds a password" in answer.content.decode()
    assert not Target.objects.exists()
    client.post(f"{ADMIN}target/add/", form("", "x", "postgresql://u@127.0.0.1:1/db", ""))
    target = Target.objects.get()
    answer = client.post(
        f"{ADMIN}target/",
        {"action": "test_connection", "_selected_action": [target.pk]},
        follow=True,
    )
    assert re.search(r'class="error">X: The target .* is unreachable', answer.content.decode())


def test_the_panel_switches_target_and_keeps_it_for_the_session(target_db, fleet, staff):
    [other] = fleet(1, "sw")
    target_db.write("001_default_only.sql", "CREATE TABLE d (id int);")
    client = staff("view_migration")
    page = client.get(PANEL).content.decode()
    assert "001_default_only" in page and "Target:" in page
    assert "001_widgets" in client.get(f"{PANEL}?target=sw-00").content.decode()
    kept = client.get(PANEL).content.decode()
    assert "001_widgets" in kept and "001_default_only" not in kept
    back = client.get(f"{PANEL}?target=gone", follow=True).content.decode()
    assert "No target named" in back and "001_default_only" in back


def test_a_reader_sees_the_fleet_but_cannot_run_it(target_db, fleet, staff):
    fleet(1, "ro")
    client = staff("view_migration")
    assert client.get(f"{PANEL}fleet/").status_code == 200
    assert client.get(f"{PANEL}fleet/run/").status_code == 403
    assert client.post(f"{PANEL}fleet/run/", {"post": "yes"}).status_code == 403
    assert not FleetRun.objects.exists()
