"""node-pg-migrate's own comparator (``compareMigrationFileNames``) against ``order_key`` on
generated names: numeric prefixes of every length, UTC times (invalid ones included), and the
characters its locale collation weighs differently (case, accents, punctuation, symbols)."""

from __future__ import annotations

import json
import random
import subprocess

import pytest

from migrations_manager.frameworks.node_pg_migrate_cli import package_root
from migrations_manager.frameworks.node_pg_migrate_files import order_key

pytestmark = pytest.mark.realfw

PREFIXES = ("1_", "1_", "2_", "10_", "0001_", "20240101000000000_", "20230229120000000_", "")
ALPHABET = "aAbBzZ09_-. ~+$=éÉàfF1"


def names(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return [
        rng.choice(PREFIXES)
        + "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 5)))
        + rng.choice((".sql", ".cjs"))
        for _ in range(count)
    ]


def test_the_order_is_node_pg_migrates_own(app_node):
    comparators = package_root(app_node) / "dist" / "legacy" / "utils" / "comparators.js"
    generated = sorted({name for name in names(7, 600) if name[0].isdigit()})
    script = (
        f'import {{ compareMigrationFileNames }} from "{comparators.as_uri()}";\n'
        'import { readFileSync } from "node:fs";\n'
        'const names = JSON.parse(readFileSync(0, "utf8"));\n'
        "const quiet = { error() {}, warn() {}, info() {} };\n"
        "names.sort((a, b) => compareMigrationFileNames(a, b, quiet));\n"
        "process.stdout.write(JSON.stringify(names));\n"
    )
    result = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        input=json.dumps(generated),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert sorted(generated, key=order_key) == json.loads(result.stdout)
