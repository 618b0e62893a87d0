"""Highlighted source for the panel's pages: numbered lines with the notes found at them.

A note is anything with a ``line``, ``severity``, ``rule``, ``message`` and ``hint``: a lint
finding of the file, or the parser's error in SQL pasted on the schema detection page. Lines
are anchored ``#line-N`` (as the API's ``html``), so a findings table can link to them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from django.utils.safestring import SafeString, mark_safe

from .. import highlight

SEVERITY_ORDER = ("error", "warning", "notice")


class Note(Protocol):
    line: int
    severity: str
    rule: str
    message: str
    hint: str


@dataclass(frozen=True)
class ParserNote:
    """The parser's refusal of some SQL, shown at its line like a finding."""

    line: int
    message: str
    severity: str = "error"
    rule: str = "syntax"
    hint: str = ""


@dataclass(frozen=True)
class SourceLine:
    number: int
    html: SafeString
    notes: tuple[Note, ...] = ()

    @property
    def anchor(self) -> str:
        return f"{highlight.LINE_ANCHOR}-{self.number}"

    @property
    def severity(self) -> str | None:
        """The worst severity of the notes at this line, which colours the line's mark."""
        found = {note.severity for note in self.notes}
        return next((severity for severity in SEVERITY_ORDER if severity in found), None)


def source_lines(text: str, filename: str, notes: Iterable[Note] = ()) -> list[SourceLine]:
    """Every line of ``text``, highlighted as ``filename``'s kind of file, with its notes."""
    by_line: dict[int, list[Note]] = defaultdict(list)
    for note in notes:
        by_line[note.line].append(note)
    return [
        # Pygments escapes the text: the markup is its own spans only.
        SourceLine(number, mark_safe(html), tuple(by_line.get(number, ())))
        for number, html in enumerate(highlight.lines(text, filename), start=1)
    ]


def highlighted(text: str | None, filename: str) -> SafeString | None:
    """``text`` highlighted as one block (for a ``<pre>``), without numbers."""
    if text is None:
        return None
    return mark_safe("\n".join(highlight.lines(text, filename)))
