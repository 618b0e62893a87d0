"""One conformance suite for every tracking-table adapter in the registry.

Each adapter is run against its framework's exact DDL (``specs``): absent table, detection by
name and columns, empty table, the rows the framework writes, the rows we write, a non-default
schema, a renamed table, the framework's own checksum, and a run of its SQL migrations.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from migrations_manager import services
from migrations_manager.audit import Actor
from migrations_manager.frameworks import detection, registry
from migrations_manager.types import TableRef

from .specs import SPECS, Spec

pytestmark = pytest.mark.django_db

ACTOR = Actor(name="conformance")
ADAPTERS = registry.names()


@pytest.fixture(params=ADAPTERS)
def spec(request, target_db) -> Spec:
    """The spec of one adapter, with its migration files laid into the test's directory."""
    name = request.param
    if name not in SPECS:
        pytest.fail(f"The {name} adapter has no conformance spec in tests/frameworks/specs.")
    spec = SPECS[name]
    for relative, content in spec.files.items():
        path = Path(target_db.directory, relative)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return spec


def create(target_db, spec: Spec, table: TableRef, templates: tuple[str, ...] | None = None):
    with psycopg.connect(target_db.url, autocommit=True) as conn:
        if table.schema != "public":
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{table.schema}"')
        for statement in spec.render(templates or spec.ddl, table):
            conn.execute(statement)


def default_table(spec: Spec) -> TableRef:
    return TableRef(spec.schema, spec.table)


def states(framework: str | None = None) -> list[tuple[str, str]]:
    return [(m.name, m.state.value) for m in services.status(framework=framework).migrations]


def pin(settings, spec: Spec, table: TableRef) -> None:
    settings.MIGRATIONS_MANAGER = {
        **settings.MIGRATIONS_MANAGER,
        "FRAMEWORK": spec.framework,
        "TRACKING_TABLE": str(table),
    }


def test_discovery_gives_names_and_stored_identifiers(spec):
    adapter = registry.get(spec.framework)
    migrations = adapter.discover(services.migrations_directory())
    assert [m.name for m in migrations] == list(spec.names)
    assert [m.identifier for m in migrations] == list(spec.identifiers)


def test_absent_table_reads_as_nothing_applied_and_is_not_detected(spec, target_db):
    with psycopg.connect(target_db.url) as conn:
        assert detection.detect(conn) == []
    report = services.status(framework=spec.framework)
    assert [m.state.value for m in report.migrations] == ["pending"] * 3
    assert not target_db.exists(str(default_table(spec)))


def test_table_is_detected_as_this_framework_by_name_and_columns(spec, target_db):
    create(target_db, spec, default_table(spec))
    with psycopg.connect(target_db.url) as conn:
        candidates = detection.detect(conn)
    best = [c for c in candidates if c.score == candidates[0].score]
    assert [c.detected.framework for c in best] == [spec.framework]
    assert best[0].detected.ref == default_table(spec)
    report = services.status()
    assert report.framework == spec.framework and report.tracking_table == default_table(spec)


def test_empty_table_means_everything_pending(spec, target_db):
    create(target_db, spec, default_table(spec))
    assert [state for _, state in states()] == ["pending"] * 3


def test_rows_the_framework_writes_read_as_applied(spec, target_db):
    create(target_db, spec, default_table(spec))
    create(target_db, spec, default_table(spec), spec.native_row)
    assert states() == [
        (spec.names[0], "applied"),
        (spec.names[1], "pending"),
        (spec.names[2], "pending"),
    ]


def test_rows_we_write_read_back_as_applied_in_order(spec, target_db):
    create(target_db, spec, default_table(spec))
    for name in spec.names[:2]:
        result = services.mark_applied(name, actor=ACTOR)
        assert result.ok and result.written and result.framework == spec.framework
    again = services.mark_applied(spec.names[0], actor=ACTOR)
    assert again.ok and not again.written and "already recorded" in again.message
    assert states() == [
        (spec.names[0], "applied"),
        (spec.names[1], "applied"),
        (spec.names[2], "pending"),
    ]
    assert not target_db.exists(spec.creates[0])  # marking runs nothing


def test_marking_out_of_order_follows_the_framework(spec, target_db):
    create(target_db, spec, default_table(spec))
    adapter = registry.get(spec.framework)
    if adapter.in_order_only:
        with pytest.raises(Exception, match="in order|single current version|pending"):
            services.mark_applied(spec.names[2], actor=ACTOR)
        assert [state for _, state in states()] == ["pending"] * 3
    else:
        services.mark_applied(spec.names[2], actor=ACTOR)
        assert [state for _, state in states()] == ["pending", "pending", "applied"]


def test_non_default_schema(spec, target_db):
    adapter = registry.get(spec.framework)
    if adapter.only_schemas:
        pytest.skip(f"{adapter.label} keeps its table only in {', '.join(adapter.only_schemas)}")
    table = TableRef("tracking_elsewhere", default_table(spec).name)
    create(target_db, spec, table)
    create(target_db, spec, table, spec.native_row)
    report = services.status()
    assert (report.framework, report.tracking_table) == (spec.framework, table)
    services.mark_applied(spec.names[1], actor=ACTOR)
    assert [state for _, state in states()] == ["applied", "applied", "pending"]


def test_renamed_table_when_pinned(spec, target_db, settings):
    table = TableRef("public", "renamed_history")
    create(target_db, spec, table)
    create(target_db, spec, table, spec.native_row)
    pin(settings, spec, table)
    report = services.status()
    assert (report.framework, report.tracking_table) == (spec.framework, table)
    assert [m.state.value for m in report.migrations] == ["applied", "pending", "pending"]
    services.mark_applied(spec.names[1], actor=ACTOR)
    assert [state for _, state in states()] == ["applied", "applied", "pending"]


def test_modified_comes_from_the_framework_checksum(spec, target_db):
    adapter = registry.get(spec.framework)
    migration = adapter.discover(services.migrations_directory())[0]
    assert (adapter.checksum(migration) is not None) is spec.has_checksum
    create(target_db, spec, default_table(spec))
    create(target_db, spec, default_table(spec), spec.native_row)
    report = services.status()
    assert report.migrations[0].state.value == "applied"
    migration.path.write_text(migration.path.read_text() + "-- edited\n")
    expected = "modified" if spec.has_checksum else "applied"
    assert states()[0] == (spec.names[0], expected)


def test_run_applies_pending_in_one_transaction_with_native_rows(spec, target_db):
    if not spec.runnable:
        pytest.skip(f"{spec.framework} migrations are not SQL files this tool executes")
    create(target_db, spec, default_table(spec))
    report = services.run_pending(actor=ACTOR)
    assert report.ok and [r.name for r in report.completed] == list(spec.names)
    assert all(target_db.exists(table) for table in spec.creates)
    assert [state for _, state in states()] == ["applied"] * 3


def test_failed_run_leaves_nothing_and_records_nothing(spec, target_db):
    if not spec.runnable:
        pytest.skip(f"{spec.framework} migrations are not SQL files this tool executes")
    create(target_db, spec, default_table(spec))
    last = Path(target_db.directory, list(spec.files)[spec_index_of(spec, spec.names[2])])
    last.write_text(last.read_text().replace("CREATE TABLE", "CREATE TABLE nonexistent_schema."))
    report = services.run_pending(actor=ACTOR)
    assert not report.ok and report.failure.name == spec.names[2]
    assert report.failure.sqlstate == "3F000"
    assert not any(target_db.exists(table) for table in spec.creates)
    assert [state for _, state in states()] == ["pending"] * 3


def spec_index_of(spec: Spec, name: str) -> int:
    """Index in ``spec.files`` of the file that discovery calls ``name``."""
    if spec.migration_files:
        return list(spec.files).index(spec.migration_files[spec.names.index(name)])
    for index, relative in enumerate(spec.files):
        if Path(relative).name == name or Path(relative).parent.name == name:
            return index
    raise AssertionError(f"{name} is not among the spec's files")
