"""Does ``ALTER COLUMN ... TYPE`` rewrite the table? The binary-coercible changes we know.

PostgreSQL skips the rewrite (and the index rebuilds) when the old type is binary-coercible to the
new one and no length or precision check is needed. We recognise:

- ``varchar(n)`` -> ``varchar(m)`` with m >= n, or -> ``varchar`` / ``text``;
- ``text`` -> ``varchar`` (no length);
- ``varbit(n)`` -> ``varbit(m)`` with m >= n, or -> ``varbit``;
- ``numeric(p, s)`` -> ``numeric(q, s)`` with q >= p, or -> ``numeric``;
- ``timestamp``/``timestamptz``/``time``/``timetz`` precision increases;
- ``cidr`` -> ``inet``; any type to itself with the same modifiers.

Everything else rewrites, including ``int`` -> ``bigint``, ``char(n)`` -> ``text`` (a function
cast) and ``timestamp`` -> ``timestamptz`` (binary only when the session TimeZone is UTC, which a
migration cannot count on). A USING clause other than the bare column (or its cast) rewrites.
"""

from __future__ import annotations

from pglast import ast

from ..names import builtin_type, type_modifiers

_LENGTH_TYPES = frozenset({"varchar", "varbit"})
_PRECISION_TYPES = frozenset({"timestamp", "timestamptz", "time", "timetz"})
_TEXT_TYPES = frozenset({"text", "varchar"})
# Types that some other type widens into without a rewrite: the verdict depends on the old type.
WIDENING_TARGETS = frozenset({"text", "varchar", "varbit", "numeric", "inet"} | _PRECISION_TYPES)


def rewrites(
    old: ast.TypeName | None, new: ast.TypeName, using: ast.Node | None, column: str
) -> bool | None:
    """True when the change rewrites the table, False when not, None when it depends on the
    column's current type, which the migration does not tell (``old`` is None)."""
    if using is not None and not _is_bare_column(using, column):
        return True
    new_base = builtin_type(new)
    if old is None:
        return None if new_base in WIDENING_TARGETS and not new.arrayBounds else True
    if bool(old.arrayBounds) != bool(new.arrayBounds):
        return True
    return not _binary_coercible(
        builtin_type(old), type_modifiers(old), new_base, type_modifiers(new)
    )


def _binary_coercible(
    old: str | None, old_mods: tuple[int, ...], new: str | None, new_mods: tuple[int, ...]
) -> bool:
    if old is None or new is None:
        return False  # user-defined types: assume the worst
    if old == new:
        return _same_base_widens(old, old_mods, new_mods)
    if old in _TEXT_TYPES and new in _TEXT_TYPES:
        return new == "text" or not new_mods
    return (old, new) == ("cidr", "inet")


def _same_base_widens(base: str, old_mods: tuple[int, ...], new_mods: tuple[int, ...]) -> bool:
    if old_mods == new_mods or not new_mods:
        return True
    if not old_mods:
        return False  # unconstrained -> constrained needs every value checked
    if base in _LENGTH_TYPES or base in _PRECISION_TYPES:
        return new_mods[0] >= old_mods[0]
    if base == "numeric":
        old_scale = old_mods[1] if len(old_mods) > 1 else 0
        new_scale = new_mods[1] if len(new_mods) > 1 else 0
        return new_scale == old_scale and new_mods[0] >= old_mods[0]
    return False


def _is_bare_column(expression: ast.Node, column: str) -> bool:
    if isinstance(expression, ast.TypeCast):
        expression = expression.arg
    return (
        isinstance(expression, ast.ColumnRef)
        and getattr(expression.fields[-1], "sval", None) == column
    )
