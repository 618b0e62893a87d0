"""The drift page: every difference with its DDL, for a user who may only read."""

from __future__ import annotations

import pytest

from migrations_manager import services
from migrations_manager.audit import Actor

from .helpers import DRIFT_URL, texts

pytestmark = pytest.mark.django_db


@pytest.fixture
def applied(target_db):
    target_db.write("001_users.sql", "CREATE TABLE users (id int PRIMARY KEY, email text);")
    target_db.write("002_index.sql", "CREATE INDEX users_email ON users (email);")
    assert services.run_pending(actor=Actor.command_line()).ok
    return target_db


def test_a_reader_sees_each_difference_and_its_ddl(reader, applied):
    applied.execute("DROP INDEX users_email; ALTER TABLE users ADD COLUMN phone text")
    response = reader.get(DRIFT_URL)
    assert response.status_code == 200
    assert texts(response, "mm-difference-name") == [
        "column public.users.phone",
        "index public.users_email",
    ]
    assert texts(response, "mm-ddl") == [
        "ALTER TABLE public.users DROP COLUMN phone;",
        "CREATE INDEX users_email ON public.users USING btree (email);",
    ]
    assert texts(response, "mm-drift-verdict") == ["Drift: 2 difference(s)."]


def test_no_drift_is_said(reader, applied):
    response = reader.get(DRIFT_URL)
    assert texts(response, "mm-drift-verdict") == [
        "No drift: the database is what its applied migrations make it."
    ]
    assert texts(response, "mm-difference") == []


def test_the_list_links_to_the_page(reader, applied):
    content = reader.get(DRIFT_URL.removesuffix("drift/")).content.decode()
    assert f'href="{DRIFT_URL}" class="mm-drift-link"' in content


def test_a_lock_held_past_lock_wait_is_said(reader, applied):
    holder = applied.connect()
    holder.execute("SELECT pg_advisory_lock(7241865325823964)")
    response = reader.get(DRIFT_URL)
    assert response.status_code == 200
    [problem] = texts(response, "mm-problem")
    assert problem.startswith("Another migration run holds the lock")
