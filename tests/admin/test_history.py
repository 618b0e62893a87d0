"""The audit log in the admin: read-only, who / when / what / outcome, events inline."""

from __future__ import annotations

import pytest
from django.urls import reverse

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import GateRefused
from migrations_manager.models import MigrationRun

from .helpers import result_url, texts

pytestmark = pytest.mark.django_db

HISTORY_URL = reverse("admin:migrations_manager_migrationrun_changelist")


@pytest.fixture
def two_runs(three):
    services.run_pending(["001_a.sql"], actor=Actor(name="alice"))
    three.write("004_bad.sql", "SELECT * FROM nonexistent;")
    services.run_pending(["002_b.sql", "003_c.sql", "004_bad.sql"], actor=Actor(name="bob"))
    return MigrationRun.objects.order_by("id")


def test_history_lists_who_when_what_and_outcome(reader, two_runs):
    response = reader.get(HISTORY_URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert '<span class="mm-badge mm-badge--succeeded">succeeded</span>' in content
    assert '<span class="mm-badge mm-badge--failed">failed</span>' in content
    assert "alice" in content and "bob" in content
    assert "002_b.sql, 003_c.sql, 004_bad.sql" in content
    assert 'class="addlink"' not in content


def test_history_filters_by_outcome_and_searches(reader, two_runs):
    failed = reader.get(HISTORY_URL, {"outcome__exact": "failed"})
    assert [run.actor for run in failed.context["cl"].result_list] == ["bob"]
    searched = reader.get(HISTORY_URL, {"q": "alice"})
    assert [run.actor for run in searched.context["cl"].result_list] == ["alice"]


def test_a_run_page_is_read_only_with_its_events(reader, two_runs):
    failed = two_runs.last()
    response = reader.get(result_url(failed.pk))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="_save"' not in content
    assert "relation &quot;nonexistent&quot; does not exist" in content
    assert "entire batch rolled back" in content
    inline = response.context["inline_admin_formsets"][0]
    assert [form.original.name for form in inline] == ["004_bad.sql"]
    assert reader.post(result_url(failed.pk), {"actor": "mallory"}).status_code == 403
    assert MigrationRun.objects.get(pk=failed.pk).actor == "bob"


def test_nothing_can_be_added_or_deleted(reader, two_runs):
    add = reverse("admin:migrations_manager_migrationrun_add")
    delete = reverse("admin:migrations_manager_migrationrun_delete", args=[two_runs.first().pk])
    assert reader.get(add).status_code == 403
    assert reader.post(delete, {"post": "yes"}).status_code == 403
    assert MigrationRun.objects.count() == 2


def test_staff_without_any_permission_cannot_read_the_log(login, two_runs):
    assert login().get(HISTORY_URL).status_code == 403


def test_the_list_is_titled_history_and_counts_runs(reader, two_runs):
    response = reader.get(HISTORY_URL)
    content = response.content.decode()
    assert "<h1>Migration history</h1>" in content
    assert "2 migration runs" in content
    one = reader.get(HISTORY_URL, {"q": "alice"}).content.decode()
    assert "1 migration run\n" in one


def test_the_reason_of_a_run_is_listed_and_searchable(reader, three):
    services.run_pending(["001_a.sql"], actor=Actor(name="alice"), reason="INC-7 hotfix")
    services.run_pending(["002_b.sql"], actor=Actor(name="bob"))
    response = reader.get(HISTORY_URL)
    assert texts(response, "field-reason_text") == ["—", "INC-7 hotfix"]  # newest first
    found = reader.get(HISTORY_URL, {"q": "INC-7"})
    assert [run.actor for run in found.context["cl"].result_list] == ["alice"]


def test_the_list_says_where_a_run_came_from_and_what_came_of_it(reader, three):
    three.execute("CREATE TABLE a (id int)")
    with pytest.raises(GateRefused):
        services.run_pending(["001_a.sql"], actor=Actor(name="alice"))
    response = reader.get(HISTORY_URL)
    [summary] = texts(response, "field-summary_text")
    assert "safety gate refuses" in summary and "already exists" in summary
    assert texts(response, "field-source") == ["command line"]


def test_view_site_leads_to_the_migrations_panel(reader):
    page = reader.get(reverse("admin:index")).content.decode()
    assert 'href="/admin/migrations_manager/migration/"' in page
