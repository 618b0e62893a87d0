"""What ``manage.py pgmigrate`` imports: a deploy script calls ``pgmigrate status`` as a process,
and its start-up is mostly imports. A plain ``status`` must not load the safety check, the lint
rules, the executor, the REST API's serializers, Pygments, the admin's pages (they register when
the URLconf loads), the webhooks' sender and its cryptography (loaded by a run) or PyYAML (read
by pgroll's adapter only); ``--json`` loads the serializers (the positive control: the probe sees
what is loaded).

Each case is a fresh interpreter on the project's settings and a real target database.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from migrations_manager import services

ROOT = Path(__file__).resolve().parent.parent

# Loaded only by the subcommands that use them.
HEAVY = (
    "migrations_manager.services.safety",
    "migrations_manager.services.conflicts",
    "migrations_manager.analysis.lint",
    "migrations_manager.executor",
    "migrations_manager.api.serializers",
    "migrations_manager.api.preflight_serializers",
    "rest_framework.serializers",
    "pygments.lexers",
    "migrations_manager.admin",
    "migrations_manager.observability.webhooks",
    "cryptography",
    "yaml",
)

PROBE = """
import json, sys
import django
django.setup()
from django.core.management import call_command
call_command("pgmigrate", *sys.argv[1:])
print(json.dumps(sorted(sys.modules)))
"""


def loaded_by(target, *arguments: str) -> set[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "truss.settings",
        "TRUSS_DATABASE_URL": target.url,
        "TRUSS_MIGRATIONS_DIR": str(target.directory),
        "TRUSS_VAR_DIR": str(target.directory.parent / "var"),
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_status_loads_neither_the_check_nor_the_api_nor_pygments(target_db):
    target_db.write("001_a.sql", "-- Up Migration\nCREATE TABLE a (id int);\n")
    loaded = loaded_by(target_db, "status")
    assert "migrations_manager.services.overview" in loaded
    assert sorted(loaded.intersection(HEAVY)) == []


def test_status_as_json_loads_the_api_serializers(target_db):
    loaded = loaded_by(target_db, "status", "--json")
    assert "migrations_manager.api.serializers" in loaded


def test_the_embedded_server_module_loads_no_driver_until_it_starts_a_server():
    """manage.py imports it on every call, also when TRUSS_DATABASE_URL names the target."""
    probe = "import sys, truss.embedded; print('psycopg' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "False", done.stderr


def test_every_service_name_is_a_function_or_class_even_once_its_module_is_imported():
    """A module named as a name the package exports would replace that name once imported."""
    package = Path(services.__file__).parent
    for module in pkgutil.iter_modules([str(package)]):
        importlib.import_module(f"{services.__name__}.{module.name}")
    for name in services.__all__:
        assert not isinstance(getattr(services, name), ModuleType), name


def test_an_unknown_service_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_service"):
        services.no_such_service  # noqa: B018
