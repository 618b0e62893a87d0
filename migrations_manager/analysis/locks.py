"""Which tables a statement locks, and in which table-level lock mode.

The modes and their conflicts are in ``lockmodes`` (and importable from here); the mode each
command takes follows the command's reference page and, for ALTER TABLE, the server's rule that
the strongest subcommand wins. The safety check uses this to
find the live sessions that would block a pending migration, and the lint to know which statements
would queue behind traffic.

    >>> from migrations_manager.analysis.statements import parse_statements
    >>> [(r.table, str(r.mode)) for r in lock_requirements(parse_statements("TRUNCATE t")[0])]
    [('t', 'ACCESS EXCLUSIVE')]
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from pglast import ast
from pglast.enums import AlterTableType as AT
from pglast.enums import ConstrType, ObjectType, ReindexObjectType

from .lockmodes import LockMode, conflicts, strongest
from .names import Target, names_target, read_relations, relation_target, target_name
from .statements import Statement

__all__ = [
    "LockMode",
    "LockRequirement",
    "conflicts",
    "lock_requirements",
    "strongest",
    "subcommand_mode",
]


@dataclass(frozen=True)
class LockRequirement:
    """One table-level lock a statement takes: on which relation, in which mode, and why."""

    schema: str | None
    table: str
    mode: LockMode
    line: int
    description: str

    @property
    def qualified_name(self) -> str:
        """``schema.table`` (or ``table``), quoted where needed."""
        return target_name((self.schema, self.table))


def lock_requirements(statement: Statement) -> list[LockRequirement]:
    """The relations ``statement`` locks, one entry per relation with the strongest mode it takes.

    Asked again and again of the same statements (the check, the lint, a run's lock timeout),
    the answer is computed once per statement text and position.

    Statements that lock no existing relation (CREATE TABLE without foreign keys or parents,
    CREATE FUNCTION, SET...) give an empty list. A relation is named as written (schema None
    when unqualified). For DROP INDEX and REINDEX INDEX the relation is the index itself: its table
    cannot be known without the catalog.
    """
    return list(_requirements(statement))


@functools.lru_cache(maxsize=4096)
def _requirements(statement: Statement) -> tuple[LockRequirement, ...]:
    merged: dict[Target, tuple[LockMode, str]] = {}
    for target, mode, description in _locks_of(statement.node):
        known = merged.get(target)
        if known is None or mode.level > known[0].level:
            merged[target] = (mode, description)
    return tuple(
        LockRequirement(schema, table, mode, statement.line, description)
        for (schema, table), (mode, description) in merged.items()
    )


_Lock = tuple[Target, LockMode, str]


def _locks_of(node: ast.Node) -> Iterator[_Lock]:
    handler = _HANDLERS.get(type(node))
    return iter(handler(node)) if handler else iter(())


def _lock(target: Target, mode: LockMode, verb: str, suffix: str = "") -> _Lock:
    return target, mode, f"{verb} {target_name(target)}{suffix}"


# --- ALTER TABLE -------------------------------------------------------------------------------

_SHARE_UPDATE_EXCLUSIVE_COMMANDS = frozenset(
    {
        AT.AT_SetStatistics,
        AT.AT_ClusterOn,
        AT.AT_DropCluster,
        AT.AT_SetOptions,
        AT.AT_ResetOptions,
        AT.AT_ValidateConstraint,
        AT.AT_AttachPartition,
        AT.AT_DetachPartitionFinalize,
    }
)
_SHARE_ROW_EXCLUSIVE_COMMANDS = frozenset(
    {
        AT.AT_EnableTrig,
        AT.AT_EnableAlwaysTrig,
        AT.AT_EnableReplicaTrig,
        AT.AT_EnableTrigAll,
        AT.AT_EnableTrigUser,
        AT.AT_DisableTrig,
        AT.AT_DisableTrigAll,
        AT.AT_DisableTrigUser,
    }
)
# Storage parameters that change what queries see, hence the full lock; every other parameter
# (fillfactor, autovacuum_*, toast.*, parallel_workers...) only needs SHARE UPDATE EXCLUSIVE.
_ACCESS_EXCLUSIVE_OPTIONS = frozenset(
    {"user_catalog_table", "check_option", "security_barrier", "security_invoker", "buffering"}
)
_ALTER_VERBS = {
    ObjectType.OBJECT_INDEX: "ALTER INDEX",
    ObjectType.OBJECT_VIEW: "ALTER VIEW",
    ObjectType.OBJECT_MATVIEW: "ALTER MATERIALIZED VIEW",
    ObjectType.OBJECT_SEQUENCE: "ALTER SEQUENCE",
    ObjectType.OBJECT_FOREIGN_TABLE: "ALTER FOREIGN TABLE",
}


def subcommand_mode(command: ast.AlterTableCmd) -> LockMode:
    """The lock one ALTER TABLE subcommand needs on the altered table (the server's rule)."""
    subtype = command.subtype
    if subtype in _SHARE_UPDATE_EXCLUSIVE_COMMANDS:
        return LockMode.SHARE_UPDATE_EXCLUSIVE
    if subtype in _SHARE_ROW_EXCLUSIVE_COMMANDS:
        return LockMode.SHARE_ROW_EXCLUSIVE
    if subtype == AT.AT_AddConstraint and _is_foreign_key(command.def_):
        return LockMode.SHARE_ROW_EXCLUSIVE
    if subtype in (AT.AT_SetRelOptions, AT.AT_ResetRelOptions):
        return _options_mode(command.def_ or ())
    if subtype == AT.AT_DetachPartition and command.def_.concurrent:
        return LockMode.SHARE_UPDATE_EXCLUSIVE
    return LockMode.ACCESS_EXCLUSIVE


def _options_mode(options: Iterable[ast.DefElem]) -> LockMode:
    names = {option.defname for option in options if not option.defnamespace}
    if names & _ACCESS_EXCLUSIVE_OPTIONS:
        return LockMode.ACCESS_EXCLUSIVE
    return LockMode.SHARE_UPDATE_EXCLUSIVE


def _is_foreign_key(node: ast.Node | None) -> bool:
    return isinstance(node, ast.Constraint) and node.contype == ConstrType.CONSTR_FOREIGN


def _alter_table(node: ast.AlterTableStmt) -> Iterator[_Lock]:
    if node.relation is None or node.objtype == ObjectType.OBJECT_TYPE:
        return
    verb = _ALTER_VERBS.get(node.objtype, "ALTER TABLE")
    target = relation_target(node.relation)
    commands = list(node.cmds or ())
    yield _lock(target, strongest(subcommand_mode(command) for command in commands), verb)
    for command in commands:
        yield from _other_tables_of(command, f"{verb} {target_name(target)}")


def _other_tables_of(command: ast.AlterTableCmd, context: str) -> Iterator[_Lock]:
    """Locks a subcommand takes on tables other than the altered one."""
    definition = command.def_
    if command.subtype == AT.AT_AttachPartition:
        partition = relation_target(definition.name)
        yield _lock(partition, LockMode.ACCESS_EXCLUSIVE, "ATTACH PARTITION")
    elif command.subtype == AT.AT_DetachPartition:
        mode = subcommand_mode(command)
        yield _lock(relation_target(definition.name), mode, "DETACH PARTITION")
    for constraint in _constraints_of(definition):
        if _is_foreign_key(constraint):
            yield _lock(
                relation_target(constraint.pktable),
                LockMode.SHARE_ROW_EXCLUSIVE,
                f"{context} REFERENCES",
            )


def _constraints_of(definition: ast.Node | None) -> Iterator[ast.Constraint]:
    if isinstance(definition, ast.Constraint):
        yield definition
    elif isinstance(definition, ast.ColumnDef):
        yield from definition.constraints or ()


# --- other DDL ---------------------------------------------------------------------------------


def _create_table(node: ast.CreateStmt) -> Iterator[_Lock]:
    # A new partition changes its parent's partition descriptor, hence the full lock; plain
    # inheritance only needs to keep the parent's definition still.
    parent_mode = LockMode.ACCESS_EXCLUSIVE if node.partbound else LockMode.SHARE_UPDATE_EXCLUSIVE
    created = f"CREATE TABLE {target_name(relation_target(node.relation))}"
    for parent in node.inhRelations or ():
        verb = f"{created} PARTITION OF" if node.partbound else f"{created} INHERITS"
        yield _lock(relation_target(parent), parent_mode, verb)
    for element in node.tableElts or ():
        for constraint in _constraints_of(element):
            if _is_foreign_key(constraint):
                yield _lock(
                    relation_target(constraint.pktable),
                    LockMode.SHARE_ROW_EXCLUSIVE,
                    f"{created} REFERENCES",
                )


def _drop(node: ast.DropStmt) -> Iterator[_Lock]:
    kind = node.removeType
    if kind in _DROPPED_RELATIONS:
        mode = LockMode.SHARE_UPDATE_EXCLUSIVE if node.concurrent else LockMode.ACCESS_EXCLUSIVE
        for names in node.objects or ():
            yield _lock(names_target(names), mode, _DROPPED_RELATIONS[kind])
    elif kind in _DROPPED_TABLE_PARTS:
        for names in node.objects or ():  # [schema.]table.name: the lock is on the table
            yield _lock(
                names_target(names[:-1]), LockMode.ACCESS_EXCLUSIVE, _DROPPED_TABLE_PARTS[kind]
            )


_DROPPED_RELATIONS = {
    ObjectType.OBJECT_TABLE: "DROP TABLE",
    ObjectType.OBJECT_INDEX: "DROP INDEX",
    ObjectType.OBJECT_VIEW: "DROP VIEW",
    ObjectType.OBJECT_MATVIEW: "DROP MATERIALIZED VIEW",
    ObjectType.OBJECT_SEQUENCE: "DROP SEQUENCE",
    ObjectType.OBJECT_FOREIGN_TABLE: "DROP FOREIGN TABLE",
}
_DROPPED_TABLE_PARTS = {
    ObjectType.OBJECT_TRIGGER: "DROP TRIGGER ON",
    ObjectType.OBJECT_RULE: "DROP RULE ON",
    ObjectType.OBJECT_POLICY: "DROP POLICY ON",
}


def _rename(node: ast.RenameStmt) -> Iterator[_Lock]:
    if node.relation is None:
        return
    # Renaming an index only needs a self-exclusive lock since PostgreSQL 12.
    is_index = node.renameType == ObjectType.OBJECT_INDEX
    mode = LockMode.SHARE_UPDATE_EXCLUSIVE if is_index else LockMode.ACCESS_EXCLUSIVE
    verb = "ALTER INDEX" if is_index else _ALTER_VERBS.get(node.relationType, "ALTER TABLE")
    yield _lock(relation_target(node.relation), mode, verb, " RENAME")


def _reindex(node: ast.ReindexStmt) -> Iterator[_Lock]:
    if node.relation is None:
        return
    # Without CONCURRENTLY the index itself is locked ACCESS EXCLUSIVE and its table SHARE.
    if any(option.defname == "concurrently" for option in node.params or ()):
        mode = LockMode.SHARE_UPDATE_EXCLUSIVE
    elif node.kind == ReindexObjectType.REINDEX_OBJECT_INDEX:
        mode = LockMode.ACCESS_EXCLUSIVE
    else:
        mode = LockMode.SHARE
    yield _lock(relation_target(node.relation), mode, "REINDEX")


def _vacuum(node: ast.VacuumStmt) -> Iterator[_Lock]:
    full = node.is_vacuumcmd and any(option.defname == "full" for option in node.options or ())
    mode = LockMode.ACCESS_EXCLUSIVE if full else LockMode.SHARE_UPDATE_EXCLUSIVE
    verb = "VACUUM FULL" if full else ("VACUUM" if node.is_vacuumcmd else "ANALYZE")
    for relation in node.rels or ():
        yield _lock(relation_target(relation.relation), mode, verb)


def _lock_table(node: ast.LockStmt) -> Iterator[_Lock]:
    mode = LockMode.from_level(node.mode)
    for relation in node.relations or ():
        yield _lock(relation_target(relation), mode, "LOCK TABLE", f" IN {mode} MODE")


def _plain_or_concurrent(
    plain: LockMode, concurrent: LockMode, verb: str
) -> Callable[[ast.Node], Iterator[_Lock]]:
    """CREATE INDEX and REFRESH MATERIALIZED VIEW: a weaker lock when CONCURRENTLY."""

    def handler(node: ast.Node) -> Iterator[_Lock]:
        mode, suffix = (concurrent, " CONCURRENTLY") if node.concurrent else (plain, "")
        yield _lock(relation_target(node.relation), mode, verb.format(suffix))

    return handler


def _each(mode: LockMode, verb: str, attribute: str) -> Callable[[ast.Node], Iterator[_Lock]]:
    """A handler for statements that lock every relation of one attribute the same way."""

    def handler(node: ast.Node) -> Iterator[_Lock]:
        relations = getattr(node, attribute)
        for relation in relations if isinstance(relations, tuple) else (relations,):
            if relation is not None:
                yield _lock(relation_target(relation), mode, verb)

    return handler


def _comment(node: ast.CommentStmt) -> Iterator[_Lock]:
    if node.objtype in _COMMENTED_RELATIONS:
        yield _lock(names_target(node.object), LockMode.SHARE_UPDATE_EXCLUSIVE, "COMMENT ON")
    elif node.objtype == ObjectType.OBJECT_COLUMN:
        yield _lock(names_target(node.object[:-1]), LockMode.SHARE_UPDATE_EXCLUSIVE, "COMMENT ON")


_COMMENTED_RELATIONS = frozenset(
    {
        ObjectType.OBJECT_TABLE,
        ObjectType.OBJECT_VIEW,
        ObjectType.OBJECT_MATVIEW,
        ObjectType.OBJECT_INDEX,
        ObjectType.OBJECT_SEQUENCE,
        ObjectType.OBJECT_FOREIGN_TABLE,
    }
)


# --- queries -----------------------------------------------------------------------------------


def _modify(verb: str) -> Callable[[ast.Node], Iterator[_Lock]]:
    """INSERT / UPDATE / DELETE / MERGE: ROW EXCLUSIVE on the target, ACCESS SHARE on the rest."""

    def handler(node: ast.Node) -> Iterator[_Lock]:
        target = relation_target(node.relation)
        yield _lock(target, LockMode.ROW_EXCLUSIVE, verb)
        for other in read_relations(node):
            if other != target:
                yield _lock(other, LockMode.ACCESS_SHARE, f"{verb} {target_name(target)} reads")

    return handler


def _select(node: ast.SelectStmt) -> Iterator[_Lock]:
    # FOR UPDATE / FOR SHARE lock the rows, and take ROW SHARE on the tables.
    mode = LockMode.ROW_SHARE if node.lockingClause else LockMode.ACCESS_SHARE
    for target in read_relations(node):
        yield _lock(target, mode, "SELECT FROM")


def _reads(verb: str) -> Callable[[ast.Node], Iterator[_Lock]]:
    def handler(node: ast.Node) -> Iterator[_Lock]:
        for target in read_relations(node.query):
            yield _lock(target, LockMode.ACCESS_SHARE, verb)

    return handler


def _copy(node: ast.CopyStmt) -> Iterator[_Lock]:
    if node.relation is not None:
        mode = LockMode.ROW_EXCLUSIVE if node.is_from else LockMode.ACCESS_SHARE
        yield _lock(relation_target(node.relation), mode, "COPY")
    elif node.query is not None:
        yield from _locks_of(node.query)


def _explain(node: ast.ExplainStmt) -> Iterator[_Lock]:
    # Even without ANALYZE, planning takes the statement's locks.
    return _locks_of(node.query)


_HANDLERS: dict[type, Callable[[ast.Node], Iterable[_Lock]]] = {
    ast.AlterTableStmt: _alter_table,
    ast.IndexStmt: _plain_or_concurrent(
        LockMode.SHARE, LockMode.SHARE_UPDATE_EXCLUSIVE, "CREATE INDEX{} ON"
    ),
    ast.CreateStmt: _create_table,
    ast.CreateTrigStmt: _each(LockMode.SHARE_ROW_EXCLUSIVE, "CREATE TRIGGER ON", "relation"),
    ast.RuleStmt: _each(LockMode.ACCESS_EXCLUSIVE, "CREATE RULE ON", "relation"),
    ast.CreatePolicyStmt: _each(LockMode.ACCESS_EXCLUSIVE, "CREATE POLICY ON", "table"),
    ast.AlterPolicyStmt: _each(LockMode.ACCESS_EXCLUSIVE, "ALTER POLICY ON", "table"),
    ast.CreateStatsStmt: _each(
        LockMode.SHARE_UPDATE_EXCLUSIVE, "CREATE STATISTICS ON", "relations"
    ),
    ast.AlterObjectSchemaStmt: _each(LockMode.ACCESS_EXCLUSIVE, "SET SCHEMA", "relation"),
    ast.DropStmt: _drop,
    ast.RenameStmt: _rename,
    ast.TruncateStmt: _each(LockMode.ACCESS_EXCLUSIVE, "TRUNCATE", "relations"),
    ast.ClusterStmt: _each(LockMode.ACCESS_EXCLUSIVE, "CLUSTER", "relation"),
    ast.ReindexStmt: _reindex,
    ast.VacuumStmt: _vacuum,
    ast.RefreshMatViewStmt: _plain_or_concurrent(
        LockMode.ACCESS_EXCLUSIVE, LockMode.EXCLUSIVE, "REFRESH MATERIALIZED VIEW{}"
    ),
    ast.LockStmt: _lock_table,
    ast.CommentStmt: _comment,
    ast.InsertStmt: _modify("INSERT INTO"),
    ast.UpdateStmt: _modify("UPDATE"),
    ast.DeleteStmt: _modify("DELETE FROM"),
    ast.MergeStmt: _modify("MERGE INTO"),
    ast.SelectStmt: _select,
    ast.CreateTableAsStmt: _reads("CREATE ... AS SELECT FROM"),
    ast.ViewStmt: _reads("CREATE VIEW ... FROM"),
    ast.CopyStmt: _copy,
    ast.ExplainStmt: _explain,
}
