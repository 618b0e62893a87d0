"""The audit log's signals, sent once the run's row is committed (``sender`` is ``MigrationRun``,
``run`` the row).

- ``run_started``: the run passed the safety gate and its session starts executing.
- ``run_finished``: the row is closed: succeeded, failed, refused or cancelled.
"""

from __future__ import annotations

from django.dispatch import Signal

run_started = Signal()
run_finished = Signal()
