"""Names and types as PostgreSQL spells them, read from parse trees; and tree walking.

Shared by every analysis module: a relation is a ``Target`` ``(schema or None, name)`` as written
(the parser has already folded unquoted identifiers to lower case); ``target_name`` prints it back
quoted only where PostgreSQL needs it; ``type_text`` prints a type the way ``format_type()`` does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from pglast import ast
from pglast.enums import FunctionParameterMode
from pglast.stream import maybe_double_quote_name

Target = tuple[str | None, str]


def relation_target(relation: ast.RangeVar, default_schema: str | None = None) -> Target:
    """(schema or None, name) of a RangeVar."""
    return relation.schemaname or default_schema, relation.relname


def names_target(names: Sequence[ast.String], default_schema: str | None = None) -> Target:
    """(schema or None, name) of a qualified-name list such as ``('app', 'mood')``."""
    parts = [name.sval for name in names]
    return (parts[-2] if len(parts) > 1 else default_schema), parts[-1]


def target_name(target: Target) -> str:
    """``schema.name`` (or ``name``), each part double-quoted only where PostgreSQL needs it."""
    schema, name = target
    quoted = maybe_double_quote_name(name)
    return quoted if schema is None else f"{maybe_double_quote_name(schema)}.{quoted}"


# Internal type names and the spelling format_type() and to_regprocedure() agree on.
_STANDARD_TYPE_NAMES = {
    "int2": "smallint",
    "int4": "integer",
    "int8": "bigint",
    "float4": "real",
    "float8": "double precision",
    "bool": "boolean",
    "varchar": "character varying",
    "bpchar": "character",
    "timestamp": "timestamp without time zone",
    "timestamptz": "timestamp with time zone",
    "time": "time without time zone",
    "timetz": "time with time zone",
    "varbit": "bit varying",
    "decimal": "numeric",
}
_TIME_TYPES = frozenset({"timestamp", "timestamptz", "time", "timetz"})


def builtin_type(type_name: ast.TypeName) -> str | None:
    """The internal name of a type written unqualified or in pg_catalog (``int4``, ``text``...)."""
    parts = [name.sval for name in type_name.names]
    if len(parts) == 1 or parts[0] == "pg_catalog":
        return parts[-1]
    return None


def type_modifiers(type_name: ast.TypeName) -> tuple[int, ...]:
    """The integer modifiers of a type (``varchar(10)`` -> ``(10,)``), empty when none or odd."""
    values = [getattr(item, "val", None) for item in type_name.typmods or ()]
    if all(isinstance(value, ast.Integer) for value in values):
        return tuple(value.ival for value in values)
    return ()


def type_text(type_name: ast.TypeName, *, modifiers: bool = True) -> str:
    """A type as ``format_type()`` prints it: ``integer``, ``character varying(10)``..."""
    internal = builtin_type(type_name)
    if internal is not None:
        text = _STANDARD_TYPE_NAMES.get(internal, maybe_double_quote_name(internal))
    else:
        text = ".".join(maybe_double_quote_name(name.sval) for name in type_name.names)
    typmods = type_modifiers(type_name) if modifiers and internal != "interval" else ()
    if typmods:
        text = _with_modifiers(text, internal, typmods)
    if type_name.pct_type:
        text += "%TYPE"
    return text + "[]" * len(type_name.arrayBounds or ())


def _with_modifiers(text: str, internal: str | None, typmods: tuple[int, ...]) -> str:
    suffix = "(" + ",".join(str(value) for value in typmods) + ")"
    if internal in _TIME_TYPES:
        # format_type puts the precision after the first word: timestamp(3) with time zone.
        head, _, tail = text.partition(" ")
        return f"{head}{suffix} {tail}".rstrip()
    return text + suffix


_OUTPUT_MODES = frozenset(
    {FunctionParameterMode.FUNC_PARAM_OUT, FunctionParameterMode.FUNC_PARAM_TABLE}
)


def function_arguments(parameters: Iterable[ast.FunctionParameter] | None) -> tuple[str, ...]:
    """The identity argument types: OUT and RETURNS TABLE columns are not part of a signature."""
    return tuple(
        type_text(parameter.argType, modifiers=False)
        for parameter in parameters or ()
        if parameter.mode not in _OUTPUT_MODES
    )


def walk(node: ast.Node | Sequence | None) -> Iterator[ast.Node]:
    """Every node under ``node`` (itself included), parents before children."""
    stack: list = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Node):
            yield item
            stack.extend(reversed([getattr(item, slot) for slot in item.__slots__]))
        elif isinstance(item, tuple | list):
            stack.extend(reversed(item))


def read_relations(node: ast.Node) -> list[Target]:
    """Every relation a query names (FROM, JOIN, subqueries), except its own WITH names."""
    nodes = list(walk(node))
    ctes = {cte.ctename for cte in nodes if isinstance(cte, ast.CommonTableExpr)}
    found: dict[Target, None] = {}
    for item in nodes:
        if isinstance(item, ast.RangeVar):
            if item.schemaname is not None or item.relname not in ctes:
                found[relation_target(item)] = None
    return list(found)
