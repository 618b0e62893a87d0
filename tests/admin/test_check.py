"""The safety check page: one click runs the check against the real target and shows all of it."""

from __future__ import annotations

import pytest

from .helpers import CHECK_URL, LIST_URL, RUN_URL, preview_url, template_names, texts

pytestmark = pytest.mark.django_db


def test_the_list_links_the_check_and_schema_detection(reader, three):
    content = reader.get(LIST_URL).content.decode()
    assert f'<a href="{CHECK_URL}" class="mm-check-link">Safety check</a>' in content
    assert 'class="mm-detect-link">Schema detection</a>' in content


def test_a_quiet_database_is_safe(reader, three):
    response = reader.get(CHECK_URL)
    assert response.status_code == 200
    assert "admin/migrations_manager/migration/check.html" in template_names(response)
    report = response.context["check"]
    assert report.safe and report.pending_count == 3
    assert texts(response, "mm-verdict-word") == ["✔ SAFE"]
    content = response.content.decode()
    assert "mm-safety--safe" in content and "NOT SAFE" not in content
    assert f'<dd class="mm-database">{three.name}</dd>' in content
    assert '<dd class="mm-user">' + three.scalar("SELECT current_user") + "</dd>" in content
    assert '<dd class="mm-pending-count">3</dd>' in content
    assert '<dd class="mm-lock-count">0</dd>' in content
    assert '<dd class="mm-active-count">0</dd>' in content


def test_an_idle_in_transaction_reader_is_named_with_the_statement_it_blocks(reader, blocked):
    target, session = blocked
    response = reader.get(CHECK_URL)
    assert texts(response, "mm-verdict-word") == ["✖ NOT SAFE"]
    content = response.content.decode()
    assert "mm-safety--unsafe" in content
    pid = session.info.backend_pid
    [table] = response.context["blocked_tables"]
    assert table.relation == "public.users"
    [row] = table.rows
    assert row.blocker.pid == pid and row.idle_in_transaction
    assert f'<tr class="mm-blocker mm-blocker--idle" data-pid="{pid}">' in content
    assert '<span class="mm-state-idle">idle in transaction</span>' in content
    assert "holds <strong>ACCESS SHARE</strong>" in content
    assert (
        '<code class="mm-query" title="SELECT * FROM users">SELECT * FROM users</code>' in content
    )
    line_link = f'<a href="{preview_url("001_add-name.sql")}#line-3">001_add-name.sql, line 3</a>'
    assert f"{line_link}: ALTER TABLE users" in content
    assert "needs ACCESS EXCLUSIVE" in content
    assert f"ALTER TABLE users will wait for pid {pid}, idle in transaction" in content
    session.rollback()
    assert texts(reader.get(CHECK_URL), "mm-verdict-word") == ["✔ SAFE"]


def test_lint_findings_link_to_their_line_in_the_preview(reader, target_db):
    target_db.execute(
        "CREATE TABLE users (id bigint, email text); INSERT INTO users VALUES (1, 'a@b.c');"
        " ANALYZE users"
    )  # a table with rows: the NOT NULL column without default is an error, not a notice
    target_db.write("001_email.sql", "ALTER TABLE users ADD COLUMN nick text NOT NULL;")
    response = reader.get(CHECK_URL)
    [finding] = [f for f in response.context["check_findings"] if f.finding.rule == "MM010"]
    assert finding.url == f"{preview_url('001_email.sql')}#line-2"
    content = response.content.decode()
    assert f'<a href="{finding.url}">001_email.sql, line 2</a>' in content
    assert '<span class="mm-badge mm-badge--error">error</span>' in content
    assert texts(response, "mm-verdict-word") == ["✖ NOT SAFE"]  # an error finding is unsafe


def test_nothing_pending_is_not_safe_and_says_why(reader, target_db):
    response = reader.get(CHECK_URL)
    assert texts(response, "mm-verdict-word") == ["✖ NOT SAFE"]
    assert texts(response, "mm-warnings") == ["No pending migrations: nothing to do."]
    assert "mm-run-all" not in response.content.decode()


def test_runners_get_a_link_to_the_run_confirmation(login, three):
    content = login("view_migration", "run_migrations").get(CHECK_URL).content.decode()
    assert f'<a href="{RUN_URL}" class="mm-run-all">Run pending (3)</a>' in content


def test_the_chosen_framework_is_kept(reader, five_states):
    response = reader.get(CHECK_URL, {"framework": "flyway"})
    assert response.context["check"].pending_count == 2


def test_an_unreachable_target_is_shown_not_raised(reader, target_db, settings):
    settings.MIGRATIONS_MANAGER = {
        **settings.MIGRATIONS_MANAGER,
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "CONNECT_TIMEOUT": 2,
    }
    response = reader.get(CHECK_URL)
    assert response.status_code == 200 and response.context["problem"]
    assert "mm-problem" in response.content.decode()
