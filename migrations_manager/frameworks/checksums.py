"""The checksums migration frameworks store in their tracking tables, recomputed from files.

Pure functions on bytes/str, standard library only, so a file on disk can be compared with the
value its framework wrote when applying it ("modified after apply"), and so a row we write is
accepted by the framework's own CLI. Each function names the framework source it follows (paths
as in ``reference/frameworks.md``); all were re-implemented from reading those files. Usage::

    if row["checksum"] is not None and row["checksum"] != flyway_crc32(path.read_bytes()):
        ...  # the file changed after Flyway applied it
"""

from __future__ import annotations

import base64
import hashlib
import unicodedata
import zlib
from collections.abc import Iterable, Sequence

from ..sources import ascii_digits
from .siphash import siphash13

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
GO_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
# What JavaScript's String.prototype.trim removes (WhiteSpace + LineTerminator); not str.strip().
JS_SPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_JAVA_SPACE = " \t\n\x0b\f\r"  # Java regex \s


def _node_utf8(data: bytes) -> bytes:
    """The bytes Node.js hashes after reading a file as a 'utf8' string (bad bytes -> U+FFFD)."""
    return data.decode("utf-8", errors="replace").encode("utf-8")


def flyway_crc32(data: bytes, encoding: str = "utf-8") -> int:
    """Flyway's ``checksum`` (signed 32-bit CRC-32) of a SQL migration file.

    Flyway decodes the file (configured encoding), reads it line by line dropping ``\\n``, ``\\r``
    and ``\\r\\n``, removes a leading U+FEFF, and feeds each line's UTF-8 bytes to
    ``java.util.zip.CRC32`` with no separator; the result is stored as a Java ``int``. Sources:
    ``flyway-core/.../internal/resolver/ChecksumCalculator.java``, ``.../internal/util/
    BomFilter.java``. Not covered: repeatable migrations checksummed after placeholder replacement.
    Undecodable bytes raise ``UnicodeDecodeError`` (Flyway: "Unable to calculate checksum").
    """
    text = data.decode(encoding)
    text = text[1:] if text.startswith("\ufeff") else text
    crc = zlib.crc32(text.replace("\r", "").replace("\n", "").encode("utf-8"))
    return crc - (1 << 32) if crc >= 1 << 31 else crc


def sqlx_sha384(data: bytes, ignored_chars: str = "") -> bytes:
    """SQLx's ``checksum`` (bytea): the raw 48-byte SHA-384 of the up-migration file.

    The text is hashed verbatim (BOM, CRLF and all) after removing the characters listed in
    ``sqlx.toml`` ``[migrate] ignored-chars``. Sources: ``sqlx-core/src/migrate/migration.rs``,
    ``sqlx-core/src/migrate/source.rs``.
    """
    if ignored_chars:
        data = "".join(c for c in data.decode("utf-8") if c not in ignored_chars).encode("utf-8")
    return hashlib.sha384(data).digest()


def prisma_sha256(data: bytes) -> str:
    """Prisma's ``checksum``: zero-padded lower-case SHA-256 hex of ``migration.sql``.

    Source: ``schema-engine/connectors/schema-connector/src/checksum.rs`` (render_checksum).
    """
    return hashlib.sha256(data).hexdigest()


def prisma_checksum_matches(stored: str, data: bytes) -> bool:
    """Whether Prisma accepts ``stored`` as the checksum of ``data`` (script_matches_checksum).

    Prisma tries the script as-is, with CRLF -> LF, and with LF -> CRLF. A non-empty stored value
    that is not 64 characters long is a legacy row whose bytes were printed without zero-padding
    and is compared in that format. Source: ``schema-engine/.../schema-connector/src/checksum.rs``.
    """
    legacy = bool(stored) and len(stored) != 64
    for variant in (data, data.replace(b"\r\n", b"\n"), data.replace(b"\n", b"\r\n")):
        digest = hashlib.sha256(variant).digest()
        if ("".join(f"{byte:x}" for byte in digest) if legacy else digest.hex()) == stored:
            return True
    return False


def drizzle_sha256(data: bytes, *, normalize_crlf: bool = False) -> str:
    """Drizzle's ``hash`` in ``__drizzle_migrations``: SHA-256 hex of the migration SQL text.

    Drizzle stores but never verifies it. Some drizzle-orm versions turn CRLF into LF first (seen
    in one revision of ``drizzle-orm/src/migrator.ts``), others hash the text as read; a row does
    not say which, so compare with both.
    """
    text = _node_utf8(data)
    return hashlib.sha256(text.replace(b"\r\n", b"\n") if normalize_crlf else text).hexdigest()


def supabase_seed_sha256(data: bytes) -> str:
    """Supabase CLI ``seed_files.hash``: SHA-256 hex of the seed file's raw bytes.

    Source: ``apps/cli-go/pkg/migration/file.go`` (NewSeedFile). Migrations have no checksum.
    """
    return hashlib.sha256(data).hexdigest()


def _liquibase_sql_change(sql: str, encoding: str) -> str:
    """AbstractSQLChange.generateCheckSum (v9): "9:" + MD5 of the bytes minus space/tab/CR/LF."""
    body = sql.strip("".join(map(chr, range(33))))  # Java String.trim, applied by setSql
    kept = bytes(byte for byte in body.encode(encoding) if byte not in b" \t\n\r")
    return "9:" + hashlib.md5(kept).hexdigest()


def liquibase_changeset_v9(sql_changes: Sequence[str], encoding: str = "utf-8") -> str:
    """Liquibase ``md5sum`` (checksum version 9) of a changeset made only of raw-SQL changes.

    ``sql_changes``: the SQL of each ``<sql>``/``<sqlFile>``/formatted-SQL change that applies to
    the database (changes excluded by ``dbms`` are left out; none gives ``9:d41d8cd9...``). Each
    change adds ``"9:<md5>:"``; the result is ``"9:"`` + MD5 of that text after CheckSum's
    normalisation (CR/CRLF -> LF, U+FFFD removed, NFC). Sources: ``liquibase-standard/.../change/
    AbstractSQLChange.java``, ``.../change/CheckSum.java``, ``.../changelog/ChangeSet.java``. Not
    covered: ``modifySql`` visitors and non-SQL change types (use ``liquibase calculate-checksum``).
    """
    text = "".join(_liquibase_sql_change(sql, encoding) + ":" for sql in sql_changes)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufffd", "")
    return "9:" + hashlib.md5(unicodedata.normalize("NFC", text).encode("utf-8")).hexdigest()


def liquibase_v9(sql_body: str) -> str:
    """Liquibase ``md5sum`` (version 9) of a changeset holding one SQL change with this text."""
    return liquibase_changeset_v9([sql_body])


def _after_dashes(line: str, *, indent: bool) -> str | None:
    """Lower-cased text after ``--`` and blanks; None when the line is no ``--`` comment."""
    head = line.lstrip(_JAVA_SPACE) if indent else line
    return head[2:].lstrip(_JAVA_SPACE).translate(_ASCII_LOWER) if head[:2] == "--" else None


def _formatted_line_kind(line: str) -> str | int:
    """``"keep"``, ``"drop"``, an end mark to drop lines up to, or a count of lines to drop."""
    own, indented = _after_dashes(line, indent=False) or "", _after_dashes(line, indent=True) or ""
    if own.startswith("ignorelines:"):
        arg = own[len("ignorelines:") :]
        return "ignorelines:end" if arg == "start" else int(arg) if ascii_digits(arg) else "keep"
    if own.startswith(
        ("comment ", "comment: ", "validchecksum ", "validchecksum: ")
    ) or indented.startswith(("rollback ", "precondition", "property ", "property\t")):
        return "drop"
    block = line.strip(_JAVA_SPACE)
    words = block[2:].lstrip(_JAVA_SPACE).translate(_ASCII_LOWER)
    is_rollback = words[:9] == "liquibase" and words[9:].lstrip(_JAVA_SPACE) == "rollback"
    return "*/" if block[:2] == "/*" and is_rollback else "keep"


def liquibase_formatted_sql_body(changeset_lines: Iterable[str]) -> str:
    """The SQL Liquibase keeps for one changeset of a formatted-SQL changelog (best effort).

    ``changeset_lines``: the lines after a ``--changeset author:id`` line, up to the next one.
    Dropped as in ``liquibase-standard/.../parser/AbstractFormattedChangeLogParser.java``:
    ``--comment``, ``--validCheckSum``, ``--rollback``, ``--precondition*``, ``--property`` lines,
    ``/* liquibase rollback ... */`` blocks, ``--ignoreLines`` ranges; other lines (ordinary
    comments too) are kept. Pass the result to ``liquibase_v9``. UNVERIFIED against a value
    Liquibase computed: ``${property}`` expansion is not applied (pass expanded text) and lines
    Liquibase rejects as malformed directives are kept. Check with ``liquibase calculate-checksum``
    before writing a row from it, or write ``md5sum`` NULL (Liquibase then fills it in).
    """
    kept: list[str] = []
    lines = iter(changeset_lines)
    for line in lines:
        kind = _formatted_line_kind(line)
        if isinstance(kind, int):
            for _ in zip(range(kind), lines, strict=False):
                pass
        elif kind == "*/":
            next((end for end in lines if end.rstrip(_JAVA_SPACE).endswith("*/")), None)
        elif kind == "ignorelines:end":
            next((end for end in lines if _after_dashes(end, indent=False) == kind), None)
        elif kind == "keep":
            kept.append(line)
    return "\n".join(kept)


def _atlas_sum_ignored(content: bytes) -> bool:
    """Whether ``atlas:sum ignore`` is the file directive, read as Atlas's directive() does.

    Atlas matches ``^([ -~]*)atlas:(\\w+)(?: +([ -~]*))*`` on the content: only the leading run of
    printable ASCII counts, its last ``atlas:<word>`` wins, the argument is the rest after blanks.
    """
    end = next((i for i, byte in enumerate(content) if not 0x20 <= byte <= 0x7E), len(content))
    line = content[:end].decode("ascii")
    at = line.rfind("atlas:")
    while at != -1 and line[at + 6 : at + 7] not in GO_WORD:
        at = line.rfind("atlas:", 0, at)
    if at == -1:
        return False
    rest = line[at + 6 :]
    name_end = next((i for i, char in enumerate(rest) if char not in GO_WORD), len(rest))
    after = rest[name_end:]
    argument = after.lstrip(" ") if after.startswith(" ") else ""
    return rest[:name_end] == "sum" and argument == "ignore"


def atlas_sum(files: Iterable[tuple[str, bytes]]) -> list[tuple[str, str]]:
    """Atlas's per-file hashes as in ``atlas.sum`` and ``atlas_schema_revisions.hash`` (no ``h1:``).

    One running SHA-256 is fed, for each ``*.sql`` file in byte order of names, the name and then
    the content; the standard base64 of the running digest after a file is its hash. A file whose
    first line holds ``atlas:sum ignore`` adds only its name and gets no entry; other names are
    ignored. Source: ``sql/migrate/dir.go`` (NewHashFile, directive, LocalDir.Files).
    """
    state = hashlib.sha256()
    entries: list[tuple[str, str]] = []
    for name, content in sorted(files, key=lambda item: item[0].encode("utf-8")):
        if name.endswith(".sql"):
            state.update(name.encode("utf-8"))
            if not _atlas_sum_ignored(content):
                state.update(content)
                entries.append((name, base64.b64encode(state.digest()).decode("ascii")))
    return entries


def atlas_sum_header(entries: Iterable[tuple[str, str]]) -> str:
    """First line of ``atlas.sum``: ``h1:`` + base64 SHA-256 over each entry's name then hash.

    ``entries`` as returned by ``atlas_sum``. Source: ``sql/migrate/dir.go`` (HashFile.Sum).
    """
    state = hashlib.sha256()
    for name, file_hash in entries:
        state.update(name.encode("utf-8") + file_hash.encode("ascii"))
    return "h1:" + base64.b64encode(state.digest()).decode("ascii")


def graphile_hash(previous_hash: str | None, body: str) -> str:
    """graphile-migrate's chained ``hash``: ``sha1:`` + SHA-1 hex.

    Hashed text: ``trim(previous + "\\n" + trim(body)) + "\\n"`` with JavaScript's trim and "" for
    no previous hash. Sources: ``src/hash.ts`` (calculateHash), ``src/migration.ts`` (the body is
    trimmed and given one trailing newline when read).
    """
    text = ((previous_hash or "") + "\n" + body.strip(JS_SPACE)).strip(JS_SPACE) + "\n"
    return "sha1:" + hashlib.sha1(text.encode("utf-8")).hexdigest()


def refinery_checksum(name: str, version: int, sql: str, *, int8: bool = False) -> str:
    """refinery's ``checksum``: SipHash-1-3 (keys 0, 0) as unsigned decimal text.

    Fed through Rust's ``Hash``: ``name`` (the part after ``V<n>__``, no extension) as UTF-8 plus
    0xFF, ``version`` as little-endian i32 (i64 with the ``int8-versions`` feature), then the whole
    file text plus 0xFF. Source: ``refinery_core/src/runner.rs`` (Migration::checksum).
    """
    width = 8 if int8 else 4
    feed = name.encode("utf-8") + b"\xff" + version.to_bytes(width, "little", signed=True)
    return str(siphash13(feed + sql.encode("utf-8") + b"\xff"))


def postgres_migrations_sha1(file_name: str, sql: str) -> str:
    """postgres-migrations' ``hash``: SHA-1 hex of the file's base name followed by its SQL.

    For ``.js`` migrations ``sql`` is what ``generateSql()`` returns. Source:
    ``src/migration-file.ts`` (hashString(fileName + sql)).
    """
    return hashlib.sha1((file_name + sql).encode("utf-8")).hexdigest()


def sqitch_script_hash(data: bytes) -> str:
    """Sqitch's ``changes.script_hash``: SHA-1 hex of the deploy script's raw bytes.

    Source: ``lib/App/Sqitch/Plan/Change.pm`` (script_hash; NULL when the script is missing).
    """
    return hashlib.sha1(data).hexdigest()


def sqitch_change_id(
    *,
    project: str,
    change: str,
    planner_name: str,
    planner_email: str,
    planned_at: str,
    uri: str | None = None,
    parent: str | None = None,
    requires: Sequence[str] = (),
    conflicts: Sequence[str] = (),
    note: str = "",
) -> str:
    """Sqitch's ``change_id``: SHA-1 of the git-style object ``"change <len>\\0" + info``.

    ``info`` joins with newlines ``project``, ``uri`` (canonical form) if any, ``change``,
    ``parent <id of the previous change in the plan>`` if any, ``planner``, ``date``
    (``planned_at`` as written in the plan, e.g. ``2013-12-30T23:19:45Z``), ``requires`` and
    ``conflicts`` blocks (dependencies as written in the plan), then an empty line and the note.
    Source: ``lib/App/Sqitch/Plan/Change.pm`` (info, id).
    """
    lines = [
        f"project {project}",
        *([f"uri {uri}"] if uri else []),
        f"change {change}",
        *([f"parent {parent}"] if parent else []),
        f"planner {planner_name} <{planner_email}>",
        f"date {planned_at}",
    ]
    if requires:
        lines.append("requires\n  + " + "\n  + ".join(requires))
    if conflicts:
        lines.append("conflicts\n  - " + "\n  - ".join(conflicts))
    return _sqitch_object_id("change", lines, note)


def sqitch_tag_id(
    *,
    project: str,
    tag: str,
    change_id: str,
    planner_name: str,
    planner_email: str,
    planned_at: str,
    uri: str | None = None,
    note: str = "",
) -> str:
    """Sqitch's ``tag_id``: SHA-1 of ``"tag <len>\\0" + info``, ``info`` joining ``project``,
    ``uri`` if any, ``tag @<name>``, ``change <id of the tagged change>``, ``planner``, ``date``,
    then an empty line and the note. Source: ``lib/App/Sqitch/Plan/Tag.pm`` (info, id).
    """
    lines = [
        f"project {project}",
        *([f"uri {uri}"] if uri else []),
        f"tag @{tag}",
        f"change {change_id}",
        f"planner {planner_name} <{planner_email}>",
        f"date {planned_at}",
    ]
    return _sqitch_object_id("tag", lines, note)


def _sqitch_object_id(kind: str, lines: list[str], note: str) -> str:
    """SHA-1 of the git-style object ``"<kind> <byte length>\\0" + info`` Sqitch hashes."""
    if note and note != "0":  # Perl truthiness: a note "0" is left out
        lines = [*lines, "", note]
    info = "\n".join(lines).encode("utf-8")
    return hashlib.sha1(kind.encode("ascii") + b" %d\0" % len(info) + info).hexdigest()


_POSTGRATOR_NEWLINES = {"LF": "\n", "CR": "\r", "CRLF": "\r\n"}


def postgrator_md5(data: bytes, newline: str | None = None) -> str:
    """Postgrator's ``schemaversion.md5``: MD5 hex of the SQL file text.

    With the ``newline`` option (``LF``, ``CR`` or ``CRLF``) every line ending is converted to it
    first. JavaScript migrations store the text ``undefined`` instead. Source: ``lib/utils.js``
    (checksum, convertLineEnding).
    """
    text = _node_utf8(data).decode("utf-8")
    if newline is not None:
        if newline not in _POSTGRATOR_NEWLINES:
            raise ValueError(f"newline must be one of: {', '.join(_POSTGRATOR_NEWLINES)}")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        text = text.replace("\n", _POSTGRATOR_NEWLINES[newline])
    return hashlib.md5(text.encode("utf-8")).hexdigest()
