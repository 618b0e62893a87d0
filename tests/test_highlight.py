"""Pygments highlighting: line numbering that matches the file, and the admin's stylesheet."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from migrations_manager import highlight

REGENERATE = (
    ".venv/bin/python -c 'from migrations_manager import highlight; "
    'print(highlight.stylesheet(), end="")\' > migrations_manager/static/' + highlight.STYLESHEET
)


def test_the_static_stylesheet_is_what_pygments_generates():
    path = Path(finders.find(highlight.STYLESHEET))
    assert path.read_text() == highlight.stylesheet(), f"regenerate it: {REGENERATE}"


def test_the_stylesheet_has_a_dark_variant_for_the_theme_switch_and_the_system():
    css = highlight.stylesheet()
    assert '\nhtml[data-theme="dark"] .mm-code .k {' in css
    system = css.split("@media (prefers-color-scheme: dark) {", 1)[1]
    assert 'html:not([data-theme="light"]) .mm-code .k {' in system
    assert "background" not in css.split("/* Generic.Deleted */")[0]  # the admin's own bg


@pytest.mark.parametrize(
    "text, count",
    [("\n\nSELECT 1;\n", 3), ("SELECT 1;", 1), ("a\n\n\n", 3)],
    ids=["leading-blank-lines", "no-final-newline", "trailing-blank-lines"],
)
def test_lines_are_the_files_lines(text, count):
    """Line N of the output is line N of the file (the API's anchors as the admin's lines)."""
    assert len(highlight.lines(text, "001_a.sql")) == count
    html = highlight.html(text, "001_a.sql")
    assert re.findall(r'id="line-(\d+)"', html) == [str(n) for n in range(1, count + 1)]


def test_an_empty_file_has_no_line():
    assert highlight.lines("", "001_a.sql") == []


class _Balance(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.open = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.open += 1

    def handle_endtag(self, tag: str) -> None:
        self.open -= 1


def test_each_line_is_well_formed_on_its_own():
    text = "/* a comment\n   on two lines */ SELECT 'a string\nwith a newline' <> '<b>';"
    lines = highlight.lines(text, "001_a.sql")
    assert len(lines) == 3
    for line in lines:
        balance = _Balance()
        balance.feed(line)
        assert balance.open == 0, line
    assert "&lt;b&gt;" in lines[2]  # the text is escaped


def test_code_migrations_are_highlighted_as_their_language():
    [line] = highlight.lines("def upgrade():", "0001_initial.py")
    assert '<span class="k">def</span>' in line
    [plain] = highlight.lines("0001 add users", "sqitch.plan")
    assert plain == "0001 add users"
