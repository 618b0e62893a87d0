"""Every view the project's URL configuration routes, walked from the resolver: a page or an
endpoint added later is found without touching the suites that walk them."""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils.regex_helper import normalize

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


def url_template(regex: str) -> tuple[str, list[str]]:
    """``("admin/x/%(name)s/mark-applied/", ["name"])``: the URL with a slot per parameter."""
    template, params = normalize(regex)[0]
    return "/" + template, list(params)


def sample_url(regex: str, pattern: URLPattern) -> str:
    """A URL that resolves to ``pattern``, its parameters filled with sample values."""
    template, params = url_template(regex)
    for value in SAMPLE_VALUES:
        url = template % dict.fromkeys(params, value)
        try:
            if resolve(url).func == pattern.callback:
                return url
        except Resolver404:
            continue
    raise AssertionError(f"no sample URL resolves to {regex!r}")


PATTERNS = list(leaf_patterns(get_resolver().url_patterns))
# (namespaced name, a URL that reaches it) of every view.
SERVED = [(name, sample_url(regex, pattern)) for regex, name, pattern in PATTERNS]
