"""The Migrations list of the admin: badges, counts, filters, search, paging, framework switch."""

from __future__ import annotations

import pytest
from django.urls import reverse

from migrations_manager import services
from migrations_manager.audit import Actor
from tests.factories import UserFactory
from tests.frameworks.helpers import create_table

from .conftest import FLYWAY_ROW
from .helpers import LIST_URL, RUN_URL, badges, mark_url, messages_of, rows, template_names

pytestmark = pytest.mark.django_db

NUMBERS = ("one", "two", "three", "four", "five")


def test_index_lists_migrations_and_history_under_database(reader, target_db):
    """The "Database" section of the admin index links the panel and the history."""
    response = reader.get(reverse("admin:index"))
    assert response.status_code == 200
    apps = {app["name"]: app for app in response.context["app_list"]}
    models = {model["name"]: model for model in apps["Database"]["models"]}
    assert models["Migrations"]["admin_url"] == LIST_URL
    assert models["Migrations"]["add_url"] is None
    assert "Migration runs" in models


def test_every_state_has_its_badge_text_and_colour(reader, five_states):
    response = reader.get(LIST_URL)
    assert response.status_code == 200
    assert "admin/migrations_manager/migration/change_list.html" in template_names(response)
    assert badges(response) == {
        "V1__one.sql": "applied",
        "V2__two.sql": "modified",
        "V3__three.sql": "failed",
        "V4__four.sql": "pending",
        "V5__five.sql": "pending",
        "9": "orphaned",
    }
    classes = {name: row["badge_class"] for name, row in rows(response).items()}
    assert classes["V3__three.sql"] == "mm-badge mm-badge--failed"
    assert len(set(classes.values())) == 5  # one colour class per state
    content = response.content.decode()
    assert "Flyway recorded this migration as failed" in content
    assert "flyway" in content and "public.flyway_schema_history" in content


def test_counts_per_state_and_applied_time(reader, five_states):
    response = reader.get(LIST_URL)
    counts = {c.label: c.count for c in response.context["state_choices"]}
    assert counts == {
        "All": None,
        "applied": 1,
        "pending": 2,
        "modified": 1,
        "orphaned": 1,
        "failed": 1,
    }
    applied = next(r for r in response.context["rows"] if r.status.name == "V1__one.sql")
    assert applied.applied_at is not None and applied.applied_at.tzinfo is not None
    assert f'datetime="{applied.applied_at.isoformat()}"' in response.content.decode()


def test_readers_see_no_action_buttons(reader, three):
    response = reader.get(LIST_URL)
    assert all(row["actions"] == [] for row in rows(response).values())
    assert "Run all pending" not in response.content.decode()


def test_runners_and_markers_see_their_buttons_on_pending_rows_only(login, three):
    services.run_pending(["001_a.sql"], actor=Actor(name="setup"))
    both = login("view_migration", "run_migrations", "mark_migrations")
    response = both.get(LIST_URL)
    actions = {name: row["actions"] for name, row in rows(response).items()}
    assert actions["001_a.sql"] == []
    assert actions["002_b.sql"] == [f"{RUN_URL}?name=002_b.sql", mark_url("002_b.sql")]
    assert f'href="{RUN_URL}"' in response.content.decode()
    assert "Run all pending (2)" in response.content.decode()

    runner_only = login("view_migration", "run_migrations")
    actions = {n: r["actions"] for n, r in rows(runner_only.get(LIST_URL)).items()}
    assert actions["002_b.sql"] == [f"{RUN_URL}?name=002_b.sql"]


def test_filter_by_state_and_search_by_name(reader, five_states):
    pending = reader.get(LIST_URL, {"state": "pending"})
    assert list(badges(pending)) == ["V4__four.sql", "V5__five.sql"]
    searched = reader.get(LIST_URL, {"q": "THREE"})
    assert list(badges(searched)) == ["V3__three.sql"]
    both = reader.get(LIST_URL, {"q": "f", "state": "pending"})
    assert list(badges(both)) == ["V4__four.sql", "V5__five.sql"]
    assert both.context["has_active_filters"]
    unknown = reader.get(LIST_URL, {"state": "bogus"})
    assert len(badges(unknown)) == 6  # an unknown state filters nothing


def test_thousands_of_migrations_are_paged(reader, target_db):
    for index in range(1, 1501):
        target_db.write(f"{index:05d}_m.sql", "SELECT 1;")
    first = reader.get(LIST_URL)
    assert len(badges(first)) == 100
    assert "1500 migrations" in first.content.decode()
    labels = [link.label for link in first.context["page_links"]]
    assert labels[:4] == ["1", "2", "3", "…"] and labels[-1] == "15"
    last = reader.get(LIST_URL, {"p": "15"})
    assert list(badges(last))[-1] == "01500_m.sql" and len(badges(last)) == 100
    filtered_page = reader.get(LIST_URL, {"q": "0150", "p": "1"})
    assert list(badges(filtered_page)) == ["00150_m.sql", "01500_m.sql"]


def test_framework_switch_when_several_tables_are_detected(reader, five_states):
    five_states.connect().execute(
        "CREATE TABLE pgmigrations (id SERIAL PRIMARY KEY, name varchar(255) NOT NULL,"
        " run_on timestamp NOT NULL)"
    )
    response = reader.get(LIST_URL)
    choices = response.context["framework_choices"]
    assert {c.label for c in choices} == {
        "flyway (public.flyway_schema_history)",
        "node-pg-migrate (public.pgmigrations)",
    }
    chosen = reader.get(LIST_URL, {"framework": "node-pg-migrate"})
    assert chosen.context["report"].framework == "node-pg-migrate"
    assert [c.label for c in chosen.context["framework_choices"] if c.selected] == [
        "node-pg-migrate (public.pgmigrations)"
    ]
    # The actions of the rows keep the table chosen.
    assert all(
        "framework=node-pg-migrate" in url
        for row in chosen.context["rows"]
        for url in (row.run_url, row.mark_url)
        if url
    )


def test_every_detected_table_is_shown_with_the_one_in_use_and_why(reader, target_db):
    """Two ledgers: the one the directory's files designate is in use, and the page says so."""
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    target_db.write("002_b.sql", "CREATE TABLE b (id int);")
    target_db.execute(
        "CREATE TABLE pgmigrations (id SERIAL PRIMARY KEY, name varchar(255) NOT NULL,"
        " run_on timestamp NOT NULL); INSERT INTO pgmigrations (name, run_on)"
        " VALUES ('001_a', now()), ('002_b', now());"
        "CREATE TABLE knex_migrations (id serial PRIMARY KEY, name varchar(255), batch int,"
        " migration_time timestamptz); INSERT INTO knex_migrations (name, batch)"
        " VALUES ('x.js', 1)"
    )
    response = reader.get(LIST_URL)
    page = response.content.decode()
    assert {c.label: c.selected for c in response.context["framework_choices"]} == {
        "node-pg-migrate (public.pgmigrations)": True,
        "knex (public.knex_migrations)": False,
    }
    assert "2 tracking tables were detected" in page
    assert (
        "of 2 tracking tables, its records have the most names in common with the "
        "directory&#x27;s files (2)" in page
    )


def test_an_unknown_framework_redirects_with_the_reason(reader, target_db):
    response = reader.get(LIST_URL, {"framework": "nonsense"})
    assert response.status_code == 302 and response["Location"] == LIST_URL
    [(level, text)] = messages_of(response)
    assert level == "error" and "nonsense" in text


def test_an_unreachable_target_is_shown_not_raised(reader, target_db, settings):
    settings.MIGRATIONS_MANAGER = {
        **settings.MIGRATIONS_MANAGER,
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "CONNECT_TIMEOUT": 2,
    }
    response = reader.get(LIST_URL)
    assert response.status_code == 200
    assert response.context["error"] and "mm-problem" in response.content.decode()


@pytest.mark.parametrize(
    "codenames, status", [((), 403), (("run_migrations",), 403)], ids=["no-perm", "run-only"]
)
def test_staff_without_view_permission_get_403(login, target_db, codenames, status):
    assert login(*codenames).get(LIST_URL).status_code == status


def test_anonymous_and_non_staff_are_sent_to_login(client, target_db):
    assert client.get(LIST_URL)["Location"].startswith(reverse("admin:login"))
    client.force_login(UserFactory(is_staff=False, permissions=["view_migration"]))
    assert client.get(LIST_URL)["Location"].startswith(reverse("admin:login"))


def test_the_admin_list_renders_a_db_migrate_orphan_whose_name_holds_a_slash(login, target_db):
    """db-migrate stores ``/<name>``: an orphan keeps that name, and its row has no links."""
    create_table(
        target_db,
        "db-migrate",
        "INSERT INTO {schema}.{table} (name, run_on) VALUES ('/20200101000000-x', now())",
    )
    client = login("view_migration", "run_migrations", "mark_migrations")
    response = client.get(LIST_URL)
    assert response.status_code == 200
    assert badges(response)["/20200101000000-x"] == "orphaned"
    orphan = next(r for r in response.context["rows"] if r.status.name == "/20200101000000-x")
    assert (orphan.preview_url, orphan.run_url, orphan.mark_url) == (None, None, None)


def test_an_orphaned_row_is_listed_where_its_name_falls_among_the_files(reader, target_db):
    for name in ("001_a.sql", "002_b.sql", "010_j.sql"):
        target_db.write(name, f"CREATE TABLE t{name[:3]} (id int);")
    services.run_pending(actor=Actor(name="alice"))
    (target_db.directory / "002_b.sql").unlink()
    target_db.write("011_k.sql", "CREATE TABLE k (id int);")
    listed = [row.status.name for row in reader.get(LIST_URL).context["rows"]]
    assert listed == ["001_a.sql", "002_b", "010_j.sql", "011_k.sql"]


def test_orphans_compare_with_the_files_identifiers_numbers_as_numbers(reader, five_states):
    """Flyway's orphans are versions: 10 comes after V5's 5 (as text, "10" < "2")."""
    five_states.connect().execute(FLYWAY_ROW, (5, "10", "ten", "V10__ten.sql", 1, True))
    listed = [row.status.name for row in reader.get(LIST_URL).context["rows"]]
    assert listed == [f"V{n}__{t}.sql" for n, t in enumerate(NUMBERS, start=1)] + ["9", "10"]
