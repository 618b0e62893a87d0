"""What a statement may change without naming it: a DO block, a CALL, a CASCADE, the constraint
and index names PostgreSQL makes up, the columns of ``CREATE TABLE ... AS``... Each is an
``Unknown``: after it, what the walk of the plan (``services.conflicts``) knew of those objects
is only a guess, and a statement that would fail on it only *may* fail.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from pglast import ast
from pglast.enums import (
    AlterTableType,
    DiscardMode,
    DropBehavior,
    TransactionStmtKind,
)
from pglast.enums import ObjectType as PgObject

from .expectations import RELATION_KINDS, ROUTINE_KINDS, TABLE_PARTS, TEMPORARY, TYPE_KINDS
from .names import Target, builtin_type, names_target, relation_target, walk
from .statements import Statement

# The scopes of an Unknown.
EVERYTHING = "everything"  # any object
OBJECTS = "objects"  # any object but a table's parts
MEMBERS = "members"  # what extension ``name`` creates, unless it was there already
DEPENDENTS = "dependents"  # indexes and sequences of dropped tables (``table``: of that one)
SCHEMA = "schema"  # the objects of schema ``name``
PARTS = "parts"  # the ``kind`` parts of ``table``
NAME = "name"  # the ``kind`` objects called ``name``, in any schema or table
GENERATED = "generated"  # the relations PostgreSQL names after ``table`` (t_pkey, t_id_seq...)


@dataclass(frozen=True)
class Unknown:
    """Objects a statement may create (``creates``) or drop (``drops``) without naming them:
    after it, what the walk knew of the objects of ``scope`` is a guess, not a certainty."""

    scope: str
    creates: bool
    drops: bool
    kind: str | None = None
    name: str | None = None
    table: Target | None = None


def unknowns(statement: Statement) -> list[Unknown]:
    """What ``statement`` may change beyond its expectations (cached per statement)."""
    return list(_unknowns(statement))


_ANYTHING = Unknown(EVERYTHING, creates=True, drops=True)
_CASCADE = Unknown(EVERYTHING, creates=False, drops=True)


@functools.lru_cache(maxsize=4096)
def _unknowns(statement: Statement) -> tuple[Unknown, ...]:
    node = statement.node
    handler = _UNKNOWN_HANDLERS.get(type(node))
    if handler is not None:
        return tuple(handler(node))
    return () if type(node) in _NO_HIDDEN_EFFECT else (_ANYTHING,)


def _drop_unknowns(node: ast.DropStmt) -> Iterator[Unknown]:
    if node.behavior == DropBehavior.DROP_CASCADE or node.removeType == PgObject.OBJECT_EXTENSION:
        yield _CASCADE  # what depended on it, wherever it is; an extension's members
    if node.removeType in (PgObject.OBJECT_TABLE, PgObject.OBJECT_MATVIEW):
        yield Unknown(DEPENDENTS, creates=False, drops=True)  # its indexes, owned sequences
    for item in node.objects or ():
        if isinstance(item, ast.ObjectWithArgs) and item.args_unspecified:
            yield _named("routine", names_target(item.objname)[1])
        elif node.removeType in TYPE_KINDS:  # a composite type is a relation too
            yield _named("relation", names_target(item.names)[1])


def _named(kind: str, name: str) -> Unknown:
    return Unknown(NAME, creates=True, drops=True, kind=kind, name=name)


def _alter_table_unknowns(node: ast.AlterTableStmt) -> Iterator[Unknown]:
    if node.relation is None:
        return
    table = relation_target(node.relation)
    for command in node.cmds or ():
        yield from _command_unknowns(command, table)


def _command_unknowns(command: ast.AlterTableCmd, table: Target) -> Iterator[Unknown]:
    subtype = command.subtype
    if command.behavior == DropBehavior.DROP_CASCADE:
        yield _CASCADE
    if subtype == AlterTableType.AT_AddColumn:
        if _column_generates_names(command.def_):
            yield from _generated_names(table)
    elif subtype == AlterTableType.AT_AddConstraint:
        yield from _constraint_unknowns(command.def_, table)
    elif subtype == AlterTableType.AT_DropColumn:
        yield Unknown(DEPENDENTS, creates=False, drops=True, table=table)
        yield from _parts(table, ("constraint", "trigger"), creates=False, drops=True)
    elif subtype == AlterTableType.AT_DropConstraint:
        yield _named("relation", command.name)  # the index of a unique constraint
    elif subtype == AlterTableType.AT_AddIdentity:
        yield Unknown(GENERATED, creates=True, drops=False, table=table)
    elif subtype == AlterTableType.AT_DropIdentity:
        yield Unknown(DEPENDENTS, creates=False, drops=True, table=table)
    elif subtype in _NOT_NULL_CHANGES:  # not-null constraints have names since PostgreSQL 18
        yield from _parts(table, ("constraint",), creates=True, drops=True)
    elif subtype in _PARTITION_CHANGES:
        yield from _partition_unknowns(command, table)


_NOT_NULL_CHANGES = frozenset({AlterTableType.AT_SetNotNull, AlterTableType.AT_DropNotNull})
_PARTITION_CHANGES = frozenset(
    {
        AlterTableType.AT_AttachPartition,
        AlterTableType.AT_DetachPartition,
        AlterTableType.AT_DetachPartitionFinalize,
        AlterTableType.AT_AddInherit,
        AlterTableType.AT_DropInherit,
    }
)


def _partition_unknowns(command: ast.AlterTableCmd, table: Target) -> Iterator[Unknown]:
    """An attached partition gets its parent's indexes, constraints and triggers (under names
    of its own for the indexes); a detached one loses some; inheritance moves constraints."""
    partition = command.def_.name if isinstance(command.def_, ast.PartitionCmd) else None
    target = relation_target(partition) if partition is not None else table
    yield from _parts(target, ("constraint", "trigger"), creates=True, drops=True)
    yield Unknown(GENERATED, creates=True, drops=False, table=target)


def _constraint_unknowns(constraint: ast.Constraint, table: Target) -> Iterator[Unknown]:
    if not constraint.conname:
        yield from _generated_names(table)
    if constraint.indexname:  # ADD CONSTRAINT ... USING INDEX i renames i
        yield _named("relation", constraint.indexname)


def _generated_names(table: Target) -> Iterator[Unknown]:
    """Constraints, indexes and sequences PostgreSQL names after the table (``t_pkey``,
    ``t_email_key``, ``t_id_seq``, ``t_a_not_null``...)."""
    yield from _parts(table, ("constraint",), creates=True, drops=False)
    yield Unknown(GENERATED, creates=True, drops=False, table=table)


def _parts(table: Target, kinds: Iterable[str], *, creates: bool, drops: bool) -> Iterator[Unknown]:
    for kind in kinds:
        yield Unknown(PARTS, creates=creates, drops=drops, kind=kind, table=table)


_SERIAL = frozenset({"serial", "serial2", "serial4", "serial8", "smallserial", "bigserial"})


def _column_generates_names(column: ast.ColumnDef) -> bool:
    serial = column.typeName is not None and builtin_type(column.typeName) in _SERIAL
    return serial or bool(column.constraints) or bool(column.identity and column.identity != "\0")


def _create_table_unknowns(node: ast.CreateStmt) -> Iterator[Unknown]:
    temporary = node.relation.relpersistence == "t"
    table = (TEMPORARY, node.relation.relname) if temporary else relation_target(node.relation)
    copies = node.inhRelations or node.partbound is not None or node.ofTypename is not None
    copies = copies or any(isinstance(e, ast.TableLikeClause) for e in node.tableElts or ())
    if temporary or copies:  # columns, constraints, triggers of a parent, a type, a model
        yield from _parts(table, TABLE_PARTS, creates=True, drops=False)
    yield from _generated_names(table)


def _new_columns(node: ast.Node) -> Iterator[Unknown]:
    """``CREATE TABLE ... AS``, ``SELECT ... INTO``, a view: columns named by a query."""
    relation = _result_relation(node)
    if relation is not None:
        temporary = relation.relpersistence == "t"
        table = (TEMPORARY, relation.relname) if temporary else relation_target(relation)
        replaces = bool(getattr(node, "replace", False))
        yield from _parts(table, ("column",), creates=True, drops=replaces)
    if isinstance(node, ast.SelectStmt) and _calls_unknown_functions(node):
        yield _ANYTHING


def _result_relation(node: ast.Node) -> ast.RangeVar | None:
    if isinstance(node, ast.CreateTableAsStmt):
        return node.into.rel
    if isinstance(node, ast.SelectStmt) and node.intoClause is not None:
        return node.intoClause.rel
    if isinstance(node, ast.ViewStmt):
        return node.view
    return None


# Functions a standalone SELECT calls for their result, which change no schema object.
_HARMLESS_FUNCTIONS = frozenset(
    {
        "setval",
        "nextval",
        "currval",
        "set_config",
        "current_setting",
        "pg_advisory_lock",
        "pg_advisory_xact_lock",
        "pg_advisory_unlock",
        "pg_advisory_unlock_all",
        "pg_try_advisory_lock",
        "pg_try_advisory_xact_lock",
        "pg_advisory_lock_shared",
        "pg_advisory_xact_lock_shared",
        "pg_sleep",
        "pg_notify",
        "pg_reload_conf",
        "pg_terminate_backend",
        "pg_cancel_backend",
        "pg_get_serial_sequence",
        "now",
        "count",
        "max",
        "min",
        "sum",
        "coalesce",
        "format",
        "version",
        "to_regclass",
        "to_regtype",
        "to_regprocedure",
        "lower",
        "upper",
        "length",
        "concat",
        "quote_ident",
        "quote_literal",
        "gen_random_uuid",
    }
)


def _calls_unknown_functions(node: ast.SelectStmt) -> bool:
    """A standalone SELECT of a user function (``SELECT create_hypertable(...)``, an audit
    helper) may run DDL: only built-in ones are known to change no schema object."""
    for item in walk(node):
        if isinstance(item, ast.FuncCall):
            schema, name = names_target(item.funcname)
            if schema != "pg_catalog" and name not in _HARMLESS_FUNCTIONS:
                return True
    return False


def _index_unknowns(node: ast.IndexStmt) -> Iterator[Unknown]:
    if not node.idxname and node.relation is not None:  # t_a_idx
        yield Unknown(GENERATED, creates=True, drops=False, table=relation_target(node.relation))


def _rename_unknowns(node: ast.RenameStmt) -> Iterator[Unknown]:
    kind = node.renameType
    if kind in RELATION_KINDS and node.relation is not None:
        schema, name = relation_target(node.relation)
        yield from _parts((schema, node.newname), TABLE_PARTS, creates=True, drops=False)
        if kind == PgObject.OBJECT_INDEX:  # the constraint an index backs takes its name
            yield _named("constraint", name)
            yield _named("constraint", node.newname)
    elif kind == PgObject.OBJECT_TABCONSTRAINT:  # and the index a constraint has
        yield _named("relation", node.subname)
        yield _named("relation", node.newname)
    elif kind in TYPE_KINDS:
        yield _named("relation", names_target(node.object)[1])
        yield _named("relation", node.newname)
    elif kind == PgObject.OBJECT_SCHEMA:  # everything of the old schema is now in the new one
        yield Unknown(SCHEMA, creates=True, drops=False, name=node.newname)
    elif kind in ROUTINE_KINDS and node.object.args_unspecified:
        yield _named("routine", names_target(node.object.objname)[1])
        yield _named("routine", node.newname)


def _set_schema_unknowns(node: ast.AlterObjectSchemaStmt) -> Iterator[Unknown]:
    kind = node.objectType
    if kind == PgObject.OBJECT_EXTENSION:
        yield _ANYTHING  # its members move
    elif kind in RELATION_KINDS and node.relation is not None:
        name = node.relation.relname
        yield from _parts((node.newschema, name), TABLE_PARTS, creates=True, drops=False)
        yield Unknown(DEPENDENTS, creates=False, drops=True)  # its indexes leave the schema...
        yield Unknown(SCHEMA, creates=True, drops=False, name=node.newschema)  # ...for this one
    elif kind in TYPE_KINDS:
        yield _named("relation", names_target(node.object)[1])
    elif kind in ROUTINE_KINDS and node.object.args_unspecified:
        yield _named("routine", names_target(node.object.objname)[1])


def _sequence_unknowns(node: ast.AlterSeqStmt) -> Iterator[Unknown]:
    """``OWNED BY``: the sequence now goes when its table goes."""
    if any(option.defname == "owned_by" for option in node.options or ()):
        yield Unknown(NAME, creates=False, drops=True, kind="relation", name=node.sequence.relname)


def _discard_unknowns(node: ast.DiscardStmt) -> Iterator[Unknown]:
    if node.target in (DiscardMode.DISCARD_ALL, DiscardMode.DISCARD_TEMP):
        yield Unknown(SCHEMA, creates=False, drops=True, name=TEMPORARY)


def _schema_unknowns(node: ast.CreateSchemaStmt) -> Iterator[Unknown]:
    """``CREATE SCHEMA s CREATE TABLE t ...``: the elements' unqualified names are in ``s``."""
    for element in node.schemaElts or ():
        for unknown in _UNKNOWN_HANDLERS.get(type(element), _nothing)(element):
            table = unknown.table
            if table is not None and table[0] is None:
                unknown = replace(unknown, table=(node.schemaname, table[1]))
            yield unknown


def _nothing(node: ast.Node) -> tuple[Unknown, ...]:
    return ()


def _extension_unknowns(node: ast.CreateExtensionStmt) -> Iterator[Unknown]:
    """An extension's script creates functions, types, sometimes tables and schemas."""
    yield Unknown(MEMBERS, creates=True, drops=False, kind="extension", name=node.extname)


def _import_unknowns(node: ast.ImportForeignSchemaStmt) -> Iterator[Unknown]:
    """Foreign tables the remote schema has, in the local one."""
    yield Unknown(SCHEMA, creates=True, drops=False, name=node.local_schema)


_UNDOING = frozenset(
    {
        TransactionStmtKind.TRANS_STMT_ROLLBACK,
        TransactionStmtKind.TRANS_STMT_ROLLBACK_TO,
        TransactionStmtKind.TRANS_STMT_ROLLBACK_PREPARED,
    }
)


def _transaction_unknowns(node: ast.TransactionStmt) -> Iterator[Unknown]:
    """A ROLLBACK in a file undoes what the statements before it did."""
    if node.kind in _UNDOING:
        yield _ANYTHING


def _foreign_table_unknowns(node: ast.CreateForeignTableStmt) -> Iterator[Unknown]:
    table = relation_target(node.base.relation)
    yield from _parts(table, ("column", "constraint"), creates=True, drops=False)


def _everything(creates: bool, drops: bool):
    unknown = Unknown(EVERYTHING, creates=creates, drops=drops)
    return lambda node: (unknown,)


_UNKNOWN_HANDLERS = {
    ast.DropStmt: _drop_unknowns,
    ast.AlterTableStmt: _alter_table_unknowns,
    ast.CreateStmt: _create_table_unknowns,
    ast.CreateTableAsStmt: _new_columns,
    ast.SelectStmt: _new_columns,
    ast.ViewStmt: _new_columns,
    ast.IndexStmt: _index_unknowns,
    ast.RenameStmt: _rename_unknowns,
    ast.AlterObjectSchemaStmt: _set_schema_unknowns,
    ast.AlterSeqStmt: _sequence_unknowns,
    ast.DiscardStmt: _discard_unknowns,
    ast.CreateSchemaStmt: _schema_unknowns,
    ast.CreateForeignTableStmt: _foreign_table_unknowns,
    ast.CreateExtensionStmt: _extension_unknowns,
    ast.ImportForeignSchemaStmt: _import_unknowns,
    ast.TransactionStmt: _transaction_unknowns,
    # Code the check cannot read, or members it does not know: anything may change.
    ast.DoStmt: _everything(True, True),
    ast.CallStmt: _everything(True, True),
    ast.AlterExtensionStmt: _everything(True, True),
    ast.DropOwnedStmt: _everything(False, True),
}

# Statements that create, drop or rename no relation, routine, type, schema, extension,
# column, constraint or trigger beyond their expectations. Any other kind of statement may
# change anything, as far as the walk knows.
_NO_HIDDEN_EFFECT = frozenset(
    getattr(ast, name)
    for name in (
        "InsertStmt UpdateStmt DeleteStmt MergeStmt VariableSetStmt "
        "VariableShowStmt CommentStmt GrantStmt GrantRoleStmt AlterOwnerStmt AlterEnumStmt "
        "AlterDomainStmt AlterFunctionStmt AlterRoleStmt AlterRoleSetStmt CreateRoleStmt "
        "DropRoleStmt ClusterStmt VacuumStmt RefreshMatViewStmt LockStmt TruncateStmt "
        "NotifyStmt ListenStmt UnlistenStmt CreatePolicyStmt AlterPolicyStmt CopyStmt "
        "ExplainStmt CreateCastStmt CreateOpClassStmt CreateOpFamilyStmt AlterOpFamilyStmt "
        "CreateConversionStmt CreateTransformStmt AlterDefaultPrivilegesStmt SecLabelStmt "
        "CreateStatsStmt AlterStatsStmt CreatePublicationStmt AlterPublicationStmt "
        "CreateSubscriptionStmt AlterSubscriptionStmt DropSubscriptionStmt ReindexStmt "
        "DeallocateStmt PrepareStmt ExecuteStmt CheckPointStmt ConstraintsSetStmt "
        "CreateEventTrigStmt AlterEventTrigStmt AlterSystemStmt LoadStmt ReassignOwnedStmt "
        "CreateTableSpaceStmt DropTableSpaceStmt AlterTableSpaceOptionsStmt CreateFdwStmt "
        "AlterFdwStmt CreateForeignServerStmt AlterForeignServerStmt CreateUserMappingStmt "
        "AlterUserMappingStmt DropUserMappingStmt CreatePLangStmt AlterCollationStmt "
        "CreateAmStmt AlterTypeStmt AlterOperatorStmt AlterObjectDependsStmt "
        "AlterExtensionContentsStmt AlterTSDictionaryStmt AlterTSConfigurationStmt "
        "CreatedbStmt AlterDatabaseStmt AlterDatabaseSetStmt DropdbStmt RuleStmt "
        "CreateFunctionStmt CreateTrigStmt CreateSeqStmt CreateEnumStmt CreateRangeStmt "
        "CreateDomainStmt CompositeTypeStmt DefineStmt"
    ).split()
    if hasattr(ast, name)
)
