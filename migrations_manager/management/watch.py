"""The command line's view of a long statement: while a migration's statement runs, what its
session does is read every few seconds on another connection, and an index build's phase and
blocks are printed as they change."""

from __future__ import annotations

import threading
from collections.abc import Callable

from .. import services
from ..exceptions import MigrationsManagerError

POLL_SECONDS = 2.0


class StatementWatch:
    """Watches session ``pid`` until ``stop``; ``say`` receives each new phase line."""

    def __init__(self, pid: int, say: Callable[[str], None]) -> None:
        self.pid = pid
        self.say = say
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._said = ""

    def start(self) -> StatementWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(POLL_SECONDS * 2)

    def _watch(self) -> None:
        while not self._stopped.wait(POLL_SECONDS):
            try:
                live = services.live_session(self.pid)
            except MigrationsManagerError:
                return  # the target is unreachable from here: the run reports on its own
            if live is None or not live.phase:
                continue
            line = f"building an index: {live.phase}"
            if live.blocks_total:
                line += f", {live.blocks_done} of {live.blocks_total} blocks"
            if line != self._said:
                self._said = line
                self.say(line)
