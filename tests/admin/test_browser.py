"""The Migrations panel in a real browser: Debian's Chromium driven by Playwright.

A live server serves the project; a user logs in through the login form, sees the badges,
runs a pending migration through its confirmation, marks one applied, and watches a failing
batch leave nothing applied. Every page is saved as a screenshot, light and dark, under
``test-artifacts/admin/``. No request may leave the live server.

Without Chromium these tests skip locally and fail under CI (``CI`` set).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.models import MigrationRun
from tests.realfw.conftest import require_tool

from .conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "admin"
LIST_PATH = "/admin/migrations_manager/migration/"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = require_tool(CHROMIUM, "Chromium (apt-get install chromium)")
    # Playwright's sync API keeps an event loop on this thread; the test's own ORM reads
    # (audit rows) are plain synchronous calls between browser steps.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Browser, live_server, make_user) -> Iterator[Page]:
    """A logged-in page (a staff user who may view, run and mark) that only talks to the
    live server."""
    user = make_user("view_migration", "run_migrations", "mark_migrations", username="operator")
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    elsewhere: list[str] = []
    context.on(
        "request",
        lambda request: (
            None if request.url.startswith(live_server.url) else elsewhere.append(request.url)
        ),
    )
    opened = context.new_page()
    opened.goto(f"/admin/login/?next={LIST_PATH}")
    opened.fill("#id_username", user.get_username())
    opened.fill("#id_password", PASSWORD)
    opened.click("input[type=submit]")
    expect(opened).to_have_url(re.compile(re.escape(LIST_PATH) + "$"))
    yield opened
    context.close()
    assert elsewhere == [], f"requests left the live server: {elsewhere}"


def snap(page: Page, name: str) -> None:
    """Save the page as ``<name>-light.png`` and ``<name>-dark.png``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.screenshot(path=ARTIFACTS / f"{name}-{scheme}.png", full_page=True)
    page.emulate_media(color_scheme="light")


def badge(page: Page, name: str):
    return page.locator(f'tr[data-migration="{name}"] .mm-badge')


def test_run_a_pending_migration_then_mark_one_applied(page: Page, target_db):
    for index, table in enumerate(("accounts", "invoices", "payments"), start=1):
        target_db.write(f"00{index}_{table}.sql", f"CREATE TABLE {table} (id int);")
    services.run_pending(["001_accounts.sql"], actor=Actor(name="setup"))
    page.reload()
    expect(badge(page, "001_accounts.sql")).to_have_text("applied")
    expect(badge(page, "002_invoices.sql")).to_have_text("pending")
    expect(page.locator(".mm-tracking")).to_contain_text("public.pgmigrations")
    snap(page, "01-list")

    page.locator('tr[data-migration="002_invoices.sql"] a.mm-run').click()
    expect(page.locator("h1")).to_have_text("Run migrations")
    expect(page.locator("pre.mm-sql")).to_contain_text("CREATE TABLE invoices (id int);")
    expect(page.locator(".mm-transaction-mode")).to_contain_text("entire batch is rolled back")
    snap(page, "02-run-confirmation")
    assert not target_db.exists("invoices")

    page.click("input[type=submit][value='Yes, run 1 migration']")
    expect(page.locator(".messagelist .success")).to_have_text(
        "Applied 1 migration(s) successfully."
    )
    expect(page.locator(".mm-applied")).to_contain_text("002_invoices.sql")
    snap(page, "03-run-result")
    assert target_db.exists("invoices")
    run = MigrationRun.objects.get(command="run", source="admin")
    assert run.actor == "operator" and run.outcome == "succeeded"

    page.goto(LIST_PATH)
    expect(badge(page, "002_invoices.sql")).to_have_text("applied")
    page.locator('tr[data-migration="003_payments.sql"] a.mm-mark').click()
    expect(page.locator(".mm-mark-confirmation #content-main")).to_contain_text(
        "without running it"
    )
    snap(page, "04-mark-confirmation")
    page.click("input[type=submit][value='Yes, mark it as applied']")
    expect(page.locator(".messagelist .success")).to_contain_text("Recorded 003_payments.sql")
    expect(badge(page, "003_payments.sql")).to_have_text("applied")
    snap(page, "05-list-after-mark")
    assert not target_db.exists("payments")

    page.goto("/admin/migrations_manager/migrationrun/")
    expect(page.locator("#result_list tbody tr")).to_have_count(3)  # setup, run, mark
    snap(page, "08-history")


def test_a_failing_batch_shows_its_error_and_applies_nothing(page: Page, target_db):
    target_db.write("001_accounts.sql", "CREATE TABLE accounts (id int);")
    target_db.write(
        "002_broken.sql", "CREATE TABLE broken (id int);\nINSERT INTO nowhere VALUES (1);"
    )
    page.reload()
    page.click("a.mm-run-all")
    expect(page.locator("table.mm-plan")).to_contain_text("002_broken.sql")
    page.click("input[type=submit][value='Yes, run 2 migrations']")
    expect(page.locator(".messagelist .error")).to_have_text(
        'Migration "002_broken.sql" failed — entire batch rolled back.'
    )
    expect(page.locator(".mm-failed-file")).to_have_text("002_broken.sql")
    expect(page.locator(".mm-error")).to_have_text('relation "nowhere" does not exist')
    expect(page.locator(".mm-line")).to_have_text("3, column 13")
    expect(page.locator(".mm-excerpt")).to_contain_text("3 | INSERT INTO nowhere VALUES (1)")
    snap(page, "06-failed-run")
    page.goto(LIST_PATH)
    expect(badge(page, "001_accounts.sql")).to_have_text("pending")
    expect(badge(page, "002_broken.sql")).to_have_text("pending")
    assert not target_db.exists("accounts") and not target_db.exists("pgmigrations")


def test_five_states_have_distinct_badges_in_light_and_dark(page: Page, five_states):
    page.reload()
    names = ["V1__one.sql", "V2__two.sql", "V3__three.sql", "V4__four.sql", "9"]
    texts = [badge(page, name).inner_text().strip().lower() for name in names]
    assert texts == ["applied", "modified", "failed", "pending", "orphaned"]
    colours = {
        badge(page, name).evaluate("node => getComputedStyle(node).backgroundColor")
        for name in names
    }
    assert len(colours) == 5
    snap(page, "07-five-states")

    page.emulate_media(color_scheme="dark")
    body = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert body == "rgb(18, 18, 18)"  # the admin's own dark --body-bg
    page.emulate_media(color_scheme="light")

    page.locator("#changelist-filter a", has_text="Pending (2)").click()
    expect(page.locator("tr[data-migration]")).to_have_count(2)
