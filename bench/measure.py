"""Run a command and measure it: wall time and the peak memory of that process."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measurement:
    seconds: float
    peak_kib: int
    output: str


class CommandFailed(RuntimeError):
    pass


def measure(argv: list[str], *, env: Mapping[str, str], cwd: Path | None = None) -> Measurement:
    """Run ``argv`` to completion; ``os.wait4`` gives the rusage of exactly this child."""
    read_end, write_end = os.pipe()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child becomes the command, its output going into the pipe
        try:
            os.close(read_end)
            os.dup2(write_end, 1)
            os.dup2(write_end, 2)
            if cwd:
                os.chdir(cwd)
            os.execvpe(argv[0], argv, dict(env))
        finally:
            os._exit(127)
    os.close(write_end)
    with os.fdopen(read_end, encoding="utf-8", errors="replace") as pipe:
        output = pipe.read()
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise CommandFailed(f"{' '.join(argv)} exited {code}:\n{output[-3000:]}")
    return Measurement(elapsed, int(usage.ru_maxrss), output)
