"""What a statement needs of the schema to succeed, and what it does to it.

Objects that must exist, objects that must not (because it creates them without ``IF NOT
EXISTS`` / ``OR REPLACE``), and what it creates, drops and renames: the safety check asks the
catalog about all of them at once and walks the plan in order, so a ``CREATE TABLE users`` is sure
to fail when ``users`` exists, an ``ALTER TABLE orders`` when ``orders`` does not (unless an
earlier statement of the plan creates it), a ``DROP INDEX`` of a missing index, a foreign key to
a missing table...

What a statement may change without naming it is ``unknowns``' business.

    >>> from migrations_manager.analysis.statements import parse_statements
    >>> [(e.kind, e.name, e.needs) for e in expectations(parse_statements(
    ...     "ALTER TABLE orders ADD COLUMN note text")[0])]
    [('relation', 'orders', True), ('column', 'note', False)]
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, replace

from pglast import ast
from pglast.enums import (
    AlterTableType,
    ConstrType,
    OnCommitAction,
)
from pglast.enums import ObjectType as PgObject

from .names import Target, names_target, relation_target, target_name, type_text, walk
from .objects import CreatedObject, ObjectType, created_by
from .statements import Statement

# What a statement does to an object: ``leave`` and ``arrive`` are the two names of a rename (or
# the two schemas of a SET SCHEMA): what leaves takes its parts along, where a drop destroys
# them, and what arrives is the object that left.
CREATE, DROP, LEAVE, ARRIVE = "create", "drop", "leave", "arrive"
#: The schema of the session's temporary objects: searched first for relations.
TEMPORARY = "pg_temp"

#: The probe kind of each created object type: relations share one namespace.
PROBE_KINDS = {
    ObjectType.TABLE: "relation",
    ObjectType.INDEX: "relation",
    ObjectType.VIEW: "relation",
    ObjectType.MATERIALIZED_VIEW: "relation",
    ObjectType.SEQUENCE: "relation",
    ObjectType.TYPE: "type",
    ObjectType.FUNCTION: "routine",
    ObjectType.PROCEDURE: "routine",
    ObjectType.SCHEMA: "schema",
    ObjectType.EXTENSION: "extension",
    ObjectType.COLUMN: "column",
    ObjectType.CONSTRAINT: "constraint",
    ObjectType.TRIGGER: "trigger",
}
#: The parts of a table: named within it, they go wherever it goes.
TABLE_PARTS = ("column", "constraint", "trigger")
RELATION_KINDS = {
    PgObject.OBJECT_TABLE: "relation",
    PgObject.OBJECT_INDEX: "relation",
    PgObject.OBJECT_VIEW: "relation",
    PgObject.OBJECT_MATVIEW: "relation",
    PgObject.OBJECT_SEQUENCE: "relation",
    PgObject.OBJECT_FOREIGN_TABLE: "relation",
}
TYPE_KINDS = {PgObject.OBJECT_TYPE: "type", PgObject.OBJECT_DOMAIN: "type"}
ROUTINE_KINDS = {
    PgObject.OBJECT_FUNCTION: "routine",
    PgObject.OBJECT_PROCEDURE: "routine",
    PgObject.OBJECT_ROUTINE: "routine",
    PgObject.OBJECT_AGGREGATE: "routine",
}
_DROPPED_KINDS = {
    **RELATION_KINDS,
    **TYPE_KINDS,
    **ROUTINE_KINDS,
    PgObject.OBJECT_SCHEMA: "schema",
    PgObject.OBJECT_EXTENSION: "extension",
    PgObject.OBJECT_TRIGGER: "trigger",
}
#: Relations with a row type of their own name, which goes with them.
_ROW_TYPED = frozenset(
    {
        PgObject.OBJECT_TABLE,
        PgObject.OBJECT_VIEW,
        PgObject.OBJECT_MATVIEW,
        PgObject.OBJECT_FOREIGN_TABLE,
    }
)
_RENAMED_PARTS = {
    PgObject.OBJECT_COLUMN: "column",
    PgObject.OBJECT_TABCONSTRAINT: "constraint",
    PgObject.OBJECT_TRIGGER: "trigger",
}


@dataclass(frozen=True)
class Expectation:
    """An object (``kind``, ``schema``, ``name``; ``table`` for a column, constraint or
    trigger; ``arguments`` for a routine) the statement at ``line`` (``what``: ``CREATE
    TABLE``...) needs to exist (``needs`` True) or not to exist (False), or just creates or
    drops (``needs`` None: IF [NOT] EXISTS); ``effect`` is what the statement does to it
    (``create``, ``drop``, ``leave``, ``arrive``, or None). ``schema`` None: resolved by the
    search_path.

    ``beside``: an index lands in the schema of its table, wherever the search_path finds it;
    ``parent``: the table an index, a partition or an owned sequence is dropped with;
    ``sure`` False: the effect may not happen (a column of ``CREATE TABLE IF NOT EXISTS``);
    ``partitioned``: dropping this table drops partitions the statement does not name.
    """

    kind: str
    schema: str | None
    name: str
    needs: bool | None
    line: int
    what: str
    effect: str | None = None
    table: Target | None = None
    arguments: tuple[str, ...] | None = None
    beside: Target | None = None
    parent: Target | None = None
    sure: bool = True
    partitioned: bool = False

    @property
    def display_name(self) -> str:
        name = target_name((self.schema, self.name))
        if self.table is not None:
            return f"{target_name(self.table)}.{self.name}"
        if self.arguments is not None:
            return f"{name}({', '.join(self.arguments)})"
        return name


def expectations(statement: Statement) -> list[Expectation]:
    """What ``statement`` needs and changes (cached per statement)."""
    return list(_expectations(statement))


@functools.lru_cache(maxsize=4096)
def _expectations(statement: Statement) -> tuple[Expectation, ...]:
    node, line, what = statement.node, statement.line, _what(statement)
    return (
        *(Expectation("relation", *table, True, line, what) for table in _worked_on(node)),
        *_drops(node, line, what),
        *_creations(statement, line, what),
        *_moves(node, line, what),
        *(Expectation("relation", *table, True, line, what) for table in _referenced(node)),
    )


_MODIFIERS = frozenset({"OR", "REPLACE", "UNIQUE", "TEMP", "TEMPORARY", "UNLOGGED", "GLOBAL"})


def _what(statement: Statement) -> str:
    """``CREATE TABLE``, ``DROP INDEX``, ``CREATE MATERIALIZED VIEW``: the statement's verb and
    object, without its modifiers."""
    if isinstance(statement.node, ast.SelectStmt):
        return "SELECT INTO"
    words = [w.upper() for w in statement.text.split()[:6]]
    kept = [w for w in words if w not in _MODIFIERS]
    return " ".join(kept[:3] if kept[1:2] == ["MATERIALIZED"] else kept[:2])


def _worked_on(node: ast.Node) -> Iterator[Target]:
    """The table an ALTER TABLE, CREATE INDEX, CREATE TRIGGER or a rename of one of its parts
    works on (unless IF EXISTS)."""
    if isinstance(node, ast.AlterTableStmt) and node.objtype == PgObject.OBJECT_TABLE:
        if node.relation is not None and not node.missing_ok:
            yield relation_target(node.relation)
    elif isinstance(node, ast.IndexStmt | ast.CreateTrigStmt) and node.relation is not None:
        yield relation_target(node.relation)
    elif isinstance(node, ast.RenameStmt) and node.renameType in _RENAMED_PARTS:
        if node.relation is not None and not node.missing_ok:
            yield relation_target(node.relation)


# --- drops -----------------------------------------------------------------------------------


def _drops(node: ast.Node, line: int, what: str) -> Iterator[Expectation]:
    if isinstance(node, ast.DropStmt) and node.removeType in _DROPPED_KINDS:
        needs = None if node.missing_ok else True
        for item in node.objects or ():
            yield from _dropped(node.removeType, item, needs, line, what)
    elif isinstance(node, ast.AlterTableStmt) and node.relation is not None:
        table = relation_target(node.relation)
        for command in node.cmds or ():
            kind = _DROPPED_PARTS.get(command.subtype)
            if kind is not None:
                needs = None if command.missing_ok or node.missing_ok else True
                yield Expectation(kind, table[0], command.name, needs, line, what, DROP, table)


_DROPPED_PARTS = {
    AlterTableType.AT_DropColumn: "column",
    AlterTableType.AT_DropConstraint: "constraint",
}


def _dropped(
    remove_type: PgObject, item: ast.Node, needs: bool | None, line: int, what: str
) -> Iterator[Expectation]:
    kind = _DROPPED_KINDS[remove_type]
    if isinstance(item, ast.ObjectWithArgs):
        if not item.args_unspecified:  # DROP FUNCTION f: whichever overload there is (Unknown)
            schema, name = names_target(item.objname)
            yield Expectation(kind, schema, name, needs, line, what, DROP, None, _arguments(item))
        return
    if isinstance(item, ast.String):
        yield Expectation(kind, None, item.sval, needs, line, what, DROP)
        return
    names = item.names if isinstance(item, ast.TypeName) else item
    if kind == "trigger":  # DROP TRIGGER name ON [schema.]table
        table = names_target(names[:-1])
        yield Expectation(kind, table[0], names[-1].sval, needs, line, what, DROP, table)
        return
    schema, name = names_target(names)
    yield Expectation(kind, schema, name, needs, line, what, DROP)
    if remove_type in _ROW_TYPED:
        yield Expectation("type", schema, name, None, line, what, DROP)


def _arguments(item: ast.ObjectWithArgs) -> tuple[str, ...]:
    """A routine's identity argument types as DROP, ALTER and RENAME name them."""
    return tuple(type_text(argument, modifiers=False) for argument in item.objargs or ())


# --- creations -------------------------------------------------------------------------------


def _creations(statement: Statement, line: int, what: str) -> Iterator[Expectation]:
    node = statement.node
    items = created_by(statement)
    new_tables = {(i.schema, i.name) for i in items if i.type is ObjectType.TABLE}
    unsure = isinstance(node, ast.AlterTableStmt) and bool(node.missing_ok)
    for item in items:
        if item.name is None or item.type not in PROBE_KINDS:
            continue
        in_new_table = (item.schema, item.table) in new_tables and item.type != ObjectType.INDEX
        creation = _creation(item, line, what, in_new_table)
        if unsure:  # ALTER TABLE IF EXISTS: nothing happens when the table is not there
            creation = replace(creation, needs=None, sure=False)
        yield replace(creation, **_placement(node, item))
        yield from _constraint_index(item, creation)
    yield from _unlisted_relations(node, line, what)


def _creation(item: CreatedObject, line: int, what: str, in_new_table: bool) -> Expectation:
    """The expectation of one created object. The parts of a table the statement creates are
    not checked on their own (the table itself is what may already exist), and only follow
    when the table was not there before (``CREATE TABLE IF NOT EXISTS``)."""
    kind = PROBE_KINDS[item.type]
    part_of_table = item.table is not None and kind != "relation"  # an index is a relation
    table = (item.schema, item.table) if part_of_table else None
    index_table = (item.schema, item.table) if item.type is ObjectType.INDEX else None
    replaceable = item.if_not_exists or item.or_replace or item.kind == "base"  # shell types
    needs = None if replaceable or in_new_table else False
    return Expectation(
        kind,
        item.schema,
        item.name,
        needs,
        line,
        what,
        CREATE,
        table,
        item.arguments,
        beside=index_table,
        parent=index_table,
        sure=not (in_new_table and item.if_not_exists),
    )


def _placement(node: ast.Node, item: CreatedObject) -> dict[str, object]:
    """What the created table itself depends on: a partition is dropped with its partitioned
    table, and a partitioned table drops partitions no statement names."""
    if item.type is ObjectType.TABLE and isinstance(node, ast.CreateStmt):
        parent = relation_target(node.inhRelations[0]) if node.partbound is not None else None
        return {"parent": parent, "partitioned": node.partspec is not None}
    if item.type is ObjectType.SEQUENCE and isinstance(node, ast.CreateSeqStmt):
        return {"parent": _owner(node)}
    return {}


def _owner(node: ast.CreateSeqStmt) -> Target | None:
    """The table of ``OWNED BY table.column``: the sequence is dropped with it."""
    for option in node.options or ():
        names = option.arg if option.defname == "owned_by" else None
        if isinstance(names, tuple | list) and len(names) > 1:
            return names_target(names[:-1])
    return None


_INDEX_BACKED = frozenset({"primary key", "unique", "exclusion"})


def _constraint_index(item: CreatedObject, creation: Expectation) -> Iterator[Expectation]:
    """A primary key, unique or exclusion constraint creates an index of its own name."""
    if item.type is ObjectType.CONSTRAINT and item.kind in _INDEX_BACKED:
        table = (item.schema, item.table)
        yield replace(creation, kind="relation", needs=None, table=None, beside=table, parent=table)


def _unlisted_relations(node: ast.Node, line: int, what: str) -> Iterator[Expectation]:
    """Relations schema detection leaves out: temporary ones, ``SELECT ... INTO``, foreign
    tables."""
    if isinstance(node, ast.CreateForeignTableStmt):
        node = node.base
        if node.relation.relpersistence != "t":
            needs = None if node.if_not_exists else False
            yield Expectation(
                "relation", *relation_target(node.relation), needs, line, what, CREATE
            )
    into = node.intoClause if isinstance(node, ast.SelectStmt) else None
    if into is not None and into.rel.relpersistence != "t":
        yield Expectation("relation", *relation_target(into.rel), False, line, what, CREATE)
    temporary = _temporary(node)
    if temporary is not None:
        relation, if_not_exists, on_commit = temporary
        needs = None if if_not_exists else False
        sure = on_commit != OnCommitAction.ONCOMMIT_DROP  # gone when its transaction ends
        yield Expectation(
            "relation", TEMPORARY, relation.relname, needs, line, what, CREATE, sure=sure
        )


def _temporary(node: ast.Node) -> tuple[ast.RangeVar, bool, object] | None:
    """The temporary relation a statement creates (in pg_temp), if it does."""
    found = None
    if isinstance(node, ast.CreateStmt):
        found = (node.relation, bool(node.if_not_exists), node.oncommit)
    elif isinstance(node, ast.CreateTableAsStmt):
        found = (node.into.rel, bool(node.if_not_exists), node.into.onCommit)
    elif isinstance(node, ast.SelectStmt) and node.intoClause is not None:
        found = (node.intoClause.rel, False, node.intoClause.onCommit)
    elif isinstance(node, ast.ViewStmt):
        found = (node.view, False, None)
    elif isinstance(node, ast.CreateSeqStmt):
        found = (node.sequence, bool(node.if_not_exists), None)
    if found is None or found[0].relpersistence != "t":
        return None
    return found


# --- renames and moves -----------------------------------------------------------------------


def _moves(node: ast.Node, line: int, what: str) -> Iterator[Expectation]:
    """A rename or a SET SCHEMA: the object leaves one name (which must exist) and arrives at
    another (which must not), in the same schema for a rename."""
    if isinstance(node, ast.RenameStmt):
        yield from _renamed(node, line, what)
    elif isinstance(node, ast.AlterObjectSchemaStmt):
        yield from _reschemaed(node, line, what)


def _renamed(node: ast.RenameStmt, line: int, what: str) -> Iterator[Expectation]:
    kind = node.renameType
    if kind in _RENAMED_PARTS and node.relation is not None:
        table = relation_target(node.relation)
        source = Expectation(_RENAMED_PARTS[kind], table[0], node.subname, None, line, what)
        yield from _move(replace(source, table=table), table[0], node.newname, node.missing_ok)
    elif kind in RELATION_KINDS and node.relation is not None:
        schema, name = relation_target(node.relation)
        source = Expectation("relation", schema, name, None, line, what)
        yield from _move(source, schema, node.newname, node.missing_ok)
        if kind in _ROW_TYPED:
            yield from _move(replace(source, kind="type"), schema, node.newname, True)
    elif kind in TYPE_KINDS:
        schema, name = names_target(node.object)
        source = Expectation("type", schema, name, None, line, what)
        yield from _move(source, schema, node.newname, node.missing_ok)
    elif kind == PgObject.OBJECT_SCHEMA:
        source = Expectation("schema", None, node.subname, None, line, what)
        yield from _move(source, None, node.newname, node.missing_ok)
    elif kind in ROUTINE_KINDS and not node.object.args_unspecified:
        schema, name = names_target(node.object.objname)
        arguments = _arguments(node.object)
        source = Expectation("routine", schema, name, None, line, what, arguments=arguments)
        yield from _move(source, schema, node.newname, node.missing_ok)


def _reschemaed(node: ast.AlterObjectSchemaStmt, line: int, what: str) -> Iterator[Expectation]:
    kind = node.objectType
    if kind in RELATION_KINDS and node.relation is not None:
        schema, name = relation_target(node.relation)
        source = Expectation("relation", schema, name, None, line, what)
        yield from _move(source, node.newschema, name, node.missing_ok)
        if kind in _ROW_TYPED:
            yield from _move(replace(source, kind="type"), node.newschema, name, True)
    elif kind in TYPE_KINDS:
        schema, name = names_target(node.object)
        source = Expectation("type", schema, name, None, line, what)
        yield from _move(source, node.newschema, name, node.missing_ok)
    elif kind in ROUTINE_KINDS and not node.object.args_unspecified:
        schema, name = names_target(node.object.objname)
        arguments = _arguments(node.object)
        source = Expectation("routine", schema, name, None, line, what, arguments=arguments)
        yield from _move(source, node.newschema, name, node.missing_ok)


def _move(
    source: Expectation, schema: str | None, name: str, missing_ok: bool
) -> Iterator[Expectation]:
    """``source`` leaves its name and arrives as ``schema.name`` (schema None: where it was).
    With IF EXISTS (or for a row type, which follows its table) nothing is checked, and what
    arrives only does if something left."""
    yield replace(source, needs=None if missing_ok else True, effect=LEAVE)
    table = (schema, source.table[1]) if source.table is not None else None
    yield replace(
        source,
        schema=schema,
        name=name,
        table=table,
        needs=None if missing_ok else False,
        effect=ARRIVE,
        sure=not missing_ok,
    )


# --- references ------------------------------------------------------------------------------


def _referenced(node: ast.Node) -> Iterator[Target]:
    """Tables a foreign key of the statement references."""
    constraints: list[ast.Constraint] = []
    if isinstance(node, ast.CreateStmt):
        for element in node.tableElts or ():
            if isinstance(element, ast.ColumnDef):
                constraints.extend(element.constraints or ())
            elif isinstance(element, ast.Constraint):
                constraints.append(element)
    elif isinstance(node, ast.AlterTableStmt):
        for command in node.cmds or ():
            definition = command.def_
            if isinstance(definition, ast.Constraint):
                constraints.append(definition)
            elif isinstance(definition, ast.ColumnDef):
                constraints.extend(definition.constraints or ())
    for constraint in constraints:
        if constraint.contype == ConstrType.CONSTR_FOREIGN and constraint.pktable is not None:
            yield relation_target(constraint.pktable)


# --- the search_path -------------------------------------------------------------------------


def sets_search_path(statement: Statement) -> bool:
    """Whether the statement changes the session's search_path: ``SET search_path``, ``RESET
    ALL``, or ``SELECT set_config('search_path', ...)`` (as pg_dump writes it)."""
    node = statement.node
    if isinstance(node, ast.VariableSetStmt):
        return node.name in ("search_path", None)
    if isinstance(node, ast.SelectStmt):
        return any(_sets_path_config(item) for item in walk(node))
    return False


def _sets_path_config(node: ast.Node) -> bool:
    if not isinstance(node, ast.FuncCall) or names_target(node.funcname)[1] != "set_config":
        return False
    first = node.args[0] if node.args else None
    value = getattr(first, "val", None)
    return not isinstance(value, ast.String) or value.sval == "search_path"
