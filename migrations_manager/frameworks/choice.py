"""Which of several ledgers is the project's: the one whose records match the directory's files.

A database may hold the ledgers of several tools (an old framework's, another app's). Taking the
most specific table by name alone lets a new, unrelated ledger (``knex_migrations`` with one row
beside ``pgmigrations`` with nine) silently become the one every surface shows and writes. With
two tables or more and nothing pinned, each is read against the directory as its framework reads
it: the most names in common wins, then the most files its framework finds there. When that
does not decide, the choice is ``ambiguous``: status says so, and runs and marks are refused
until a framework (and table) is pinned.
"""

from __future__ import annotations

from dataclasses import replace

import psycopg

from ..exceptions import MigrationsManagerError
from ..sources import MigrationsDirectory
from ..types import DetectedTable
from .detection import Tracking
from .registry import registry

AMBIGUOUS = "ambiguous: the directory's files do not tell the tracking tables apart"


def choose_by_files(
    conn: psycopg.Connection, tracking: Tracking, directory: MigrationsDirectory
) -> Tracking:
    """``tracking`` with the ledger the directory's files designate (one per table: the best
    reading of each), or marked ambiguous."""
    first_per_table: dict[tuple[str, str], DetectedTable] = {}
    for detected in tracking.detected:
        first_per_table.setdefault((detected.schema, detected.table), detected)
    if len(first_per_table) < 2:
        return tracking
    ranked = sorted(
        ((_match(conn, detected, directory), detected) for detected in first_per_table.values()),
        key=lambda item: item[0],
        reverse=True,
    )
    (best_score, best), (second_score, _) = ranked[0], ranked[1]
    if best_score == second_score:
        tied = tuple(detected for score, detected in ranked if score == best_score)
        return replace(tracking, ambiguous=tied, reason=AMBIGUOUS)
    common, files = best_score
    reason = (
        f"of {len(ranked)} tracking tables, its records have the most names in common with the "
        f"directory's files ({common})"
        if common > second_score[0]
        else f"of {len(ranked)} tracking tables with as many names in common with the "
        f"directory's files ({common}), its framework finds the most files there ({files})"
    )
    return replace(
        tracking, adapter=registry.get(best.framework), table=best.ref, exists=True, reason=reason
    )


def _match(
    conn: psycopg.Connection, detected: DetectedTable, directory: MigrationsDirectory
) -> tuple[int, int]:
    """(names in common between the ledger and the files, files its framework finds)."""
    adapter = registry.get(detected.framework)
    try:
        migrations = adapter.discover(directory)
        records = adapter.read_records(conn, detected.ref, migrations)
    except MigrationsManagerError:  # a layout or a ledger its framework cannot read here
        return (0, 0)
    files = {migration.identifier for migration in migrations}
    return (sum(1 for record in records if record.identifier in files), len(files))
