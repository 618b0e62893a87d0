"""Statements sure to fail against the live schema: the check and the gate ask the catalog.

``CREATE TABLE users`` when ``users`` exists (42P07 at run time), ``ALTER TABLE orders`` when
``orders`` does not, a ``DROP INDEX`` of a missing index, a foreign key to a missing table... The
plan is walked in order, so what an earlier statement of the plan creates or drops counts: a
table created by 001 is there for 002's index. One catalog query answers for every object of
every file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import psycopg
from pglast import ast

from ..analysis.expectations import Expectation, expectations
from ..analysis.names import target_name
from ..analysis.statements import Statement
from ..introspection import catalog, existence
from ..introspection.existence import Probe, ProbeKind
from ..types import GateFinding
from .inspection import Analysed

WILL_FAIL = "will-fail"
EXISTS_HINT = (
    "If everything the file creates is there already (detect-schema, or the mark-as-applied "
    "confirmation, compares the shapes), mark it as applied instead of running it; otherwise "
    "write IF NOT EXISTS / OR REPLACE, or rename."
)
MISSING_HINT = (
    "Create it first (an earlier migration of the plan may), or write IF EXISTS where the "
    "statement allows it."
)


@dataclass(frozen=True)
class _Key:
    """An object as the walk tracks it: unqualified names are matched by name in any schema."""

    kind: str
    schema: str | None
    name: str
    table: str | None
    arguments: tuple[str, ...] | None

    def matches(self, other: _Key) -> bool:
        return (self.kind, self.name, self.table, self.arguments) == (
            other.kind,
            other.name,
            other.table,
            other.arguments,
        ) and (self.schema is None or other.schema is None or self.schema == other.schema)


def schema_conflicts(
    conn: psycopg.Connection, info: catalog.ServerInfo, analysed: Sequence[Analysed]
) -> list[GateFinding]:
    """The statements of ``analysed`` (in plan order) sure to fail on the target as it is."""
    found = [
        (item.name, resolved(expectation, info.current_schema))
        for item in analysed
        for expectation in _checkable(item.statements)
    ]
    probes = list(dict.fromkeys(_probe(expectation) for _, expectation in found))
    answers = dict(zip(probes, existence.probe(conn, probes), strict=True))
    return list(_walk(found, answers))


def _checkable(statements: Sequence[Statement]) -> Iterable[Expectation]:
    """The expectations of a file's statements whose objects can be named: after the file sets
    its own search_path, its unqualified names are the server's to resolve, not the check's."""
    path_changed = False
    for statement in statements:
        for expectation in expectations(statement):
            if not (path_changed and _unqualified(expectation)):
                yield expectation
        path_changed = path_changed or _sets_search_path(statement)


def _unqualified(expectation: Expectation) -> bool:
    schema = expectation.table[0] if expectation.table is not None else expectation.schema
    return schema is None and expectation.kind not in ("schema", "extension")


def _sets_search_path(statement: Statement) -> bool:
    node = statement.node
    return isinstance(node, ast.VariableSetStmt) and node.name in ("search_path", None)


def resolved(expectation: Expectation, current_schema: str | None) -> Expectation:
    """An object the statement creates lands in the first schema of the search_path; the
    others are found through it, as the server will."""
    creates = expectation.effect == "create" and expectation.kind not in ("schema", "extension")
    if not (creates and expectation.schema is None and current_schema):
        return expectation
    table = expectation.table
    if table is not None and table[0] is None:
        table = (current_schema, table[1])
    return replace(expectation, schema=current_schema, table=table)


def _walk(
    found: Iterable[tuple[str, Expectation]], answers: dict[Probe, object]
) -> Iterable[GateFinding]:
    changed: list[tuple[_Key, bool]] = []  # what earlier statements of the plan did, in order
    for file, expectation in found:
        key = _key(expectation)
        exists = _exists(key, changed, answers[_probe(expectation)] is not None)
        if expectation.needs is not None and exists != expectation.needs:
            yield _finding(file, expectation, exists)
        if expectation.effect is not None:
            changed.append((key, expectation.effect == "create"))


def _exists(key: _Key, changed: list[tuple[_Key, bool]], in_catalog: bool) -> bool:
    for earlier, created in reversed(changed):
        if earlier.matches(key):
            return created
    return in_catalog


def _finding(file: str, expectation: Expectation, exists: bool) -> GateFinding:
    name = expectation.display_name
    if exists:
        message = f"{expectation.what} will fail: {name} already exists."
        hint = EXISTS_HINT
    else:
        message = f"{expectation.what} will fail: {name} does not exist."
        hint = MISSING_HINT
    return GateFinding(WILL_FAIL, message, file, expectation.line, hint=hint)


def _key(expectation: Expectation) -> _Key:
    table = expectation.table[1] if expectation.table is not None else None
    schema = expectation.schema if expectation.table is None else expectation.table[0]
    return _Key(expectation.kind, schema, expectation.name, table, expectation.arguments)


def _probe(expectation: Expectation) -> Probe:
    kind = ProbeKind(expectation.kind)
    if expectation.table is not None:
        return Probe(kind, expectation.name, target_name(expectation.table))
    qualified = target_name((expectation.schema, expectation.name))
    if kind is ProbeKind.ROUTINE:
        arguments = expectation.arguments or ()
        return Probe.routine(f"{qualified}({','.join(arguments)})", arguments)
    if kind is ProbeKind.EXTENSION:
        return Probe(kind, expectation.name)
    return Probe(
        kind, target_name((None, expectation.name)) if kind is ProbeKind.SCHEMA else qualified
    )
