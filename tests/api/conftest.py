"""Fixtures of the REST API tests: users by role, authenticated clients, the seed's files."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from migrations_manager.models import MARK_PERMISSION, RUN_PERMISSION, VIEW_PERMISSION
from tests.factories import UserFactory
from tests.utils import Target, is_python_code
from tests.utils import files_opened as every_file_opened

BASE = "/api/migrations/"

# The roles of the permissions matrix: the app's permissions each one holds.
ROLES: dict[str, dict] = {
    "staff": {"permissions": []},
    "viewer": {"permissions": [VIEW_PERMISSION]},
    "runner": {"permissions": [RUN_PERMISSION]},
    "marker": {"permissions": [MARK_PERMISSION]},
    "superuser": {"superuser": True},
}

SEED_FILES = ("001_create-users.sql", "002_add-indexes.sql", "003_create-roles.sql")
EXAMPLES = Path(__file__).resolve().parents[2] / "truss" / "examples"


def token_client(user) -> APIClient:
    """An API client sending ``Authorization: Token <key>`` for ``user``."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def client_as(db) -> Callable[[str], APIClient]:
    """``client_as("viewer")``: a token client of a new user in that role."""

    def make(role: str) -> APIClient:
        return token_client(UserFactory(username=role, **ROLES[role]))

    return make


@pytest.fixture
def api(client_as) -> APIClient:
    """A superuser's token client."""
    return client_as("superuser")


@pytest.fixture
def seed(target_db: Target) -> Target:
    """The seed's three example migrations, all pending."""
    for name in SEED_FILES:
        target_db.write(name, raw=(EXAMPLES / name).read_text())
    return target_db


@pytest.fixture
def target_down(target_db: Target, settings) -> Target:
    """The test's target, with the app's URL pointing at a local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://postgres@127.0.0.1:{port}/truss"
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "DATABASE_URL": url}
    return target_db


@contextmanager
def files_opened() -> Iterator[list[Path]]:
    """Collect the paths Python opens in the block (``open`` audit events), except its own
    installation and modules imported on first use: the files a request made the app read.
    The list is filled when the block ends."""
    opened: list[Path] = []
    with every_file_opened() as everything:
        yield opened
    opened.extend(path for path in everything if not is_python_code(path))
