"""Syntax highlighting of migration files with Pygments, on the server (no script, no CDN).

HTML carries its styles inline (``noclasses``), so the API's ``html`` field displays as is
anywhere; each line is an anchor ``#line-N`` so a lint finding can link to its line.
"""

from __future__ import annotations

import pygments
from pygments.formatters import HtmlFormatter, TerminalFormatter
from pygments.lexer import Lexer
from pygments.lexers import JavascriptLexer, PostgresLexer, TextLexer

LINE_ANCHOR = "line"


def html(text: str, filename: str) -> str:
    """``text`` as highlighted HTML with line numbers."""
    formatter = HtmlFormatter(
        linenos="table", noclasses=True, lineanchors=LINE_ANCHOR, wrapcode=True
    )
    return pygments.highlight(text, _lexer(filename), formatter)


def terminal(text: str, filename: str) -> str:
    """``text`` with ANSI colours, for a terminal."""
    return pygments.highlight(text, _lexer(filename), TerminalFormatter())


def _lexer(filename: str) -> Lexer:
    extension = filename.rsplit(".", 1)[-1].lower()
    if extension == "sql":
        return PostgresLexer()
    if extension in ("cjs", "js", "mjs"):
        return JavascriptLexer()
    return TextLexer()
