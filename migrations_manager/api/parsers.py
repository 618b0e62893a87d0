"""The request body limit (``MAX_BODY_BYTES``, default 1 MiB): 413 before anything parses it.

Two guards of one limit: the declared ``Content-Length`` is checked before authentication (which
may read a form body for its CSRF token) and before any parser runs; the JSON parser reads at most
one byte more than the limit, which catches a body that declared no length.
"""

from __future__ import annotations

import io
from typing import IO, Any

from django.http import HttpRequest
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from ..conf import app_settings
from .exceptions import LengthRequired, RequestTooLarge


def body_limit() -> int:
    return int(app_settings.MAX_BODY_BYTES)


#: Methods whose request may carry a body.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def check_declared_length(request: HttpRequest) -> None:
    """Raise ``RequestTooLarge`` when the request announces a body over the limit, and
    ``LengthRequired`` when it sends one this server cannot read, which a WSGI server hands
    over as empty: one with a ``Transfer-Encoding`` (chunked, whatever ``Content-Length`` also
    says), or an HTTP/1.0 request without ``Content-Length`` (which HTTP/1.0 requires).

    An HTTP/1.1 request with neither header has no body (RFC 9112, 6.3): that empty body is
    the seed's ``curl -X POST .../run``.
    """
    meta = request.META
    if request.method in BODY_METHODS and (
        meta.get("HTTP_TRANSFER_ENCODING")
        or (meta.get("SERVER_PROTOCOL") == "HTTP/1.0" and not meta.get("CONTENT_LENGTH"))
    ):
        raise LengthRequired()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return  # Django reads an unparsable length as 0 as well
    if declared > body_limit():
        raise RequestTooLarge(body_limit())


class LimitedJSONParser(JSONParser):
    """DRF's JSON parser on at most ``MAX_BODY_BYTES``; nesting too deep is a parse error."""

    def parse(
        self, stream: IO[bytes], media_type: str | None = None, parser_context: Any = None
    ) -> Any:
        limit = body_limit()
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise RequestTooLarge(limit)
        try:
            return super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the document is nested too deeply.") from None
