"""Mark as applied from the admin: its own confirmation, then the framework's row, audited."""

from __future__ import annotations

import pytest

from migrations_manager.models import MigrationRun
from migrations_manager.services.schema import ALL_EXIST, NONE_EXIST, SOME_EXIST

from .helpers import LIST_URL, mark_url, messages_of, template_names, texts

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
    """The framework chosen stays through the confirmation; and marking past a migration Flyway
    records as failed is refused, as Flyway itself refuses to migrate then."""
    url = mark_url("V4__four.sql")
    page = marker.get(url, {"framework": "flyway"})
    assert "public.flyway_schema_history" in page.content.decode()
    response = marker.post(url, {**CONFIRM, "framework": "flyway"})
    assert response.status_code == 200 and response.context["needs_reason"]
    [error] = response.context["gate_errors"]
    assert error.message.startswith("Flyway records V3__three.sql as failed")
    assert "`flyway repair`" in error.hint
    assert not five_states.scalar(
        "SELECT count(*) FROM flyway_schema_history WHERE script = 'V4__four.sql'"
    )
    reason = "V3 repaired by hand"
    response = marker.post(url, {**CONFIRM, "framework": "flyway", "reason": reason})
    assert response["Location"] == f"{LIST_URL}?framework=flyway"
    assert five_states.scalar(
        "SELECT success FROM flyway_schema_history WHERE script = 'V4__four.sql'"
    )
    assert MigrationRun.objects.get(outcome="succeeded").reason == reason


# ---- schema detection first -------------------------------------------------------------------


def test_the_confirmation_shows_the_schema_detection_of_the_file_first(marker, three):
    three.execute("CREATE TABLE a (id int)")  # applied by hand: what marking is for
    response = marker.get(mark_url("001_a.sql"))
    assert [(f.type, f.name, f.exists, f.differs) for f in response.context["schema"].findings] == [
        ("table", "public.a", True, False)
    ]
    assert texts(response, "mm-exists") == ["exists"] and texts(response, "mm-differs") == ["same"]
    assert texts(response, "mm-recommendation") == [ALL_EXIST]
    content = response.content.decode()
    assert content.index("mm-detection") < content.index('name="post"')
    assert "mm-caution" not in content


def test_a_table_that_differs_says_why(marker, three):
    three.execute("CREATE TABLE a (id bigint)")
    response = marker.get(mark_url("001_a.sql"))
    assert texts(response, "mm-reason") == ["column id is bigint, not integer"]
    assert texts(response, "mm-recommendation") == [SOME_EXIST]


def test_nothing_existing_is_a_caution_before_marking(marker, three):
    response = marker.get(mark_url("001_a.sql"))
    assert texts(response, "mm-exists") == ["missing"]
    assert texts(response, "mm-recommendation") == [NONE_EXIST]
    assert texts(response, "mm-caution") == [
        "None of these objects exists: marking the migration as applied means they are never "
        "created."
    ]
    assert 'name="post"' in response.content.decode()  # still allowed: the user decides


def test_a_file_detection_cannot_read_is_said_and_can_still_be_marked(marker, target_db):
    target_db.write("001_broken.sql", "CREATE TABLEE a (id int);")
    response = marker.get(mark_url("001_broken.sql"))
    assert "Syntax error in 001_broken.sql, line 2" in response.context["schema_problem"]
    assert 'name="post"' in response.content.decode()
