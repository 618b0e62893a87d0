"""The answer to a path under the API that names no endpoint: a JSON 404, like every other
error of the API, rather than Django's HTML page (a client parsing JSON would choke on it).

The app's ``urls`` end with it; a project mounting the API adds it under its own API prefix::

    re_path(r"^api/", UnknownEndpoint.as_view()),
"""

from __future__ import annotations

from typing import Any

from django.urls import Resolver404, resolve
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView


@extend_schema(exclude=True)
class UnknownEndpoint(APIView):
    """Every method of every unknown path: 404, whoever asks (nothing is there to protect)."""

    authentication_classes = ()
    permission_classes = ()
    renderer_classes = (JSONRenderer,)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # content negotiation, for the error's body
        raise NotFound(not_found_message(request))


def not_found_message(request: Request) -> str:
    """The sentence of the 404; it names the endpoint a trailing slash hid."""
    message = f"No API endpoint at {request.path}."
    stripped = request.path_info.rstrip("/")
    if stripped != request.path_info and _is_endpoint(stripped, request):
        message += f" The API's paths have no trailing slash: {request.path.rstrip('/')}."
    return message


def _is_endpoint(path_info: str, request: Request) -> bool:
    try:
        match = resolve(path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return False
    return getattr(match.func, "view_class", None) is not UnknownEndpoint
