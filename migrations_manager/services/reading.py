"""Preview and lint: what a migration file says, what would run, and what is risky in it.

Both read files only through the safe lookup (the active framework's migrations, else a plain file
directly inside the directory). They use the target when it answers (which framework's layout,
the server version, real table sizes) and still work without it: a preview in the admin while the
database is down, or ``pgmigrate lint FILE`` in a CI job that has no database.
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import highlight as highlighting
from ..exceptions import MigrationFailed, UnsupportedMigration, UsageError
from ..sources import read_text
from ..types import LintFinding, LintReport, Migration, Preview, Section
from .cjs import cjs_sql
from .common import status_of
from .inspection import (
    Analysed,
    Workspace,
    analyse_file,
    catalog_tables,
    lint_findings,
    locate,
    planned_rows,
    relation_names,
    workspace,
)


def preview(
    name: str,
    *,
    highlight: bool = False,
    framework: str | None = None,
    run_code: bool = False,
) -> Preview:
    """A migration file's content, line count, up / down sections and lint findings; for a
    node-pg-migrate ``.cjs`` / ``.js`` file, with ``run_code``, the SQL of its dry run.

    Args:
        name: a file name directly inside the migrations directory (never a path).
        highlight: add ``html``, the content highlighted by Pygments with line numbers.
        framework: read the file as this framework's migration (default: the one in use).
        run_code: the caller may run migrations: a ``.cjs`` file's function may then run, on a
            read-only session, to build its SQL. Without it, no code of the file ever runs
            (a user who may only read sees its source).

    Raises:
        InvalidMigrationName / MigrationNotFound: the name is malformed / names no file.
    """
    with workspace(framework, offline_ok=True, suffix=":preview") as space:
        path, migration = locate(space.adapter, name)
        content = read_text(path)
        up, down = _sections(space, migration) if migration is not None else (None, None)
        analysed = [item for item in (analyse_file(space.adapter, path, migration),) if item]
        findings = _lint(space, analysed)
        executed = migration is not None and _node_executes(space, path.name)
        dry_run = _node_dry_run(space, path.name) if executed and run_code else None
    return Preview(
        filename=path.name,
        content=content,
        lines=count_lines(content),
        up=up.text if up else None,
        down=down.text if down else None,
        up_lines=_lines_of(up, content),
        down_lines=_lines_of(down, content),
        sql=dry_run,
        html=highlighting.html(content, path.name) if highlight else None,
        lint=tuple(findings),
        sql_withheld=executed and not run_code,
    )


def lint(names: Sequence[str] | None = None, *, framework: str | None = None) -> LintReport:
    """The lint findings of the given files, or of the pending migrations.

    Without ``names`` the target must answer (only the tracking table knows what is pending);
    with names, an unreachable target only means no table sizes and no server version.

    Raises:
        InvalidMigrationName / MigrationNotFound: a name is malformed / names no file.
        UsageError: a name is listed twice.
    """
    if names is not None and len(set(names)) != len(names):
        raise UsageError("A file is listed more than once.")
    with workspace(framework, offline_ok=names is not None, suffix=":lint") as space:
        if names is None:
            assert space.conn is not None and space.tracking is not None
            pending = status_of(space.conn, space.tracking).pending
            chosen = [(status.migration.path, status.migration) for status in pending]
        else:
            chosen = [locate(space.adapter, name) for name in names]
        found = [analyse_file(space.adapter, path, migration) for path, migration in chosen]
        findings = _lint(space, [item for item in found if item is not None])
    return LintReport(tuple(path.name for path, _ in chosen), tuple(findings))


def count_lines(text: str) -> int:
    """Lines as an editor numbers them: ``"a\\nb"`` and ``"a\\nb\\n"`` have 2; ``""`` has 0."""
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


def _sections(space: Workspace, migration: Migration) -> tuple[Section | None, Section | None]:
    """The SQL the framework runs up and down, when it is SQL this tool reads."""
    try:
        return space.adapter.up_section(migration), space.adapter.down_section(migration)
    except UnsupportedMigration:
        return None, None


def _lines_of(section: Section | None, content: str) -> tuple[int, int] | None:
    """The first and last line of ``content`` that ``section`` is, when it is that text at its
    ``first_line`` (a section read from another file, a ``.down.sql``, is not)."""
    if section is None:
        return None
    lines = section.text.splitlines()
    first = section.first_line
    if lines and content.splitlines()[first - 1 : first - 1 + len(lines)] == lines:
        return first, first + len(lines) - 1
    return None


def _node_executes(space: Workspace, name: str) -> bool:
    return bool(space.adapter.cli_extensions) and name.lower().endswith(
        space.adapter.cli_extensions
    )


def _node_dry_run(space: Workspace, name: str) -> str | None:
    """node-pg-migrate's dry run of a ``.cjs`` / ``.js`` migration, where it can run."""
    if space.conn is None:
        return None
    try:
        return cjs_sql(name)
    except (UnsupportedMigration, MigrationFailed):
        return None


def _lint(space: Workspace, analysed: Sequence[Analysed]) -> list[LintFinding]:
    tables = catalog_tables(space.conn, relation_names(analysed))
    return lint_findings(
        analysed,
        table_sizes=tables.sizes,
        server_version=space.server_version,
        tables=tables.shapes,
        planned=planned_rows(space.conn, analysed),
    )
