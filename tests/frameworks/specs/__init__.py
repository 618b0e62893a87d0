"""Conformance specs: for every adapter, its table's exact DDL and three migrations in its layout.

One module per framework family adds ``Spec`` objects to ``SPECS``; the conformance suite runs
every registered adapter against its spec (an adapter without a spec fails the suite).
"""

from __future__ import annotations

from .base import Spec
from .core import SPECS as CORE
from .js import SPECS as JS

SPECS: dict[str, Spec] = {spec.framework: spec for spec in [*CORE, *JS]}

__all__ = ["SPECS", "Spec"]
