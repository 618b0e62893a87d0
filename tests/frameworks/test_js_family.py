"""The JavaScript family's rules beyond the conformance suite: Prisma attempts and failures,
Knex batches, Kysely's order, Drizzle's newest row, graphile-migrate's chain, the names
MikroORM, db-migrate and TypeORM store, and the refusals that name each framework's command."""

from __future__ import annotations

import hashlib
from pathlib import Path

import psycopg
import pytest

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.exceptions import PlanRefused, UnsupportedMigration
from migrations_manager.frameworks import registry
from migrations_manager.types import TableRef

from .specs import SPECS
from .test_conformance import create, default_table

pytestmark = pytest.mark.django_db

ACTOR = Actor(name="js-family")


def lay_out(target_db, framework: str) -> None:
    """The framework's three conformance migrations, and its table as the framework makes it."""
    spec = SPECS[framework]
    for relative, content in spec.files.items():
        path = Path(target_db.directory, relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    create(target_db, spec, default_table(spec))


def statuses() -> list[tuple[str, str]]:
    return [(m.name, m.state.value) for m in services.status().migrations]


def execute(target_db, statements) -> None:
    with psycopg.connect(target_db.url, autocommit=True) as conn, conn.transaction():
        for statement in statements:
            conn.execute(statement)


# ---- Prisma --------------------------------------------------------------------------------


def prisma_attempt(target_db, name: str, *, finished: bool, rolled_back: bool, logs=None):
    target_db.query(
        "INSERT INTO _prisma_migrations (id, checksum, migration_name, logs, finished_at,"
        " rolled_back_at) VALUES (gen_random_uuid()::text, %s, %s, %s,"
        " CASE WHEN %s THEN now() END, CASE WHEN %s THEN now() END) RETURNING id",
        ("0" * 64, name, logs, finished, rolled_back),
    )


def test_prisma_unfinished_attempt_is_failed_and_rolled_back_one_is_history(target_db):
    lay_out(target_db, "prisma")
    names = SPECS["prisma"].names
    prisma_attempt(target_db, names[0], finished=False, rolled_back=True)
    prisma_attempt(target_db, names[1], finished=False, rolled_back=False, logs="boom")
    report = services.status()
    assert [m.state.value for m in report.migrations] == ["pending", "failed", "pending"]
    assert "P3009" in report.migrations[1].detail and "boom" in report.migrations[1].detail
    with pytest.raises(PlanRefused, match="records 20240101000002_conf_two as failed"):
        services.mark_applied(names[1], actor=ACTOR)


def test_prisma_a_retried_migration_reads_as_its_finished_attempt(target_db):
    lay_out(target_db, "prisma")
    names = SPECS["prisma"].names
    prisma_attempt(target_db, names[0], finished=False, rolled_back=True)
    services.mark_applied(names[0], actor=ACTOR)
    assert statuses()[0] == (names[0], "applied")
    row = target_db.query(
        "SELECT logs, applied_steps_count, started_at = finished_at, length(id)"
        " FROM _prisma_migrations WHERE rolled_back_at IS NULL"
    )
    assert row == [("", 0, True, 36)]  # the row of `prisma migrate resolve --applied`


def test_prisma_checksum_tolerates_line_endings_like_prisma(target_db):
    lay_out(target_db, "prisma")
    services.mark_applied(SPECS["prisma"].names[0], actor=ACTOR)
    script = Path(target_db.directory, next(iter(SPECS["prisma"].files)))
    script.write_bytes(script.read_bytes().replace(b"\n", b"\r\n"))
    assert statuses()[0][1] == "applied"
    script.write_bytes(b"DROP TABLE everything;\r\n")
    assert statuses()[0][1] == "modified"


# ---- Knex and Kysely -----------------------------------------------------------------------


def test_knex_writes_one_new_batch_for_all_rows_of_a_run_in_file_order(target_db):
    lay_out(target_db, "knex")
    adapter = registry.get("knex")
    migrations = adapter.discover(services.migrations_directory())
    table = default_table(SPECS["knex"])
    execute(target_db, adapter.record(table, migrations[:1]))
    execute(target_db, adapter.record(table, migrations[1:]))
    rows = target_db.query("SELECT name, batch FROM knex_migrations ORDER BY id")
    assert rows == [(m.name, batch) for m, batch in zip(migrations, (1, 2, 2), strict=True)]


def test_knex_creates_its_lock_table_with_the_unlocked_row(target_db):
    (target_db.directory / "20240101000001_a.js").write_text("exports.up = () => {};\n")
    services.mark_applied("20240101000001_a.js", actor=ACTOR, framework="knex")
    assert target_db.query("SELECT index, is_locked FROM knex_migrations_lock") == [(1, 0)]


def test_kysely_timestamps_never_go_back_so_its_order_check_holds(target_db):
    lay_out(target_db, "kysely")
    target_db.query(
        "INSERT INTO kysely_migration VALUES ('001_conf_one', '2999-01-01T00:00:00.000Z')"
        " RETURNING name"
    )
    services.mark_applied(SPECS["kysely"].names[1], actor=ACTOR)
    assert target_db.query('SELECT name, "timestamp" FROM kysely_migration ORDER BY name') == [
        ("001_conf_one", "2999-01-01T00:00:00.000Z"),
        ("002_conf_two", "2999-01-01T00:00:00.000Z"),  # ties are ordered by name
    ]


@pytest.mark.parametrize(
    ("framework", "command"),
    [
        ("knex", "knex migrate:latest"),
        ("kysely", "migrateToLatest"),
        ("sequelize", "sequelize-cli db:migrate"),
        ("typeorm", "typeorm migration:run"),
        ("mikro-orm", "mikro-orm migration:up"),
        ("db-migrate", "db-migrate up"),
    ],
)
def test_a_run_of_javascript_migrations_is_refused_naming_the_framework_command(
    target_db, framework, command
):
    lay_out(target_db, framework)
    with pytest.raises(UnsupportedMigration, match=command) as refusal:
        services.run_pending(actor=ACTOR)
    assert refusal.value.names == (SPECS[framework].names[0],)
    assert not target_db.exists("conf_one")


# ---- Drizzle and graphile-migrate ------------------------------------------------------------


def test_drizzle_newest_row_with_null_created_at_means_nothing_applied(target_db):
    lay_out(target_db, "drizzle")
    target_db.query(
        "INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('x', 1704067200001),"
        " ('y', NULL) RETURNING id"
    )
    assert [state for _, state in statuses()] == ["pending"] * 3  # Drizzle would rerun all


def test_drizzle_newest_row_covers_every_older_journal_entry(target_db):
    lay_out(target_db, "drizzle")
    second = hashlib.sha256((target_db.directory / "0001_conf_two.sql").read_bytes()).hexdigest()
    target_db.query(
        "INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES (%s, 1704067200002)"
        " RETURNING id",
        (second,),
    )
    assert [state for _, state in statuses()] == ["applied", "applied", "pending"]


def test_graphile_allow_invalid_hash_file_is_compared_by_its_header(target_db):
    lay_out(target_db, "graphile-migrate")
    first = Path(target_db.directory, next(iter(SPECS["graphile-migrate"].files)))
    header = first.read_text().partition("\n\n")[0]
    # A body that no longer matches its header's hash, explicitly allowed.
    first.write_text(f"{header}\n--! AllowInvalidHash\n\nCREATE TABLE other (id int);\n")
    services.mark_applied(SPECS["graphile-migrate"].names[0], actor=ACTOR)
    stored = target_db.scalar("SELECT hash FROM graphile_migrate.migrations")
    assert stored == header.rpartition("--! Hash: ")[2]
    assert statuses()[0][1] == "applied"


def test_graphile_run_starts_at_the_body_line(target_db):
    lay_out(target_db, "graphile-migrate")
    adapter = registry.get("graphile-migrate")
    migration = adapter.discover(services.migrations_directory())[0]
    section = adapter.up_section(migration)
    assert section.first_line == 4 and section.text == "CREATE TABLE conf_one (id int);\n"


# ---- names as stored -----------------------------------------------------------------------


def test_mikro_orm_reads_names_older_releases_stored_with_extension(target_db):
    lay_out(target_db, "mikro-orm")
    target_db.query(
        "INSERT INTO mikro_orm_migrations (name) VALUES ('Migration20240101000001.ts') RETURNING id"
    )
    assert [state for _, state in statuses()] == ["applied", "pending", "pending"]


def test_db_migrate_reads_the_default_scope_only(target_db):
    lay_out(target_db, "db-migrate")
    target_db.query(
        "INSERT INTO migrations (name, run_on) VALUES ('20240101000001-conf-one', now()),"
        " ('seeds/20240101000002-conf-two', now()) RETURNING id"
    )
    assert [state for _, state in statuses()] == ["applied", "pending", "pending"]


def test_typeorm_skips_files_without_a_timestamped_class(target_db):
    lay_out(target_db, "typeorm")
    (target_db.directory / "helpers.ts").write_text("export class Helper {}\n")
    names = [m.name for m in services.status(framework="typeorm").migrations]
    assert names == list(SPECS["typeorm"].names)


def test_postgres_migrations_refuses_to_mark_a_javascript_migration(target_db):
    lay_out(target_db, "postgres-migrations")
    (target_db.directory / "4_four.js").write_text("module.exports.generateSql = () => '';\n")
    for name in SPECS["postgres-migrations"].names:
        services.mark_applied(name, actor=ACTOR)
    with pytest.raises(UnsupportedMigration, match="generateSql"):
        services.mark_applied("4_four.js", actor=ACTOR)


def test_postgres_migrations_hides_its_own_migration_zero(target_db):
    lay_out(target_db, "postgres-migrations")
    report = services.status()
    assert [m.name for m in report.migrations] == list(SPECS["postgres-migrations"].names)
    assert report.tracking_table == TableRef("public", "migrations")
