"""The comparable shape of a view's query, however it is spelled.

Schema detection compares the query of a migration's CREATE VIEW with the one the catalog holds
(``pg_get_viewdef``), which the server prints its own way: every column qualified by its table
(``orders.id``), constants cast (``10::numeric``), ``IN (1, 2)`` as ``= ANY (ARRAY[1, 2])``,
``*`` expanded, the names of output columns spelled out (``count(*) AS count``). Both queries
are printed from parse trees where these differences are undone; what is left differs in
substance (or in a spelling this does not undo, which then reads as a difference: the reason
shows both definitions).
"""

from __future__ import annotations

import copy

from pglast import ast, parser, visitors
from pglast.enums import A_Expr_Kind
from pglast.stream import RawStream

from .indexshape import ConstantCasts


def view_shape(query: ast.Node, *, star: bool | None = None) -> str:
    """The comparable text of a view's query; ``star``: leave out the output list (when either
    side selects ``*``, which the server expands)."""
    node = copy.deepcopy(query)
    if star is None:
        star = selects_star(node)
    _InLists()(node)  # first: what it makes is then spelled as the rest
    _Spelling()(node)
    if star and isinstance(node, ast.SelectStmt):
        node.targetList = (ast.ResTarget(val=ast.ColumnRef(fields=(ast.A_Star(),))),)
    return RawStream()(node)


def view_shape_of_definition(definition: str, *, star: bool) -> str:
    """``view_shape`` of a ``pg_get_viewdef()`` text."""
    return view_shape(parser.parse_sql(definition)[0].stmt, star=star)


def selects_star(query: ast.Node) -> bool:
    """Whether the (outermost) output list of ``query`` has a ``*``."""
    targets = query.targetList if isinstance(query, ast.SelectStmt) else None
    return any(
        isinstance(target.val, ast.ColumnRef) and isinstance(target.val.fields[-1], ast.A_Star)
        for target in targets or ()
    )


class _Spelling(ConstantCasts):
    """Undoes what ``pg_get_viewdef`` spells otherwise than a migration."""

    def visit_ColumnRef(self, ancestors: object, node: ast.ColumnRef) -> ast.Node | None:
        if len(node.fields) > 1 and not isinstance(node.fields[-1], ast.A_Star):
            return ast.ColumnRef(fields=(node.fields[-1],))
        return None

    def visit_ResTarget(self, ancestors: object, node: ast.ResTarget) -> ast.Node | None:
        if node.name is not None and node.name == _implicit_name(node.val):
            node.name = None  # the server spells out ``count(*) AS count``
        return None

    def visit_RangeVar(self, ancestors: object, node: ast.RangeVar) -> ast.Node | None:
        node.schemaname = None  # qualified by the server only when not in the search_path
        if node.alias is not None and node.alias.aliasname == node.relname:
            node.alias = None
        return None


class _InLists(visitors.Visitor):
    """``x IN (1, 2)`` as the server prints it: ``x = ANY (ARRAY[1, 2])``."""

    def visit_A_Expr(self, ancestors: object, node: ast.A_Expr) -> ast.Node | None:
        if node.kind == A_Expr_Kind.AEXPR_IN and isinstance(node.rexpr, tuple | list):
            kind = A_Expr_Kind.AEXPR_OP_ANY if _name(node) == "=" else A_Expr_Kind.AEXPR_OP_ALL
            array = ast.A_ArrayExpr(elements=tuple(node.rexpr))
            return ast.A_Expr(kind=kind, name=node.name, lexpr=node.lexpr, rexpr=array)
        return None


def _name(node: ast.A_Expr) -> str:
    return node.name[-1].sval if node.name else ""


def _implicit_name(value: ast.Node) -> str | None:
    """The name PostgreSQL gives an output column written without ``AS``."""
    if isinstance(value, ast.ColumnRef) and isinstance(value.fields[-1], ast.String):
        return value.fields[-1].sval
    if isinstance(value, ast.FuncCall):
        return value.funcname[-1].sval
    if isinstance(value, ast.TypeCast):
        return _implicit_name(value.arg) or value.typeName.names[-1].sval
    return "?column?" if isinstance(value, ast.A_Const) else None
