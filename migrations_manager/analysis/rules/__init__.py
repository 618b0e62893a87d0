"""Lint rules, one module per family; importing this package registers them all.

See ``base.py`` for how a rule is written and ``analysis/lint.py`` for the engine that runs them.
"""

from . import (
    columns,
    constraints,
    data,
    enums,
    indexes,
    maintenance,
    session,
    tables,
    typechoice,
)
from .base import REGISTRY, Hit, Rule, Severity

__all__ = [
    "REGISTRY",
    "Hit",
    "Rule",
    "Severity",
    "columns",
    "constraints",
    "data",
    "enums",
    "indexes",
    "maintenance",
    "session",
    "tables",
    "typechoice",
]
