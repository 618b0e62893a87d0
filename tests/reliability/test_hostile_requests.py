"""Hostile requests, generated, on every operation of the REST API: arbitrary JSON, JSON nested
too deep, huge strings, wrong types, hostile names and SQL in the documented fields, unknown
fields and query parameters, hostile path segments. Whatever arrives: never a 5xx, an error
is ``{"error": "..."}``, and no file outside the migrations directory is read.

The operations come from the API's own OpenAPI schema, so an endpoint added later is covered
without touching this file.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import pytest
from drf_spectacular.generators import SchemaGenerator
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.api.conftest import token_client
from tests.factories import UserFactory
from tests.reliability.hostile import HOSTILE, names, opened_outside
from tests.reliability.test_hostile_sql import arbitrary_text, sql_shaped
from tests.utils import files_opened

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
OPERATIONS = [
    (method.upper(), path, operation)
    for path, methods in SCHEMA["paths"].items()
    for method, operation in methods.items()
]
# Per operation: fewer examples each, so that the suite stays well under a minute.
PER_OPERATION = settings(HOSTILE, max_examples=60)

# ---- values and bodies -------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    names,
    arbitrary_text,
    sql_shaped,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def deep(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth if depth % 2 else "[" * depth + "]" * depth


def body_fields(operation: dict[str, Any]) -> list[str]:
    """The fields the operation's request body documents (none without a body)."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    reference = content.get("schema", {}).get("$ref", "")
    component = SCHEMA["components"]["schemas"].get(reference.rsplit("/", 1)[-1], {})
    return list(component.get("properties", {}))


def raw_bodies(fields: list[str]) -> st.SearchStrategy[bytes]:
    """Documented fields with any value, any JSON at all, deep JSON, huge strings, not JSON."""
    documented = st.fixed_dictionaries(
        {}, optional=dict.fromkeys(fields, json_values) | {"extra": json_values}
    ).map(json.dumps)
    huge = st.builds(
        lambda field, text, times: json.dumps({field: text * times}),
        st.sampled_from([*fields, "x"]),
        st.text(min_size=1, max_size=4),
        st.integers(min_value=1_000, max_value=300_000),
    )
    text = st.one_of(
        documented,
        json_values.map(json.dumps),
        st.integers(min_value=1, max_value=200_000).map(deep),
        huge,
        arbitrary_text,
    )
    return st.one_of(
        text.map(lambda raw: raw.encode("utf-8", "surrogatepass")),
        st.binary(max_size=300),
    )


def quoted(value: str) -> str:
    """``value`` percent-encoded as a client would send it (a lone surrogate included)."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def query_strings(operation: dict[str, Any]) -> st.SearchStrategy[str]:
    documented = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
    keys = st.one_of(st.sampled_from([*documented, "page", "format"]), st.text(max_size=8))
    values = st.one_of(names, arbitrary_text, st.integers().map(str))
    pairs = st.lists(st.tuples(keys, values), max_size=4)
    return pairs.map(lambda items: "&".join(f"{quoted(k)}={quoted(v)}" for k, v in items))


def paths(template: str) -> st.SearchStrategy[str]:
    """The operation's path, each ``{parameter}`` a hostile (percent-encoded) segment."""
    parameters = re.findall(r"\{(\w+)\}", template)
    if not parameters:
        return st.just(template)
    return st.lists(names, min_size=len(parameters), max_size=len(parameters)).map(
        lambda values: re.sub(r"\{\w+\}", lambda _: quoted(values.pop(0)), template)
    )


def assert_error_body(status: int, body: Any) -> None:
    """``{"error": "sentence", ...}``, or the run body of a failed migration (422)."""
    if status == 422 and "summary" in body:
        assert body["ok"] is False and body["failed"]["error"]
    else:
        assert isinstance(body["error"], str) and body["error"]


# ---- the walk ----------------------------------------------------------------------------------


def test_the_walk_covers_every_documented_operation():
    assert {(method, path) for method, path, _ in OPERATIONS} >= {
        ("GET", "/api/migrations/idempotent/status"),
        ("POST", "/api/migrations/idempotent/run"),
        ("POST", "/api/migrations/idempotent/mark-applied"),
        ("GET", "/api/migrations/history"),
        ("POST", "/api/migrations/check"),
        ("GET", "/api/migrations/preview/{filename}"),
        ("POST", "/api/migrations/idempotent/detect-schema"),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "method, template, operation",
    OPERATIONS,
    ids=[f"{method} {path}" for method, path, _ in OPERATIONS],
)
def test_no_request_makes_a_5xx_or_reads_outside(target_db, tmp_path, method, template, operation):
    target_db.write("001_a.sql", "CREATE TABLE a (id int);")
    target_db.write("002_bad.sql", "SELECT * FROM nowhere;")
    (tmp_path / "outside.sql").write_text("CREATE TABLE pwned (id int);\n")
    client = token_client(UserFactory(username="hostile", superuser=True))
    fields = body_fields(operation)
    bodies = raw_bodies(fields) if fields or method != "GET" else st.just(b"")

    @PER_OPERATION
    @given(path=paths(template), query=query_strings(operation), body=bodies)
    def answered(path: str, query: str, body: bytes) -> None:
        with files_opened() as opened:
            response = client.generic(
                method, f"{path}?{query}", body, content_type="application/json"
            )
        assert response.status_code < 500, (response.status_code, response.content[:300])
        if response.status_code >= 400 and response["Content-Type"] == "application/json":
            assert_error_body(response.status_code, response.json())
        assert opened_outside(opened, target_db.directory, tmp_path) == []
        assert not target_db.exists("pwned")

    answered()
