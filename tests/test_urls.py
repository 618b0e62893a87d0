"""Every URL the project serves refuses anonymous users, except the admin's login page.

The URL resolver is walked, so a page added later is covered without touching this test.
Static files are not in the URL configuration (the web server, or ``runserver`` in the demo,
serves them), so nothing here needs an exception for them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils.regex_helper import normalize

pytestmark = pytest.mark.django_db

PUBLIC = {"admin:login"}
# Values tried for each URL parameter until the URL resolves to the pattern it came from.
SAMPLE_VALUES = ("1", "x", "auth", "migrations_manager", "001_a.sql")


def leaf_patterns(
    patterns: list, regex: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, URLPattern]]:
    """(full regex, namespaced name, pattern) of every view the URL configuration routes."""
    for pattern in patterns:
        own = pattern.pattern.regex.pattern.removeprefix("^")
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from leaf_patterns(pattern.url_patterns, regex + own, inner)
        else:
            full = regex + own
            yield full, f"{namespace}{pattern.name}" if pattern.name else full, pattern


def sample_url(regex: str, pattern: URLPattern) -> str:
    """A URL that resolves to ``pattern``, its parameters filled with sample values."""
    template, params = normalize(regex)[0]
    for value in SAMPLE_VALUES:
        url = "/" + template % dict.fromkeys(params, value)
        try:
            if resolve(url).func == pattern.callback:
                return url
        except Resolver404:
            continue
    raise AssertionError(f"no sample URL resolves to {regex!r}")


SERVED = [
    (name, sample_url(regex, pattern))
    for regex, name, pattern in leaf_patterns(get_resolver().url_patterns)
]


def refused(response) -> bool:
    """401/403, or redirects that end on the admin's login page."""
    if response.redirect_chain:
        return response.request["PATH_INFO"] == "/admin/login/"
    return response.status_code in (401, 403)


def test_the_walk_finds_the_api_and_the_admin():
    urls = {url for _, url in SERVED}
    assert {"/api/migrations/idempotent/run", "/api/schema/", "/admin/"} <= urls


@pytest.mark.parametrize("name, url", SERVED, ids=[name for name, _ in SERVED])
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_users_are_refused(method, name, url):
    response = getattr(Client(), method)(url, follow=True)
    if name in PUBLIC:
        assert response.status_code == 200 and not response.redirect_chain
    else:
        assert refused(response), (response.status_code, response.redirect_chain)
