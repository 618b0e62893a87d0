"""Parts of a SQL file delimited by marker comments (dbmate, goose, Tern).

Markers are comment tokens from PostgreSQL's own scanner (``analysis.statements.comments``) that
start their line, so marker-like text inside a string literal or a dollar-quoted body never
counts. A classifier names what each comment is (``"up"``, ``"down"``, an option...), or ``None``.

    found = markers(text, lambda words: {"+goose Up": "up"}.get(words))
    up = section_from(text, found, "up", boundaries=("up", "down"))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..analysis.statements import comments
from ..types import Section

#: Comment text (without ``--``, stripped) -> the kind of marker it is, or None.
Classifier = Callable[[str], str | None]


@dataclass(frozen=True)
class Marker:
    """A marker comment: its kind, its words (options follow the marker), where its line starts."""

    kind: str
    words: tuple[str, ...]
    offset: int
    line: int


def markers(text: str, classify: Classifier) -> list[Marker]:
    """The line comments of ``text`` that ``classify`` recognises, in file order."""
    found = []
    for comment in comments(text):
        line_start = text.rfind("\n", 0, comment.start) + 1
        if comment.block or text[line_start : comment.start].strip():
            continue
        kind = classify(comment.text)
        if kind is not None:
            found.append(Marker(kind, tuple(comment.text.split()), line_start, comment.line))
    return found


def first(found: Sequence[Marker], kind: str) -> Marker | None:
    return next((marker for marker in found if marker.kind == kind), None)


def section_from(
    text: str, found: Sequence[Marker], kind: str, *, boundaries: tuple[str, ...]
) -> Section | None:
    """From the line of the first ``kind`` marker to the next boundary marker (or the end).

    The marker line itself is kept: it is a comment, and keeping it keeps line numbers exact.
    """
    start = first(found, kind)
    if start is None:
        return None
    end = min(
        (m.offset for m in found if m.kind in boundaries and m.offset > start.offset),
        default=len(text),
    )
    return Section(text[start.offset : end], start.line)


def dashes_stripped(comment_text: str) -> str:
    """``-- create above / drop below ----`` -> ``create above / drop below`` (Tern's style)."""
    return comment_text.strip("-").strip()
