"""node-pg-migrate 9's own reading of a migrations directory: which files, in which order, and
the up / down sections of a ``.sql`` file. Each rule is node-pg-migrate's, from its source:

- files (``migration.ts`` getMigrationFilePaths, ``migrationLoader.ts``): every file of the
  directory that is not hidden; ``.sql`` through its SQL loader, ``.js .cjs .mjs .ts .cts .mts``
  through jiti. The name it stores is the file name without its extension.
- order (``utils/comparators.ts``): by the number the name starts with (17 digits are a UTC
  time, ``YYYYMMDDhhmmssSSS``, read as milliseconds), then as ``localeCompare`` with numeric
  collation that ignores punctuation. ``10_c`` comes after ``2_b``.
- sections (``sqlMigration.ts``): a line that starts with ``--``, then dashes or spaces, then
  ``up`` (or ``down``), spaces and ``migration``, in any case (``-- Up Migration:``,
  ``-- up migrations`` count). Up is from its marker to the down marker (or the end), down from
  its marker to the up marker (or the end). Without an up marker the whole file is the up
  section, down section included. The rule reads lines, not SQL: a marker line inside a string
  counts too, as it does for node-pg-migrate.
"""

from __future__ import annotations

import unicodedata
from datetime import date

from ..types import Section

#: JavaScript's ``\s``: what node-pg-migrate's marker expression takes for a space.
JS_SPACES = frozenset(
    "\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff"
    + "".join(chr(code) for code in range(0x2000, 0x200B))
)
#: Where JavaScript's multi-line ``^`` matches: after these (and at the start).
JS_LINE_ENDS = frozenset("\n\r\u2028\u2029")
EXTENSIONS = (".sql", ".js", ".cjs", ".mjs", ".ts", ".cts", ".mts")
UTC_DIGITS = 17
ASCII_DIGITS = "0123456789"
EPOCH = date(1970, 1, 1)
SYMBOL, NUMBER, LETTER = 1, 2, 3  # ICU's order of the groups (punctuation is ignored)
#: ICU's order of the ASCII symbols: modifiers, then mathematical ones, then currency.
SYMBOL_ORDER = {char: rank for rank, char in enumerate("`^+<=>|~$")}


def order_key(file_name: str) -> tuple:
    """Sorts file names as node-pg-migrate does: numeric prefix, then a numeric collation that
    ignores punctuation (names without a prefix, which node-pg-migrate refuses, come last)."""
    prefix = _numeric_prefix(file_name)
    return (float("inf") if prefix is None else prefix, *_collation_key(file_name), file_name)


def _numeric_prefix(file_name: str) -> float | None:
    """The number node-pg-migrate reads at the start of a name (a JavaScript Number: a double);
    17 digits as a UTC time in milliseconds, with JavaScript's ``Date`` rolling over what it
    accepts (``20230229...`` is March 1st, hour 24 the next day). None: no number (or a date
    ``Date`` refuses: the comparison then decides nothing in node-pg-migrate either)."""
    digits = file_name[: len(file_name) - len(file_name.lstrip(ASCII_DIGITS))]
    if not digits:
        return None
    if len(digits) == UTC_DIGITS:
        return _utc_milliseconds(digits)
    return float(digits)


def _utc_milliseconds(digits: str) -> float | None:
    parts = (digits[0:4], digits[4:6], digits[6:8], digits[8:10], digits[10:12], digits[12:14])
    year, month, day, hour, minute, second = (int(part) for part in parts)
    millisecond = int(digits[14:])
    valid = 1 <= month <= 12 and 1 <= day <= 31 and minute <= 59 and second <= 59 and year >= 1
    if not valid or hour > 24 or (hour == 24 and (minute or second or millisecond)):
        return None
    days = (date(year, month, 1) - EPOCH).days + day - 1
    return float((((days * 24 + hour) * 60 + minute) * 60 + second) * 1000 + millisecond)


def _collation_key(file_name: str) -> tuple[tuple, tuple, tuple]:
    """ICU's default collation with numeric ordering and ignored punctuation, as far as file
    names need it: primary (symbols, then numbers by value, then letters without accent or
    case), then accents, then case (lower first)."""
    primary: list[tuple[int, int | str]] = []  # (group, value)
    accents: list[str] = []
    cases: list[int] = []
    digits = ""
    for char in file_name + "\0":
        if char in ASCII_DIGITS:
            digits += char
            continue
        if digits:
            primary.append((NUMBER, int(digits)))
            digits = ""
        if char == "\0" or _ignorable(char):
            continue
        decomposed = unicodedata.normalize("NFD", char)
        base = decomposed[0]
        if unicodedata.category(base).startswith("L"):
            primary.append((LETTER, base.casefold()))
            accents.append(decomposed[1:])
            cases.append(0 if char == char.lower() else 1)
        else:
            primary.append((SYMBOL, SYMBOL_ORDER.get(char, len(SYMBOL_ORDER) + ord(char))))
    return tuple(primary), tuple(accents), tuple(cases)


def _ignorable(char: str) -> bool:
    return unicodedata.category(char)[0] in ("P", "Z") or char in JS_SPACES


def sections(text: str) -> tuple[Section, Section | None]:
    """The up and down sections of a ``.sql`` file, with the file line each starts on."""
    up_start = _marker(text, "up")
    down_start = _marker(text, "down")
    if up_start is None:
        up = Section(text, 1)
    else:
        end = down_start if down_start is not None and down_start > up_start else len(text)
        up = Section(text[up_start:end], _line_of(text, up_start))
    if down_start is None:
        return up, None
    end = up_start if up_start is not None and up_start > down_start else len(text)
    return up, Section(text[down_start:end], _line_of(text, down_start))


def _marker(text: str, word: str) -> int | None:
    """Where ``/^\\s*--[\\s-]*WORD\\s+migration/im`` first matches in ``text``, or None."""
    after_spaces = 0
    for start in _line_starts(text):
        after_spaces = max(after_spaces, start)
        while after_spaces < len(text) and text[after_spaces] in JS_SPACES:
            after_spaces += 1
        if _marker_at(text, after_spaces, word):
            return start
    return None


def _line_starts(text: str):
    yield 0
    for index, char in enumerate(text):
        if char in JS_LINE_ENDS:
            yield index + 1


def _marker_at(text: str, index: int, word: str) -> bool:
    if text[index : index + 2] != "--":
        return False
    index += 2
    while index < len(text) and (text[index] in JS_SPACES or text[index] == "-"):
        index += 1
    if not _same_letters(text[index : index + len(word)], word):
        return False
    index += len(word)
    spaces = index
    while spaces < len(text) and text[spaces] in JS_SPACES:
        spaces += 1
    return spaces > index and _same_letters(text[spaces : spaces + 9], "migration")


def _same_letters(found: str, expected: str) -> bool:
    """Case-insensitive as a JavaScript ``/i`` expression without ``/u`` compares."""
    return len(found) == len(expected) and all(
        _canonical(a) == _canonical(b) for a, b in zip(found, expected, strict=True)
    )


def _canonical(char: str) -> str:
    upper = char.upper()
    if len(upper) != 1 or (ord(char) >= 128 and ord(upper) < 128):
        return char
    return upper


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1
