"""What the lint knows while it walks a migration: the options, and what earlier statements did.

Rules only read the context; the engine calls ``remember`` after each statement, so "earlier in
the migration" always means strictly before the statement being checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pglast import ast
from pglast.enums import AlterTableType, TransactionStmtKind, VariableSetKind
from pglast.enums import ObjectType as PgObject

from ..live import LiveSchema, lookup, not_null_check_column
from ..lockmodes import LockMode, conflicts
from ..locks import LockRequirement, lock_requirements
from ..names import Target, names_target, relation_target
from ..objects import ObjectType, created_by
from ..statements import Statement

# Subcommands after which the catalog's type or nullity of the column no longer holds.
_CHANGES_A_COLUMN = frozenset(
    {
        AlterTableType.AT_AddColumn,
        AlterTableType.AT_AlterColumnType,
        AlterTableType.AT_DropColumn,
        AlterTableType.AT_DropNotNull,
    }
)

# The objects whose creation earlier in the plan makes later statements on them harmless.
_REMEMBERED_KINDS = frozenset({ObjectType.TABLE, ObjectType.INDEX, ObjectType.TYPE})
_ENDS_A_TRANSACTION = frozenset(
    {TransactionStmtKind.TRANS_STMT_COMMIT, TransactionStmtKind.TRANS_STMT_ROLLBACK}
)

SMALL_TABLE_ROWS = 10_000
"""Below this estimated row count, rewriting or scanning a table is a matter of milliseconds."""

TableSizes = Mapping[tuple[str | None, str], int | None]
#: (type, name) -> the schemas it was created in (None: unqualified), for is_new().
NewObjects = dict[tuple[ObjectType, str], set[str | None]]


def same_table(a: Target, b: Target) -> bool:
    """Whether two names may designate the same table (an unqualified name matches any schema)."""
    return a[1] == b[1] and (a[0] is None or b[0] is None or a[0] == b[0])


@dataclass
class _NotNullCheck:
    table: Target
    name: str | None
    column: str
    validated: bool


class LintContext:
    """The lint's options plus what the statements before the current one did."""

    def __init__(
        self,
        *,
        in_transaction: bool = True,
        server_version: int | None = None,
        table_sizes: TableSizes | None = None,
        created: NewObjects | None = None,
        live: LiveSchema | None = None,
        planned: Mapping[str, int] | None = None,
    ) -> None:
        self.in_transaction = in_transaction
        self.server_version = server_version
        self._sizes = dict(table_sizes or {})
        self._created: NewObjects = {} if created is None else created
        self.live = LiveSchema() if live is None else live
        self._planned = planned or {}
        self._column_types: list[tuple[Target, str, ast.TypeName]] = []
        self._checks: list[_NotNullCheck] = []
        self._not_valid: list[tuple[Target, str]] = []
        self._partitioned: list[Target] = []
        #: Enum labels added in the transaction still open, with their type.
        self.new_enum_values: dict[str, Target] = {}
        #: Whether the statement being checked is inside a DO block (the engine sets it).
        self.in_do_block = False
        self.lock_timeout_set = False
        self.took_blocking_lock = False

    # --- questions rules ask ---------------------------------------------------------------

    def is_new(self, table: Target, kind: ObjectType = ObjectType.TABLE) -> bool:
        """Whether the migration created this table (or index...) before the current statement."""
        schemas = self._created.get((kind, table[1]))
        return bool(schemas) and (table[0] is None or None in schemas or table[0] in schemas)

    def rows(self, table: Target) -> int | None:
        """The estimated row count the caller gave for ``table``, or None when unknown."""
        return lookup(self._sizes, table)

    def column_type(self, table: Target, column: str) -> ast.TypeName | None:
        """The type this migration gave ``table.column`` last, else the one it has in the
        catalog; None when neither tells."""
        for known_table, name, type_name in reversed(self._column_types):
            if name == column and same_table(known_table, table):
                return type_name
        return self.live.column_type(table, column)

    def has_validated_not_null_check(self, table: Target, column: str) -> bool:
        return self.live.has_validated_not_null_check(table, column) or any(
            check.validated and check.column == column and same_table(check.table, table)
            for check in self._checks
        )

    def unvalidated_not_null_check(self, table: Target, column: str) -> str | None:
        """The name of a CHECK (column IS NOT NULL) this migration added NOT VALID and has not
        validated, if any."""
        for check in self._checks:
            if not check.validated and check.column == column and same_table(check.table, table):
                return check.name or "the check"
        return None

    def planned_rows(self, statement: Statement) -> int | None:
        """The target's planner's row estimate for ``statement``, when the caller got one."""
        return self._planned.get(statement.text)

    def is_partitioned(self, table: Target) -> bool | None:
        """Whether ``table`` is partitioned (created so in this migration, or so in the
        catalog); None when neither tells."""
        if any(same_table(known, table) for known in self._partitioned):
            return True
        shape = self.live.table(table)
        return None if shape is None else shape.relkind == "p"

    def is_not_null(self, table: Target, column: str) -> bool:
        """Whether the catalog has the column NOT NULL already (and the plan left it so)."""
        found = self.live.column(table, column)
        return found is not None and found.not_null

    def added_not_valid(self, table: Target, name: str) -> bool:
        return any(known == name and same_table(where, table) for where, known in self._not_valid)

    def blocking_locks(self, statement: Statement) -> list[LockRequirement]:
        """Locks of ``statement`` that block writes on tables this migration did not create."""
        return [
            requirement
            for requirement in lock_requirements(statement)
            if conflicts(requirement.mode, LockMode.ROW_EXCLUSIVE)
            and not self.is_new((requirement.schema, requirement.table))
        ]

    # --- bookkeeping -----------------------------------------------------------------------

    def remember(self, statement: Statement) -> None:
        """Record what ``statement`` did, for the rules that look at later statements."""
        self.took_blocking_lock = self.took_blocking_lock or bool(self.blocking_locks(statement))
        for item in created_by(statement):
            if item.type in _REMEMBERED_KINDS and item.name:
                self._created.setdefault((item.type, item.name), set()).add(item.schema)
        node = statement.node
        if isinstance(node, ast.CreateStmt):
            self._remember_columns(relation_target(node.relation), node.tableElts or ())
            if node.partspec is not None:
                self._partitioned.append(relation_target(node.relation))
        elif isinstance(node, ast.AlterTableStmt) and node.relation is not None:
            self._remember_alter(relation_target(node.relation), node.cmds or ())
        elif isinstance(node, ast.RenameStmt | ast.DropStmt):
            self._forget_renamed_or_dropped(node)
        elif isinstance(node, ast.AlterEnumStmt) and node.oldVal is None and node.newVal:
            if self.in_transaction:
                self.new_enum_values[node.newVal] = names_target(node.typeName)
        elif isinstance(node, ast.TransactionStmt) and node.kind in _ENDS_A_TRANSACTION:
            self.new_enum_values.clear()
        elif isinstance(node, ast.VariableSetStmt) and node.name == "lock_timeout":
            self.lock_timeout_set = _sets_a_timeout(node)
        elif isinstance(node, ast.SelectStmt):
            self._remember_set_config(node)

    def _remember_columns(self, table: Target, elements: tuple) -> None:
        for element in elements:
            if isinstance(element, ast.ColumnDef) and element.typeName is not None:
                self._column_types.append((table, element.colname, element.typeName))

    def _remember_alter(self, table: Target, commands: tuple) -> None:
        for command in commands:
            if command.subtype in _CHANGES_A_COLUMN:
                self.live.forget_column(table, command.name or command.def_.colname)
            elif command.subtype == AlterTableType.AT_DropConstraint:
                self.live.forget_checks(table)
            if command.subtype == AlterTableType.AT_AddColumn:
                self._remember_columns(table, (command.def_,))
            elif command.subtype == AlterTableType.AT_AlterColumnType:
                self._column_types.append((table, command.name, command.def_.typeName))
            elif command.subtype == AlterTableType.AT_AddConstraint:
                self._remember_constraint(table, command.def_)
            elif command.subtype == AlterTableType.AT_ValidateConstraint:
                for check in self._checks:
                    if check.name == command.name and same_table(check.table, table):
                        check.validated = True

    def _forget_renamed_or_dropped(self, node: ast.RenameStmt | ast.DropStmt) -> None:
        """A renamed or dropped table (or renamed column) is no longer what the catalog says."""
        if isinstance(node, ast.DropStmt):
            if node.removeType == PgObject.OBJECT_TABLE:
                for names in node.objects or ():
                    self.live.forget_table(names_target(names))
        elif node.relation is not None:
            table = relation_target(node.relation)
            if node.renameType == PgObject.OBJECT_COLUMN:
                self.live.forget_column(table, node.subname)
                self.live.forget_column(table, node.newname)
            elif node.renameType == PgObject.OBJECT_TABLE:
                self.live.forget_table(table)

    def _remember_constraint(self, table: Target, constraint: ast.Constraint) -> None:
        if constraint.skip_validation and constraint.conname:
            self._not_valid.append((table, constraint.conname))
        column = not_null_check_column(constraint)
        if column is not None:
            self._checks.append(
                _NotNullCheck(table, constraint.conname, column, not constraint.skip_validation)
            )

    def _remember_set_config(self, node: ast.SelectStmt) -> None:
        # SELECT set_config('lock_timeout', '5s', ...) is the function form of SET.
        for target in node.targetList or ():
            call = target.val
            if isinstance(call, ast.FuncCall) and call.funcname[-1].sval == "set_config":
                values = [_constant(arg) for arg in call.args or ()]
                if values[:1] == ["lock_timeout"] and len(values) > 1:
                    self.lock_timeout_set = values[1] not in ("0", 0, None)


def _sets_a_timeout(node: ast.VariableSetStmt) -> bool:
    if node.kind != VariableSetKind.VAR_SET_VALUE:
        return False  # RESET / SET ... TO DEFAULT go back to the server default, usually 0
    return _constant(node.args[0]) not in ("0", 0, None)


def _constant(node: ast.Node) -> object:
    if isinstance(node, ast.A_Const) and not node.isnull:
        value = node.val
        return value.sval if isinstance(value, ast.String) else getattr(value, "ival", None)
    return None
