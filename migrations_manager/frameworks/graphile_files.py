"""graphile-migrate's committed migration files: ``--! Key: value`` headers, then the body."""

from __future__ import annotations

from dataclasses import dataclass

from .checksums import GO_WORD, JS_SPACE, graphile_hash


@dataclass(frozen=True)
class GraphileMigrationFile:
    """The headers and body of a committed graphile-migrate file."""

    previous_hash: str | None
    hash: str
    message: str | None
    allow_invalid_hash: bool
    body: str

    def computed_hash(self) -> str:
        """The hash graphile-migrate computes for this body and previous hash."""
        return graphile_hash(self.previous_hash, self.body)


def _graphile_header(line: str) -> tuple[str, str | None] | None:
    """``(key, value)`` of a ``--! Key[: value]`` header line, else None (src/migration.ts)."""
    key, colon, value = line[4:].partition(":")
    if line[:4] != "--! " or not key or not "A" <= key[0] <= "Z" or not set(key) <= GO_WORD:
        return None
    if any(char in "\r\u2028\u2029" for char in value):  # JavaScript's '.' stops at these
        return None
    return key, value.strip(JS_SPACE) if colon else None


def parse_graphile_migration(text: str) -> GraphileMigrationFile:
    """Parse a ``migrations/committed/`` file as graphile-migrate does (parseMigrationText).

    Headers are the leading ``--! Key: value`` lines (``Previous``, ``Hash``, optional ``Message``,
    ``AllowInvalidHash``), then one empty line, then the body (trimmed, one trailing newline).
    Raises ``ValueError`` where graphile-migrate refuses the file. Source: ``src/migration.ts``.
    """
    lines = text.split("\n")
    headers: dict[str, str | None] = {}
    for header in map(_graphile_header, lines):
        if header is None:
            break
        if header[0] in headers:
            raise ValueError(f"header {header[0]!r} is specified more than once")
        headers[header[0]] = header[1]
    if len(headers) >= len(lines) or lines[len(headers)] != "":
        raise ValueError("there should be two newlines after the headers section")
    previous, file_hash = headers.get("Previous"), headers.get("Hash")
    if not previous or not file_hash:
        raise ValueError("a committed migration needs 'Previous' and 'Hash' headers")
    return GraphileMigrationFile(
        previous_hash=None if previous == "-" else previous,
        hash=file_hash,
        message=headers.get("Message"),
        allow_invalid_hash="AllowInvalidHash" in headers,
        body="\n".join(lines[len(headers) :]).strip(JS_SPACE) + "\n",
    )
