"""The vocabulary of lint rules: severities, rules, the registry, and parse-tree helpers.

A rule is a plain function decorated with ``@rule(...)``: it receives one statement and the
``LintContext`` (what the migration did before it) and yields ``Hit`` objects. The engine
(``analysis/lint.py``) turns hits into findings: it weighs severities by table size, applies inline
suppressions and adds the rule's hint. Rule ids are stable: ``MM0xy`` where ``x`` is the family
(0 indexes, 1 columns, 2 constraints, 3 tables, 4 maintenance, 5 data, 6 session, 7 types).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from pglast import ast
from pglast.enums import AlterTableType, ObjectType

from ..names import Target, walk
from ..statements import Statement

if TYPE_CHECKING:
    from .context import LintContext


class Severity(StrEnum):
    """How bad a finding is; an ``error`` finding also makes the safety check unsafe."""

    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"


@dataclass(frozen=True)
class Hit:
    """What a rule found in one statement.

    ``table`` names the table whose size weighs the severity (weighted rules only);
    ``severity`` / ``hint``, when given, replace the rule's own for this hit.
    """

    message: str
    table: Target | None = None
    severity: Severity | None = None
    hint: str | None = None


Check = Callable[[Statement, "LintContext"], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    """A registered rule; ``weighted`` rules rewrite or scan a table, so its size sets severity."""

    id: str
    name: str
    severity: Severity
    summary: str
    docs: str
    hint: str
    weighted: bool = False
    check: Check = field(default=lambda statement, context: (), repr=False, compare=False)


REGISTRY: dict[str, Rule] = {}


def rule(
    id: str,
    name: str,
    severity: Severity,
    *,
    summary: str,
    docs: str,
    hint: str,
    weighted: bool = False,
) -> Callable[[Check], Check]:
    """Register the decorated check function as a rule (ids and names must be unique)."""

    def register(check: Check) -> Check:
        if id in REGISTRY or any(known.name == name for known in REGISTRY.values()):
            raise ValueError(f"lint rule {id} ({name}) is already registered")
        REGISTRY[id] = Rule(id, name, severity, summary, docs, hint, weighted, check)
        return check

    return register


# --- helpers over parse trees ------------------------------------------------------------------


def alter_table(statement: Statement) -> ast.AlterTableStmt | None:
    """The statement as an ALTER TABLE on a table, or None."""
    node = statement.node
    if isinstance(node, ast.AlterTableStmt) and node.relation is not None:
        if node.objtype == ObjectType.OBJECT_TABLE:
            return node
    return None


def commands(statement: Statement, *subtypes: AlterTableType) -> Iterator[ast.AlterTableCmd]:
    """The subcommands of an ALTER TABLE statement with one of ``subtypes``."""
    node = alter_table(statement)
    for command in node.cmds or () if node is not None else ():
        if command.subtype in subtypes:
            yield command


def added_constraints(statement: Statement, *kinds: object) -> Iterator[ast.Constraint]:
    """The table constraints an ALTER TABLE ... ADD [CONSTRAINT] adds, of the given kinds."""
    for command in commands(statement, AlterTableType.AT_AddConstraint):
        if isinstance(command.def_, ast.Constraint) and command.def_.contype in kinds:
            yield command.def_


def added_columns(statement: Statement) -> Iterator[ast.ColumnDef]:
    """The column definitions of an ALTER TABLE ... ADD COLUMN."""
    for command in commands(statement, AlterTableType.AT_AddColumn):
        yield command.def_


def column_constraints(column: ast.ColumnDef, *kinds: object) -> list[ast.Constraint]:
    """The constraints of a column definition (NOT NULL, DEFAULT, PRIMARY KEY...) of ``kinds``."""
    return [item for item in column.constraints or () if item.contype in kinds]


def function_names(node: ast.Node | None) -> Iterator[str]:
    """The (unqualified) names of the functions an expression calls."""
    for item in walk(node):
        if isinstance(item, ast.FuncCall):
            yield item.funcname[-1].sval
