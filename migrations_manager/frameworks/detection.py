"""Find which framework's tracking table the target holds: by table name AND columns.

One catalog query reads every table carrying a name some adapter uses or a framework's config
names (``project_config``), and every small table with a column that identifies a ledger
whatever its name (``TrackingAdapter.key_columns``), in every schema, with its columns; each
adapter scores each table; the most specific match wins. A setting or a request may pin the
framework (and the table); with nothing found, a framework the project's config names, else
the standard mode's ``public.pgmigrations`` (node-pg-migrate), is the default.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

import psycopg

from ..exceptions import LedgerUnreadable, UsageError
from ..introspection import catalog
from ..types import DetectedTable, TableRef
from .base import TrackingAdapter
from .lookalikes import unknown_ledgers
from .project_config import ConfiguredLedger
from .registry import NotRegistered, registry

DEFAULT_FRAMEWORK = "node-pg-migrate"
# Why the table in use is the one (``Tracking.reason``).
PINNED_TABLE = "named in the settings (TRUSS_TRACKING_TABLE)"
PINNED_FRAMEWORK = "its framework is named (TRUSS_FRAMEWORK, --framework or ?framework=)"
FOUND = "the most specific tracking table found (by name and columns)"
NONE_YET = "no tracking table exists yet: the default framework's, created on the first run"


@dataclass(frozen=True)
class Tracking:
    """The tracking table in use: its adapter, where it is, whether it exists yet."""

    adapter: TrackingAdapter
    table: TableRef
    exists: bool
    detected: tuple[DetectedTable, ...]
    #: Tables that look like a ledger no adapter knows, when no known one was found and
    #: nothing was pinned (``lookalikes``): writes are refused while they are there.
    unknown: tuple[TableRef, ...] = ()
    #: Several ledgers the directory's files do not tell apart (``choice``): writes are
    #: refused until a framework is pinned.
    ambiguous: tuple[DetectedTable, ...] = ()
    #: Why this table is the one in use, in a sentence (the admin shows it).
    reason: str = ""


@dataclass(frozen=True)
class _Candidate:
    detected: DetectedTable
    score: int


def detect(
    conn: psycopg.Connection,
    *,
    extra_names: tuple[str, ...] = (),
    configured: tuple[ConfiguredLedger, ...] = (),
) -> list[_Candidate]:
    """Every (table, framework) pair that matches, best first."""
    return _candidates(_ledger_tables(conn, extra_names, configured), configured)


def _ledger_tables(
    conn: psycopg.Connection, extra: tuple[str, ...], configured: tuple[ConfiguredLedger, ...]
) -> list[catalog.CatalogTable]:
    names = registry.table_names() | set(extra) | {c.table for c in configured if c.table}
    return catalog.tables_named_or_keyed(conn, names, registry.key_columns())


def _config_of(
    configured: tuple[ConfiguredLedger, ...], framework: str, schema: str, table: str
) -> ConfiguredLedger | None:
    """The config that names ``schema.table`` as ``framework``'s ledger, if one does."""
    return next(
        (
            c
            for c in configured
            if c.framework == framework
            and c.table == table
            and (c.schema is None or c.schema == schema)
        ),
        None,
    )


def _candidates(
    tables: list[catalog.CatalogTable], configured: tuple[ConfiguredLedger, ...] = ()
) -> list[_Candidate]:
    names_by_schema: dict[str, set[str]] = defaultdict(set)
    for table in tables:
        names_by_schema[table.schema].add(table.name)
    distinctive = registry.distinctive_names()
    candidates = []
    for table in tables:
        siblings = frozenset(names_by_schema[table.schema] - {table.name})
        alone = table.name in distinctive
        scores = {
            a.name: a.match_score(
                table,
                siblings,
                distinctive=alone,
                configured=_config_of(configured, a.name, table.schema, table.name) is not None,
            )
            for a in registry.all()
        }
        scores = {name: score for name, score in scores.items() if score is not None}
        best = max(scores.values(), default=None)
        candidates.extend(
            _Candidate(DetectedTable(table.schema, table.name, name), score)
            for name, score in scores.items()
            if score == best  # a table is one framework's: keep its best reading(s) only
        )
    return sorted(
        candidates,
        key=lambda c: (
            -c.score,
            c.detected.schema != "public",
            c.detected.schema,
            c.detected.table,
        ),
    )


def resolve(
    conn: psycopg.Connection,
    *,
    framework: str | None = None,
    table: str | None = None,
    current_schema: str | None = None,
    configured: tuple[ConfiguredLedger, ...] = (),
) -> Tracking:
    """The tracking table to use, given an optional pinned framework and table name, and the
    ledgers the project's config files name.

    Raises:
        UsageError: the pinned framework is unknown, or not among the detected tables.
    """
    pinned_table = _parse_table(table, current_schema) if table else None
    extra = (pinned_table.name,) if pinned_table else ()
    tables = _ledger_tables(conn, extra, configured)
    candidates = _candidates(tables, configured)
    detected = tuple(c.detected for c in candidates)
    adapter = adapter_named(framework) if framework else None
    if pinned_table:
        chosen = (
            adapter or _framework_of(candidates, pinned_table) or adapter_named(DEFAULT_FRAMEWORK)
        )
        exists = catalog.relation_exists(conn, pinned_table.identifier.as_string(conn))
        return Tracking(chosen, pinned_table, exists, detected, reason=PINNED_TABLE)
    if adapter:
        match = next((d for d in detected if d.framework == adapter.name), None)
        if match is None and detected:
            raise UsageError(
                f"No {adapter.label} tracking table was detected (found: "
                + ", ".join(f"{d.schema}.{d.table} ({d.framework})" for d in detected)
                + ")."
            )
        if match is None:
            where = _default_table(adapter, configured, current_schema)
            return replace(_absent(adapter, where, tables, detected), reason=PINNED_FRAMEWORK)
        return Tracking(adapter, match.ref, True, detected, reason=PINNED_FRAMEWORK)
    if candidates:
        best = candidates[0].detected
        config = _config_of(configured, best.framework, best.schema, best.table)
        reason = f"{config.source} names this table" if config else FOUND
        return Tracking(registry.get(best.framework), best.ref, True, detected, reason=reason)
    default = registry.get(configured[0].framework if configured else DEFAULT_FRAMEWORK)
    where = _default_table(default, configured, current_schema)
    tracking = _absent(default, where, tables, detected)
    reason = (
        f"no tracking table exists yet: {configured[0].source} names {default.label}'s"
        if configured
        else NONE_YET
    )
    return replace(tracking, unknown=unknown_ledgers(conn), reason=reason)


def _default_table(
    adapter: TrackingAdapter, configured: tuple[ConfiguredLedger, ...], current_schema: str | None
) -> TableRef:
    """Where ``adapter``'s ledger goes: as the project's config names it, else its default."""
    default = adapter.default_table(current_schema)
    for ledger in configured:
        if ledger.framework == adapter.name:
            return TableRef(ledger.schema or default.schema, ledger.table or default.name)
    return default


def _absent(
    adapter: TrackingAdapter,
    table: TableRef,
    tables: list[catalog.CatalogTable],
    detected: tuple[DetectedTable, ...],
) -> Tracking:
    """The tracking table ``table`` that does not exist yet, or a refusal when a table of that
    name exists in a shape ``adapter`` does not read.

    Raises:
        LedgerUnreadable: ``table`` exists with other columns.
    """
    found = next((t for t in tables if TableRef(t.schema, t.name) == table), None)
    if found is not None:
        columns = ", ".join(f"{name} {kind}" for name, kind in found.columns.items())
        expected = ", ".join(adapter.signature)
        raise LedgerUnreadable(
            f"{table} exists, but its columns ({columns}) are not those of {adapter.label}'s "
            f"tracking table ({expected}). It is not taken for an empty one: every migration "
            "would run again. Repair the table, or name its framework (TRUSS_FRAMEWORK, "
            "--framework, ?framework=) and table (TRUSS_TRACKING_TABLE)."
        )
    return Tracking(adapter, table, False, detected)


def adapter_named(name: str) -> TrackingAdapter:
    """The registered adapter called ``name``; ``UsageError`` (with the known names) if none."""
    try:
        return registry.get(name)
    except NotRegistered as error:
        raise UsageError(str(error)) from None


def _framework_of(candidates: list[_Candidate], table: TableRef) -> TrackingAdapter | None:
    for candidate in candidates:
        if candidate.detected.ref == table:
            return registry.get(candidate.detected.framework)
    return None


def _parse_table(value: str, current_schema: str | None) -> TableRef:
    schema, _, name = value.rpartition(".")
    return TableRef(schema or current_schema or "public", name)
