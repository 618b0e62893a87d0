"""Statements whose effect the catalog cannot show: rows written, privileges granted, objects
dropped. After them, that the objects a migration creates exist says nothing of whether the
migration ran: schema detection says so rather than "safe".

    >>> from migrations_manager.analysis.statements import parse_statements
    >>> sql = "CREATE TABLE t ();\\nINSERT INTO t DEFAULT VALUES"
    >>> [change.text for change in data_changes(parse_statements(sql))]
    ['INSERT on t, line 2']
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pglast import ast
from pglast.enums import AlterTableType

from .names import names_target, relation_target, target_name
from .statements import Statement


@dataclass(frozen=True)
class DataChange:
    """``statement`` (INSERT, UPDATE, GRANT, DROP...) on ``target`` (None: a DO block's
    unknown targets) at ``line``."""

    statement: str
    target: str | None
    line: int

    @property
    def text(self) -> str:
        on = f" on {self.target}" if self.target else ""
        return f"{self.statement}{on}, line {self.line}"


def data_changes(statements: Sequence[Statement]) -> list[DataChange]:
    """Every statement of ``statements`` that changes what the catalog cannot show."""
    found = []
    for statement in statements:
        targets = _TARGETS.get(type(statement.node))
        if targets is not None:
            found.extend(
                DataChange(verb, target, statement.line) for verb, target in targets(statement.node)
            )
    return found


_Targets = Iterator[tuple[str, str | None]]


def _rows(verb: str) -> Callable[[ast.Node], _Targets]:
    return lambda node: iter([(verb, target_name(relation_target(node.relation)))])


def _copy(node: ast.CopyStmt) -> _Targets:
    if node.is_from and node.relation is not None:
        yield "COPY", target_name(relation_target(node.relation))


def _truncate(node: ast.TruncateStmt) -> _Targets:
    for relation in node.relations or ():
        yield "TRUNCATE", target_name(relation_target(relation))


def _grant(node: ast.GrantStmt | ast.GrantRoleStmt) -> _Targets:
    verb = "GRANT" if node.is_grant else "REVOKE"
    objects = node.objects if isinstance(node, ast.GrantStmt) else None
    for item in objects or (None,):
        yield verb, _name(item)


def _drop(node: ast.DropStmt) -> _Targets:
    for item in node.objects or ():
        yield "DROP", _name(item)


def _drop_column(node: ast.AlterTableStmt) -> _Targets:
    if node.relation is None:
        return
    table = target_name(relation_target(node.relation))
    for command in node.cmds or ():
        if command.subtype == AlterTableType.AT_DropColumn:
            yield "DROP COLUMN", f"{table}.{command.name}"


_TARGETS: dict[type, Callable[[Any], _Targets]] = {
    ast.InsertStmt: _rows("INSERT"),
    ast.UpdateStmt: _rows("UPDATE"),
    ast.DeleteStmt: _rows("DELETE"),
    ast.MergeStmt: _rows("MERGE"),
    ast.CopyStmt: _copy,
    ast.TruncateStmt: _truncate,
    ast.GrantStmt: _grant,
    ast.GrantRoleStmt: _grant,
    ast.DropStmt: _drop,
    ast.AlterTableStmt: _drop_column,
    ast.DoStmt: lambda node: iter([("DO", None)]),
}


def _name(item: object) -> str | None:
    """The name of an object a GRANT or a DROP lists."""
    if isinstance(item, ast.RangeVar):
        return target_name(relation_target(item))
    if isinstance(item, ast.ObjectWithArgs):
        return target_name(names_target(item.objname))
    if isinstance(item, ast.String):
        return item.sval
    if isinstance(item, ast.TypeName):
        return target_name(names_target(item.names))
    if isinstance(item, tuple | list) and all(isinstance(part, ast.String) for part in item):
        return target_name(names_target(item))
    return None
