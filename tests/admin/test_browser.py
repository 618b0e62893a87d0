"""The Migrations panel in a real browser: Debian's Chromium driven by Playwright.

A live server serves the project; a user logs in through the login form, sees the badges, runs
the safety check (a real second session left idle in its transaction shows up), opens a
preview at the line a finding points to, runs a pending migration through its confirmation
(with the safety result), runs one anyway with a reason when the check is not safe, marks one
applied after its schema detection, detects pasted SQL, and watches a failing batch leave
nothing applied. Every page is saved as a screenshot, light and dark, under
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
from migrations_manager.services.schema import ALL_EXIST, SOME_EXIST
from tests.factories import PASSWORD, UserFactory
from tests.realfw.conftest import require_tool

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
def page(browser: Browser, live_server) -> Iterator[Page]:
    """A logged-in page (a staff user who may view, run and mark) that only talks to the
    live server."""
    user = UserFactory(
        username="operator", permissions=["view_migration", "run_migrations", "mark_migrations"]
    )
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
    expect(page.locator(".mm-verdict-word")).to_have_text("✔ SAFE")
    expect(page.locator(".mm-pending-count")).to_have_text("1")
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

    target_db.execute("CREATE TABLE payments (id int)")  # applied by hand, elsewhere
    page.goto(LIST_PATH)
    expect(badge(page, "002_invoices.sql")).to_have_text("applied")
    page.locator('tr[data-migration="003_payments.sql"] a.mm-mark').click()
    expect(page.locator(".mm-mark-confirmation #content-main")).to_contain_text(
        "without running it"
    )
    detection = page.locator(".mm-detection")
    expect(detection.locator('tr[data-object="public.payments"] .mm-exists')).to_have_text("exists")
    expect(detection.locator(".mm-recommendation")).to_have_text(ALL_EXIST)
    snap(page, "04-mark-confirmation")
    page.click("input[type=submit][value='Yes, mark it as applied']")
    expect(page.locator(".messagelist .success")).to_contain_text("Recorded 003_payments.sql")
    expect(badge(page, "003_payments.sql")).to_have_text("applied")
    snap(page, "05-list-after-mark")
    assert target_db.scalar("SELECT count(*) FROM payments") == 0  # nothing ran

    page.goto("/admin/migrations_manager/migrationrun/")
    expect(page.locator("#result_list tbody tr")).to_have_count(3)  # setup, run, mark
    expect(page.locator("h1")).to_have_text("Migration history")
    expect(page.locator(".paginator")).to_contain_text("3 migration runs")
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


def test_safety_check_names_an_idle_transaction_and_leads_to_the_line_it_blocks(
    page: Page, target_db
):
    target_db.execute("CREATE TABLE users (id bigint PRIMARY KEY, email text)")
    target_db.write(
        "001_add-name.sql",
        "SET lock_timeout = '2s';\nCREATE INDEX users_email ON users (email);\n"
        "ALTER TABLE users ADD COLUMN name text;",
    )
    page.reload()
    page.click("a.mm-check-link")
    expect(page.locator("h1")).to_have_text("Safety check")
    expect(page.locator(".mm-verdict-word")).to_have_text("✔ SAFE")
    snap(page, "09-check-safe")

    session = target_db.connect(application_name="report-job")
    session.execute("BEGIN")
    session.execute("SELECT * FROM users WHERE email LIKE '%@example.com' ORDER BY id")
    page.click("a.mm-check-again")
    expect(page.locator(".mm-verdict-word")).to_have_text("✖ NOT SAFE")
    pid = session.info.backend_pid
    row = page.locator(f'tr.mm-blocker[data-pid="{pid}"]').first
    expect(row.locator(".mm-state-idle")).to_have_text("idle in transaction")
    expect(row.locator(".mm-query")).to_contain_text("SELECT * FROM users")
    expect(page.locator(".mm-warnings")).to_contain_text(f"will wait for pid {pid}")
    snap(page, "10-check-blocked")

    row.locator(".mm-waiting-statement a").click()
    expect(page).to_have_url(re.compile(r"/001_add-name\.sql/preview/#line-\d$"))
    expect(page.locator(".mm-line:target .mm-text")).to_contain_text("users")
    expect(page.locator('tr[data-line="3"] .mm-note')).to_contain_text("MM001")
    expect(page.locator(".mm-code .k").first).to_have_text("SET")
    keyword = page.locator(".mm-code .k").first
    light = keyword.evaluate("node => getComputedStyle(node).color")
    page.emulate_media(color_scheme="dark")
    assert keyword.evaluate("node => getComputedStyle(node).color") != light
    page.emulate_media(color_scheme="light")
    snap(page, "11-preview")
    session.rollback()


def test_an_unsafe_run_needs_a_reason_which_the_history_keeps(page: Page, target_db):
    """A session in the way of the file: the gate asks a reason; the session is gone by the
    time the reason is given, and the run goes through with it."""
    target_db.execute("CREATE TABLE accounts (id bigint)")
    target_db.write("001_accounts.sql", "ALTER TABLE accounts ADD COLUMN note text;")
    busy = target_db.connect(application_name="report-job")
    busy.execute("BEGIN")
    busy.execute("SELECT * FROM accounts")
    page.reload()
    page.click("a.mm-run-all")
    expect(page.locator(".mm-verdict-word")).to_have_text("✖ NOT SAFE")
    expect(page.locator(".mm-warnings")).to_contain_text("will wait for pid")
    page.click("input[type=submit][value='Run anyway']")  # the browser asks for the reason
    expect(page.locator("#id_reason")).to_be_focused()
    assert target_db.query(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts'"
    ) == [(1,)]
    busy.execute("ROLLBACK")
    page.fill("#id_reason", "INC-42: the fix cannot wait")
    snap(page, "12-unsafe-run-confirmation")
    page.click("input[type=submit][value='Run anyway']")
    expect(page.locator(".messagelist .success")).to_have_text(
        "Applied 1 migration(s) successfully."
    )
    expect(page.locator(".mm-run-reason")).to_have_text(
        "Reason given to run: INC-42: the fix cannot wait"
    )
    snap(page, "13-unsafe-run-result")
    assert MigrationRun.objects.get().reason == "INC-42: the fix cannot wait"


def test_schema_detection_of_pasted_sql(page: Page, target_db):
    target_db.execute("CREATE TABLE users (id bigint PRIMARY KEY, email text)")
    page.reload()
    page.click("a.mm-detect-link")
    expect(page.locator("h1")).to_have_text("Schema detection")
    page.fill(
        "#id_sql",
        "CREATE TABLE users (id int PRIMARY KEY, email text, phone text);\n"
        "CREATE INDEX users_phone ON users (phone);",
    )
    page.click("input[type=submit][value='Detect']")
    table = page.locator(".mm-detection")
    expect(table.locator('tr[data-object="public.users"] .mm-differs')).to_contain_text("differs")
    expect(table.locator('tr[data-object="users_phone"] .mm-exists')).to_have_text("missing")
    expect(table.locator(".mm-recommendation")).to_have_text(SOME_EXIST)
    snap(page, "14-detect-schema")

    page.fill("#id_sql", "CREATE TABLE a (id int);\nCREATE TABLEE b (id int);")
    page.click("input[type=submit][value='Detect']")
    expect(page.locator(".errorlist")).to_contain_text("line 2, column 8")
    expect(page.locator(".mm-line--error .mm-lineno")).to_have_text("2")
    snap(page, "15-detect-syntax-error")
