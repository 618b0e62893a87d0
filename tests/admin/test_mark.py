"""Mark as applied from the admin: its own confirmation, then the framework's row, audited."""

from __future__ import annotations

import pytest

from migrations_manager.models import MigrationRun

from .helpers import LIST_URL, mark_url, messages_of, template_names

pytestmark = pytest.mark.django_db

CONFIRM = {"post": "yes"}


def test_confirmation_names_the_row_to_write_and_writes_nothing(marker, three):
    response = marker.get(mark_url("001_a.sql"))
    assert response.status_code == 200
    assert "admin/migrations_manager/migration/mark_confirmation.html" in template_names(response)
    content = response.content.decode()
    assert "<strong>001_a.sql</strong>" in content and "public.pgmigrations" in content
    assert '<input type="hidden" name="post" value="yes">' in content
    assert not three.exists("pgmigrations") and not MigrationRun.objects.exists()


def test_confirmed_post_records_without_running_and_redirects(marker, three):
    response = marker.post(mark_url("001_a.sql"), CONFIRM)
    assert response.status_code == 302 and response["Location"] == LIST_URL
    assert messages_of(response) == [
        (
            "success",
            "Recorded 001_a.sql as applied in public.pgmigrations (node-pg-migrate); nothing ran.",
        )
    ]
    assert three.query("SELECT name FROM pgmigrations") == [("001_a",)]
    assert not three.exists("a")
    run = MigrationRun.objects.get()
    assert (run.command, run.source, run.outcome, run.files) == (
        "mark-applied",
        "admin",
        "succeeded",
        ["001_a.sql"],
    )
    assert run.actor == "user_view_migration_mark_migrations"
    listed = marker.get(LIST_URL)
    assert [str(r.status.state) for r in listed.context["rows"]][:2] == ["applied", "pending"]


@pytest.mark.parametrize(
    "name, problem",
    [
        ("009_nope.sql", "No migration file named '009_nope.sql'."),
        ("001_a.sql", "001_a.sql is applied: only a pending migration can be marked as applied."),
    ],
    ids=["unknown", "applied"],
)
def test_what_cannot_be_marked_is_explained_without_a_confirm_button(marker, three, name, problem):
    marker.post(mark_url("001_a.sql"), CONFIRM)
    response = marker.get(mark_url(name))
    assert response.context["problem"] == problem
    assert 'name="post"' not in response.content.decode()


def test_a_refused_mark_redirects_with_the_reason(marker, three):
    """node-pg-migrate keeps its history in order: the third file cannot be marked first."""
    response = marker.post(mark_url("003_c.sql"), CONFIRM)
    assert response["Location"] == LIST_URL
    [(level, text)] = messages_of(response)
    assert level == "error" and "in order" in text
    assert not three.exists("pgmigrations")


def test_the_chosen_framework_is_kept(marker, five_states):
    url = mark_url("V4__four.sql")
    page = marker.get(url, {"framework": "flyway"})
    assert "public.flyway_schema_history" in page.content.decode()
    response = marker.post(url, {**CONFIRM, "framework": "flyway"})
    assert response["Location"] == f"{LIST_URL}?framework=flyway"
    assert five_states.scalar(
        "SELECT success FROM flyway_schema_history WHERE script = 'V4__four.sql'"
    )
