"""The SQL statements inside a ``DO`` block, found by PostgreSQL's PL/pgSQL parser (pglast).

The idempotent pattern ``DO $$ BEGIN IF NOT EXISTS (...) THEN CREATE INDEX ... END IF; END $$``
hides its DDL from a statement-level lint. Each SQL statement of the body (``execsql``,
``PERFORM``, and ``EXECUTE`` of a constant string) comes back as a ``Statement`` of its own, at
its line in the file, in the order the body lists them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pglast
from pglast import ast, parser
from pglast.parser import ParseError

from ..exceptions import SQLSyntaxError
from .statements import Statement, parse_statements

_STATEMENT_EXPRESSIONS = {
    "PLpgSQL_stmt_execsql": "sqlstmt",
    "PLpgSQL_stmt_perform": "expr",
    "PLpgSQL_stmt_dynexecute": "query",
}


def do_body(statement: Statement) -> tuple[str, int] | None:
    """The body of a PL/pgSQL ``DO`` block and the file line it starts on; None for another
    statement or language."""
    body = _plpgsql_body(statement.node)
    if body is None:
        return None
    offset = statement.text.find(body)  # a dollar-quoted body is in the text as is
    return body, statement.line + (statement.text[:offset].count("\n") if offset >= 0 else 0)


def do_body_statements(statement: Statement) -> list[Statement]:
    """The statements of a PL/pgSQL ``DO`` block (none for another statement, another language,
    or a body PostgreSQL's parser refuses: running it fails before any of them runs)."""
    found_body = do_body(statement)
    if found_body is None:
        return []
    try:
        functions = pglast.parse_plpgsql(statement.text)
    except ParseError:
        return []
    found: list[Statement] = []
    for lineno, query, dynamic in _queries(functions):
        sql = _constant_string(query) if dynamic else query
        if sql is None:
            continue
        # PL/pgSQL numbers lines from the first line of the body.
        line = found_body[1] + max(lineno, 1) - 1
        try:
            found.extend(parse_statements(sql, first_line=line))
        except SQLSyntaxError:
            continue  # PL/pgSQL checks a dynamic string only when it runs
    return found


def _plpgsql_body(node: ast.Node) -> str | None:
    if not isinstance(node, ast.DoStmt):
        return None
    options = {item.defname: item.arg for item in node.args or ()}
    language = options.get("language")
    if language is not None and language.sval.lower() != "plpgsql":
        return None
    body = options.get("as")
    return body.sval if isinstance(body, ast.String) else None


def _queries(tree: Any) -> Iterator[tuple[int, str, bool]]:
    """(line, query, dynamic) of every SQL statement of the body, in body order."""
    if isinstance(tree, list):
        for item in tree:
            yield from _queries(item)
        return
    if not isinstance(tree, dict):
        return
    for key, value in tree.items():
        if key in _STATEMENT_EXPRESSIONS and isinstance(value, dict):
            expression = value.get(_STATEMENT_EXPRESSIONS[key], {}).get("PLpgSQL_expr", {})
            if "query" in expression:
                dynamic = key == "PLpgSQL_stmt_dynexecute"
                yield value.get("lineno", 1), expression["query"], dynamic
        yield from _queries(value)


def _constant_string(expression: str) -> str | None:
    """The text of an ``EXECUTE`` argument that is one string literal, else None."""
    try:
        [parsed] = parser.parse_sql(f"SELECT {expression}")
    except (ParseError, ValueError):
        return None
    targets = parsed.stmt.targetList or ()
    value = targets[0].val if len(targets) == 1 else None
    if isinstance(value, ast.A_Const) and isinstance(value.val, ast.String):
        return value.val.sval
    return None
