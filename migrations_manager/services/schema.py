"""Schema detection: does the target already have what a migration creates, and in that shape?

The SQL is parsed first (a syntax error is reported before anything is sent to the server); the
objects it creates are named as PostgreSQL would name them (unqualified names land in the first
schema of the target's ``search_path``, functions are told apart by their argument types); then
ONE catalog query answers for all of them, however many statements there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import psycopg

from .. import db
from ..analysis.datachanges import DataChange, data_changes
from ..analysis.names import target_name
from ..analysis.objects import CreatedObject, ObjectType, created_objects
from ..analysis.statements import Statement, parse_statements
from ..conf import app_settings
from ..exceptions import BodyTooLarge, UsageError
from ..introspection import catalog, existence
from ..introspection.existence import Probe, ProbeKind
from ..sources import read_text
from ..types import SchemaFinding, SchemaReport, Section
from .inspection import locate, workspace
from .shapes import compare, constraint_text

NO_DDL = (
    "No DDL found: the SQL creates no table, index, function, type or other object to look for."
)
ALL_EXIST = "All DDL objects already exist. Safe to mark as applied without re-running."
DATA_CHANGES = (
    "contains data changes ({changes}): objects exist, but this tool cannot tell whether the "
    "data was changed"
)
SOME_EXIST = "Some objects already exist. Review carefully before running or marking as applied."
NONE_EXIST = "No existing objects detected. Safe to run this migration."
EITHER_SQL_OR_MIGRATION = 'Give either the SQL ("sql") or a migration file name ("migration").'

_TABLE_PARTS = (ObjectType.COLUMN, ObjectType.CONSTRAINT)
_RELATIONS = (
    ObjectType.TABLE,
    ObjectType.VIEW,
    ObjectType.MATERIALIZED_VIEW,
    ObjectType.SEQUENCE,
)


def detect_schema(
    *, sql: str | None = None, migration: str | None = None, framework: str | None = None
) -> SchemaReport:
    """Which of the objects ``sql`` (or the up section of ``migration``) creates already exist.

    Raises:
        UsageError: neither or both of ``sql`` and ``migration``.
        BodyTooLarge: ``sql`` is longer than the ``MAX_BODY_BYTES`` setting.
        SQLSyntaxError: the SQL does not parse (with the parser's message and line).
        InvalidMigrationName / MigrationNotFound: ``migration`` names no migration file.
    """
    if (sql is None) == (migration is None):
        raise UsageError(EITHER_SQL_OR_MIGRATION)
    if sql is not None:
        statements = parse_statements(_within_limit(sql))
        with db.connection(read_only=True, application_suffix=":detect") as conn:
            return existing_objects(conn, statements)
    with workspace(framework, offline_ok=False, suffix=":detect") as space:
        assert space.conn is not None and space.info is not None
        path, found = locate(space.adapter, migration)
        section = space.adapter.up_section(found) if found else Section(read_text(path), 1)
        statements = parse_statements(section.text, first_line=section.first_line, name=path.name)
        return existing_objects(space.conn, statements, space.info)


def existing_objects(
    conn: psycopg.Connection,
    statements: Sequence[Statement],
    info: catalog.ServerInfo | None = None,
) -> SchemaReport:
    """The report for parsed ``statements``: one query for the search_path (unless ``info`` is
    given), one for every object, none at all when nothing is created."""
    objects = created_objects(statements)
    changes = data_changes(statements)
    if not objects:
        return report((), changes)
    schema = (info or catalog.server_info(conn)).current_schema
    subjects = _subjects([item.resolved(schema) if schema else item for item in objects])
    answers = existence.probe(conn, [_probe(subject.object) for subject in subjects])
    findings = [
        _finding(item, answer, schema) for item, answer in zip(subjects, answers, strict=True)
    ]
    return report(findings, changes)


def report(findings: Sequence[SchemaFinding], changes: Sequence[DataChange] = ()) -> SchemaReport:
    """The two flags and the recommendation sentence that ``findings`` call for: never "safe"
    to mark as applied when the SQL also ``changes`` what the catalog cannot show."""
    if not findings:
        return SchemaReport((), False, False, NO_DDL, tuple(changes))
    every = all(item.exists and not item.differs for item in findings)
    some = any(item.exists for item in findings)
    recommendation = ALL_EXIST if every else SOME_EXIST if some else NONE_EXIST
    if every and changes:
        recommendation = DATA_CHANGES.format(changes="; ".join(c.text for c in changes))
    return SchemaReport(tuple(findings), every, some, recommendation, tuple(changes))


def _within_limit(text: str) -> str:
    # Counted before anything reads the text, whatever it holds (the parser refuses what
    # PostgreSQL could never receive, lone surrogates included).
    size = len(text.encode("utf-8", "surrogatepass"))
    limit = int(app_settings.MAX_BODY_BYTES)
    if size > limit:
        raise BodyTooLarge(size=size, limit=limit)
    return text


@dataclass
class _Subject:
    """An object to look for, with the columns and constraints of a table the SQL creates
    (they are part of that table's shape rather than findings of their own)."""

    object: CreatedObject
    parts: list[CreatedObject] = field(default_factory=list)


def _subjects(objects: Sequence[CreatedObject]) -> list[_Subject]:
    subjects: list[_Subject] = []
    tables: dict[tuple[str | None, str | None], _Subject] = {}
    seen: set[tuple] = set()
    for item in objects:
        if item.type is ObjectType.CONSTRAINT and item.kind == "not null":
            continue  # named NOT NULL constraints reach the catalog only from PostgreSQL 18
        if item.type in _TABLE_PARTS and (item.schema, item.table) in tables:
            tables[(item.schema, item.table)].parts.append(item)
            continue
        shape = (item.kind, item.columns) if item.type is ObjectType.CONSTRAINT else None
        key = (item.type, item.qualified_name, item.signature, item.table, item.index, shape)
        if key in seen:
            continue
        seen.add(key)
        subjects.append(_Subject(item))
        if item.type is ObjectType.TABLE:
            tables[(item.schema, item.name)] = subjects[-1]
    return subjects


def _probe(item: CreatedObject) -> Probe:
    name = item.qualified_name or ""
    if item.type in _RELATIONS:
        return Probe(ProbeKind.RELATION, name)
    if item.type is ObjectType.INDEX:
        kind = ProbeKind.RELATION if item.name else ProbeKind.INDEXES
        return Probe(kind, name, item.table_qualified_name)
    if item.type is ObjectType.CONSTRAINT and item.name is None:  # known by its table's shape
        return Probe(ProbeKind.RELATION, item.table_qualified_name or "")
    if item.type in (ObjectType.FUNCTION, ObjectType.PROCEDURE):
        return Probe.routine(item.signature or "", item.arguments or ())
    if item.type in (ObjectType.COLUMN, ObjectType.CONSTRAINT, ObjectType.TRIGGER):
        return Probe(ProbeKind(str(item.type)), item.name or "", item.table_qualified_name)
    if item.type is ObjectType.EXTENSION:
        return Probe(ProbeKind.EXTENSION, item.name or "")
    return Probe(ProbeKind(str(item.type)), name)  # type, schema


def _finding(subject: _Subject, answer: object, schema: str | None) -> SchemaFinding:
    item = subject.object
    shape = compare(item, subject.parts, answer)
    return SchemaFinding(
        type=str(item.type),
        name=_display_name(item, schema),
        exists=shape.exists,
        differs=bool(shape.differences),
        reason="; ".join(shape.differences) or shape.note,
        line=item.line,
    )


def _display_name(item: CreatedObject, schema: str | None) -> str:
    """Qualified names (``public.users``, ``public.f(integer)``), except an index in the first
    schema of the search_path: ``idx_users_name``, as the seed shows it and as ``CREATE INDEX``
    names it (an index lives in its table's schema; the statement cannot qualify its name)."""
    if item.signature is not None:
        return item.signature
    if item.type is ObjectType.INDEX and item.name is None and item.index is not None:
        return f"(unnamed) ON {item.table_qualified_name} ({', '.join(item.index.columns)})"
    if item.type is ObjectType.CONSTRAINT and item.name is None:
        return f"(unnamed) {constraint_text(item)} ON {item.table_qualified_name}"
    if item.type is ObjectType.INDEX and item.name is not None and item.schema == schema:
        return target_name((None, item.name))
    return item.qualified_name or ""
