"""Fixtures of the change requests: alice asks, bob approves, both through the REST API."""

from __future__ import annotations

import pytest

from migrations_manager.models import APPROVE_PERMISSION, RUN_PERMISSION, VIEW_PERMISSION
from tests.api.conftest import client_as, token_client
from tests.factories import UserFactory

__all__ = ["client_as"]  # the API tests' fixture: a client of a user in a role

REQUESTS = "/api/migrations/requests"
RUN = "/api/migrations/idempotent/run"
REASON = "CHG-12: the users table for the sign-up release"


@pytest.fixture
def always(settings):
    """Every run needs one approval."""
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "APPROVALS": "always"}


@pytest.fixture
def alice(db):
    """May run (so ask for runs) and approve: never her own requests."""
    return UserFactory(
        username="alice", permissions=[VIEW_PERMISSION, RUN_PERMISSION, APPROVE_PERMISSION]
    )


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", permissions=[VIEW_PERMISSION, APPROVE_PERMISSION])


@pytest.fixture
def as_alice(alice):
    return token_client(alice)


@pytest.fixture
def as_bob(bob):
    return token_client(bob)


@pytest.fixture
def two_files(target_db):
    target_db.write("001_users.sql", "CREATE TABLE users (id bigint PRIMARY KEY);")
    target_db.write("002_roles.sql", "CREATE TABLE roles (id bigint PRIMARY KEY);")
    return target_db
