"""Hostile input, generated, on every page of the admin's Migrations panel: hostile names in the
path, hostile query strings and form fields (names, SQL, arbitrary text, any code point), by GET
and POST. Whatever arrives: never a 5xx, and no file outside the migrations directory is read.

The pages come from the URL resolver (the panel's views), so a page added later is covered.
"""

from __future__ import annotations

import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import UserFactory
from tests.reliability.hostile import HOSTILE, names, opened_outside
from tests.reliability.served import PATTERNS, url_template
from tests.reliability.test_hostile_requests import quoted
from tests.reliability.test_hostile_sql import arbitrary_text, sql_shaped
from tests.utils import files_opened

PANEL = "admin:migrations_manager_migration_"
PAGES = [(name, url_template(regex)) for regex, name, _ in PATTERNS if name.startswith(PANEL)]
# The fields the panel's pages read, and a few they do not.
FIELDS = ("name", "migration", "sql", "reason", "post", "framework", "state", "q", "p", "x")
# Per page, fewer examples each: the suite stays well under a minute.
PER_PAGE = settings(HOSTILE, max_examples=30)

values = st.one_of(names, arbitrary_text, sql_shaped, st.sampled_from(["yes", "001_a.sql"]))
pairs = st.lists(st.tuples(st.sampled_from(FIELDS), values), max_size=5)


def encoded(items: list[tuple[str, str]]) -> str:
    return "&".join(f"{quoted(key)}={quoted(value)}" for key, value in items)


def test_the_walk_finds_the_panel_pages():
    assert {name.removeprefix(PANEL) for name, _ in PAGES} >= {
        "changelist",
        "check",
        "detect_schema",
        "run",
        "preview",
        "mark_applied",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("name, route", PAGES, ids=[name for name, _ in PAGES])
def test_no_input_makes_a_5xx_or_reads_outside(target_db, tmp_path, name, route):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    target_db.write("002_bad.sql", "SELECT * FROM nowhere;")
    (tmp_path / "outside.sql").write_text("CREATE TABLE pwned (id int);\n")
    client = Client()
    client.force_login(UserFactory(username="hostile-admin", superuser=True))
    template, params = route

    @PER_PAGE
    @given(segment=names, query=pairs, form=pairs)
    def answered(segment: str, query: list, form: list) -> None:
        url = template % dict.fromkeys(params, quoted(segment)) + "?" + encoded(query)
        with files_opened() as opened:
            for method, body in (("GET", ""), ("POST", encoded(form))):
                response = client.generic(
                    method, url, body, content_type="application/x-www-form-urlencoded"
                )
                assert response.status_code < 500, (method, url, response.status_code)
        assert opened_outside(opened, target_db.directory, tmp_path) == []
        assert not target_db.exists("pwned")

    answered()
