"""Reading Python migration files (Django, Alembic) without executing them: Python's ``ast``.

Frameworks declare their graph with plain literals (``revision = "ae10..."``, ``dependencies =
[("shop", "0001_initial")]``); those are read with ``ast.literal_eval``. Anything computed
(``swappable_dependency(settings.AUTH_USER_MODEL)``) is left out rather than guessed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

from ..sources import read_text


@lru_cache(maxsize=4096)
def parse_module(path: Path, sha256: str) -> ast.Module | None:
    """The module's syntax tree (cached by content hash); None when it does not parse."""
    try:
        return ast.parse(read_text(path), filename=path.name)
    except (SyntaxError, ValueError):
        return None


def literal_assignments(body: Sequence[ast.stmt], names: Iterable[str]) -> dict[str, object]:
    """Values of the literal assignments ``name = ...`` / ``name: T = ...`` among ``body``.

    A list or tuple keeps the elements that are literals and drops the others.
    """
    wanted = set(names)
    values: dict[str, object] = {}
    for statement in body:
        if isinstance(statement, ast.Assign):
            targets, value = statement.targets, statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets, value = [statement.target], statement.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and target.id in wanted:
                values[target.id] = _literal(value)
    return values


def _literal(node: ast.expr) -> object:
    try:
        return ast.literal_eval(node)
    except ValueError:
        if isinstance(node, ast.List | ast.Tuple):
            return [value for value in map(_literal, node.elts) if value is not _UNKNOWN]
        return _UNKNOWN


_UNKNOWN = object()


def class_body(module: ast.Module, name: str) -> list[ast.stmt]:
    """The body of the module-level class ``name`` (empty when there is none)."""
    for statement in module.body:
        if isinstance(statement, ast.ClassDef) and statement.name == name:
            return statement.body
    return []


def strings(value: object) -> tuple[str, ...]:
    """A string, or a list/tuple of strings, as a tuple (``None`` and the rest: empty)."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple):
        return tuple(item for item in value if isinstance(item, str))
    return ()
