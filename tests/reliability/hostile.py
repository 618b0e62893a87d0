"""What the hostile-input suites share: hypothesis settings, strategies of hostile names and
text, and which of the files Python opened lie outside the migrations directory."""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from pathlib import Path

import hypothesis
from django.conf import settings
from django.template.utils import get_app_template_dirs
from hypothesis import strategies as st

from tests.utils import is_python_code

# Property-based suites: the same examples on every run (derandomized, no example database),
# as many as keep each suite well under a minute, no per-example deadline (the first examples
# pay for imports and caches).
HOSTILE = hypothesis.settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[hypothesis.HealthCheck.too_slow],
)


def opened_outside(opened: Sequence[Path], directory: Path, area: Path) -> list[Path]:
    """The paths of ``opened`` outside ``directory``: any in ``area`` (where the test planted
    files outside the directory), and elsewhere any that is not Python loading its own code,
    Django its templates or the time zone database."""
    inside = directory.resolve()
    return [
        path
        for path in opened
        if not path.is_relative_to(inside)
        and (path.is_relative_to(area.resolve()) or not _is_runtime_file(path))
    ]


def _is_runtime_file(path: Path) -> bool:
    folders = [
        *settings.TEMPLATES[0]["DIRS"],
        *get_app_template_dirs("templates"),
        *zoneinfo.TZPATH,
    ]
    return is_python_code(path) or any(path.is_relative_to(folder) for folder in folders)


# ---- names ---------------------------------------------------------------------------------------

# Pieces a hostile name is made of: separators and their look-alikes, traversal, control and
# invisible characters, right-to-left overrides, targets outside the directory, SQL.
NAME_PIECES = (
    "/",
    "\\",
    "\x00",
    "..",
    ".",
    "%2f",
    "%2e%2e",
    "%00",
    "\u2215",  # division slash
    "\u2044",  # fraction slash
    "\uff0f",  # fullwidth solidus
    "\uff0e",  # fullwidth full stop
    "\u2024",  # one dot leader
    "\u0430",  # cyrillic a
    "\u200b",  # zero width space
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "\ufeff",
    "\u0301",  # combining acute accent
    "\ud800",  # lone surrogate
    "\udcff",  # a byte the file system encoding could not decode
    "\n",
    "\r",
    "\t",
    "~",
    ":",
    "*",
    "?",
    "C:",
    "/etc/passwd",
    "../outside.sql",
    "outside.sql",
    "link.sql",
    "001_a.sql",
    ".sql",
    "'; DROP TABLE pwned; --",
    '" OR 1=1 --',
    "$$",
)
# Any code point, surrogates included (a JSON "\udXXX" escape, a name the file system could not
# decode): Hypothesis' text leaves surrogates out.
code_point = st.integers(min_value=0, max_value=0x10FFFF).map(chr)
name_piece = st.one_of(
    st.sampled_from(NAME_PIECES),
    st.text(max_size=12),
    st.lists(code_point, max_size=4).map("".join),
)
names = st.one_of(
    st.lists(name_piece, max_size=8).map("".join),
    st.text(),
    st.binary().map(lambda raw: raw.decode("utf-8", "surrogateescape")),
    st.builds(
        lambda piece, times: piece * times,
        name_piece.filter(bool),
        st.integers(min_value=64, max_value=100_000),
    ),
)
not_strings = st.one_of(
    st.none(),
    st.integers(),
    st.floats(),
    st.binary(),
    st.lists(st.text(max_size=5), max_size=3),
)


def near(valid: Sequence[str]) -> st.SearchStrategy[str]:
    """Names of real files, as they are or with a hostile piece spliced in somewhere."""
    real = st.sampled_from(list(valid))
    spliced = st.builds(
        lambda name, piece, at: name[:at] + piece + name[at:],
        real,
        name_piece,
        st.integers(min_value=0, max_value=40),
    )
    return st.one_of(real, spliced)
