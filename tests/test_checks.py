"""System checks: stable ids for a missing or unreachable target and a missing directory."""

from __future__ import annotations

import pytest

from migrations_manager.checks import (
    check_approvals,
    check_directory,
    check_metrics,
    check_target,
)
from migrations_manager.services import approvals


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_no_target_configured(settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "DATABASE_URL": None}
    assert ids(check_target()) == ["migrations_manager.E001"]


def test_unreachable_target(settings):
    settings.MIGRATIONS_MANAGER = {
        **settings.MIGRATIONS_MANAGER,
        "DATABASE_URL": "postgresql://x@127.0.0.1:1/none",
    }
    assert ids(check_target()) == ["migrations_manager.W001"]


def test_reachable_target_and_existing_directory_are_fine(target_db):
    assert check_target() == [] and check_directory() == []


def test_missing_directory(settings, tmp_path):
    settings.MIGRATIONS_MANAGER = {
        **settings.MIGRATIONS_MANAGER,
        "MIGRATIONS_DIR": str(tmp_path / "no"),
    }
    assert ids(check_directory()) == ["migrations_manager.W002"]


def test_open_metrics_are_a_warning_unless_debugging(settings):
    settings.DEBUG = False
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "METRICS_TOKEN": None}
    assert ids(check_metrics()) == ["migrations_manager.W003"]
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "METRICS_TOKEN": "t0ken"}
    assert check_metrics() == []
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "METRICS_TOKEN": None}
    settings.DEBUG = True
    assert check_metrics() == []


@pytest.mark.parametrize("value", [None, "off", "unsafe", "always"])
def test_an_approval_policy_passes(settings, value):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "APPROVALS": value}
    assert check_approvals() == []


def test_a_mistyped_approval_policy_is_an_error_and_asks_approval_for_every_run(settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "APPROVALS": "unsfe"}
    assert ids(check_approvals()) == ["migrations_manager.E003"]
    assert approvals.policy() == "always" and approvals.required([])
