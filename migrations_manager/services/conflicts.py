"""Statements sure to fail against the live schema: the check and the gate ask the catalog.

``CREATE TABLE users`` when ``users`` exists (42P07 at run time), ``ALTER TABLE orders`` when
``orders`` does not, a ``DROP INDEX`` of a missing index, a foreign key to a missing table... The
plan is walked in order, so what an earlier statement of the plan creates, drops or renames
counts: a table created by 001 is there for 002's index, the index of a table dropped by 001 is
gone for 002. One catalog query answers for every object of every file, in every schema of the
search_path an unqualified name may resolve to; the walk then resolves it as the server does
(pg_temp first for relations, then each schema of the path in order).

These findings are errors: the gate refuses a run for them. So a statement is reported sure to
fail only when the walk is certain. Where it cannot follow what the plan did (a DO block, a
CALL, a ``.cjs`` migration, a CASCADE, the names PostgreSQL makes up for constraints and
indexes...), what it knew becomes a guess, and a statement that fails on a guess is only a
doubt (``may-fail``): reported, never refused for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import psycopg

from ..analysis.expectations import (
    ARRIVE,
    CREATE,
    DROP,
    LEAVE,
    TABLE_PARTS,
    TEMPORARY,
    Expectation,
    expectations,
    sets_search_path,
)
from ..analysis.names import Target, target_name
from ..analysis.unknowns import (
    DEPENDENTS,
    EVERYTHING,
    GENERATED,
    MEMBERS,
    NAME,
    OBJECTS,
    PARTS,
    SCHEMA,
    Unknown,
    unknowns,
)
from ..introspection import catalog, existence
from ..introspection.existence import Probe, ProbeKind
from ..types import GateFinding
from .inspection import Analysed

WILL_FAIL = "will-fail"
MAY_FAIL = "may-fail"
EXISTS_HINT = (
    "If everything the file creates is there already (detect-schema, or the mark-as-applied "
    "confirmation, compares the shapes), mark it as applied instead of running it; otherwise "
    "write IF NOT EXISTS / OR REPLACE, or rename."
)
MISSING_HINT = (
    "Create it first (an earlier migration of the plan may), or write IF EXISTS where the "
    "statement allows it."
)
DOUBT_HINT = (
    " Only a doubt: an earlier statement of the plan does what the check cannot follow (a DO "
    "block, a CALL, a migration it cannot read, a CASCADE, a name PostgreSQL makes up...)."
)


@dataclass(frozen=True)
class Conflicts:
    """The statements of a plan that will fail (``certain``: the gate refuses the run for
    them) and those that would fail on what the walk could only guess (``doubtful``)."""

    certain: tuple[GateFinding, ...] = ()
    doubtful: tuple[GateFinding, ...] = ()


def schema_conflicts(
    conn: psycopg.Connection, info: catalog.ServerInfo, analysed: Sequence[Analysed]
) -> Conflicts:
    """The statements of ``analysed`` (in plan order) sure to fail, or that may fail, on the
    target as it is. An ``opaque`` item is code the check cannot read: from there on, what no
    later statement establishes is a guess."""
    steps = [step for item in analysed for step in _steps(item)]
    probes = list(
        dict.fromkeys(
            _probe(key, parent)
            for step in steps
            for expectation in step.checked
            for key, parent in _lookups(expectation, info)
            if _probed(key)
        )
    )
    answers = dict(zip(probes, existence.probe(conn, probes), strict=True))
    found = list(_Walk(info, answers).run(steps))
    return Conflicts(
        tuple(f for f in found if f.kind == WILL_FAIL),
        tuple(f for f in found if f.kind == MAY_FAIL),
    )


# ---- the plan as the walk reads it ------------------------------------------------------------


@dataclass(frozen=True)
class _Step:
    """One statement of a file (or an opaque file): what it needs and does, checked; what it
    does to unqualified names after the file set its own search_path (``blurred``: where they
    are is the server's to say); what it may change without naming it."""

    file: str
    checked: tuple[Expectation, ...] = ()
    blurred: tuple[Expectation, ...] = ()
    unknowns: tuple[Unknown, ...] = ()
    opaque: bool = False
    path_changed: bool = False


def _steps(item: Analysed) -> Iterator[_Step]:
    if item.opaque:
        yield _Step(item.name, opaque=True)
        return
    path_changed = False
    for statement in item.statements:
        found = expectations(statement)
        blurred = tuple(e for e in found if path_changed and _unqualified(e))
        checked = tuple(e for e in found if not (path_changed and _unqualified(e)))
        yield _Step(item.name, checked, blurred, tuple(unknowns(statement)), False, path_changed)
        path_changed = path_changed or sets_search_path(statement)


_GLOBAL_KINDS = frozenset({"schema", "extension"})


def _unqualified(expectation: Expectation) -> bool:
    if expectation.kind in _GLOBAL_KINDS:
        return False
    if expectation.table is not None:
        return expectation.table[0] is None
    if expectation.beside is not None:
        return expectation.beside[0] is None
    return expectation.schema is None


# ---- the catalog's answers ------------------------------------------------------------------


@dataclass(frozen=True)
class _Key:
    """An object in one schema (a column's, constraint's or trigger's is its table's)."""

    kind: str
    schema: str | None
    name: str
    table: str | None = None
    arguments: tuple[str, ...] | None = None


def _lookups(expectation: Expectation, info: catalog.ServerInfo) -> Iterator[tuple[_Key, Any]]:
    """Every object (and probe parent) the walk may look up for ``expectation``: in each
    schema of the search_path when the name is unqualified."""
    e, path = expectation, tuple(info.search_path)
    if e.kind in _GLOBAL_KINDS:
        yield _Key(e.kind, None, e.name), None
        return
    if e.table is not None:
        for schema in [e.table[0]] if e.table[0] else path:
            yield _Key("relation", schema, e.table[1]), None
            yield _Key(e.kind, schema, e.name, e.table[1]), None
        return
    for schema in _schemas(e, info):
        yield _Key(e.kind, schema, e.name, None, e.arguments), _probe_parent(e, schema)
    for table in (e.beside, e.parent):
        if table is not None:
            for schema in [table[0]] if table[0] else path:
                yield _Key("relation", schema, table[1]), None


def _schemas(e: Expectation, info: catalog.ServerInfo) -> list[str | None]:
    if e.schema is not None:
        return [e.schema]
    if e.beside is None and e.effect == CREATE:
        return [info.current_schema]
    return list(info.search_path)


def _probe_parent(e: Expectation, schema: str | None) -> Target | None:
    """An index is asked about with its table: the catalog says whether it is on it."""
    return None if e.beside is None else (schema, e.beside[1])


def _probed(key: _Key) -> bool:
    return key.kind in _GLOBAL_KINDS or key.schema not in (None, TEMPORARY)


def _probe(key: _Key, parent: Target | None = None) -> Probe:
    kind = ProbeKind(key.kind)
    if key.table is not None:
        return Probe(kind, key.name, target_name((key.schema, key.table)))
    if kind is ProbeKind.EXTENSION:
        return Probe(kind, key.name)
    if kind is ProbeKind.SCHEMA:
        return Probe(kind, target_name((None, key.name)))
    qualified = target_name((key.schema, key.name))
    if kind is ProbeKind.ROUTINE:
        arguments = key.arguments or ()
        return Probe.routine(f"{qualified}({','.join(arguments)})", arguments)
    return Probe(kind, qualified, None if parent is None else target_name(parent))


# ---- the walk -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fact:
    """Whether an object exists, since ``step`` (0: the catalog's answer), for certain or as a
    guess. For a relation: the identity of the table it goes with (an index, a partition),
    and its relkind as the catalog gives it."""

    step: int
    exists: bool
    certain: bool = True
    parent: object = None
    relkind: str | None = None


@dataclass(frozen=True)
class _Place:
    """Where an expectation's object is (``key`` None: nowhere the walk can name), what is
    known of it, and whether the place itself is certain (an unqualified name may resolve
    elsewhere)."""

    key: _Key | None
    fact: _Fact
    located: bool = True


_NOWHERE = _Fact(0, False)
_CREATES, _DROPS = "creates", "drops"  # what a barrier makes a guess of: absences, presences
_PARTITIONS = "partitions"  # the partitions of a dropped partitioned table


@dataclass
class _Walk:
    """The plan's statements in order, over the catalog's answers.

    Facts record what statements did, by step; records say what went with a table or a
    schema; barriers (by scope, for what may have been created or dropped) mark the step
    before which what the walk knew is only a guess. Every lookup is a handful of dict reads:
    the walk is linear in the number of statements.
    """

    info: catalog.ServerInfo
    answers: dict[Probe, Any]
    step: int = 0
    facts: dict[_Key, _Fact] = field(default_factory=dict)
    parts_gone: dict[Target, _Fact] = field(default_factory=dict)  # tables that left a name
    schemas_gone: dict[str, _Fact] = field(default_factory=dict)
    dropped: dict[object, _Fact] = field(default_factory=dict)  # relation identities
    identities: dict[Target, object] = field(default_factory=dict)
    barriers: dict[tuple, int] = field(default_factory=dict)
    generated: dict[str | None, dict[str, int]] = field(default_factory=dict)
    left: tuple[str | None, object, _Fact] | None = None  # what the last LEAVE took away
    before: dict[_Key, _Fact] = field(default_factory=dict)  # the current statement's objects

    def run(self, steps: Iterable[_Step]) -> Iterator[GateFinding]:
        for step in steps:
            base = self._tick()
            self.before.clear()
            if step.opaque:
                self._bar(base, (EVERYTHING,), creates=True, drops=True)
                continue
            for expectation in step.checked:
                yield from self._expect(step.file, expectation)
            for expectation in step.blurred:
                self._blur(expectation)
            for unknown in step.unknowns:
                self._unknown(unknown, base, step.path_changed)

    def _tick(self) -> int:
        self.step += 1
        return self.step

    # -- checking and applying one expectation ----------------------------------------------

    def _expect(self, file: str, expectation: Expectation) -> Iterator[GateFinding]:
        place = self._place(expectation)
        if place.key is not None:
            self.before.setdefault(place.key, place.fact)
        if expectation.needs is not None and place.fact.exists != expectation.needs:
            yield _finding(file, expectation, place)
        if expectation.effect is not None:
            self._apply(expectation, place)

    def _place(self, e: Expectation) -> _Place:
        if e.kind in _GLOBAL_KINDS:
            return self._at(_Key(e.kind, None, e.name))
        if e.table is not None:
            return self._part(e)
        if e.schema is not None:
            return self._at(self._key(e, e.schema), parent=_probe_parent(e, e.schema))
        if e.beside is not None:
            table = self._resolve("relation", e.beside[1])
            schema = table.key.schema if table.key else self.info.current_schema
            located = table.located and table.key is not None
            return self._at(self._key(e, schema), located, _probe_parent(e, schema))
        if e.effect == ARRIVE:
            schema = self.left[0] if self.left else self.info.current_schema
            return self._at(self._key(e, schema), self.left is not None)
        if e.effect == CREATE:
            return self._at(self._key(e, self.info.current_schema))
        return self._resolve(e.kind, e.name, e.arguments)

    @staticmethod
    def _key(e: Expectation, schema: str | None) -> _Key:
        return _Key(e.kind, schema, e.name, None, e.arguments)

    def _part(self, e: Expectation) -> _Place:
        assert e.table is not None
        schema, located = e.table[0], True
        if schema is None:
            table = self._resolve("relation", e.table[1])
            if table.key is None:  # no such table: nor any part of it
                return _Place(None, replace(_NOWHERE, certain=table.fact.certain), False)
            schema, located = table.key.schema, table.located and table.fact.certain
        return self._at(_Key(e.kind, schema, e.name, e.table[1]), located)

    def _at(self, key: _Key, located: bool = True, parent: Target | None = None) -> _Place:
        if key.schema is None and key.kind not in _GLOBAL_KINDS:  # no schema to create in
            return _Place(None, replace(_NOWHERE, certain=False), False)
        return _Place(key, self._state(key, parent), located)

    def _resolve(self, kind: str, name: str, arguments: tuple[str, ...] | None = None) -> _Place:
        """An unqualified name as the server resolves it: the first schema of the search_path
        (pg_temp first for relations) where the object exists."""
        path = self.info.search_path
        order = (TEMPORARY, *path) if kind == "relation" else path
        certain = True  # that no schema before had it
        for schema in order:
            key = _Key(kind, schema, name, None, arguments)
            fact = self._state(key)
            if fact.exists:
                return _Place(key, fact, certain)
            certain = certain and fact.certain
        return _Place(None, replace(_NOWHERE, certain=certain), certain)

    def _apply(self, e: Expectation, place: _Place) -> None:
        step = self._tick()
        key = place.key
        if key is None or not place.located:  # it may be elsewhere: any of that name is a guess
            self._bar(step, (NAME, e.kind, e.name), creates=True, drops=True)
        if key is None:
            if e.effect == LEAVE:
                self.left = None
            return
        certain = e.sure and place.located
        if e.effect in (DROP, LEAVE):
            self._leave(e, key, place, _Fact(step, False, certain))
        else:
            self._arrive(e, key, place, _Fact(step, True, certain))

    def _leave(self, e: Expectation, key: _Key, place: _Place, gone: _Fact) -> None:
        """A drop destroys the object and what goes with it; a rename or SET SCHEMA takes it,
        and its parts, elsewhere (``left``, for the ARRIVE that follows)."""
        self.facts[key] = gone
        identity = None
        if key.kind == "schema":
            self.schemas_gone[key.name] = gone
        if key.kind == "relation":
            here = (key.schema, key.name)
            identity = self._identity(here)
            self.parts_gone[here] = gone
            self.identities[here] = ("gone", gone.step)
            if e.effect == DROP:
                self.dropped[identity] = gone
                if place.fact.relkind == "p":
                    self._bar(gone.step, (_PARTITIONS,), creates=False, drops=True)
        if e.effect == LEAVE:
            self.left = (key.schema, identity, place.fact)

    def _arrive(self, e: Expectation, key: _Key, place: _Place, fact: _Fact) -> None:
        """A created object is a new one (IF NOT EXISTS / OR REPLACE of one already there
        keeps it, and what goes with it); an arriving one is the object that left."""
        if key.kind == "relation":
            here = (key.schema, key.name)
            if e.effect == ARRIVE and self.left is not None:
                self.identities[here] = self.left[1]
                fact = replace(fact, parent=self.left[2].parent, relkind=self.left[2].relkind)
            elif place.fact.exists:
                fact = replace(fact, parent=place.fact.parent, relkind=place.fact.relkind)
            else:
                self.identities[here] = ("walk", fact.step)
            if e.parent is not None:
                fact = replace(fact, parent=self._identity(self._table_of(e.parent, key)))
            if e.partitioned:
                fact = replace(fact, relkind="p")
        self.facts[key] = fact

    def _table_of(self, table: Target, key: _Key) -> Target:
        """Where the table an object goes with is: an index is beside it."""
        if table[0] is not None:
            return table
        found = self._resolve("relation", table[1])
        return (found.key.schema if found.key else key.schema, table[1])

    def _identity(self, relation: Target) -> object:
        """What a relation name designates now: the catalog's relation, or the one a step of
        the walk created (renames keep it: an index stays on its renamed table)."""
        return self.identities.get(relation, ("catalog", *relation))

    # -- what the walk cannot follow --------------------------------------------------------

    def _blur(self, e: Expectation) -> None:
        """An effect on an unqualified name after the file set its own search_path: any object
        of that name, anywhere, is a guess from here on."""
        step = self._tick()
        self._bar(step, (NAME, e.kind, e.name), creates=True, drops=True)
        if e.kind == "relation" and e.effect in (DROP, LEAVE):
            for kind in TABLE_PARTS:
                self._bar(step, (PARTS, kind, "*", e.name), creates=True, drops=True)
            self._bar(step, (DEPENDENTS,), creates=False, drops=True)
            self._bar(step, (_PARTITIONS,), creates=False, drops=True)

    def _unknown(self, u: Unknown, step: int, path_changed: bool) -> None:
        if u.scope == DEPENDENTS:
            self._dependents(u.table, step, path_changed)
        elif u.scope in (PARTS, GENERATED):
            for schema in self._table_schemas(u.table, path_changed):
                if u.scope == PARTS:
                    self._bar(step, (PARTS, u.kind, schema, u.table[1]), u.creates, u.drops)
                else:
                    self.generated.setdefault(schema, {})[u.table[1]] = step
        else:
            scope = self._scope(u)
            if scope is not None:
                self._bar(step, scope, u.creates, u.drops)

    def _scope(self, u: Unknown) -> tuple | None:
        if u.scope == MEMBERS:  # CREATE EXTENSION of one certainly there does nothing
            was = self.before.get(_Key("extension", None, u.name))
            return None if was is not None and was.exists and was.certain else (OBJECTS,)
        if u.scope == NAME:
            return (NAME, u.kind, u.name)
        if u.scope == SCHEMA:
            return (SCHEMA, u.name)
        return (EVERYTHING,)

    def _dependents(self, table: Target | None, step: int, path_changed: bool) -> None:
        """Indexes and sequences of a dropped table (or column) whose table the walk does not
        know; those of ``table`` when it does."""
        self._bar(step, (DEPENDENTS,), creates=False, drops=True)
        if table is None:
            return
        if path_changed and table[0] is None:  # which table, the server knows
            self._bar(step, (EVERYTHING,), creates=False, drops=True)
            return
        for schema in self._table_schemas(table, path_changed):
            scope = (DEPENDENTS, self._identity((schema, table[1])))
            self._bar(step, scope, creates=False, drops=True)

    def _table_schemas(self, table: Target | None, path_changed: bool) -> list[str | None]:
        """The schemas an Unknown's table may be in: any ("*") after the file set its own
        search_path."""
        assert table is not None
        if table[0] is not None:
            return [table[0]]
        return ["*"] if path_changed else [TEMPORARY, *self.info.search_path]

    def _bar(self, step: int, scope: tuple, creates: bool, drops: bool) -> None:
        if creates:
            self.barriers[(_CREATES, *scope)] = step
        if drops:
            self.barriers[(_DROPS, *scope)] = step

    # -- what the walk knows of one object --------------------------------------------------

    def _state(self, key: _Key, parent: Target | None = None) -> _Fact:
        """The latest fact about ``key``: a statement's, a record of what went with its table
        or schema, or the catalog's answer; a guess if a barrier came after it."""
        fact = self.facts.get(key) or self._catalog(key, parent)
        fact = self._superseded(key, fact)
        if fact.step <= self._barrier(key, fact):
            return replace(fact, certain=False)
        return fact

    def _catalog(self, key: _Key, parent: Target | None) -> _Fact:
        if not _probed(key):
            return _NOWHERE  # nothing temporary exists before the run's session
        probe = _probe(key, parent)
        if probe not in self.answers:
            return replace(_NOWHERE, certain=False)
        answer = self.answers[probe]
        if answer is None:
            return _NOWHERE
        if key.kind != "relation":
            return _Fact(0, True)
        on_parent = parent is not None and (answer.get("index") or {}).get("on_parent")
        owner = ("catalog", *parent) if on_parent else None
        return _Fact(0, True, parent=owner, relkind=answer.get("relkind"))

    def _superseded(self, key: _Key, fact: _Fact) -> _Fact:
        records = []
        if key.kind not in _GLOBAL_KINDS and key.schema is not None:
            records.append(self.schemas_gone.get(key.schema))
        if key.table is not None:
            records.append(self.parts_gone.get((key.schema, key.table)))
        if fact.exists and fact.parent is not None:
            records.append(self.dropped.get(fact.parent))
        later = [record for record in records if record is not None and record.step > fact.step]
        return max(later, key=lambda record: record.step) if later else fact

    def _barrier(self, key: _Key, fact: _Fact) -> int:
        direction = _DROPS if fact.exists else _CREATES
        scopes: list[tuple] = [(NAME, key.kind, key.name), (SCHEMA, key.schema)]
        if not (key.schema == TEMPORARY and direction == _CREATES):
            # Code the check cannot read (a .cjs file runs in a session of its own) and
            # extensions make no temporary table shadowing the plan's.
            scopes.append((EVERYTHING,))
            if key.table is None:
                scopes.append((OBJECTS,))
        if key.table is not None:
            scopes.append((PARTS, key.kind, key.schema, key.table))
            scopes.append((PARTS, key.kind, "*", key.table))
        if key.kind == "relation" and fact.exists:
            scopes.extend(_dependency_scopes(fact))
        barrier = max(self.barriers.get((direction, *scope), -1) for scope in scopes)
        if key.kind == "relation" and not fact.exists:
            barrier = max(barrier, self._generated_step(key.schema, key.name))
        return barrier

    def _generated_step(self, schema: str | None, name: str) -> int:
        """The last step that may have created ``name`` as a name PostgreSQL makes up after a
        table (``t_pkey``, ``t_a_b_key``, ``t_id_seq``, ``t_a_idx1``...)."""
        if not _generated_looking(name):
            return -1
        tables = (self.generated.get(schema), self.generated.get("*"))
        return max((_generated_in(found, name) for found in tables if found), default=-1)


def _generated_in(tables: dict[str, int], name: str) -> int:
    """The step of a table ``name`` may be named after: ``table_...`` (a lookup per
    underscore), or the table's name cut short when the whole is too long for an identifier."""
    steps = [tables.get(name[:i], -1) for i, char in enumerate(name) if char == "_"]
    if len(name.encode()) >= 60:
        head = name.split("_", 1)[0]
        steps.extend(step for table, step in tables.items() if table.startswith(head))
    return max(steps, default=-1)


def _dependency_scopes(fact: _Fact) -> Iterator[tuple]:
    """What may have dropped an existing relation along with something else: the table an
    index is known to be on, or, for an index or sequence of unknown table, any dropped table
    (and any partition, once a partitioned table was dropped)."""
    if fact.parent is not None:
        yield (DEPENDENTS, fact.parent)
    elif fact.step == 0 and fact.relkind in ("r", "p", "f"):
        yield (_PARTITIONS,)
    elif fact.step == 0 and fact.relkind not in ("v", "m", "c"):
        yield (DEPENDENTS,)


_GENERATED_SUFFIXES = ("_pkey", "_key", "_excl", "_idx", "_seq", "_fkey", "_check", "_not_null")


def _generated_looking(name: str) -> bool:
    return name.rstrip("0123456789").endswith(_GENERATED_SUFFIXES)


def _finding(file: str, expectation: Expectation, place: _Place) -> GateFinding:
    exists = place.fact.exists
    name = _shown(expectation, place.key) if exists else expectation.display_name
    state = "already exists" if exists else "does not exist"
    hint = EXISTS_HINT if exists else MISSING_HINT
    if place.fact.certain:
        message = f"{expectation.what} will fail: {name} {state}."
        return GateFinding(WILL_FAIL, message, file, expectation.line, hint=hint)
    message = f"{expectation.what} may fail: {name} {state}, as far as the check can tell."
    return GateFinding(MAY_FAIL, message, file, expectation.line, hint=hint + DOUBT_HINT)


def _shown(expectation: Expectation, key: _Key | None) -> str:
    """The object in the schema it resolved to (``public.users``)."""
    if key is None:
        return expectation.display_name
    table = (key.schema, key.table) if key.table is not None else None
    return replace(expectation, schema=key.schema, table=table).display_name
