"""What a JavaScript/TypeScript file says in literals, read without running it.

A framework's config file (a knexfile, a TypeORM data source) is code: running it to learn a
table name would run whatever else it does, with the server's rights, for any user who may
read a status. The file is read as tokens instead (comments, strings, names, punctuation), and
a setting counts only where it is a literal: ``tableName: 'knex_history',``. A value computed
at load time (``tableName: prefix + 'migrations'``, an environment variable) is not read; the
table's columns (``detection``) still find such a ledger.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$")
NAME_PART = NAME_START | frozenset("0123456789")
QUOTES = frozenset("'\"`")
# What may follow a literal value for it to be the whole value.
VALUE_ENDS = frozenset({",", "}", ";", ")"})
STRING, NAME, MARK = "string", "name", "mark"


@dataclass(frozen=True)
class Token:
    kind: str
    text: str


def string_settings(text: str, keys: Iterable[str]) -> dict[str, list[str]]:
    """Each of ``keys`` mapped to the literal strings it is set to (``key: 'value'`` or
    ``"key": "value"``), in file order; a key set to anything else is absent."""
    wanted = frozenset(keys)
    found: dict[str, list[str]] = {}
    tokens = list(tokenize(text))
    for index in range(len(tokens) - 2):
        key, colon, value = tokens[index : index + 3]
        after = tokens[index + 3] if index + 3 < len(tokens) else None
        if (
            key.kind in (NAME, STRING)
            and key.text in wanted
            and colon == Token(MARK, ":")
            and value.kind == STRING
            and (after is None or (after.kind == MARK and after.text in VALUE_ENDS))
        ):
            found.setdefault(key.text, []).append(value.text)
    return found


def tokenize(text: str) -> Iterator[Token]:
    """Strings (a template with ``${`` is no literal: a mark), names and single-character
    marks; comments and spaces dropped. Escapes in strings are kept as written, which is
    what a table name never needs."""
    index, end = 0, len(text)
    while index < end:
        char = text[index]
        if char.isspace():
            index += 1
        elif text.startswith("//", index):
            newline = text.find("\n", index)
            index = end if newline < 0 else newline + 1
        elif text.startswith("/*", index):
            close = text.find("*/", index + 2)
            index = end if close < 0 else close + 2
        elif char in QUOTES:
            token, index = _string(text, index)
            yield token
        elif char in NAME_START:
            start = index
            while index < end and text[index] in NAME_PART:
                index += 1
            yield Token(NAME, text[start:index])
        else:
            index += 1
            yield Token(MARK, char)


def _string(text: str, start: int) -> tuple[Token, int]:
    quote = text[start]
    index = start + 1
    while index < len(text) and text[index] != quote:
        if text[index] == "\\":
            index += 1
        elif quote == "`" and text.startswith("${", index):
            close = text.find("`", index)
            return Token(MARK, "`"), len(text) if close < 0 else close + 1
        elif quote != "`" and text[index] == "\n":
            break  # an unterminated string: not a literal
        index += 1
    value = text[start + 1 : index]
    if index >= len(text) or text[index] != quote:
        return Token(MARK, quote), index
    return Token(STRING, value), index + 1
