"""The schema detection page: a file name or pasted SQL, the findings against the real catalog."""

from __future__ import annotations

import pytest
from django.test import Client

from migrations_manager.services.schema import ALL_EXIST, NONE_EXIST, SOME_EXIST
from tests.factories import UserFactory

from .helpers import DETECT_URL, preview_url, template_names, texts

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(target_db):
    target_db.execute("CREATE TABLE users (id bigint PRIMARY KEY, email text)")
    return target_db


def objects(response) -> dict[str, tuple[str, str]]:
    """Object name -> (its "exists" cell, its "differs" cell), as rendered."""
    names = texts(response, "mm-object-name")
    return dict(
        zip(
            names,
            zip(texts(response, "mm-exists"), texts(response, "mm-differs"), strict=True),
            strict=True,
        )
    )


def test_the_form_posts_with_a_csrf_token(reader, target_db):
    response = reader.get(DETECT_URL)
    assert response.status_code == 200
    assert "admin/migrations_manager/migration/detect_schema.html" in template_names(response)
    content = response.content.decode()
    assert '<form method="post" class="mm-detect-form" novalidate>' in content
    assert 'name="csrfmiddlewaretoken"' in content
    assert '<select name="migration"' in content and '<textarea name="sql"' in content
    assert "mm-schema" not in content


def test_pasted_sql_exists_differs_and_missing(reader, users):
    sql = (
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n"
        "CREATE TABLE IF NOT EXISTS users (id int, phone text);\n"
        "CREATE INDEX users_email ON users (email);"
    )
    response = reader.post(DETECT_URL, {"sql": sql})
    assert response.status_code == 200
    report = response.context["schema"]
    assert [(f.name, f.exists, f.differs) for f in report.findings] == [
        ("public.users", True, True),
        ("users_email", False, False),
    ]
    found = objects(response)
    assert found["users_email"] == ("missing", "—")
    exists, differs = found["public.users"]
    assert exists == "exists"
    assert differs.startswith("differs")
    assert texts(response, "mm-reason") == [
        "public.users lacks column(s) phone; column id is bigint, not integer"
    ]
    assert texts(response, "mm-recommendation") == [SOME_EXIST]


@pytest.mark.parametrize(
    "sql, recommendation, kind",
    [
        ("CREATE TABLE users (id bigint, email text)", ALL_EXIST, "all"),
        ("CREATE TABLE fresh (id int)", NONE_EXIST, "none"),
    ],
    ids=["all-exist", "none-exist"],
)
def test_the_recommendation_says_what_to_do(reader, users, sql, recommendation, kind):
    content = reader.post(DETECT_URL, {"sql": sql}).content.decode()
    assert f'<p class="mm-recommendation mm-recommendation--{kind}">{recommendation}</p>' in content


def test_a_file_by_name_links_its_lines_to_the_preview(reader, users):
    users.write("001_users.sql", "CREATE TABLE users (id bigint, email text);")
    response = reader.get(DETECT_URL, {"migration": "001_users.sql"})
    assert response.context["form"]["migration"].value() == "001_users.sql"
    assert objects(response) == {"public.users": ("exists", "same")}
    link = f'<a href="{preview_url("001_users.sql")}#line-2">2</a>'
    assert link in response.content.decode()


def test_a_syntax_error_shows_the_parsers_message_and_line(reader, users):
    sql = "CREATE TABLE a (id int);\nCREATE TABLEE b (id int);"
    response = reader.post(DETECT_URL, {"sql": sql})
    assert response.status_code == 200 and "schema" not in response.context
    [error] = response.context["form"].errors["sql"]
    assert error == 'Syntax error in line 2, column 8: syntax error at or near "TABLEE"'
    assert error.replace('"', "&quot;") in response.content.decode()
    # The pasted SQL is shown with the parser's stop marked at its line.
    assert '<tr id="line-2" class="mm-line mm-line--flagged mm-line--error">' in (
        response.content.decode()
    )
    assert texts(response, "mm-note") == ['error syntax column 8: syntax error at or near "TABLEE"']


def test_the_file_is_chosen_among_the_migrations_of_the_directory(reader, users):
    for name in ("002_b.sql", "001_a.sql"):
        users.write(name, "CREATE TABLE users (id bigint);")
    (users.directory / "notes.txt").write_text("not a migration")
    response = reader.get(DETECT_URL)
    choices = [value for value, _ in response.context["form"].fields["migration"].choices]
    assert choices == ["", "001_a.sql", "002_b.sql"]
    assert '<option value="001_a.sql">001_a.sql</option>' in response.content.decode()


def test_with_the_target_down_there_is_nothing_to_choose_and_it_says_why(reader, users, settings):
    settings.MIGRATIONS_MANAGER = {
        **settings.MIGRATIONS_MANAGER,
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
        "CONNECT_TIMEOUT": 2,
    }
    users.write("001_a.sql", "CREATE TABLE a (id int);")
    response = reader.get(DETECT_URL)
    assert texts(response, "mm-migrations-problem")[0].startswith("No migration to choose: ")
    assert response.context["form"].fields["migration"].choices == [("", "—")]


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({}, None, "Give a migration file name or SQL: one of the two."),
        ({"migration": "001_a.sql", "sql": "SELECT 1"}, None, "one of the two"),
        ({"migration": "999_nope.sql"}, "migration", "999_nope.sql is not one of the available"),
        ({"migration": "../etc/passwd.sql"}, "migration", "not one of the available choices"),
    ],
    ids=["neither", "both", "unknown-file", "traversal"],
)
def test_what_cannot_be_detected_is_explained(reader, users, data, field, message):
    users.write("001_a.sql", "CREATE TABLE a (id int);")
    response = reader.post(DETECT_URL, data)
    assert response.status_code == 200 and "schema" not in response.context
    errors = response.context["form"].errors.get(field or "__all__")
    assert errors and message in errors[0]


def test_sql_over_the_body_limit_is_refused_unparsed(reader, users, settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "MAX_BODY_BYTES": 64}
    response = reader.post(DETECT_URL, {"sql": "CREATE TABLE t (id int);\n" * 10})
    [error] = response.context["form"].errors["sql"]
    assert "limit is 64 bytes" in error


def test_csrf_is_enforced(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(permissions=["view_migration"]))
    assert client.post(DETECT_URL, {"sql": "CREATE TABLE users ()"}).status_code == 403
    page = client.get(DETECT_URL)
    token = page.context["csrf_token"]
    posted = client.post(DETECT_URL, {"sql": "CREATE TABLE users ()", "csrfmiddlewaretoken": token})
    assert posted.status_code == 200 and posted.context["schema"].findings


def test_data_changes_are_listed_and_never_called_safe(reader, users):
    sql = (
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\nGRANT SELECT ON users TO PUBLIC;"
    )
    response = reader.post(DETECT_URL, {"sql": sql})
    assert response.status_code == 200
    assert texts(response, "mm-data-changes") == ["GRANT on users, line 2"]
    [recommendation] = texts(response, "mm-recommendation")
    assert recommendation.startswith("contains data changes (GRANT on users, line 2)")
    assert ALL_EXIST not in response.content.decode()
    assert "mm-recommendation--some" in response.content.decode()
