"""Migrations read for analysis: located safely, parsed once, linted with the target's sizes.

Shared by the check, the preview, the lint and the schema detection. A file that does not parse
becomes an ``MM000`` error finding here (nothing will run it), never an exception: the check and
the lint report it among the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from .. import db
from ..analysis.lint import lint
from ..analysis.live import LiveSchema
from ..analysis.locks import LockRequirement, lock_requirements
from ..analysis.names import Target
from ..analysis.plpgsql import do_body_statements
from ..analysis.rules.context import NewObjects
from ..analysis.rules.data import needs_estimate
from ..analysis.statements import Statement, parse_statements
from ..conf import app_settings
from ..exceptions import ConfigurationError, SQLSyntaxError, TargetUnavailable, UnsupportedMigration
from ..frameworks.base import TrackingAdapter
from ..frameworks.detection import DEFAULT_FRAMEWORK, Tracking, adapter_named
from ..introspection import catalog
from ..sources import read_text, runs_outside_transaction, validate_name
from ..types import LintFinding, Migration, Section
from .common import migrations_directory, resolve_tracking

SYNTAX_RULE = "MM000"
SYNTAX_HINT = "PostgreSQL's parser refuses this file: nothing of it can run until it is fixed."


@dataclass(frozen=True)
class Analysed:
    """The SQL of one migration that would run (its up section), parsed. ``opaque``: code this
    tool cannot read before it runs (a ``.cjs`` migration): what it does to the schema is
    unknown."""

    name: str
    source: str
    first_line: int
    in_transaction: bool
    statements: tuple[Statement, ...] = ()
    syntax_error: SQLSyntaxError | None = None
    opaque: bool = False

    def requirements(self) -> Iterator[LockRequirement]:
        for statement in self.statements:
            yield from lock_requirements(statement)


def analyse(name: str, section: Section, *, in_transaction: bool) -> Analysed:
    """The section parsed; a file holding a statement PostgreSQL refuses in a transaction runs
    outside one, as the planner makes it run."""
    try:
        statements = parse_statements(section.text, first_line=section.first_line, name=name)
    except SQLSyntaxError as error:
        return Analysed(name, section.text, section.first_line, in_transaction, (), error)
    wrapped = _wraps_itself(statements)
    if in_transaction and not wrapped and any(s.no_transaction for s in statements):
        in_transaction = False
    return Analysed(name, section.text, section.first_line, in_transaction, tuple(statements))


def _wraps_itself(statements: list[Statement]) -> bool:
    """A file in its own BEGIN … COMMIT: a CONCURRENTLY inside it fails in that transaction."""
    return bool(statements) and statements[0].facts.transaction_control in ("begin", "start")


def analyse_file(
    adapter: TrackingAdapter, path: Path, migration: Migration | None
) -> Analysed | None:
    """The up section of a migration (the whole text of another ``.sql`` file), analysed; None
    for files this tool does not execute (``.cjs``, ``.js``).

    Whether it runs in a transaction is the adapter's answer (goose, Tern, SQLx, Diesel and
    Atlas have markers of their own), as for the run itself."""
    if migration is None:
        if path.suffix.lower() != ".sql":
            return None
        text = read_text(path)
        return analyse(
            path.name, Section(text, 1), in_transaction=not runs_outside_transaction(text)
        )
    try:
        section = adapter.up_section(migration)
        in_transaction = not adapter.runs_outside_transaction(migration)
    except UnsupportedMigration:  # a run refuses it, naming why
        return None
    return analyse(migration.name, section, in_transaction=in_transaction)


def locate(adapter: TrackingAdapter, name: str) -> tuple[Path, Migration | None]:
    """The file called ``name``: one of the framework's migrations, or else another file directly
    inside the migrations directory (a golang-migrate down file...), by the safe lookup only.

    Raises:
        InvalidMigrationName / MigrationNotFound: never a file outside the directory.
    """
    validate_name(name, extensions=())
    directory = migrations_directory()
    for migration in adapter.discover(directory):
        if migration.name == name:
            return migration.path, migration
    return directory.lookup(name), None


# ---- the target, when there is one --------------------------------------------------------------


@dataclass(frozen=True)
class Workspace:
    """What analysis knows of the target: nothing (``conn`` None) when it cannot be reached."""

    adapter: TrackingAdapter
    conn: psycopg.Connection | None = None
    info: catalog.ServerInfo | None = None
    tracking: Tracking | None = None

    @property
    def server_version(self) -> int | None:
        return self.info.server_version_num if self.info else None


@contextmanager
def workspace(framework: str | None, *, offline_ok: bool, suffix: str) -> Iterator[Workspace]:
    """A read-only session on the target and its tracking table.

    With ``offline_ok``, an unreachable or unconfigured target gives a workspace without a
    connection (the pinned framework's adapter, or the default one) instead of an error.
    """
    try:
        conn = db.connect(read_only=True, application_suffix=suffix)
    except (TargetUnavailable, ConfigurationError):
        if not offline_ok:
            raise
        yield Workspace(adapter_named(framework or app_settings.FRAMEWORK or DEFAULT_FRAMEWORK))
        return
    try:
        info = catalog.server_info(conn)
        tracking = resolve_tracking(conn, framework=framework, info=info)
        yield Workspace(tracking.adapter, conn, info, tracking)
    finally:
        conn.close()


def relation_names(analysed: Iterable[Analysed]) -> dict[str, Target]:
    """Every relation the statements lock, those inside DO blocks too (the lint weighs them),
    by its name as written (quoted where needed)."""
    return {
        requirement.qualified_name: (requirement.schema, requirement.table)
        for item in analysed
        for statement in item.statements
        for inner in (statement, *do_body_statements(statement))
        for requirement in lock_requirements(inner)
    }


@dataclass(frozen=True)
class CatalogTables:
    """What the catalog says of the relations a plan names: estimated rows and shapes."""

    sizes: dict[Target, int | None]
    shapes: dict[Target, catalog.TableShape]


def catalog_tables(conn: psycopg.Connection | None, names: Mapping[str, Target]) -> CatalogTables:
    """Sizes and shapes of the relations ``names`` designate, in one query (empty offline)."""
    if conn is None or not names:
        return CatalogTables({}, {})
    found = catalog.relation_sizes(conn, names)
    known = {target: found[name] for name, target in names.items() if name in found}
    return CatalogTables(
        {target: size.estimated_rows for target, size in known.items()},
        {target: size.shape for target, size in known.items()},
    )


# At most this many UPDATE / DELETE statements are planned by the target for one lint.
MAX_PLANNED = 100


def planned_rows(conn: psycopg.Connection | None, analysed: Iterable[Analysed]) -> dict[str, int]:
    """The target's planner's row estimates of the plan's UPDATE / DELETE ... WHERE statements,
    by statement text (``{}`` offline); none is executed."""
    texts = list(
        dict.fromkeys(
            statement.text
            for item in analysed
            for statement in item.statements
            if needs_estimate(statement)
        )
    )[:MAX_PLANNED]
    if conn is None or not texts:
        return {}
    estimates = catalog.planned_rows(conn, texts)
    return {text: rows for text, rows in zip(texts, estimates, strict=True) if rows is not None}


def lint_findings(
    analysed: Iterable[Analysed],
    *,
    table_sizes: Mapping[Target, int | None] | None = None,
    server_version: int | None = None,
    tables: Mapping[Target, catalog.TableShape] | None = None,
    planned: Mapping[str, int] | None = None,
) -> list[LintFinding]:
    """The findings of every file, in file order then line order; MM000 for a syntax error.

    The files are one plan: what an earlier file creates is new for the later ones (an index on
    a table the plan creates locks nobody out), and what it changes is no longer what the
    catalog (``tables``) says.
    """
    found: list[LintFinding] = []
    created: NewObjects = {}
    live = LiveSchema(tables)
    for item in analysed:
        if item.syntax_error is not None:
            found.append(_syntax_finding(item.name, item.syntax_error))
            continue
        findings = lint(
            item.statements,
            in_transaction=item.in_transaction,
            server_version=server_version,
            table_sizes=table_sizes,
            source=item.source,
            first_line=item.first_line,
            created=created,
            live=live,
            planned=planned,
        )
        found.extend(
            LintFinding(item.name, f.line, f.rule, str(f.severity), f.message, f.hint, f.statement)
            for f in findings
        )
    return found


def _syntax_finding(name: str, error: SQLSyntaxError) -> LintFinding:
    message = f"Syntax error at line {error.line}, column {error.column}: {error.parser_message}"
    return LintFinding(name, error.line, SYNTAX_RULE, "error", message, SYNTAX_HINT)
