"""The comparable shape of an index: what it indexes, however the definition is spelled.

Schema detection compares the index a migration creates with the one the catalog holds: both are
printed from a parse tree (the migration's CREATE INDEX and the parsed ``pg_get_indexdef()``), so
spacing, parentheses and the casts the server adds to constants do not count.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from pglast import ast, parser, visitors
from pglast.stream import RawStream


@dataclass(frozen=True)
class IndexShape:
    """What an index indexes, printed from the parse tree so that it compares with the shape of
    a parsed ``pg_get_indexdef`` (spacing, parentheses and casts of constants do not matter)."""

    columns: tuple[str, ...]
    unique: bool = False
    method: str = "btree"
    where: str | None = None
    include: tuple[str, ...] = ()


def index_shape(node: ast.IndexStmt) -> IndexShape:
    """The comparable shape of a CREATE INDEX (also of a parsed ``pg_get_indexdef`` result)."""
    if node.whereClause is not None or any(e.expr is not None for e in node.indexParams or ()):
        # Expressions: the server prints 'x'::text where the migration said 'x'. (Plain columns
        # have no constants: the copy and the walk, which cost most, are skipped.)
        node = copy.deepcopy(node)
        ConstantCasts()(node)
    return IndexShape(
        columns=tuple(RawStream()(element) for element in node.indexParams or ()),
        unique=bool(node.unique),
        method=node.accessMethod or "btree",
        where=RawStream()(node.whereClause) if node.whereClause else None,
        include=tuple(RawStream()(element) for element in node.indexIncludingParams or ()),
    )


def index_shape_of_definition(definition: str) -> IndexShape:
    """``index_shape`` of a ``pg_get_indexdef()`` text."""
    return index_shape(parser.parse_sql(definition)[0].stmt)


class ConstantCasts(visitors.Visitor):
    """Drops the casts of constants: the server prints 'x'::text where SQL said 'x'."""

    def visit_TypeCast(self, ancestors: object, node: ast.TypeCast) -> ast.Node | None:
        return node.arg if isinstance(node.arg, ast.A_Const) else None
