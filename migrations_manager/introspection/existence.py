"""Whether objects exist in the target, and their shape: any number of them in ONE query."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import psycopg

from . import queries


class ProbeKind(StrEnum):
    RELATION = "relation"
    ROUTINE = "routine"
    TYPE = "type"
    SCHEMA = "schema"
    EXTENSION = "extension"
    COLUMN = "column"
    CONSTRAINT = "constraint"
    TRIGGER = "trigger"
    INDEXES = "indexes"


@dataclass(frozen=True)
class Probe:
    """One question for the catalog; see ``queries.OBJECT_PROBES`` for what each kind answers.

    ``name`` is quoted where PostgreSQL needs it for relations, routines, types and schemas
    (it goes through ``to_regclass`` & co.), and as stored for the others.
    """

    kind: ProbeKind
    name: str
    parent: str | None = None

    @classmethod
    def routine(cls, signature: str, argument_types: Sequence[str]) -> Probe:
        return cls(ProbeKind.ROUTINE, signature, json.dumps(list(argument_types)))


def probe(conn: psycopg.Connection, probes: Sequence[Probe]) -> list[Any]:
    """The catalog's answer to each probe, in order: a dict (a list for ``INDEXES``), or None
    when the object does not exist."""
    if not probes:
        return []
    columns = (
        [str(item.kind) for item in probes],
        [item.name for item in probes],
        [item.parent for item in probes],
    )
    return [row[0] for row in conn.execute(queries.OBJECT_PROBES, columns).fetchall()]
