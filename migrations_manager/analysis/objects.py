"""What a list of statements creates: the input of schema detection ("does it already exist?").

Names are taken from the parse tree, where PostgreSQL's parser has already folded unquoted
identifiers to lower case and kept quoted ones exactly, so ``CREATE TABLE "Users"`` and
``CREATE TABLE users`` are two different tables, as on the server. An unqualified name keeps
``schema=None``: only the target's ``search_path`` can say where it lands, so the catalog layer
resolves it (``CreatedObject.resolved``). Function bodies are strings in the tree and are never
looked into, so a ``CREATE TABLE`` inside ``$$ ... $$`` or a comment creates nothing.

    >>> from migrations_manager.analysis.statements import parse_statements
    >>> [o.signature for o in created_objects(parse_statements(
    ...     "CREATE FUNCTION s.f(a int4, OUT b text) RETURNS text AS $$ $$ LANGUAGE sql"))]
    ['s.f(integer)']
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from pglast import ast
from pglast.enums import AlterTableType, ConstrType
from pglast.enums import ObjectType as PgObject
from pglast.stream import maybe_double_quote_name

from .indexshape import IndexShape, index_shape
from .names import (
    Target,
    builtin_type,
    function_arguments,
    names_target,
    relation_target,
    target_name,
    type_text,
    walk,
)
from .statements import Statement
from .viewshape import selects_star, view_shape


class ObjectType(StrEnum):
    """The kinds of objects schema detection looks for (values are the API's ``type`` field)."""

    TABLE = "table"
    INDEX = "index"
    FUNCTION = "function"
    PROCEDURE = "procedure"
    TYPE = "type"
    VIEW = "view"
    MATERIALIZED_VIEW = "materialized view"
    SEQUENCE = "sequence"
    SCHEMA = "schema"
    EXTENSION = "extension"
    TRIGGER = "trigger"
    COLUMN = "column"
    CONSTRAINT = "constraint"


@dataclass(frozen=True)
class CreatedObject:
    """One object a migration creates.

    ``schema`` is the object's own schema; for an index, trigger, column or constraint it is the
    schema of ``table``. ``name`` is None only for an index created without a name. ``kind`` says
    which kind of type (enum, composite, range, domain, base) or constraint (primary key, unique,
    check, foreign key, exclusion) it is; ``not_valid`` marks a constraint added NOT VALID.
    """

    type: ObjectType
    name: str | None
    schema: str | None
    line: int
    table: str | None = None
    arguments: tuple[str, ...] | None = None
    if_not_exists: bool = False
    or_replace: bool = False
    kind: str | None = None
    data_type: str | None = None
    index: IndexShape | None = None
    not_valid: bool = False
    #: A column: declared NOT NULL (or part of an inline PRIMARY KEY).
    not_null: bool = False
    #: A constraint: the columns it is on (those a CHECK reads); a foreign key's referenced
    #: table, and its ON DELETE and ON UPDATE actions (``pg_constraint`` codes: a, r, c, n, d).
    columns: tuple[str, ...] = ()
    references: Target | None = None
    actions: str | None = None
    #: A function's body as written (None for a SQL-standard body) and language.
    body: str | None = None
    language: str | None = None
    #: A view's query, as ``viewshape.view_shape`` prints it, and whether it selects ``*``.
    query: str | None = None
    star: bool = False

    @property
    def qualified_name(self) -> str | None:
        """``schema.name``, quoted where PostgreSQL needs it (input for ``to_regclass`` & co).

        Columns, constraints and triggers live in their table: ``schema.table.name``.
        """
        if self.name is None:
            return None
        if self.type in _TABLE_PARTS:
            return f"{self.table_qualified_name}.{maybe_double_quote_name(self.name)}"
        return target_name((self.schema, self.name))

    @property
    def signature(self) -> str | None:
        """``schema.f(integer,text)`` for functions and procedures, for ``to_regprocedure``."""
        if self.arguments is None:
            return None
        return f"{self.qualified_name}({','.join(self.arguments)})"

    @property
    def table_qualified_name(self) -> str | None:
        """``schema.table`` of an index, trigger, column or constraint."""
        return None if self.table is None else target_name((self.schema, self.table))

    def resolved(self, schema: str) -> CreatedObject:
        """The same object placed in ``schema`` (schemas and extensions have none to resolve)."""
        if self.schema is not None or self.type in (ObjectType.SCHEMA, ObjectType.EXTENSION):
            return self
        return replace(self, schema=schema)


_TABLE_PARTS = frozenset({ObjectType.COLUMN, ObjectType.CONSTRAINT, ObjectType.TRIGGER})


def created_objects(statements: Sequence[Statement]) -> list[CreatedObject]:
    """The objects ``statements`` create and do not drop again later in the same SQL."""
    objects: list[CreatedObject] = []
    for statement in statements:
        dropped = _dropped(statement.node)
        if dropped:  # rare: filtering on every statement would make long files quadratic
            objects = [item for item in objects if not any(drop.drops(item) for drop in dropped)]
        objects.extend(created_by(statement))
    return objects


def created_by(statement: Statement) -> list[CreatedObject]:
    """The objects one statement creates (computed once per statement text and position)."""
    return list(_created_by(statement))


@functools.lru_cache(maxsize=4096)
def _created_by(statement: Statement) -> tuple[CreatedObject, ...]:
    return tuple(_creations(statement.node, statement.line, None))


def _creations(node: ast.Node, line: int, default_schema: str | None) -> Iterator[CreatedObject]:
    extractor = _EXTRACTORS.get(type(node))
    if extractor is not None:
        yield from extractor(node, line, default_schema)


# --- extractors, one per statement kind --------------------------------------------------------

_Extractor = Callable[[ast.Node, int, str | None], Iterable[CreatedObject]]


def _table(node: ast.CreateStmt, line: int, default: str | None) -> Iterator[CreatedObject]:
    if node.relation.relpersistence == "t":
        return  # temporary tables vanish with the session: nothing to detect
    schema, name = relation_target(node.relation, default)
    yield CreatedObject(ObjectType.TABLE, name, schema, line, if_not_exists=node.if_not_exists)
    for element in node.tableElts or ():
        if isinstance(element, ast.ColumnDef):
            yield _column(element, schema, name, line, node.if_not_exists)
            yield from _constraints(
                element.constraints, schema, name, line, node.if_not_exists, element.colname
            )
        elif isinstance(element, ast.Constraint):
            yield from _constraints((element,), schema, name, line, node.if_not_exists)


def _column(
    column: ast.ColumnDef, schema: str | None, table: str, line: int, if_not_exists: bool
) -> CreatedObject:
    data_type = type_text(column.typeName) if column.typeName else None
    serial = builtin_type(column.typeName) if column.typeName else None
    data_type = _SERIAL_TYPES.get(serial, data_type)
    not_null = bool(column.is_not_null) or any(
        constraint.contype in (ConstrType.CONSTR_NOTNULL, ConstrType.CONSTR_PRIMARY)
        for constraint in column.constraints or ()
    )
    return CreatedObject(
        ObjectType.COLUMN,
        column.colname,
        schema,
        line,
        table=table,
        if_not_exists=if_not_exists,
        data_type=data_type,
        not_null=not_null,
    )


_SERIAL_TYPES = {
    "serial": "integer",
    "serial4": "integer",
    "bigserial": "bigint",
    "serial8": "bigint",
    "smallserial": "smallint",
    "serial2": "smallint",
}
_CONSTRAINT_KINDS = {
    ConstrType.CONSTR_PRIMARY: "primary key",
    ConstrType.CONSTR_UNIQUE: "unique",
    ConstrType.CONSTR_CHECK: "check",
    ConstrType.CONSTR_FOREIGN: "foreign key",
    ConstrType.CONSTR_EXCLUSION: "exclusion",
    ConstrType.CONSTR_NOTNULL: "not null",
}


def _constraints(
    constraints: Iterable[ast.Constraint] | None,
    schema: str | None,
    table: str,
    line: int,
    if_not_exists: bool = False,
    column: str | None = None,
) -> Iterator[CreatedObject]:
    """The constraints of a table; ``column``: the column they are declared on. An unnamed one
    (``name`` None: PostgreSQL invents it) is recognised by its kind and columns; an unnamed NOT
    NULL is its column's ``not_null``."""
    for constraint in constraints or ():
        unnamed_not_null = (
            constraint.contype == ConstrType.CONSTR_NOTNULL and not constraint.conname
        )
        if constraint.contype not in _CONSTRAINT_KINDS or unnamed_not_null:
            continue
        foreign = constraint.contype == ConstrType.CONSTR_FOREIGN
        yield CreatedObject(
            ObjectType.CONSTRAINT,
            constraint.conname or None,
            schema,
            line,
            table=table,
            if_not_exists=if_not_exists,
            kind=_CONSTRAINT_KINDS[constraint.contype],
            not_valid=bool(constraint.skip_validation),
            columns=(column,) if column else _constrained_columns(constraint),
            references=relation_target(constraint.pktable) if foreign else None,
            actions=constraint.fk_del_action + constraint.fk_upd_action if foreign else None,
        )


def _constrained_columns(constraint: ast.Constraint) -> tuple[str, ...]:
    """The columns a table constraint is on, in order (a CHECK's: those it reads, sorted)."""
    if constraint.contype == ConstrType.CONSTR_CHECK:
        names = {
            node.fields[-1].sval
            for node in walk(constraint.raw_expr)
            if isinstance(node, ast.ColumnRef) and isinstance(node.fields[-1], ast.String)
        }
        return tuple(sorted(names))
    if constraint.contype == ConstrType.CONSTR_FOREIGN:
        return tuple(name.sval for name in constraint.fk_attrs or ())
    if constraint.contype == ConstrType.CONSTR_EXCLUSION:
        return tuple(element.name for element, _ in constraint.exclusions or () if element.name)
    return tuple(name.sval for name in constraint.keys or ())


def _alter_table(
    node: ast.AlterTableStmt, line: int, default: str | None
) -> Iterator[CreatedObject]:
    if node.relation is None or node.objtype != PgObject.OBJECT_TABLE:
        return
    schema, table = relation_target(node.relation, default)
    for command in node.cmds or ():
        if command.subtype == AlterTableType.AT_AddColumn:
            yield _column(command.def_, schema, table, line, command.missing_ok)
            yield from _constraints(command.def_.constraints, schema, table, line)
        elif command.subtype == AlterTableType.AT_AddConstraint:
            yield from _constraints((command.def_,), schema, table, line)


def _index(node: ast.IndexStmt, line: int, default: str | None) -> Iterator[CreatedObject]:
    schema, table = relation_target(node.relation, default)
    yield CreatedObject(
        ObjectType.INDEX,
        node.idxname,
        schema,
        line,
        table=table,
        if_not_exists=node.if_not_exists,
        index=index_shape(node),
    )


def _function(
    node: ast.CreateFunctionStmt, line: int, default: str | None
) -> Iterator[CreatedObject]:
    schema, name = names_target(node.funcname, default)
    kind = ObjectType.PROCEDURE if node.is_procedure else ObjectType.FUNCTION
    options = {option.defname: option.arg for option in node.options or ()}
    body = options.get("as")
    language = options.get("language")
    yield CreatedObject(
        kind,
        name,
        schema,
        line,
        arguments=function_arguments(node.parameters),
        or_replace=bool(node.replace),
        # One string is the body; two are a C function's library and symbol.
        body=body[0].sval if isinstance(body, tuple) and len(body) == 1 else None,
        language=language.sval if isinstance(language, ast.String) else None,
    )


def _trigger(node: ast.CreateTrigStmt, line: int, default: str | None) -> Iterator[CreatedObject]:
    schema, table = relation_target(node.relation, default)
    yield CreatedObject(
        ObjectType.TRIGGER, node.trigname, schema, line, table=table, or_replace=bool(node.replace)
    )


def _schema(node: ast.CreateSchemaStmt, line: int, default: str | None) -> Iterator[CreatedObject]:
    yield CreatedObject(
        ObjectType.SCHEMA, node.schemaname, None, line, if_not_exists=node.if_not_exists
    )
    for element in node.schemaElts or ():  # CREATE SCHEMA s CREATE TABLE t ... puts t in s
        yield from _creations(element, line, node.schemaname)


# Statements that create one object named by a RangeVar or a qualified-name list:
# node type -> (object type, kind, how to get the name).
_SIMPLE: dict[type, tuple[ObjectType, str | None, Callable[[ast.Node], object]]] = {
    ast.CreateEnumStmt: (ObjectType.TYPE, "enum", lambda node: node.typeName),
    ast.CreateRangeStmt: (ObjectType.TYPE, "range", lambda node: node.typeName),
    ast.CreateDomainStmt: (ObjectType.TYPE, "domain", lambda node: node.domainname),
    ast.CompositeTypeStmt: (ObjectType.TYPE, "composite", lambda node: node.typevar),
    ast.DefineStmt: (ObjectType.TYPE, "base", lambda node: node.defnames),
    ast.ViewStmt: (ObjectType.VIEW, None, lambda node: node.view),
    ast.CreateSeqStmt: (ObjectType.SEQUENCE, None, lambda node: node.sequence),
    ast.CreateTableAsStmt: (ObjectType.TABLE, None, lambda node: node.into.rel),
    ast.CreateExtensionStmt: (ObjectType.EXTENSION, None, lambda node: node.extname),
}


def _simple(node: ast.Node, line: int, default: str | None) -> Iterator[CreatedObject]:
    kind, type_kind, name_of = _SIMPLE[type(node)]
    if isinstance(node, ast.DefineStmt) and node.kind != PgObject.OBJECT_TYPE:
        return  # CREATE AGGREGATE, OPERATOR, COLLATION... are not detected
    if isinstance(node, ast.CreateTableAsStmt) and node.objtype == PgObject.OBJECT_MATVIEW:
        kind = ObjectType.MATERIALIZED_VIEW
    names = name_of(node)
    if isinstance(names, ast.RangeVar):
        if names.relpersistence == "t":
            return
        schema, name = relation_target(names, default)
    elif isinstance(names, str):
        schema, name = None, names  # extensions belong to the database, not to a schema
    else:
        schema, name = names_target(names, default)
    query = node.query if isinstance(node, ast.ViewStmt | ast.CreateTableAsStmt) else None
    yield CreatedObject(
        kind,
        name,
        schema,
        line,
        kind=type_kind,
        if_not_exists=bool(getattr(node, "if_not_exists", False)),
        or_replace=bool(getattr(node, "replace", False)),
        query=view_shape(query) if query is not None and kind is not ObjectType.TABLE else None,
        star=query is not None and selects_star(query),
    )


_EXTRACTORS: dict[type, _Extractor] = {
    ast.CreateStmt: _table,
    ast.AlterTableStmt: _alter_table,
    ast.IndexStmt: _index,
    ast.CreateFunctionStmt: _function,
    ast.CreateSchemaStmt: _schema,
    ast.CreateTrigStmt: _trigger,
    **dict.fromkeys(_SIMPLE, _simple),
}


# --- drops: objects created then dropped in the same SQL are not reported ----------------------

_DROPPED_TYPES = {
    PgObject.OBJECT_TABLE: {ObjectType.TABLE},
    PgObject.OBJECT_INDEX: {ObjectType.INDEX},
    PgObject.OBJECT_VIEW: {ObjectType.VIEW},
    PgObject.OBJECT_SEQUENCE: {ObjectType.SEQUENCE},
    PgObject.OBJECT_MATVIEW: {ObjectType.MATERIALIZED_VIEW},
    PgObject.OBJECT_TYPE: {ObjectType.TYPE},
    PgObject.OBJECT_DOMAIN: {ObjectType.TYPE},
    PgObject.OBJECT_FUNCTION: {ObjectType.FUNCTION},
    PgObject.OBJECT_PROCEDURE: {ObjectType.PROCEDURE},
    PgObject.OBJECT_ROUTINE: {ObjectType.FUNCTION, ObjectType.PROCEDURE},
    PgObject.OBJECT_SCHEMA: {ObjectType.SCHEMA},
    PgObject.OBJECT_EXTENSION: {ObjectType.EXTENSION},
    PgObject.OBJECT_TRIGGER: {ObjectType.TRIGGER},
}
_DROPPED_PARTS = {
    AlterTableType.AT_DropColumn: ObjectType.COLUMN,
    AlterTableType.AT_DropConstraint: ObjectType.CONSTRAINT,
}


@dataclass(frozen=True)
class _Dropped:
    """One object a DROP (or ALTER TABLE ... DROP) names."""

    types: frozenset[ObjectType]
    schema: str | None
    name: str
    table: str | None = None
    arguments: tuple[str, ...] | None = None  # None: any overload (or not a routine)

    def drops(self, item: CreatedObject) -> bool:
        if ObjectType.SCHEMA in self.types:
            return item.schema == self.name or (item.type in self.types and item.name == self.name)
        # An unqualified name may designate any schema of the search_path: assume it is the same.
        if not (self.schema is None or item.schema is None or self.schema == item.schema):
            return False
        if ObjectType.TABLE in self.types and item.table == self.name:
            return True  # a table's columns, constraints, indexes and triggers go with it
        return (
            item.type in self.types
            and item.name == self.name
            and self.table in (None, item.table)
            and self.arguments in (None, item.arguments)
        )


def _dropped(node: ast.Node) -> list[_Dropped]:
    if isinstance(node, ast.DropStmt) and node.removeType in _DROPPED_TYPES:
        types = frozenset(_DROPPED_TYPES[node.removeType])
        return [_dropped_object(types, item) for item in node.objects or ()]
    if isinstance(node, ast.AlterTableStmt) and node.relation is not None:
        schema, table = relation_target(node.relation)
        return [
            _Dropped(frozenset({_DROPPED_PARTS[command.subtype]}), schema, command.name, table)
            for command in node.cmds or ()
            if command.subtype in _DROPPED_PARTS
        ]
    return []


def _dropped_object(types: frozenset[ObjectType], item: ast.Node) -> _Dropped:
    if isinstance(item, ast.ObjectWithArgs):
        arguments = (
            None
            if item.args_unspecified
            else tuple(type_text(argument, modifiers=False) for argument in item.objargs or ())
        )
        return _Dropped(types, *names_target(item.objname), arguments=arguments)
    if isinstance(item, ast.String):
        return _Dropped(types, None, item.sval)
    names = item.names if isinstance(item, ast.TypeName) else item
    if ObjectType.TRIGGER in types:  # DROP TRIGGER name ON [schema.]table
        schema, table = names_target(names[:-1])
        return _Dropped(types, schema, names[-1].sval, table)
    return _Dropped(types, *names_target(names))
