"""Migration files on disk: listing, ordering, safe lookup by name, hashing, sections, directives.

A name that arrives from a request is never joined to a path before it has been checked: it must
be a plain file name (no separator, no ``..``, no NUL, not hidden, a known extension), and the
file it designates must really live inside the migrations directory (a symlink leading outside
is treated as absent).
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from pathlib import Path

from .analysis.statements import comments
from .exceptions import InvalidMigrationName, MigrationNotFound, UnreadableMigration, UsageError

MAX_NAME_BYTES = 255
STANDARD_EXTENSIONS = (".sql", ".js", ".cjs", ".mjs", ".ts", ".cts", ".mts")

SQL_TEMPLATE = "-- Up Migration\n\n-- Down Migration"  # byte for byte node-pg-migrate's
# node-pg-migrate 9's .cjs template, with its exports written as CommonJS: its own file mixes
# `export const shorthands` with `module.exports`, which only its jiti loader accepts (Node's
# `require` refuses it), so a file written here also loads with plain Node.
CJS_TEMPLATE = """\
/**
 * @type {import('node-pg-migrate').ColumnDefinitions | undefined}
 */
exports.shorthands = undefined;

/**
 * @param pgm {import('node-pg-migrate').MigrationBuilder}
 * @param run {() => void | undefined}
 * @returns {Promise<void> | void}
 */
exports.up = (pgm) => {};

/**
 * @param pgm {import('node-pg-migrate').MigrationBuilder}
 * @param run {() => void | undefined}
 * @returns {Promise<void> | void}
 */
exports.down = (pgm) => {};
"""


def ascii_digits(text: str) -> bool:
    """Whether ``text`` is a number as migration tools read one: ASCII digits only (``str.
    isdigit`` also takes ``²`` or ``٣``, which ``int`` then refuses or reads as 3)."""
    return text.isascii() and text.isdigit()


def validate_name(name: object, extensions: tuple[str, ...] = STANDARD_EXTENSIONS) -> str:
    """Return ``name`` if it can designate a file directly inside the directory, else raise.

    Raises:
        InvalidMigrationName: with a sentence saying what is wrong with the name.
    """
    if not isinstance(name, str) or not name:
        raise InvalidMigrationName("A migration name must be a non-empty string.")
    problem = _name_problem(name)
    if problem:
        raise InvalidMigrationName(f"Invalid migration name: {problem}.")
    if extensions and not name.lower().endswith(extensions):
        raise InvalidMigrationName(
            f"Invalid migration name: the extension must be one of {', '.join(extensions)}."
        )
    return name


def _name_problem(name: str) -> str | None:
    if "\x00" in name:
        return "it contains a NUL byte"
    if "/" in name or "\\" in name or os.sep in name:
        return "it contains a path separator"
    if name in (".", "..") or name.startswith("."):
        return "hidden files and relative paths are not migrations"
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        return "it contains control characters"
    if not _is_file_name_text(name):
        return "it is not text a file name can hold (a lone surrogate)"
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        return f"it is longer than {MAX_NAME_BYTES} bytes"
    return None


def _is_file_name_text(name: str) -> bool:
    """Whether the file system can take ``name`` (bytes it could not decode, as Python lists
    them, included); a lone surrogate from a JSON escape cannot be encoded at all."""
    try:
        os.fsencode(name)
    except UnicodeEncodeError:
        return False
    return True


def _is_utf8(name: str) -> bool:
    """Whether ``name`` is UTF-8 text. A file whose name is not (bytes the file system allows)
    can be stored in no tracking table and named by no request: it is no migration."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class MigrationsDirectory:
    """The migrations directory: the only way the app reads migration files."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    @property
    def resolved_root(self) -> Path:
        return self.root.resolve()

    def exists(self) -> bool:
        return self.root.is_dir()

    def files(
        self, extensions: tuple[str, ...] | None = STANDARD_EXTENSIONS, *, under: str = ""
    ) -> list[Path]:
        """Regular files directly inside the directory (or its subfolder ``under``), by name.

        Hidden files, names that are not UTF-8, other extensions (``None``: any) and symlinks
        leading outside the directory are skipped.
        """
        folder = self.child(under) if under else self.root
        try:
            folder_mtime = os.stat(folder).st_mtime_ns
        except (FileNotFoundError, NotADirectoryError):
            return []
        key = (os.fspath(folder), extensions)
        cached = _listing_cache.get(key)
        if cached is not None and cached[0] == folder_mtime:
            return list(cached[1])
        entries = [
            entry
            for entry in os.scandir(folder)
            if not entry.name.startswith(".")
            and _is_utf8(entry.name)
            and (extensions is None or entry.name.lower().endswith(extensions))
            and self._is_inside_regular_file(entry)
        ]
        entries.sort(key=lambda entry: entry.name)
        paths = [Path(entry.path) for entry in entries]
        # A listing is reused while the folder's mtime stays the same, but only once that mtime
        # is old enough that a change within the same clock tick cannot hide behind it.
        if time.time_ns() - folder_mtime > LISTING_SETTLE_NS:
            _listing_cache[key] = (folder_mtime, tuple(paths))
        return paths

    def folders(self, *, under: str = "") -> list[Path]:
        """Subdirectories directly inside the directory (or ``under``), by name, not hidden."""
        folder = self.child(under) if under else self.root
        if not folder.is_dir():
            return []
        found = [
            Path(entry.path)
            for entry in os.scandir(folder)
            if not entry.name.startswith(".")
            and _is_utf8(entry.name)
            and entry.is_dir()
            and self.contains(Path(entry.path))
        ]
        return sorted(found, key=lambda path: path.name)

    def child(self, *parts: str) -> Path:
        """A path inside the directory built from trusted, adapter-given parts."""
        path = self.root.joinpath(*parts)
        if not self.contains(path):
            raise InvalidMigrationName(f"{'/'.join(parts)!r} is outside the migrations directory.")
        return path

    def lookup(self, name: object, extensions: tuple[str, ...] = STANDARD_EXTENSIONS) -> Path:
        """The file called ``name`` directly inside the directory.

        Raises:
            InvalidMigrationName: the name can never be a migration file name.
            MigrationNotFound: no such regular file inside the directory.
        """
        valid = validate_name(name, extensions)
        path = self.root / valid
        try:
            info = path.lstat()
        except (FileNotFoundError, NotADirectoryError):
            raise MigrationNotFound(f"No migration file named {valid!r}.") from None
        if stat.S_ISLNK(info.st_mode) and not (self.contains(path) and path.resolve().is_file()):
            raise MigrationNotFound(f"No migration file named {valid!r}.")
        if not stat.S_ISLNK(info.st_mode) and not stat.S_ISREG(info.st_mode):
            raise MigrationNotFound(f"No migration file named {valid!r}.")
        return path

    def contains(self, path: Path) -> bool:
        """Whether ``path``, symlinks resolved, lies inside the directory."""
        try:
            return path.resolve().is_relative_to(self.resolved_root)
        except (OSError, RuntimeError):
            return False

    def _is_inside_regular_file(self, entry: os.DirEntry) -> bool:
        if entry.is_symlink():
            path = Path(entry.path)
            return self.contains(path) and path.resolve().is_file()
        return entry.is_file(follow_symlinks=False)

    def create(self, name: str, *, extension: str = ".sql") -> Path:
        """Write a new migration ``<13-digit ms timestamp>_<name><extension>`` from the template."""
        _check_new_name(name)
        self.root.mkdir(parents=True, exist_ok=True)
        template = CJS_TEMPLATE if extension == ".cjs" else SQL_TEMPLATE
        stamp = int(time.time() * 1000)
        while True:
            path = self.root / f"{stamp}_{name}{extension}"
            try:
                with path.open("x", encoding="utf-8") as handle:
                    handle.write(template)
                return path
            except FileExistsError:
                stamp += 1


def _check_new_name(name: str) -> None:
    if not name or not all(char.isascii() and (char.isalnum() or char in "-_") for char in name):
        raise UsageError(
            "A new migration's name may use only ASCII letters, digits, '-' and '_' "
            f"(got {name!r})."
        )


# Listings of unchanged folders (same mtime), and hashes of unchanged files (same size and mtime).
LISTING_SETTLE_NS = 2_000_000_000
_listing_cache: dict[tuple[str, tuple[str, ...] | None], tuple[int, tuple[Path, ...]]] = {}

# Hashes are cached by (path, size, mtime): a status over thousands of unchanged files reads
# each of them once per process. Keys are strings (hashing a Path costs more than the stat).
_hash_cache: dict[str, tuple[int, int, str]] = {}


def sha256_of(path: Path) -> str:
    """SHA-256 (hex) of the file's bytes, recomputed only when its size or mtime changed."""
    key = os.fspath(path)
    info = os.stat(key)
    cached = _hash_cache.get(key)
    if cached and cached[0] == info.st_size and cached[1] == info.st_mtime_ns:
        return cached[2]
    with open(key, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    _hash_cache[key] = (info.st_size, info.st_mtime_ns, digest)
    return digest


def read_text(path: Path) -> str:
    """A migration file's text (UTF-8, a leading BOM dropped)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise UnreadableMigration(
            f"{path.name} is not valid UTF-8 (byte {error.start}); PostgreSQL would refuse it."
        ) from None


def runs_outside_transaction(text: str) -> bool:
    """Whether the file asks to run without a transaction.

    ``-- truss:no-transaction``, or dbmate's ``-- migrate:up transaction:false``.
    """
    for comment in comments(text):
        words = comment.text.lower().split()
        if not words:
            continue
        if words[0] == "truss:no-transaction":
            return True
        if words[0] == "migrate:up" and "transaction:false" in words[1:]:
            return True
    return False
