"""node-pg-migrate 9's reading of a directory: files, order, and the sections of a SQL file.

The cases here are node-pg-migrate's own rules (``sqlMigration.ts``, ``comparators.ts``); the
real node-pg-migrate agrees on the same files in ``tests/realfw/test_node_pg_migrate.py``.
"""

from __future__ import annotations

import pytest

from migrations_manager.frameworks.node_pg_migrate_files import order_key, sections

SECTION_CASES = {
    "both": (
        "-- Up Migration\nA;\n-- Down Migration\nB;\n",
        ("-- Up Migration\nA;\n", 1),
        ("-- Down Migration\nB;\n", 3),
    ),
    "no-marker": ("A;\n", ("A;\n", 1), None),
    "lowercase-no-space": ("  --up migration\nA;\n", ("  --up migration\nA;\n", 1), None),
    "down-first": (
        "-- Down Migration\nB;\n-- Up Migration\nA;\n",
        ("-- Up Migration\nA;\n", 3),
        ("-- Down Migration\nB;\n", 1),
    ),
    "colon-and-plural": (
        "-- Up Migration:\nA;\n-- down migrations\nB;\n",
        ("-- Up Migration:\nA;\n", 1),
        ("-- down migrations\nB;\n", 3),
    ),
    "extra-dashes": ("--- - UP \t MIGRATION\nA;\n", ("--- - UP \t MIGRATION\nA;\n", 1), None),
    # Without an up marker, the whole file is the up section, down section included.
    "down-only-first-line": (
        "-- Down Migration\nB;\n",
        ("-- Down Migration\nB;\n", 1),
        ("-- Down Migration\nB;\n", 1),
    ),
    "down-only-later": (
        "-- note\n-- Down Migration\nB;\n",
        ("-- note\n-- Down Migration\nB;\n", 1),
        ("-- Down Migration\nB;\n", 2),
    ),
    # Blank lines before a marker belong to the marker's section (the match starts there).
    "blank-lines-before-down": (
        "-- Up Migration\nA;\n\n\n-- Down Migration\nB;\n",
        ("-- Up Migration\nA;\n", 1),
        ("\n\n-- Down Migration\nB;\n", 3),
    ),
    # node-pg-migrate reads lines, not SQL: a marker line inside a string literal counts.
    "in-string": ("SELECT '\n-- Up Migration\n';\n", ("-- Up Migration\n';\n", 2), None),
    "not-at-line-start": ("SELECT 1; -- Up Migration\n", ("SELECT 1; -- Up Migration\n", 1), None),
    "block-comment": ("/* Up Migration */\nA;\n", ("/* Up Migration */\nA;\n", 1), None),
    "no-space-before-migration": ("-- Upmigration\nA;\n", ("-- Upmigration\nA;\n", 1), None),
    "dotless-i-is-not-i": ("-- Up M\u0131gration\nA;\n", ("-- Up M\u0131gration\nA;\n", 1), None),
    "dashes-then-newline": ("--\nup migration\nA;\n", ("--\nup migration\nA;\n", 1), None),
}


@pytest.mark.parametrize("text, up, down", SECTION_CASES.values(), ids=SECTION_CASES.keys())
def test_sections_as_node_pg_migrate_cuts_them(text, up, down):
    found_up, found_down = sections(text)
    assert (found_up.text, found_up.first_line) == up
    assert (None if found_down is None else (found_down.text, found_down.first_line)) == down


ORDER_CASES = {
    "numeric-not-lexical": (["10_c.sql", "2_b.sql", "1_a.sql"], ["1_a.sql", "2_b.sql", "10_c.sql"]),
    # 17 digits are a UTC time: 2020-01-01 comes before 1600000000000 ms (2020-09-13).
    "utc-prefix-as-time": (
        ["1600000000000_x.sql", "20200101000000000_y.sql"],
        ["20200101000000000_y.sql", "1600000000000_x.sql"],
    ),
    "same-number-then-name": (["010_d.sql", "10_c.sql"], ["10_c.sql", "010_d.sql"]),
    "extensions-mixed": (["2_b.cjs", "1_a.ts", "3_c.mjs"], ["1_a.ts", "2_b.cjs", "3_c.mjs"]),
}


@pytest.mark.parametrize("names, ordered", ORDER_CASES.values(), ids=ORDER_CASES.keys())
def test_order_is_node_pg_migrates(names, ordered):
    assert sorted(names, key=order_key) == ordered
