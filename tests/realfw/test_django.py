"""Interoperability with a real Django project on the same ``django_migrations`` table.

A throwaway project (its own settings, one app ``shop`` with three RunSQL migrations) lives in
the test's migrations directory and runs in a subprocess, so this project's settings are never
involved.
"""

from __future__ import annotations

import sys

import pytest
from psycopg import conninfo

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import UnsupportedMigration
from migrations_manager.frameworks import registry
from migrations_manager.types import TableRef

from .conftest import run_tool

pytestmark = [pytest.mark.django_db, pytest.mark.realfw]

ACTOR = Actor(name="tester")
MIGRATIONS = ("0001_a", "0002_b", "0003_c")

SETTINGS = """\
SECRET_KEY = "throwaway"
INSTALLED_APPS = ["shop"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
DATABASES = {{"default": {{"ENGINE": "django.db.backends.postgresql", **{params!r}}}}}
"""


def migration(index: int) -> str:
    dependencies = f'[("shop", "{MIGRATIONS[index - 1]}")]' if index else "[]"
    table = MIGRATIONS[index][-1]
    return (
        "from django.db import migrations\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    dependencies = {dependencies}\n"
        f'    operations = [migrations.RunSQL("CREATE TABLE {table} (id int)")]\n'
    )


@pytest.fixture
def django_project(target_db):
    """The project, and a function running its ``manage.py`` commands."""
    root = target_db.directory
    params = conninfo.conninfo_to_dict(target_db.url)
    django_params = {
        "NAME": params["dbname"],
        "USER": params.get("user", ""),
        "PASSWORD": params.get("password", ""),
        "HOST": params.get("host", ""),
        "PORT": str(params.get("port", "")),
    }
    (root / "throwaway_settings.py").write_text(SETTINGS.format(params=django_params))
    (root / "shop" / "migrations").mkdir(parents=True)
    (root / "shop" / "__init__.py").write_text("")
    (root / "shop" / "migrations" / "__init__.py").write_text("")
    for index, name in enumerate(MIGRATIONS):
        (root / "shop" / "migrations" / f"{name}.py").write_text(migration(index))

    def manage(*args: str) -> str:
        result = run_tool(
            [sys.executable, "-m", "django", *args],
            cwd=root,
            env={"DJANGO_SETTINGS_MODULE": "throwaway_settings", "PYTHONPATH": str(root)},
        )
        return result.stdout

    return manage


def states() -> list[tuple[str, str]]:
    return [(m.name, m.state.value) for m in services.status().migrations]


def test_django_applies_two_we_mark_the_third_and_django_agrees(target_db, django_project):
    django_project("migrate", "shop", "0002_b")
    assert states() == [
        ("shop.0001_a", "applied"),
        ("shop.0002_b", "applied"),
        ("shop.0003_c", "pending"),
    ]
    assert services.status().framework == "django"

    with pytest.raises(UnsupportedMigration, match="python manage.py migrate"):
        services.run_pending(actor=ACTOR)

    assert services.mark_applied("shop.0003_c", actor=ACTOR).written
    assert "[X] 0003_c" in django_project("showmigrations", "shop")
    assert "No migrations to apply." in django_project("migrate")
    assert not target_db.exists("c")  # marking ran nothing, and neither did Django


def test_marking_before_a_dependency_is_refused_as_django_would(target_db, django_project):
    django_project("migrate", "shop", "0001_a")
    with pytest.raises(Exception, match="0002_b, which is pending"):
        services.mark_applied("shop.0003_c", actor=ACTOR)
    assert states()[2] == ("shop.0003_c", "pending")
    django_project("migrate")  # Django's own consistency check still passes
    assert target_db.exists("c")


def test_our_table_ddl_is_the_one_django_creates(target_db, django_project):
    django_project("migrate", "shop", "0001_a")
    adapter = registry.get("django")
    ours = TableRef("ours", "django_migrations")
    with target_db.connect() as conn:
        conn.execute("CREATE SCHEMA ours")
        for statement in adapter.create_table(ours):
            conn.execute(statement)
    columns = (
        "SELECT column_name, data_type, character_maximum_length, is_nullable, is_identity,"
        " identity_generation FROM information_schema.columns WHERE table_schema = %s"
        " AND table_name = 'django_migrations' ORDER BY ordinal_position"
    )
    assert target_db.query(columns, ("ours",)) == target_db.query(columns, ("public",))


SQUASH = """\
from django.db import migrations


class Migration(migrations.Migration):
    replaces = [("shop", "0001_a"), ("shop", "0002_b")]
    operations = [
        migrations.RunSQL("CREATE TABLE a (id int)"),
        migrations.RunSQL("CREATE TABLE b (id int)"),
    ]
"""


def shown_by_django(django_project) -> list[str]:
    """``showmigrations shop`` as ``[X] name`` lines (Django's own view of the squash)."""
    lines = django_project("showmigrations", "shop").splitlines()
    return [line.strip().split(" (")[0] for line in lines if line.strip().startswith("[")]


def ours() -> list[str]:
    marks = {"applied": "[X]", "pending": "[ ]"}
    return [f"{marks[state]} {name.split('.', 1)[1]}" for name, state in states()]


def test_a_squash_is_listed_as_django_lists_it(target_db, django_project):
    squash = target_db.directory / "shop" / "migrations" / "0001_squashed_0002_b.py"
    django_project("migrate", "shop", "0001_a")  # before the squash existed: partly applied
    squash.write_text(SQUASH)
    assert ours() == shown_by_django(django_project) == ["[X] 0001_a", "[ ] 0002_b", "[ ] 0003_c"]
    django_project("migrate", "shop", "zero", "--fake")  # its rows only: RunSQL has no reverse
    assert ours() == shown_by_django(django_project)  # none applied: the squash stands
    assert ours() == ["[ ] 0001_squashed_0002_b", "[ ] 0003_c"]
    assert services.mark_applied("shop.0001_squashed_0002_b", actor=ACTOR).written
    assert ours() == shown_by_django(django_project) == ["[X] 0001_squashed_0002_b", "[ ] 0003_c"]
    assert services.mark_applied("shop.0003_c", actor=ACTOR).written  # its dependency: the squash
    assert "No migrations to apply." in django_project("migrate")
