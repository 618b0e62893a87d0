"""Split SQL into statements with exact positions, on PostgreSQL's own parser (pglast).

Every other part of the app that needs to know "what statements, where" comes here: the runner
(to execute and to name the failing line), the lint rules, the schema detection and the section
and directive readers (which look at comment tokens from the same scanner).

    >>> [s.line for s in parse_statements("SELECT 1;\\n\\nSELECT 2;")]
    [1, 3]
"""

from __future__ import annotations

import bisect
import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from pglast import ast, parser

from ..exceptions import SQLSyntaxError


@dataclass(frozen=True)
class Statement:
    """One SQL statement of a source text.

    ``start`` is the character offset in the analysed text; ``line`` / ``column`` are 1-based and
    already shifted to the file's numbering (see ``parse_statements(first_line=...)``).
    """

    text: str
    start: int
    line: int
    column: int
    tree: _Tree = field(compare=False, repr=False)
    index: int = field(compare=False, repr=False, default=0)

    @property
    def node(self) -> ast.Node:
        """The statement's parse tree (built on first use, for all statements of the source)."""
        return self.tree.nodes[self.index]

    @property
    def kind(self) -> str:
        """The parse-tree node name, e.g. ``CreateStmt`` or ``IndexStmt``."""
        return type(self.node).__name__

    @property
    def no_transaction(self) -> bool:
        """True when PostgreSQL refuses to run this statement inside a transaction block."""
        return cannot_run_in_transaction(self.node)


class _Tree:
    """The parse trees of one source, built lazily.

    Splitting (which already runs the parser, so syntax errors surface) is enough to execute a
    migration; the Python parse tree is only needed by the analyses, and costs ten times more.
    """

    def __init__(self, source: str) -> None:
        self._source = source

    @property
    def nodes(self) -> tuple[ast.Node, ...]:
        return _parse_trees(self._source)


@functools.lru_cache(maxsize=64)
def _parse_trees(source: str) -> tuple[ast.Node, ...]:
    """Parse trees by source text: the check, lint and detect-schema of an unchanged pending
    file reuse them. Callers only read the trees (analyses that change one copy it first)."""
    return tuple(raw.stmt for raw in parser.parse_sql(source))


@dataclass(frozen=True)
class Comment:
    """A comment token: its text without the comment markers, and where it starts."""

    text: str
    start: int
    line: int
    block: bool = False


class LineIndex:
    """Maps character offsets of a text to 1-based (line, column)."""

    def __init__(self, text: str) -> None:
        self._starts = [0]
        position = text.find("\n")
        while position != -1:
            self._starts.append(position + 1)
            position = text.find("\n", position + 1)

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset)

    def column_of(self, offset: int) -> int:
        return offset - self._starts[self.line_of(offset) - 1] + 1


def parse_statements(
    source: str, *, first_line: int = 1, name: str | None = None
) -> list[Statement]:
    """Parse ``source`` into statements; raise ``SQLSyntaxError`` with the parser's line.

    Args:
        source: SQL text (one section of a migration file, or a whole file).
        first_line: the file line number of the first line of ``source``.
        name: the migration's name, used in error messages only.
    """
    lines = LineIndex(source)

    def syntax_error(message: str, position: int) -> SQLSyntaxError:
        return SQLSyntaxError(
            message,
            name=name,
            line=lines.line_of(position) + first_line - 1,
            column=lines.column_of(position),
            position=position,
        )

    unsendable = _unsendable(source)
    if unsendable is not None:
        raise syntax_error(*unsendable)
    try:
        slices = list(parser.split(source, with_parser=True, only_slices=True))
    except parser.ParseError as error:
        message, location = error.args
        # An error at the end of the input ("syntax error at end of input") has no location.
        raise syntax_error(message, len(source) if location is None else int(location)) from None
    tree = _Tree(source)
    return [
        Statement(
            text=source[span],
            start=span.start,
            line=lines.line_of(span.start) + first_line - 1,
            column=lines.column_of(span.start),
            tree=tree,
            index=index,
        )
        for index, span in enumerate(slices)
    ]


def _unsendable(source: str) -> tuple[str, int] | None:
    """Why and where ``source`` holds what no query can carry: a NUL (the parser, reading a C
    string, would silently stop there and drop the rest) or a lone surrogate (not UTF-8)."""
    found = []
    if "\x00" in source:
        found.append(("a NUL character, which PostgreSQL cannot receive", source.index("\x00")))
    try:
        source.encode("utf-8")
    except UnicodeEncodeError as error:
        found.append(("a lone surrogate, which is not UTF-8 text", error.start))
    return min(found, key=lambda problem: problem[1]) if found else None


def _sendable_prefix(source: str) -> str:
    """``source`` up to what no query can carry (all of it, usually)."""
    problem = _unsendable(source)
    return source if problem is None else source[: problem[1]]


@functools.lru_cache(maxsize=256)
def comments(source: str, *, first_line: int = 1) -> tuple[Comment, ...]:
    """The comments of ``source`` (``--`` and ``/* */``), found by PostgreSQL's scanner.

    Text inside string literals, dollar-quoted bodies or identifiers is never taken for a comment.
    An unterminated literal makes the scanner stop; the comments before it are still returned.
    Cached: a file's sections and directives are read from the same scan.
    """
    lines = LineIndex(source)
    found = []
    for token in _scan(source):
        raw = source[token.start : token.end + 1]
        if token.name == "SQL_COMMENT":
            text, block = raw.removeprefix("--"), False
        elif token.name == "C_COMMENT":
            text, block = raw.removeprefix("/*").removesuffix("*/"), True
        else:
            continue
        line = lines.line_of(token.start) + first_line - 1
        found.append(Comment(text.strip(), token.start, line, block))
    return tuple(found)


def _scan(source: str) -> list[parser.Token]:
    """PostgreSQL's tokens of ``source``, up to a NUL or a lone surrogate (which
    ``parse_statements`` refuses)."""
    try:
        return parser.scan(_sendable_prefix(source))
    except parser.ParseError:
        return []


_ALWAYS_OUTSIDE_TRANSACTION = (
    ast.VacuumStmt,
    ast.CreatedbStmt,
    ast.DropdbStmt,
    ast.AlterSystemStmt,
    ast.CreateTableSpaceStmt,
    ast.DropTableSpaceStmt,
    ast.CreateSubscriptionStmt,
)


def cannot_run_in_transaction(node: ast.Node) -> bool:
    """Whether PostgreSQL raises ``25001 cannot run inside a transaction block`` for ``node``.

    Covers CONCURRENTLY index builds, drops and reindexes, VACUUM (and ANALYZE is fine), database
    and tablespace DDL, ALTER SYSTEM, CREATE SUBSCRIPTION, and DETACH PARTITION CONCURRENTLY.
    """
    if isinstance(node, _ALWAYS_OUTSIDE_TRANSACTION):
        return not (isinstance(node, ast.VacuumStmt) and not node.is_vacuumcmd)
    if isinstance(node, ast.IndexStmt):
        return bool(node.concurrent)
    if isinstance(node, ast.DropStmt):
        return bool(node.concurrent)
    if isinstance(node, ast.ReindexStmt):
        return any(option.defname == "concurrently" for option in node.params or ())
    if isinstance(node, ast.AlterTableStmt):
        return any(_detaches_concurrently(command) for command in node.cmds or ())
    return False


def _detaches_concurrently(command: ast.Node) -> bool:
    definition = getattr(command, "def_", None)
    return isinstance(definition, ast.PartitionCmd) and bool(definition.concurrent)


def cut_after_semicolons(source: str) -> list[str]:
    """``source`` cut right after each semicolon that ends a statement, as text-splitting tools
    store migrations (Supabase's ``statements``): comments and blanks before a statement stay
    with it, and text after the last semicolon is the last piece. Semicolons inside literals,
    dollar-quoted bodies or comments do not cut (PostgreSQL's scanner finds them).
    """
    cuts = [token.end + 1 for token in _scan(source) if token.name == "ASCII_59"]
    starts = [0, *cuts]
    return [source[start:end] for start, end in zip(starts, [*cuts, len(source)], strict=True)]


def texts_hash(statements: Sequence[Statement]) -> str:
    """SHA-256 of the statements' texts, NUL-separated (no statement text contains NUL)."""
    return hashlib.sha256("\0".join(s.text for s in statements).encode()).hexdigest()
