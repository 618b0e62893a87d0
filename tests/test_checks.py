"""System checks: stable ids for a missing or unreachable target and a missing directory."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks

from migrations_manager.checks import (
    check_approvals,
    check_directory,
    check_metrics,
    check_target,
    check_target_answers,
)
from migrations_manager.services import approvals

UNREACHABLE = "postgresql://x@127.0.0.1:1/none"


def ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_no_target_configured(settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "DATABASE_URL": None}
    assert ids(check_target()) == ["migrations_manager.E001"]


def test_unreachable_target(settings):
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "DATABASE_URL": UNREACHABLE}
    assert check_target() == []
    assert ids(check_target_answers(databases=["default"])) == ["migrations_manager.W001"]


@pytest.mark.django_db  # Django's own database checks read the default database
def test_the_target_is_reached_only_by_the_database_checks(settings):
    """Every management command runs the checks without ``databases``: none of them connects
    to the target; ``check --database`` (and ``migrate``) do."""
    settings.MIGRATIONS_MANAGER = {**settings.MIGRATIONS_MANAGER, "DATABASE_URL": UNREACHABLE}
    assert "migrations_manager.W001" not in ids(run_checks())
    assert "migrations_manager.W001" in ids(run_checks(databases=["default"]))


def test_reachable_target_and_existing_directory_are_fine(target_db):
    assert check_target() == [] and check_directory() == []
    assert check_target_answers(databases=["default"]) == []


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
