"""Split SQL into statements with exact positions, on PostgreSQL's own parser (pglast).

Every other part of the app that needs to know "what statements, where" comes here: the executor
(to execute and to name the failing line), the lint rules, the schema detection and the section
and directive readers (which look at comment tokens from the same scanner).

    >>> [s.line for s in parse_statements("SELECT 1;\\n\\nSELECT 2;")]
    [1, 3]
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

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
    def source(self) -> str:
        """The whole text the statement was parsed from (its file's section)."""
        return self.tree.source

    @property
    def facts(self) -> StatementFacts:
        """What the run path must know of the statement (read from the parser's JSON tree)."""
        return self.tree.facts[self.index]

    @property
    def no_transaction(self) -> bool:
        """True when PostgreSQL refuses to run this statement inside a transaction block."""
        return self.facts.no_transaction


class _Tree:
    """The parse trees of one source, built lazily.

    Splitting (which already runs the parser, so syntax errors surface) is enough to execute a
    migration; the Python parse tree is only needed by the analyses, and costs ten times more.
    The run path reads the few facts it needs from the parser's JSON tree instead, which costs
    about as much as the split.
    """

    def __init__(self, source: str) -> None:
        self._source = source

    @property
    def source(self) -> str:
        return self._source

    @property
    def nodes(self) -> tuple[ast.Node, ...]:
        return _parse_trees(self._source)

    @property
    def facts(self) -> tuple[StatementFacts, ...]:
        return _statement_facts(self._source)


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


# ---- facts for the run path, from the parser's JSON tree ---------------------------------------

_ALWAYS_OUTSIDE_TRANSACTION = frozenset(
    {
        "CreatedbStmt",
        "DropdbStmt",
        "AlterSystemStmt",
        "CreateTableSpaceStmt",
        "DropTableSpaceStmt",
        "CreateSubscriptionStmt",
    }
)
_REINDEX_WHOLE = frozenset(
    {"REINDEX_OBJECT_SCHEMA", "REINDEX_OBJECT_DATABASE", "REINDEX_OBJECT_SYSTEM"}
)
#: The functions a migration may not call: they release every advisory lock of the session,
#: the run's own included, so that another run could start while this one goes on.
_UNLOCKING_FUNCTIONS = frozenset({"pg_advisory_unlock_all"})


@dataclass(frozen=True)
class StatementFacts:
    """What the planner and the executor must know of one statement.

    ``kind`` is the parse-tree node name (``IndexStmt``); ``transaction_control`` the
    ``TransactionStmt`` kind in lower case (``begin``, ``start``, ``commit``, ``rollback``,
    ``savepoint``, ``release``, ``rollback_to``, ``prepare``, ``commit_prepared``,
    ``rollback_prepared``), with ``plain`` False when it carries options or AND CHAIN;
    ``ends_session_state`` is True for what releases the run's advisory lock (DISCARD ALL,
    ``pg_advisory_unlock_all()``); ``client_copy`` for a ``COPY ... FROM STDIN`` / ``TO
    STDOUT``, whose data only a client such as psql sends or reads.
    """

    kind: str
    no_transaction: bool = False
    transaction_control: str | None = None
    plain: bool = True
    ends_session_state: bool = False
    client_copy: bool = False


@functools.lru_cache(maxsize=64)
def _statement_facts(source: str) -> tuple[StatementFacts, ...]:
    statements = json.loads(parser.parse_sql_json(source)).get("stmts", ())
    return tuple(_facts_of(entry["stmt"], source, entry) for entry in statements)


def _facts_of(node: dict[str, Any], source: str, entry: dict[str, Any]) -> StatementFacts:
    (kind, body), *_ = node.items()
    start = entry.get("stmt_location", 0)
    length = entry.get("stmt_len") or len(source.encode("utf-8")) - start
    if kind == "TransactionStmt":
        word = body["kind"].removeprefix("TRANS_STMT_").lower()
        return StatementFacts(kind, transaction_control=word, plain=_plain(body))
    unlocks = kind == "DiscardStmt" and body.get("target") == "DISCARD_ALL"
    if not unlocks and _mentions_unlocking(source, start, length):
        unlocks = any(_calls_unlocking(found) for found in _func_calls(body))
    return StatementFacts(
        kind,
        no_transaction=cannot_run_in_transaction(kind, body),
        ends_session_state=unlocks,
        # A server-side COPY names its file or program; without one the data goes through the
        # client.
        client_copy=kind == "CopyStmt" and not body.get("filename"),
    )


def _plain(body: dict[str, Any]) -> bool:
    return not body.get("options") and not body.get("chain")


def _mentions_unlocking(source: str, start: int, length: int) -> bool:
    """Whether the statement's text names an unlocking function at all: only then is its tree
    walked (locations in the JSON tree are byte offsets)."""
    text = source.encode("utf-8")[start : start + length].decode("utf-8", "replace").lower()
    return any(name in text for name in _UNLOCKING_FUNCTIONS)


def _func_calls(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "FuncCall":
                yield value
            yield from _func_calls(value)
    elif isinstance(node, list):
        for value in node:
            yield from _func_calls(value)


def _calls_unlocking(call: dict[str, Any]) -> bool:
    """``pg_advisory_unlock_all()`` or ``pg_catalog.pg_advisory_unlock_all()``."""
    names = tuple(part.get("String", {}).get("sval", "") for part in call.get("funcname", ()))
    return bool(names) and names[-1] in _UNLOCKING_FUNCTIONS and names[:-1] in ((), ("pg_catalog",))


def _option(option: dict[str, Any]) -> str | None:
    return option.get("DefElem", {}).get("defname")


def cannot_run_in_transaction(kind: str, body: dict[str, Any]) -> bool:
    """Whether PostgreSQL raises ``25001 cannot run inside a transaction block`` for the
    statement whose JSON parse tree is ``{kind: body}``.

    Covers CONCURRENTLY index builds, drops and reindexes, REINDEX of a schema, a database or
    the system catalogs, VACUUM (ANALYZE is fine), CLUSTER of every table, database and
    tablespace DDL (ALTER DATABASE ... SET TABLESPACE too), CREATE SUBSCRIPTION, ALTER SYSTEM,
    and DETACH PARTITION CONCURRENTLY.
    """
    if kind in _ALWAYS_OUTSIDE_TRANSACTION:
        return True
    if kind == "VacuumStmt":
        return bool(body.get("is_vacuumcmd"))
    if kind in ("IndexStmt", "DropStmt"):
        return bool(body.get("concurrent"))
    if kind == "ClusterStmt":
        return "relation" not in body
    if kind == "AlterDatabaseStmt":
        return any(_option(option) == "tablespace" for option in body.get("options", ()))
    if kind == "ReindexStmt":
        return body.get("kind") in _REINDEX_WHOLE or any(
            _option(option) == "concurrently" for option in body.get("params", ())
        )
    if kind == "AlterTableStmt":
        return any(
            command.get("AlterTableCmd", {})
            .get("def", {})
            .get("PartitionCmd", {})
            .get("concurrent")
            for command in body.get("cmds", ())
        )
    return False


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
