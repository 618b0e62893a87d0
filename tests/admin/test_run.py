"""Run from the admin: the confirmation shows exactly what runs; confirming runs it, audited."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib import admin
from django.urls import reverse

from migrations_manager.models import Migration, MigrationRun
from tests.factories import UserFactory

from .helpers import (
    LIST_URL,
    RUN_URL,
    confirmed,
    hidden_fields,
    messages_of,
    result_url,
    template_names,
    texts,
)

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[2] / "truss" / "examples"


def test_confirmation_shows_files_sql_and_transaction_mode_and_runs_nothing(runner, three):
    response = runner.get(RUN_URL, {"name": "001_a.sql"})
    assert response.status_code == 200
    assert "admin/migrations_manager/migration/run_confirmation.html" in template_names(response)
    plan = response.context["plan"]
    assert [step.migration.name for step in plan.steps] == ["001_a.sql"]
    assert plan.atomic
    content = response.content.decode()
    assert "CREATE TABLE a (id int);" in content
    assert "entire batch is rolled back" in content
    assert "waits at most 5s for a lock" in content and "up to 3 times" in content
    assert '<input type="hidden" name="name" value="001_a.sql">' in content
    assert '<input type="hidden" name="post" value="yes">' in content
    assert not three.exists("a") and not three.exists("pgmigrations")
    assert not MigrationRun.objects.exists()


def test_without_names_the_confirmation_lists_every_pending_file(runner, three):
    response = runner.get(RUN_URL)
    assert response.context["names"] == ["001_a.sql", "002_b.sql", "003_c.sql"]
    assert "Yes, run 3 migrations" in response.content.decode()


def test_confirmed_post_runs_records_and_redirects_to_the_result(runner, three):
    response = runner.post(RUN_URL, confirmed(three.directory, "001_a.sql", "002_b.sql"))
    run = MigrationRun.objects.get()
    assert response.status_code == 302 and response["Location"] == result_url(run.pk)
    assert messages_of(response) == [("success", "Applied 2 migration(s) successfully.")]
    assert three.exists("a") and three.exists("b") and not three.exists("c")
    assert (run.command, run.source, run.outcome) == ("run", "admin", "succeeded")
    assert run.actor == "user_view_migration_run_migrations" and run.user is not None
    assert run.client_address == "127.0.0.1"
    assert list(run.events.values_list("name", "ok")) == [("001_a.sql", True), ("002_b.sql", True)]

    result = runner.get(response["Location"])
    assert result.status_code == 200
    content = result.content.decode()
    assert "Applied 2 migration(s) successfully." in content
    assert '<ul class="mm-applied"><li>001_a.sql' in content


def test_failed_run_rolls_back_everything_and_shows_the_error(runner, three):
    three.write("004_bad.sql", "CREATE TABLE d (id int);\nSELECT * FROM nonexistent;")
    every_file = ["001_a.sql", "002_b.sql", "003_c.sql", "004_bad.sql"]
    response = runner.post(RUN_URL, confirmed(three.directory, *every_file))
    run = MigrationRun.objects.get()
    assert response["Location"] == result_url(run.pk)
    assert messages_of(response) == [
        ("error", 'Migration "004_bad.sql" failed — entire batch rolled back.')
    ]
    assert not three.exists("a") and not three.exists("d") and not three.exists("pgmigrations")
    assert run.outcome == "failed" and run.failure["line"] == 3

    content = runner.get(response["Location"]).content.decode()
    assert "entire batch rolled back" in content
    assert '<dd class="mm-failed-file">004_bad.sql</dd>' in content
    assert "relation &quot;nonexistent&quot; does not exist" in content
    assert '<dd class="mm-line">3, column 15</dd>' in content
    assert "    3 | SELECT * FROM nonexistent" in content


def test_post_without_confirmation_only_shows_the_page(runner, three):
    response = runner.post(RUN_URL, {"name": "001_a.sql"})
    assert response.status_code == 200 and response.context["plan"].steps
    assert not three.exists("a") and not MigrationRun.objects.exists()


def test_permission_is_checked_again_at_post_time(runner, three, django_user_model):
    page = runner.get(RUN_URL, {"name": "001_a.sql"})
    assert page.status_code == 200
    user = page.wsgi_request.user
    user.user_permissions.clear()
    assert runner.post(RUN_URL, confirmed(three.directory, "001_a.sql")).status_code == 403
    assert not three.exists("a")


def test_csrf_is_enforced(three):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(permissions=["view_migration", "run_migrations"]))
    assert client.post(RUN_URL, confirmed(three.directory, "001_a.sql")).status_code == 403
    assert not three.exists("a")


@pytest.mark.parametrize(
    "params, problem",
    [
        ({"name": "009_nope.sql"}, "Unknown migration '009_nope.sql'."),
        ({"name": "../001_a.sql"}, "path separator"),
        ({"name": ["001_a.sql", "001_a.sql"]}, "listed more than once"),
    ],
    ids=["unknown", "traversal", "repeated"],
)
def test_what_cannot_run_is_explained_without_a_confirm_button(runner, three, params, problem):
    response = runner.get(RUN_URL, params)
    assert response.status_code == 200 and problem in response.context["problem"]
    assert 'name="post"' not in response.content.decode()


def test_a_syntax_error_is_found_before_the_confirmation(runner, three):
    three.write("004_typo.sql", "CREATE TABLE d (id int);\nCREATE TABLEE e (id int);")
    response = runner.get(RUN_URL)
    assert "Syntax error in 004_typo.sql, line 3" in response.context["problem"]
    assert 'name="post"' not in response.content.decode()


def test_nothing_pending_says_so(runner, target_db):
    response = runner.get(RUN_URL)
    assert "nothing to run" in response.content.decode()
    assert 'name="post"' not in response.content.decode()


def test_a_refused_run_redirects_to_the_list_with_the_reason(runner, three):
    holder = three.connect(application_name="other-runner")
    holder.execute("SELECT pg_try_advisory_lock(7241865325823964)")
    response = runner.post(RUN_URL, confirmed(three.directory, "001_a.sql"))
    assert response.status_code == 302 and response["Location"] == LIST_URL
    [(level, text)] = messages_of(response)
    assert level == "error" and "other-runner" in text
    assert not three.exists("a")


def test_names_no_longer_pending_at_post_time_are_refused(runner, three):
    runner.post(RUN_URL, confirmed(three.directory, "001_a.sql"), follow=True)
    response = runner.post(RUN_URL, confirmed(three.directory, "001_a.sql"))
    assert response["Location"] == LIST_URL
    assert messages_of(response) == [
        ("error", "Migration 001_a.sql is not pending (it is applied).")
    ]
    refused, applied = MigrationRun.objects.all()  # newest first
    assert (applied.outcome, refused.outcome, refused.files) == (
        "succeeded",
        "refused",
        ["001_a.sql"],
    )


def test_the_chosen_framework_is_kept_through_the_confirmation(runner, three):
    response = runner.get(RUN_URL, {"name": "001_a.sql", "framework": "node-pg-migrate"})
    assert '<input type="hidden" name="framework" value="node-pg-migrate">' in (
        response.content.decode()
    )
    posted = runner.post(
        RUN_URL, confirmed(three.directory, "001_a.sql", framework="node-pg-migrate")
    )
    assert posted.status_code == 302 and three.exists("a")


def test_a_reason_posted_with_the_confirmation_goes_to_the_audit_log(runner, three):
    runner.post(RUN_URL, confirmed(three.directory, "001_a.sql", reason="  hotfix for INC-42 "))
    assert MigrationRun.objects.get().reason == "hotfix for INC-42"


def test_templates_can_be_overridden_per_page(monkeypatch):
    admin.autodiscover()  # as the URLconf does (the project's admin is SimpleAdminConfig)
    model_admin = admin.site.get_model_admin(Migration)
    assert model_admin.template_names("run_confirmation.html") == [
        "admin/migrations_manager/migration/run_confirmation.html",
        "admin/migrations_manager/run_confirmation.html",
    ]
    monkeypatch.setattr(model_admin, "run_confirmation_template", "ops/run.html")
    assert model_admin.template_names("run_confirmation.html")[0] == "ops/run.html"


# ---- the safety check on the confirmation, and the reason of an unsafe run --------------------


def test_confirmation_shows_the_fresh_check_and_the_lint_of_the_files_to_run(runner, target_db):
    target_db.write("001_d.sql", "CREATE TABLE d (id bigint, at timestamp);")
    target_db.write("002_e.sql", "CREATE TABLE e (id int);")
    response = runner.get(RUN_URL, {"name": "001_d.sql"})
    check = response.context["check"]
    assert check.safe and check.pending_files == ("001_d.sql",)
    assert texts(response, "mm-verdict-word") == ["✔ SAFE"]
    findings = {(f.finding.file, f.finding.rule) for f in response.context["check_findings"]}
    assert findings == {("001_d.sql", "MM071")}  # timestamp: 002_e.sql's int id is not shown
    content = response.content.decode()
    assert 'name="reason"' not in content
    assert 'value="Yes, run 1 migration"' in content


def test_an_unsafe_check_asks_for_a_reason_to_run_anyway(runner, blocked):
    response = runner.get(RUN_URL)
    assert texts(response, "mm-verdict-word") == ["✖ NOT SAFE"]
    content = response.content.decode()
    assert (
        '<textarea name="reason" id="id_reason" rows="3" cols="80" required></textarea>' in content
    )
    assert '<input type="submit" value="Run anyway">' in content
    assert "Yes, run" not in content
    [table] = response.context["blocked_tables"]
    assert table.rows[0].blocker.pid == blocked[1].info.backend_pid


def test_unsafe_without_a_reason_shows_the_page_again_and_runs_nothing(runner, blocked):
    target, _ = blocked
    response = runner.post(RUN_URL, confirmed(target.directory, "001_add-name.sql", reason="  "))
    assert response.status_code == 200
    [sentence] = texts(response, "mm-reason-error")
    assert sentence.startswith("The safety gate refuses this run: 001_add-name.sql, line 3:")
    assert "ALTER TABLE users will wait for pid" in sentence
    refused = MigrationRun.objects.get()  # the attempt is recorded, refused, with the findings
    assert (refused.outcome, refused.files) == ("refused", ["001_add-name.sql"])
    assert refused.failure["gate"]["errors"][0]["kind"] == "blocker"
    assert not refused.events.exists()
    assert not target.exists("pgmigrations")
    assert "name" not in dict(target.query(_COLUMNS_OF_USERS))


def test_safety_is_checked_again_at_post_time(runner, target_db):
    target_db.execute("CREATE TABLE users (id bigint PRIMARY KEY)")
    target_db.write("001_add-name.sql", "ALTER TABLE users ADD COLUMN name text;")
    page = runner.get(RUN_URL)
    assert page.context["check"].safe and 'name="reason"' not in page.content.decode()
    reader = target_db.connect()
    reader.execute("BEGIN")
    reader.execute("SELECT * FROM users")  # the world changed after the page was shown
    response = runner.post(RUN_URL, confirmed(target_db.directory, "001_add-name.sql"))
    assert response.status_code == 200 and response.context["reason_error"]
    assert MigrationRun.objects.get().outcome == "refused" and not target_db.exists("pgmigrations")


def test_the_reason_of_an_unsafe_run_goes_to_the_audit_log_and_the_history(runner, three, settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "ACTIVE_TX_THRESHOLD": 0}
    busy = three.connect()
    busy.execute("BEGIN")
    busy.execute("SELECT 1")  # one open transaction: more than the threshold of 0
    assert not runner.get(RUN_URL, {"name": "001_a.sql"}).context["check"].safe
    reason = "INC-42: the fix cannot wait for the night"
    response = runner.post(RUN_URL, confirmed(three.directory, "001_a.sql", reason=reason))
    run = MigrationRun.objects.get()
    assert response["Location"] == result_url(run.pk)
    assert (run.outcome, run.reason) == ("succeeded", reason) and three.exists("a")
    result = runner.get(result_url(run.pk))
    assert texts(result, "mm-run-reason") == [f"Reason given to run: {reason}"]
    history = runner.get(reverse("admin:migrations_manager_migrationrun_changelist"))
    assert texts(history, "field-reason_text") == [reason]


_COLUMNS_OF_USERS = (
    "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'users'"
)


def test_a_file_changed_after_the_confirmation_is_refused(runner, three):
    """The confirmation binds the files shown to their SHA-256: a file edited before the click
    refuses the run, which runs nothing."""
    page = runner.get(RUN_URL)
    three.write("002_b.sql", "DROP TABLE IF EXISTS a;")
    response = runner.post(RUN_URL, {"post": "yes", **hidden_fields(page)})
    assert response["Location"] == LIST_URL
    [(level, text)] = messages_of(response)
    assert level == "error" and "no longer those confirmed (changed: 002_b.sql)" in text
    assert not three.exists("a") and not three.exists("pgmigrations")
    assert MigrationRun.objects.get().outcome == "refused"


def test_a_post_without_the_confirmed_hashes_runs_nothing(runner, three):
    response = runner.post(RUN_URL, {"post": "yes", "name": ["001_a.sql"]})
    [(level, text)] = messages_of(response)
    assert level == "error" and "no longer those confirmed" in text
    assert not three.exists("a")


def test_run_all_pending_runs_the_demo_in_one_click(runner, target_db):
    """The demo's four files: three in one transaction, the CONCURRENTLY index after them."""
    for example in EXAMPLES.iterdir():
        (target_db.directory / example.name).write_bytes(example.read_bytes())
    page = runner.get(RUN_URL)
    assert [row["mode"] for row in page.context["segments"]] == ["atomic", "no-transaction"]
    response = runner.post(RUN_URL, {"post": "yes", **hidden_fields(page)})
    run = MigrationRun.objects.get()
    assert response["Location"] == result_url(run.pk) and run.outcome == "succeeded"
    assert target_db.exists("idx_roles_kind")
