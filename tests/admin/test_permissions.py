"""Who may do what: a page that changes the target answers 403, GET or forged POST alike,
to any user lacking its permission, and nothing runs or is recorded; the read-only pages
(check, preview, schema detection, drift) need ``view_migration`` and nothing more."""

from __future__ import annotations

import pytest

from migrations_manager.models import MigrationRun

from .helpers import CHECK_URL, DETECT_URL, DRIFT_URL, RUN_URL, mark_url, preview_url

pytestmark = pytest.mark.django_db

PAGES = {
    "run": (RUN_URL, {"post": "yes", "name": "001_a.sql"}),
    "mark": (mark_url("001_a.sql"), {"post": "yes"}),
}


@pytest.mark.parametrize(
    "page, codenames",
    [
        ("run", ("view_migration",)),
        ("run", ("view_migration", "mark_migrations")),
        ("run", ("run_migrations",)),
        ("mark", ("view_migration",)),
        ("mark", ("view_migration", "run_migrations")),
        ("mark", ("mark_migrations",)),
    ],
    ids=[
        "run-as-reader",
        "run-as-marker",
        "run-without-view",
        "mark-as-reader",
        "mark-as-runner",
        "mark-without-view",
    ],
)
def test_get_and_forged_post_without_the_permission_get_403(login, three, page, codenames):
    url, confirmation = PAGES[page]
    client = login(*codenames)
    assert client.get(url).status_code == 403
    assert client.post(url, confirmation).status_code == 403
    assert not three.exists("a") and not three.exists("pgmigrations")
    assert not MigrationRun.objects.exists()


READ_ONLY_PAGES = {
    "check": CHECK_URL,
    "preview": preview_url("001_a.sql"),
    "detect": f"{DETECT_URL}?migration=001_a.sql",
    "drift": DRIFT_URL,
}


@pytest.mark.parametrize("page", READ_ONLY_PAGES)
def test_readers_see_the_read_only_pages(reader, three, page):
    assert reader.get(READ_ONLY_PAGES[page]).status_code == 200


@pytest.mark.parametrize("page", READ_ONLY_PAGES)
@pytest.mark.parametrize(
    "codenames", [(), ("run_migrations", "mark_migrations")], ids=["none", "without-view"]
)
def test_the_read_only_pages_need_the_view_permission(login, three, page, codenames):
    client = login(*codenames)
    assert client.get(READ_ONLY_PAGES[page]).status_code == 403
    assert client.post(DETECT_URL, {"sql": "CREATE TABLE a (id int)"}).status_code == 403
