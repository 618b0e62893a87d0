"""Conformance specs: for every adapter, its table's exact DDL and three migrations in its layout.

One module per framework family adds ``Spec`` objects to ``SPECS``; the conformance suite runs
every registered adapter against its spec (an adapter without a spec fails the suite).
"""

from __future__ import annotations

from .app_family import SPECS as APP_FAMILY
from .atlas import SPECS as ATLAS
from .base import Spec
from .changelogs import SPECS as CHANGELOGS
from .core import SPECS as CORE
from .go_tools import SPECS as GO_TOOLS
from .js import SPECS as JS
from .orms import SPECS as ORMS
from .platforms import SPECS as PLATFORMS
from .python_family import SPECS as PYTHON_FAMILY
from .rust_tools import SPECS as RUST_TOOLS

SPECS: dict[str, Spec] = {
    spec.framework: spec for spec in [*CORE, *APP_FAMILY, *CHANGELOGS, *PYTHON_FAMILY, *JS]
}
SPECS.update((spec.framework, spec) for spec in [*GO_TOOLS, *ATLAS, *RUST_TOOLS])
SPECS.update((spec.framework, spec) for spec in [*ORMS, *PLATFORMS])

__all__ = ["SPECS", "Spec"]
