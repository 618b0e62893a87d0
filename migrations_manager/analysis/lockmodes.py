"""PostgreSQL's table-level lock modes, their order and their conflicts.

The modes, their numbering and the conflict table are the server's own ("Table-level lock modes"
in the "Explicit Locking" chapter of the documentation).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class LockMode(StrEnum):
    """A table-level lock mode, in PostgreSQL's numbering order (weakest first)."""

    ACCESS_SHARE = "ACCESS SHARE"
    ROW_SHARE = "ROW SHARE"
    ROW_EXCLUSIVE = "ROW EXCLUSIVE"
    SHARE_UPDATE_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE"
    SHARE = "SHARE"
    SHARE_ROW_EXCLUSIVE = "SHARE ROW EXCLUSIVE"
    EXCLUSIVE = "EXCLUSIVE"
    ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE"

    @property
    def level(self) -> int:
        """PostgreSQL's LOCKMODE number (1 = AccessShareLock ... 8 = AccessExclusiveLock)."""
        return _ORDER.index(self) + 1

    @property
    def pg_locks_name(self) -> str:
        """The spelling of ``pg_locks.mode``, e.g. ``AccessExclusiveLock``."""
        return "".join(word.capitalize() for word in self.value.split()) + "Lock"

    @classmethod
    def from_level(cls, level: int) -> LockMode:
        """The mode of a LOCKMODE number (as in ``LockStmt.mode``)."""
        return _ORDER[level - 1]

    @classmethod
    def from_pg_locks(cls, name: str) -> LockMode:
        """The mode of a ``pg_locks.mode`` value (``ShareLock`` -> SHARE)."""
        for mode in _ORDER:
            if mode.pg_locks_name == name:
                return mode
        raise ValueError(f"not a table-level lock mode: {name!r}")


_ORDER = tuple(LockMode)

# The conflict table of the documentation ("Conflicting Lock Modes"), by mode number: row N lists
# the modes that mode N conflicts with. The table is symmetric; tests check all 64 pairs.
_CONFLICTING_LEVELS = {
    1: {8},  # ACCESS SHARE: only ACCESS EXCLUSIVE
    2: {7, 8},  # ROW SHARE
    3: {5, 6, 7, 8},  # ROW EXCLUSIVE
    4: {4, 5, 6, 7, 8},  # SHARE UPDATE EXCLUSIVE (self-conflicting)
    5: {3, 4, 6, 7, 8},  # SHARE (not self-conflicting)
    6: {3, 4, 5, 6, 7, 8},  # SHARE ROW EXCLUSIVE
    7: {2, 3, 4, 5, 6, 7, 8},  # EXCLUSIVE: allows only ACCESS SHARE
    8: {1, 2, 3, 4, 5, 6, 7, 8},  # ACCESS EXCLUSIVE: allows nothing
}


def conflicts(mode_a: LockMode | str, mode_b: LockMode | str) -> bool:
    """Whether two sessions can NOT hold these modes on the same table at the same time.

    Accepts ``LockMode`` values, their SQL spelling, or the ``pg_locks`` spelling.
    """
    return _as_mode(mode_b).level in _CONFLICTING_LEVELS[_as_mode(mode_a).level]


def blocked_traffic(mode: LockMode) -> str:
    """What of the application's traffic a lock of ``mode`` (held, or queued) holds up."""
    if conflicts(mode, LockMode.ACCESS_SHARE):
        return "reads and writes"
    if conflicts(mode, LockMode.ROW_EXCLUSIVE):
        return "writes (reads go on)"
    if conflicts(mode, LockMode.ROW_SHARE):
        return "SELECT ... FOR UPDATE / FOR SHARE (plain reads and writes go on)"
    return "other schema changes and maintenance (reads and writes go on)"


def strongest(modes: Iterable[LockMode]) -> LockMode:
    """The mode PostgreSQL takes for several subcommands: the highest-numbered one."""
    return max(modes, key=lambda mode: mode.level)


def _as_mode(mode: LockMode | str) -> LockMode:
    if isinstance(mode, LockMode):
        return mode
    if mode.endswith("Lock"):
        return LockMode.from_pg_locks(mode)
    return LockMode(mode.upper())
