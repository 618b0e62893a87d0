"""Bodies built to hurt: path tricks in names, wrong types, deep or huge JSON.

Whatever arrives, the answer is a 4xx with ``{"error": "..."}``, never a 5xx; nothing runs,
nothing is written to the tracking table (the audit log keeps the refusal), and no file outside
the migrations directory is opened.
"""

from __future__ import annotations

import json
import os
from io import BytesIO

import pytest
from rest_framework.exceptions import ParseError
from rest_framework.test import APIClient

from migrations_manager.api.exceptions import RequestTooLarge
from migrations_manager.api.parsers import LimitedJSONParser
from tests.api.conftest import BASE, files_opened

pytestmark = pytest.mark.django_db

RUN = BASE + "idempotent/run"
MARK = BASE + "idempotent/mark-applied"
DETECT = BASE + "idempotent/detect-schema"
ONE_MIB = 1024 * 1024

# The endpoints that take migration names in their body: path, and the body naming one.
NAMING = {
    "run": (RUN, lambda name: {"migrations": [name]}),
    "mark-applied": (MARK, lambda name: {"migration": name}),
    "detect-schema": (DETECT, lambda name: {"migration": name}),
}

HOSTILE_NAMES = {
    "parent": "../outside.sql",
    "parent-deep": "../../../../../../etc/passwd",
    "absolute": "/etc/passwd",
    "absolute-bait": "{bait}",
    "backslash": "..\\outside.sql",
    "windows-absolute": "C:\\Windows\\win.ini",
    "url-encoded": "..%2foutside.sql",
    "double-encoded": "%2e%2e%2foutside.sql",
    "nul": "001_a.sql\x00.txt",
    "nul-only": "\x00",
    "dot": ".",
    "dotdot": "..",
    "hidden": ".env",
    "empty": "",
    "spaces": "   ",
    "newline": "001_a.sql\n",
    "symlink-out": "link.sql",
    "too-long": "a" * 300 + ".sql",
    "very-long": "b" * 200_000,
    "fullwidth-solidus": "..\uff0foutside.sql",
    "division-slash": "..\u2215outside.sql",
    "fullwidth-digits": "\uff10\uff10\uff11_a.sql",
    "cyrillic-a": "001_\u0430.sql",
    "one-dot-leader": "001_a\u2024sql",
    "zero-width": "001_a.sql\u200b",
    "right-to-left": "001_a\u202elqs.sql",
    "lone-surrogate": "\ud800.sql",
}
NON_STRINGS = {
    "int": 1,
    "float": 1.5,
    "bool": True,
    "null": None,
    "object": {"name": "001_a.sql"},
    "list": ["001_a.sql"],
    "nested": [[["001_a.sql"]]],
}


@pytest.fixture
def trap(target_db, tmp_path):
    """A pending migration inside the directory, and bait outside it: a file that would create
    table ``pwned`` if it ever ran, and a symlink in the directory that leads to it."""
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    bait = tmp_path / "outside.sql"
    bait.write_text("-- Up Migration\nCREATE TABLE pwned (id int);\n")
    os.symlink(bait, target_db.directory / "link.sql")
    return target_db, bait


def post_raw(client, path: str, raw: str | bytes):
    return client.generic("POST", path, raw, content_type="application/json")


def assert_refused_without_effect(response, target_db, opened) -> None:
    assert 400 <= response.status_code < 500, response.content[:300]
    assert isinstance(response.json()["error"], str) and response.json()["error"]
    assert not target_db.exists("pwned") and not target_db.exists("a")
    assert not target_db.exists("pgmigrations")
    directory = target_db.directory.resolve()
    assert [path for path in opened if not path.is_relative_to(directory)] == []


def test_files_opened_sees_what_a_run_reads(api, trap):
    """The watch of the tests below works: a real run is seen reading its file."""
    target_db, _ = trap
    with files_opened() as opened:
        assert api.post(RUN).status_code == 200
    assert target_db.directory.resolve() / "001_a.sql" in opened


@pytest.mark.parametrize("name", HOSTILE_NAMES.values(), ids=HOSTILE_NAMES.keys())
@pytest.mark.parametrize("endpoint", NAMING)
def test_hostile_names(api, trap, endpoint, name):
    target_db, bait = trap
    path, body = NAMING[endpoint]
    # json.dumps escapes a lone surrogate as "\ud800", which is how it arrives over the wire.
    with files_opened() as opened:
        response = post_raw(api, path, json.dumps(body(name.format(bait=bait))))
    assert_refused_without_effect(response, target_db, opened)


@pytest.mark.parametrize("value", NON_STRINGS.values(), ids=NON_STRINGS.keys())
@pytest.mark.parametrize("endpoint", NAMING)
def test_non_string_names(api, trap, endpoint, value):
    target_db, _ = trap
    path, body = NAMING[endpoint]
    with files_opened() as opened:
        response = api.post(path, body(value), format="json")
    assert response.status_code == 400
    assert_refused_without_effect(response, target_db, opened)


BAD_BODIES = {
    "not-json": "{",
    "nan": '{"migrations": [NaN]}',
    "list-body": '["001_a.sql"]',
    "string-body": '"001_a.sql"',
    "null-body": "null",
    "migrations-not-a-list": '{"migrations": "001_a.sql"}',
    "migrations-empty": '{"migrations": []}',
    "deep-list": '{"migrations": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "deep-object": '{"a": ' * 50_000 + "1" + "}" * 50_000,
    "invalid-utf8": b'{"migrations": ["\xff\xfe.sql"]}',
}


@pytest.mark.parametrize("raw", BAD_BODIES.values(), ids=BAD_BODIES.keys())
@pytest.mark.parametrize("endpoint", NAMING)
def test_bad_bodies_are_400(api, trap, endpoint, raw):
    target_db, _ = trap
    with files_opened() as opened:
        response = post_raw(api, NAMING[endpoint][0], raw)
    assert response.status_code == 400
    assert_refused_without_effect(response, target_db, opened)


def test_deep_json_is_a_parse_error(api, trap):
    response = post_raw(api, RUN, BAD_BODIES["deep-list"])
    assert response.json() == {"error": "JSON parse error - the document is nested too deeply."}


def test_body_that_is_not_json_is_415(api, trap):
    response = api.post(RUN, {"migrations": "001_a.sql"})  # multipart form
    assert response.status_code == 415
    assert response.json()["error"].startswith("Unsupported media type")


@pytest.mark.parametrize("endpoint", [RUN, MARK, DETECT])
def test_body_over_the_limit_is_413_unread(api, trap, endpoint):
    target_db, _ = trap
    body = '{"migrations": ["001_a.sql"]}' if endpoint == RUN else '{"migration": "001_a.sql"}'
    raw = body + " " * (ONE_MIB - len(body) + 1)
    assert len(raw) == ONE_MIB + 1
    response = post_raw(api, endpoint, raw)
    assert response.status_code == 413
    assert response.json() == {
        "error": f"The request body is larger than the limit of {ONE_MIB} bytes."
    }
    assert not target_db.exists("pgmigrations")
    assert post_raw(api, endpoint, raw[:ONE_MIB]).status_code == 200  # at the limit: read


def test_limit_is_a_setting_and_applies_before_authentication(trap, settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "MAX_BODY_BYTES": 100}
    assert post_raw(APIClient(), RUN, "[" + " " * 100 + "]").status_code == 413


def test_parser_enforces_the_limit_on_a_body_of_undeclared_length(settings):
    """Behind ASGI a body may come without Content-Length: the parser reads limit + 1 bytes."""
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "MAX_BODY_BYTES": 10}
    parser = LimitedJSONParser()
    assert parser.parse(BytesIO(b'{"a": 123}')) == {"a": 123}
    with pytest.raises(RequestTooLarge):
        parser.parse(BytesIO(b'{"a": 1234}'))
    with pytest.raises(ParseError):
        parser.parse(BytesIO(b"[" * 9))


def test_refused_name_says_where_and_why(api, trap):
    response = post_raw(api, RUN, '{"migrations": ["001_a.sql", 7, "\\ud800"]}')
    assert response.json() == {
        "error": "migrations.1: A migration name must be a string.",
        "fields": {
            "migrations": {
                "1": ["A migration name must be a string."],
                "2": ["A migration name must be valid Unicode text."],
            }
        },
    }
