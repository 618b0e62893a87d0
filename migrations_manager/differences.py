"""How one ``Snapshot`` differs from another: typed differences, each with a sentence and, where
it can be stated, the DDL that brings the live side to the expected one.

``missing``: expected, not there; ``extra``: there, not expected; ``changed``: both, otherwise.
A table's parts (columns, constraints, indexes, triggers, policies) are compared only when the
table is on both sides: a missing table's DDL creates them, an extra one's drop takes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .snapshot import (
    CONSTRAINT_KINDS,
    Column,
    Constraint,
    Extension,
    Grant,
    Index,
    Policy,
    Routine,
    Sequence,
    Snapshot,
    Table,
    Trigger,
    Type,
    View,
)


class Change(StrEnum):
    MISSING = "missing"
    EXTRA = "extra"
    CHANGED = "changed"


@dataclass(frozen=True)
class Difference:
    change: Change
    #: table, column, constraint, index, view, materialized view, function, procedure, type,
    #: sequence, extension, trigger, policy, grant, schema
    object_type: str
    name: str
    sentence: str
    #: What brings the live side to the expected one; None where no statement can say it
    #: (an enum value removed, a partition key changed...).
    ddl: str | None = None


def differences(expected: Snapshot, live: Snapshot) -> tuple[Difference, ...]:
    """Every way ``live`` differs from ``expected``, in an order whose DDL runs as listed: what
    objects are made of (schemas, extensions, types, sequences) first, then the routines a
    table's triggers call, tables (a referenced one before the one referencing it), views, the
    SQL routines whose bodies are checked against tables and views, and grants."""
    routines = _split(expected.routines, live.routines, lambda r: r.language != "sql")
    tables = _in_reference_order(expected.tables), _in_reference_order(live.tables)
    return (
        *_compare("schema", expected.schemas, live.schemas, _create_schema, _drop("SCHEMA")),
        *_compare("extension", expected.extensions, live.extensions, _create_extension,
                  _drop("EXTENSION"), _extension_changes),
        *_compare("type", expected.types, live.types, _create_type, _drop_type, _type_changes),
        *_compare("sequence", expected.sequences, live.sequences, _create_sequence,
                  _drop("SEQUENCE"), _sequence_changes),
        *_compare("routine", *routines[0], _create_routine, _drop_routine, _routine_changes),
        *_compare("table", *tables, _create_table, _drop("TABLE"), _table_changes),
        *_compare("view", expected.views, live.views, _create_view, _drop_view, _view_changes),
        *_compare("routine", *routines[1], _create_routine, _drop_routine, _routine_changes),
        *_compare("grant", expected.grants, live.grants, _grant, _revoke),
    )  # fmt: skip


def _split(
    expected: Mapping[str, Routine], live: Mapping[str, Routine], first: Callable[[Routine], bool]
) -> tuple[tuple[dict, dict], tuple[dict, dict]]:
    """The routines of both sides, those ``first`` keeps, then the others."""
    kept = tuple({k: r for k, r in side.items() if first(r)} for side in (expected, live))
    others = tuple({k: r for k, r in side.items() if not first(r)} for side in (expected, live))
    return (kept[0], kept[1]), (others[0], others[1])


def _in_reference_order(tables: Mapping[str, Table]) -> dict[str, Table]:
    """``tables`` with each after the tables its foreign keys reference (and a partition after
    its parent); a cycle keeps the alphabetical order."""
    ordered: dict[str, Table] = {}

    def place(name: str, seen: frozenset[str]) -> None:
        if name in ordered or name in seen or name not in tables:
            return
        table = tables[name]
        for constraint in table.constraints.values():
            place(constraint.references or "", seen | {name})
        place(table.partition_of or "", seen | {name})
        ordered[name] = table

    for name in sorted(tables):
        place(name, frozenset())
    return ordered


_Maker = Callable[[Any], str | None]
_Changes = Callable[[Any, Any], Iterator[Difference]]


def _compare(
    object_type: str,
    expected: Mapping[str, Any] | frozenset,
    live: Mapping[str, Any] | frozenset,
    create: _Maker,
    drop: _Maker,
    changes: _Changes | None = None,
    within: str | None = None,
) -> Iterator[Difference]:
    """Missing, extra and changed objects of one kind (sets hold objects that have no parts;
    ``within``: the table whose parts they are)."""
    keyed = not isinstance(expected, frozenset)
    for key in _only_in(expected, live):
        item = expected[key] if keyed else key
        kind, name = _described(object_type, item, within)
        yield Difference(Change.MISSING, kind, name, f"{kind} {name} is missing", create(item))
    for key in _only_in(live, expected):
        item = live[key] if keyed else key
        kind, name = _described(object_type, item, within)
        sentence = f"{kind} {name} exists but is not expected"
        yield Difference(Change.EXTRA, kind, name, sentence, drop(item))
    if changes is not None and keyed:
        for key in sorted(expected.keys() & live.keys()):
            if expected[key] != live[key]:
                yield from changes(expected[key], live[key])


def _only_in(side: Mapping[str, Any] | frozenset, other: Mapping[str, Any] | frozenset) -> list:
    """The keys of ``side`` that ``other`` lacks: a mapping's in its order, a set's sorted."""
    if isinstance(side, frozenset):
        return sorted(side - other, key=str)
    return [key for key in side if key not in other]


def _described(object_type: str, item: Any, within: str | None = None) -> tuple[str, str]:
    """The type a sentence gives ``item`` and its name there."""
    if within is not None:
        return object_type, f"{within}.{item.name}"
    if isinstance(item, Routine):
        return ("procedure" if item.kind == "p" else "function"), item.signature
    if isinstance(item, View):
        return ("materialized view" if item.materialized else "view"), item.name
    if isinstance(item, Grant):
        grant = f"{item.privilege} on {item.kind.lower()} {item.name} to {item.grantee}"
        return "grant", grant
    return object_type, item if isinstance(item, str) else item.name


def _changed(
    object_type: str, name: str, what: str, found: Any, wanted: Any, ddl: str | None
) -> Difference:
    sentence = f"{object_type} {name}: {what} is {_said(found)}, expected {_said(wanted)}"
    return Difference(Change.CHANGED, object_type, name, sentence, ddl)


def _said(value: Any) -> str:
    if value is None or value == "":
        return "none"
    if isinstance(value, tuple):
        return "(" + ", ".join(value) + ")"
    return str(value)


def _drop(keyword: str) -> _Maker:
    return lambda item: f"DROP {keyword} {item if isinstance(item, str) else item.name};"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --- schemas and extensions --------------------------------------------------------------------


def _create_schema(name: str) -> str:
    return f"CREATE SCHEMA {name};"


def _create_extension(item: Extension) -> str:
    return (
        f"CREATE EXTENSION IF NOT EXISTS {item.name} WITH SCHEMA {item.schema}"
        f" VERSION {_literal(item.version)};"
    )


def _extension_changes(wanted: Extension, found: Extension) -> Iterator[Difference]:
    if wanted.version != found.version:
        ddl = f"ALTER EXTENSION {wanted.name} UPDATE TO {_literal(wanted.version)};"
        yield _changed("extension", wanted.name, "version", found.version, wanted.version, ddl)
    if wanted.schema != found.schema:
        ddl = f"ALTER EXTENSION {wanted.name} SET SCHEMA {wanted.schema};"
        yield _changed("extension", wanted.name, "schema", found.schema, wanted.schema, ddl)


# --- types and sequences -----------------------------------------------------------------------

_TYPE_KINDS = {"e": "enum", "c": "composite type", "d": "domain", "r": "range type"}


def _create_type(item: Type) -> str:
    if item.kind == "e":
        return f"CREATE TYPE {item.name} AS ENUM ({', '.join(map(_literal, item.labels))});"
    if item.kind == "c":
        return f"CREATE TYPE {item.name} AS ({', '.join(item.attributes)});"
    if item.kind == "r":
        return f"CREATE TYPE {item.name} AS RANGE (subtype = {item.base});"
    default = f" DEFAULT {item.default}" if item.default is not None else ""
    not_null = " NOT NULL" if item.not_null else ""
    checks = "".join(f" CONSTRAINT {check}" for check in item.checks)
    return f"CREATE DOMAIN {item.name} AS {item.base}{default}{not_null}{checks};"


def _drop_type(item: Type) -> str:
    return f"DROP {'DOMAIN' if item.kind == 'd' else 'TYPE'} {item.name};"


def _type_changes(wanted: Type, found: Type) -> Iterator[Difference]:
    name = wanted.name
    if wanted.kind != found.kind:
        kinds = _TYPE_KINDS[found.kind], _TYPE_KINDS[wanted.kind]
        ddl = f"{_drop_type(found)}\n{_create_type(wanted)}"
        yield _changed("type", name, "kind", *kinds, ddl)
        return
    if wanted.labels != found.labels:
        yield _changed(
            "type", name, "values", found.labels, wanted.labels, _added_labels(wanted, found)
        )
    if wanted.attributes != found.attributes:
        yield _changed("type", name, "attributes", found.attributes, wanted.attributes, None)
    if wanted.base != found.base:
        yield _changed("type", name, "base type", found.base, wanted.base, None)
    if wanted.not_null != found.not_null:
        ddl = f"ALTER DOMAIN {name} {'SET' if wanted.not_null else 'DROP'} NOT NULL;"
        yield _changed("type", name, "NOT NULL", found.not_null, wanted.not_null, ddl)
    if wanted.default != found.default:
        ddl = _set_default(f"ALTER DOMAIN {name}", wanted.default)
        yield _changed("type", name, "default", found.default, wanted.default, ddl)
    if wanted.checks != found.checks:
        drops = [f"ALTER DOMAIN {name} DROP CONSTRAINT {c.split(' ', 1)[0]};" for c in found.checks]
        adds = [f"ALTER DOMAIN {name} ADD CONSTRAINT {check};" for check in wanted.checks]
        yield _changed("type", name, "checks", found.checks, wanted.checks, "\n".join(drops + adds))


def _added_labels(wanted: Type, found: Type) -> str | None:
    """ALTER TYPE ... ADD VALUE for labels only ``wanted`` has; None when some must go (an enum
    value cannot be removed)."""
    if set(found.labels) - set(wanted.labels):
        return None
    statements, previous = [], None
    for label in wanted.labels:
        if label not in found.labels:
            place = (
                f" AFTER {_literal(previous)}"
                if previous
                else f" BEFORE {_literal(found.labels[0])}"
                if found.labels
                else ""
            )
            statements.append(f"ALTER TYPE {wanted.name} ADD VALUE {_literal(label)}{place};")
        previous = label
    return "\n".join(statements)


def _sequence_options(item: Sequence) -> str:
    cycle = "CYCLE" if item.cycle else "NO CYCLE"
    return (
        f"AS {item.type} INCREMENT BY {item.increment} MINVALUE {item.minimum}"
        f" MAXVALUE {item.maximum} START WITH {item.start} CACHE {item.cache} {cycle}"
    )


def _create_sequence(item: Sequence) -> str:
    return f"CREATE SEQUENCE {item.name} {_sequence_options(item)};"


def _sequence_changes(wanted: Sequence, found: Sequence) -> Iterator[Difference]:
    ddl = f"ALTER SEQUENCE {wanted.name} {_sequence_options(wanted)};"
    found_options, wanted_options = _sequence_options(found), _sequence_options(wanted)
    yield _changed("sequence", wanted.name, "definition", found_options, wanted_options, ddl)


# --- tables and their parts --------------------------------------------------------------------


def _column_definition(column: Column) -> str:
    parts = [column.name, column.type]
    if column.collation:
        parts.append(f"COLLATE {column.collation}")
    if column.generated is not None:
        parts.append(f"GENERATED ALWAYS AS ({column.generated}) STORED")
    elif column.identity:
        parts.append(f"GENERATED {_IDENTITY[column.identity]} AS IDENTITY")
    elif column.default is not None:
        parts.append(f"DEFAULT {column.default}")
    if not column.nullable:
        parts.append("NOT NULL")
    return " ".join(parts)


_IDENTITY = {"a": "ALWAYS", "d": "BY DEFAULT"}


def _create_table(table: Table) -> str:
    unlogged = "UNLOGGED " if table.persistence == "u" else ""
    if table.partition_of is not None:
        head = f"CREATE TABLE {table.name} PARTITION OF {table.partition_of} {table.bound}"
    else:
        columns = ",\n    ".join(_column_definition(c) for c in table.columns.values())
        partitioned = f" PARTITION BY {table.partitioning}" if table.partitioning else ""
        head = f"CREATE {unlogged}TABLE {table.name} (\n    {columns}\n){partitioned}"
    statements = [f"{head};"]
    # A partition has its parent's constraints and indexes from the moment it is attached.
    statements += [
        _add_constraint(table.name, c) for c in table.constraints.values() if not c.inherited
    ]
    statements += [
        _create_index(i) for i in _own_indexes(table.indexes).values() if not i.inherited
    ]
    statements += [f"{t.definition};" for t in table.triggers.values()]
    statements += [_create_policy(table.name, p) for p in table.policies.values()]
    if table.row_security:
        statements.append(f"ALTER TABLE {table.name} ENABLE ROW LEVEL SECURITY;")
    return "\n".join(statements)


def _table_changes(wanted: Table, found: Table) -> Iterator[Difference]:
    name = wanted.name
    alter = f"ALTER TABLE {name}"
    if wanted.persistence != found.persistence:
        logged = "UNLOGGED" if wanted.persistence == "u" else "LOGGED"
        states = [("unlogged" if t.persistence == "u" else "logged") for t in (found, wanted)]
        yield _changed("table", name, "persistence", *states, f"{alter} SET {logged};")
    if wanted.partitioning != found.partitioning:
        yield _changed("table", name, "partitioning", found.partitioning, wanted.partitioning, None)
    if (wanted.partition_of, wanted.bound) != (found.partition_of, found.bound):
        places = [
            f"{t.partition_of} {t.bound}" if t.partition_of else None for t in (found, wanted)
        ]
        yield _changed("table", name, "partition of", *places, None)
    if wanted.row_security != found.row_security:
        ddl = f"{alter} {'ENABLE' if wanted.row_security else 'DISABLE'} ROW LEVEL SECURITY;"
        yield _changed(
            "table", name, "row level security", found.row_security, wanted.row_security, ddl
        )
    yield from _parts(
        "column",
        name,
        wanted.columns,
        found.columns,
        lambda c: f"{alter} ADD COLUMN {_column_definition(c)};",
        lambda c: f"{alter} DROP COLUMN {c.name};",
        _column_changes,
    )
    yield from _parts(
        "constraint",
        name,
        wanted.constraints,
        found.constraints,
        lambda c: _add_constraint(name, c),
        lambda c: f"{alter} DROP CONSTRAINT {c.name};",
        _constraint_changes,
    )
    yield from _index_differences(name, wanted.indexes, found.indexes)
    yield from _parts(
        "trigger",
        name,
        wanted.triggers,
        found.triggers,
        lambda t: f"{t.definition};",
        lambda t: f"DROP TRIGGER {t.name} ON {name};",
        _trigger_changes,
    )
    yield from _parts(
        "policy",
        name,
        wanted.policies,
        found.policies,
        lambda p: _create_policy(name, p),
        lambda p: f"DROP POLICY {p.name} ON {name};",
        _policy_changes,
    )


def _parts(
    object_type: str,
    table: str,
    wanted: Mapping[str, Any],
    found: Mapping[str, Any],
    create: _Maker,
    drop: _Maker,
    changes: Callable[[str, Any, Any], Iterator[Difference]],
) -> Iterator[Difference]:
    """The parts of ``table`` (named ``table.name``) on both sides."""
    yield from _compare(object_type, wanted, found, create, drop, within=table)
    for key in sorted(wanted.keys() & found.keys()):
        if wanted[key] != found[key]:
            yield from changes(table, wanted[key], found[key])


def _column_changes(table: str, wanted: Column, found: Column) -> Iterator[Difference]:
    name, alter = f"{table}.{wanted.name}", f"ALTER TABLE {table} ALTER COLUMN {wanted.name}"
    if wanted.type != found.type:
        ddl = f"{alter} TYPE {wanted.type} USING {wanted.name}::{wanted.type};"
        yield _changed("column", name, "type", found.type, wanted.type, ddl)
    if wanted.collation != found.collation and wanted.type == found.type:
        collate = f" COLLATE {wanted.collation or 'pg_catalog.default'}"
        ddl = f"{alter} TYPE {wanted.type}{collate};"
        yield _changed("column", name, "collation", found.collation, wanted.collation, ddl)
    if wanted.nullable != found.nullable:
        ddl = f"{alter} {'DROP' if wanted.nullable else 'SET'} NOT NULL;"
        states = ["nullable" if c.nullable else "NOT NULL" for c in (found, wanted)]
        yield _changed("column", name, "nullability", *states, ddl)
    if wanted.default != found.default:
        yield _changed(
            "column",
            name,
            "default",
            found.default,
            wanted.default,
            _set_default(alter, wanted.default),
        )
    if wanted.identity != found.identity:
        identities = [_IDENTITY.get(c.identity) for c in (found, wanted)]
        ddl = (
            f"{alter} DROP IDENTITY;"
            if not wanted.identity
            else f"{alter} ADD GENERATED {_IDENTITY[wanted.identity]} AS IDENTITY;"
            if not found.identity
            else f"{alter} SET GENERATED {_IDENTITY[wanted.identity]};"
        )
        yield _changed("column", name, "identity", *identities, ddl)
    if wanted.generated != found.generated:
        expressions = found.generated, wanted.generated
        yield _changed("column", name, "generation expression", *expressions, None)


def _set_default(alter: str, default: str | None) -> str:
    return f"{alter} DROP DEFAULT;" if default is None else f"{alter} SET DEFAULT {default};"


def _add_constraint(table: str, constraint: Constraint) -> str:
    return f"ALTER TABLE {table} ADD CONSTRAINT {constraint.name} {constraint.definition};"


_NOT_VALID = " NOT VALID"


def _constraint_changes(table: str, wanted: Constraint, found: Constraint) -> Iterator[Difference]:
    name, alter = f"{table}.{wanted.name}", f"ALTER TABLE {table}"
    same = wanted.definition.removesuffix(_NOT_VALID) == found.definition.removesuffix(_NOT_VALID)
    if same and wanted.validated and not found.validated:
        ddl = f"{alter} VALIDATE CONSTRAINT {wanted.name};"
        yield _changed("constraint", name, "validation", "not validated", "validated", ddl)
    elif not same:
        kinds = [CONSTRAINT_KINDS[c.kind] for c in (found, wanted)]
        what = "definition" if kinds[0] == kinds[1] else "kind"
        ddl = f"{alter} DROP CONSTRAINT {wanted.name};\n{_add_constraint(table, wanted)}"
        yield _changed("constraint", name, what, found.definition, wanted.definition, ddl)


def _own_indexes(indexes: Mapping[str, Index]) -> dict[str, Index]:
    """The indexes not made by a constraint (those come and go with it)."""
    return {name: index for name, index in indexes.items() if index.constraint is None}


def _create_index(index: Index) -> str:
    return f"{index.definition};"


def _index_differences(
    table: str, wanted: Mapping[str, Index], found: Mapping[str, Index]
) -> Iterator[Difference]:
    schema = table.split(".", 1)[0]
    wanted, found = _own_indexes(wanted), _own_indexes(found)
    yield from _compare(
        "index",
        wanted,
        found,
        _create_index,
        lambda i: f"DROP INDEX {schema}.{i.name};",
        within=schema,
    )
    for name in sorted(wanted.keys() & found.keys()):
        key, ours, theirs = f"{schema}.{name}", wanted[name], found[name]
        if ours.definition != theirs.definition:
            ddl = f"DROP INDEX {key};\n{_create_index(ours)}"
            yield _changed("index", key, "definition", theirs.definition, ours.definition, ddl)
        elif ours.valid and not theirs.valid:
            yield _changed("index", key, "validity", "invalid", "valid", f"REINDEX INDEX {key};")


def _trigger_changes(table: str, wanted: Trigger, found: Trigger) -> Iterator[Difference]:
    name = f"{table}.{wanted.name}"
    if wanted.definition != found.definition:
        ddl = f"DROP TRIGGER {wanted.name} ON {table};\n{wanted.definition};"
        yield _changed("trigger", name, "definition", found.definition, wanted.definition, ddl)
    if wanted.enabled != found.enabled:
        state = "DISABLE" if wanted.enabled == "D" else "ENABLE"
        ddl = f"ALTER TABLE {table} {state} TRIGGER {wanted.name};"
        yield _changed("trigger", name, "enabled", found.enabled, wanted.enabled, ddl)


_POLICY_COMMANDS = {"r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE", "*": "ALL"}


def _create_policy(table: str, policy: Policy) -> str:
    kind = "PERMISSIVE" if policy.permissive else "RESTRICTIVE"
    command = _POLICY_COMMANDS[policy.command]
    using = f" USING ({policy.using})" if policy.using is not None else ""
    check = f" WITH CHECK ({policy.check})" if policy.check is not None else ""
    roles = ", ".join(policy.roles) or "PUBLIC"
    return (
        f"CREATE POLICY {policy.name} ON {table} AS {kind} FOR {command} TO {roles}{using}{check};"
    )


def _policy_changes(table: str, wanted: Policy, found: Policy) -> Iterator[Difference]:
    ddl = f"DROP POLICY {wanted.name} ON {table};\n{_create_policy(table, wanted)}"
    yield _changed(
        "policy",
        f"{table}.{wanted.name}",
        "definition",
        _create_policy(table, found),
        _create_policy(table, wanted),
        ddl,
    )


# --- views and routines ------------------------------------------------------------------------


def _create_view(view: View) -> str:
    kind = "MATERIALIZED VIEW" if view.materialized else "VIEW"
    indexes = [_create_index(i) for i in view.indexes.values()]
    return "\n".join([f"CREATE {kind} {view.name} AS\n{view.definition.rstrip(';')};", *indexes])


def _drop_view(view: View) -> str:
    return f"DROP {'MATERIALIZED VIEW' if view.materialized else 'VIEW'} {view.name};"


def _view_changes(wanted: View, found: View) -> Iterator[Difference]:
    kind, name = _described("view", wanted)
    if wanted.materialized != found.materialized or wanted.definition != found.definition:
        replace = not wanted.materialized and not found.materialized
        ddl = (
            f"CREATE OR REPLACE VIEW {name} AS\n{wanted.definition.rstrip(';')};" if replace
            else f"{_drop_view(found)}\n{_create_view(wanted)}"
        )  # fmt: skip
        yield _changed(kind, name, "definition", found.definition, wanted.definition, ddl)
    elif wanted.indexes != found.indexes:
        yield from _index_differences(name, wanted.indexes, found.indexes)


def _create_routine(routine: Routine) -> str:
    return f"{routine.definition.rstrip()};"


def _drop_routine(routine: Routine) -> str:
    return f"DROP {'PROCEDURE' if routine.kind == 'p' else 'FUNCTION'} {routine.signature};"


def _routine_changes(wanted: Routine, found: Routine) -> Iterator[Difference]:
    kind, name = _described("routine", wanted)
    replace = _create_routine(wanted)
    if wanted.kind != found.kind or wanted.result != found.result:
        replace = f"{_drop_routine(found)}\n{replace}"  # CREATE OR REPLACE cannot change these
    for what, attribute in _ROUTINE_ATTRIBUTES:
        theirs, ours = getattr(found, attribute), getattr(wanted, attribute)
        if theirs != ours:
            yield _changed(kind, name, what, theirs, ours, replace)
            return


_ROUTINE_ATTRIBUTES = (
    ("kind", "kind"),
    ("result", "result"),
    ("language", "language"),
    ("volatility", "volatility"),
    ("body", "body"),
    ("definition", "definition"),
)


# --- grants ------------------------------------------------------------------------------------


def _grant(grant: Grant) -> str:
    option = " WITH GRANT OPTION" if grant.grantable else ""
    return f"GRANT {grant.privilege} ON {grant.kind} {grant.name} TO {grant.grantee}{option};"


def _revoke(grant: Grant) -> str:
    return f"REVOKE {grant.privilege} ON {grant.kind} {grant.name} FROM {grant.grantee};"
