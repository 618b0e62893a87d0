"""Rules of the code-migration frameworks (Django, Rails, Laravel, Phinx, Doctrine, EF Core) and
of yoyo's dependencies, beyond the conformance suite."""

from __future__ import annotations

import pytest

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import UnsupportedMigration
from migrations_manager.frameworks import detection, registry
from migrations_manager.types import TableRef

from .specs import SPECS
from .test_conformance import create, default_table

pytestmark = pytest.mark.django_db

ACTOR = Actor(name="tester")


def lay_out(target_db, framework: str) -> None:
    for relative, content in SPECS[framework].files.items():
        path = target_db.directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


def discovered(framework: str):
    return registry.get(framework).discover(services.migrations_directory())


@pytest.mark.parametrize(
    ("framework", "command"),
    [
        ("rails", "bin/rails db:migrate"),
        ("laravel", "php artisan migrate"),
        ("phinx", "vendor/bin/phinx migrate"),
        ("doctrine", "vendor/bin/doctrine-migrations migrate"),
        ("efcore", "dotnet ef database update"),
        ("django", "python manage.py migrate"),
        ("alembic", "alembic upgrade head"),
    ],
)
def test_code_migrations_are_refused_naming_the_framework_command(target_db, framework, command):
    lay_out(target_db, framework)
    spec = SPECS[framework]
    create(target_db, spec, default_table(spec))
    with pytest.raises(UnsupportedMigration, match=command) as refused:
        services.run_pending(actor=ACTOR)
    assert refused.value.names == (spec.names[0],)
    assert not target_db.exists("conf_one")  # refused before anything ran


def test_laravel_writes_one_batch_number_for_the_whole_run(target_db):
    lay_out(target_db, "laravel")
    spec = SPECS["laravel"]
    table = default_table(spec)
    create(target_db, spec, table)
    target_db.connect().execute("INSERT INTO migrations (migration, batch) VALUES ('old', 3)")
    statements = registry.get("laravel").record(table, discovered("laravel")[:2])
    conn = target_db.connect()
    for statement in statements:
        conn.execute(statement)
    assert target_db.query("SELECT migration, batch FROM migrations ORDER BY id") == [
        ("old", 3),
        (spec.identifiers[0], 4),
        (spec.identifiers[1], 4),
    ]


def test_php_class_names_follow_phinx_and_doctrine(target_db):
    lay_out(target_db, "phinx")
    (target_db.directory / "migrations").mkdir()
    (target_db.directory / "migrations" / "Version20240505.php").write_text(
        "<?php\n\nnamespace App\\Migrations;\n\nfinal class Version20240505 {}\n"
    )
    phinx = registry.get("phinx")
    assert [phinx.class_name(m.path) for m in discovered("phinx")] == [
        "ConfOne",
        "ConfTwo",
        "ConfThree",
    ]
    assert [m.identifier for m in discovered("doctrine")] == ["App\\Migrations\\Version20240505"]


def test_ef_core_product_version_from_the_designer_else_the_newest_row(target_db):
    lay_out(target_db, "efcore")
    spec = SPECS["efcore"]
    create(target_db, spec, default_table(spec))
    services.mark_applied(spec.names[0], actor=ACTOR)
    designer = target_db.directory / "Migrations" / f"{spec.identifiers[1]}.Designer.cs"
    designer.unlink()
    services.mark_applied(spec.names[1], actor=ACTOR)
    rows = target_db.query(
        'SELECT "MigrationId", "ProductVersion" FROM "__EFMigrationsHistory" ORDER BY 1'
    )
    assert rows == [(spec.identifiers[0], "8.0.4"), (spec.identifiers[1], "8.0.4")]


def test_rails_needs_its_metadata_sibling_to_be_told_from_dbmate(target_db):
    spec = SPECS["rails"]
    create(target_db, spec, default_table(spec), spec.ddl[:1])  # no ar_internal_metadata
    with target_db.connect() as conn:
        assert "rails" not in {c.detected.framework for c in detection.detect(conn)}


def test_django_app_label_from_apps_py_and_squashed_migrations(target_db):
    lay_out(target_db, "django")
    shop = target_db.directory / "shop"
    (shop / "apps.py").write_text(
        "from django.apps import AppConfig\n\n\nclass ShopConfig(AppConfig):\n"
        '    name = "shop"\n    label = "store"\n'
    )
    (shop / "migrations" / "0001_squashed_0002_conf_two.py").write_text(
        "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
        '    replaces = [("store", "0001_conf_one"), ("store", "0002_conf_two")]\n'
    )
    spec = SPECS["django"]
    create(target_db, spec, default_table(spec))
    conn = target_db.connect()
    conn.execute(
        "INSERT INTO django_migrations (app, name, applied) VALUES"
        " ('store', '0001_conf_one', now()), ('store', '0002_conf_two', now())"
    )
    by_name = {m.name: m.state.value for m in services.status().migrations}
    assert by_name["store.0001_squashed_0002_conf_two"] == "applied"  # all it replaces are
    assert by_name["store.0003_conf_three"] == "pending"
    conn.execute("DELETE FROM django_migrations")
    services.mark_applied("store.0001_squashed_0002_conf_two", actor=ACTOR)
    assert target_db.query("SELECT name FROM django_migrations ORDER BY id") == [
        ("0001_conf_one",),
        ("0002_conf_two",),
        ("0001_squashed_0002_conf_two",),
    ]


def test_yoyo_runs_dependencies_first(target_db):
    (target_db.directory / "0001_b.sql").write_text("-- depends: 0002_a\nSELECT 1 FROM a;\n")
    (target_db.directory / "0002_a.sql").write_text("CREATE TABLE a (id int);\n")
    assert [m.identifier for m in discovered("yoyo")] == ["0002_a", "0001_b"]
    spec = SPECS["yoyo"]
    create(target_db, spec, TableRef("public", spec.table))
    assert services.run_pending(actor=ACTOR).ok
