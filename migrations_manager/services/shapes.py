"""How an existing object differs from the one a migration would create.

Input: the created object (names resolved), the columns and constraints the migration gives it
when it is a table, and the catalog's answer for it (``introspection.existence``). Output: whether
it exists and, if it does, the differences that make "mark as applied" unsafe: a table missing
columns or constraints, a column of another type, an index on other columns or left invalid by a
failed ``CREATE INDEX CONCURRENTLY``, a constraint not validated, an object of another kind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..analysis.indexshape import IndexShape, index_shape_of_definition
from ..analysis.names import target_name
from ..analysis.objects import CreatedObject, ObjectType
from ..analysis.viewshape import view_shape_of_definition

_RELKINDS = {
    ObjectType.TABLE: "rp",
    ObjectType.VIEW: "v",
    ObjectType.MATERIALIZED_VIEW: "m",
    ObjectType.SEQUENCE: "S",
    ObjectType.INDEX: "iI",
}
_RELKIND_NAMES = {
    "r": "a table",
    "p": "a partitioned table",
    "v": "a view",
    "m": "a materialized view",
    "S": "a sequence",
    "i": "an index",
    "I": "a partitioned index",
    "c": "a composite type",
    "f": "a foreign table",
}
_TYPTYPES = {"enum": "e", "composite": "c", "range": "r", "domain": "d", "base": "b"}
_TYPTYPE_NAMES = {
    "e": "an enum",
    "c": "a composite type",
    "r": "a range type",
    "m": "a multirange type",
    "d": "a domain",
    "b": "a base type",
    "p": "a pseudo-type",
}
_CONTYPES = {"primary key": "p", "unique": "u", "check": "c", "foreign key": "f", "exclusion": "x"}
_CONTYPE_NAMES = {code: name for name, code in _CONTYPES.items()}


@dataclass(frozen=True)
class Shape:
    """``differences`` make the object unlike the migration's; ``note`` is said otherwise."""

    exists: bool
    differences: tuple[str, ...] = ()
    note: str | None = None


def compare(item: CreatedObject, parts: Sequence[CreatedObject], answer: Any) -> Shape:
    """Compare ``item`` (and ``parts``, its columns and constraints) with the catalog's answer."""
    if item.type is ObjectType.INDEX and item.name is None:
        return _unnamed_index(item, answer or [])
    if item.type is ObjectType.CONSTRAINT and item.name is None:
        return _unnamed_constraint(item, answer)
    if answer is None:
        return Shape(False)
    if item.type in _RELKINDS:
        return Shape(True, tuple(_relation(item, parts, answer)))
    checks = {
        ObjectType.FUNCTION: _routine,
        ObjectType.PROCEDURE: _routine,
        ObjectType.TYPE: _type,
        ObjectType.COLUMN: lambda obj, found: _column(obj, found["type"], found["nullable"]),
        ObjectType.CONSTRAINT: lambda obj, found: _constraint(obj, found),
    }
    check = checks.get(item.type)
    return Shape(True, tuple(check(item, answer)) if check else ())


def _relation(item: CreatedObject, parts: Sequence[CreatedObject], found: Mapping) -> list[str]:
    relkind = found["relkind"]
    if relkind not in _RELKINDS[item.type]:
        return [f"{item.qualified_name} is {_kind(_RELKIND_NAMES, relkind)}, not a {item.type}"]
    if item.type is ObjectType.INDEX:
        return _index(item.index, found["index"], item.table_qualified_name)
    if item.query is not None:
        return _view(item, found["definition"])
    columns, constraints = found["columns"] or {}, found["constraints"] or {}
    nullable = found["nullable"] or {}
    reasons = []
    wanted = [part.name for part in parts if part.type is ObjectType.COLUMN]
    missing = [str(name) for name in wanted if name not in columns]
    if missing:
        reasons.append(f"{item.qualified_name} lacks column(s) {', '.join(missing)}")
    for part in parts:
        if part.type is ObjectType.COLUMN and part.name in columns:
            reasons.extend(_column(part, columns[part.name], nullable[part.name]))
        elif part.type is ObjectType.CONSTRAINT and part.name is None:
            if not any(_same_constraint(part, other) for other in constraints.values()):
                reasons.append(f"{item.qualified_name} has no {constraint_text(part)}")
        elif part.type is ObjectType.CONSTRAINT:
            reasons.extend(_constraint(part, constraints.get(part.name)))
    return reasons


def _view(item: CreatedObject, definition: str | None) -> list[str]:
    """A view (or materialized view) whose query is not the migration's."""
    if definition is None or item.query is None:
        return []
    if view_shape_of_definition(definition, star=item.star) == item.query:
        return []
    return [f"the existing {item.type} is defined otherwise: {' '.join(definition.split())}"]


def _index(shape: IndexShape | None, found: Mapping, table: str | None) -> list[str]:
    reasons = []
    if not found["on_parent"]:
        reasons.append(f"the existing index is not on {table}")
    elif shape is not None and index_shape_of_definition(found["definition"]) != shape:
        reasons.append(f"the existing index is defined otherwise: {found['definition']}")
    if not found["valid"]:
        reasons.append(_INVALID_INDEX)
    return reasons


_INVALID_INDEX = (
    "the existing index is invalid (indisvalid = false, e.g. a failed CREATE INDEX "
    "CONCURRENTLY): drop it and build it again"
)


def _unnamed_index(item: CreatedObject, indexes: Sequence[Mapping]) -> Shape:
    """An index without a name can only be recognised by what it indexes."""
    for index in indexes:
        if index_shape_of_definition(index["definition"]) == item.index:
            invalid = () if index["valid"] else (_INVALID_INDEX,)
            note = f"an index with the same definition exists: {index['name']}"
            return Shape(True, invalid, note)
    return Shape(False)


def _routine(item: CreatedObject, found: Mapping) -> list[str]:
    is_procedure = found["prokind"] == "p"
    if is_procedure != (item.type is ObjectType.PROCEDURE):
        kind = "a procedure" if is_procedure else "a function"
        return [f"{item.signature} exists as {kind}, not as a {item.type}"]
    if item.language is not None and item.language.lower() != found["language"]:
        return [f"the existing {item.type} is in {found['language']}, not {item.language}"]
    if item.body is not None and item.body != found["body"]:
        return [f"the existing {item.type} has another body: {_excerpt(found['body'])}"]
    return []


def _excerpt(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else f"{flat[:limit]}…"


def _type(item: CreatedObject, found: Mapping) -> list[str]:
    typtype, relkind = found["typtype"], found.get("relkind")
    if typtype == "c" and relkind not in (None, "c"):
        return [f"{item.qualified_name} is the row type of {_kind(_RELKIND_NAMES, relkind)}"]
    if item.kind in _TYPTYPES and _TYPTYPES[item.kind] != typtype:
        return [f"{item.qualified_name} is {_kind(_TYPTYPE_NAMES, typtype)}, not a {item.kind}"]
    return []


def _kind(names: Mapping[str, str], code: str) -> str:
    return names.get(code, f"of kind {code!r}")


def _column(item: CreatedObject, theirs: str, nullable: bool) -> list[str]:
    """A column of another type, or nullable where the migration makes it NOT NULL."""
    reasons = []
    ours = item.data_type
    if ours is not None and "%" not in ours and not _same_type(ours, theirs):
        reasons.append(f"column {item.name} is {theirs}, not {ours}")
    if item.not_null and nullable:
        reasons.append(f"column {item.name} is nullable, not NOT NULL")
    return reasons


def _same_type(ours: str, theirs: str) -> bool:
    # format_type() leaves out the schema of a type visible in the search_path.
    return ours == theirs or ours.rsplit(".", 1)[-1] == theirs


def _constraint(item: CreatedObject, found: Mapping | None) -> list[str]:
    if found is None:
        return [f"constraint {item.name} is missing"]
    expected = _CONTYPES.get(item.kind or "")
    if expected and found["contype"] != expected:
        actual = _CONTYPE_NAMES.get(found["contype"], found["contype"])
        return [f"constraint {item.name} is a {actual} constraint, not a {item.kind}"]
    if not found["validated"] and not item.not_valid:
        return [f"constraint {item.name} is not validated (convalidated = false)"]
    if not _same_constraint(item, found):
        return [f"constraint {item.name} is not {constraint_text(item)}"]
    return []


def _unnamed_constraint(item: CreatedObject, found: Mapping | None) -> Shape:
    """A constraint without a name (added by ALTER TABLE) can only be recognised by its shape
    among the constraints of its table (``found``: the table's answer)."""
    for name, other in ((found or {}).get("constraints") or {}).items():
        if _same_constraint(item, other):
            invalid = not other["validated"] and not item.not_valid
            reason = (f"constraint {name} is not validated (convalidated = false)",)
            return Shape(True, reason if invalid else (), f"the same constraint exists: {name}")
    return Shape(False)


_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def _same_constraint(item: CreatedObject, found: Mapping) -> bool:
    """Whether the catalog's constraint ``found`` is of ``item``'s kind, on its columns (a
    CHECK: reading them), referencing its table with its actions (a foreign key)."""
    if found["contype"] != _CONTYPES.get(item.kind or ""):
        return False
    columns = tuple(found["columns"] or ())
    if (
        item.columns
        and (tuple(sorted(columns)) if item.kind == "check" else columns) != item.columns
    ):
        return False
    if item.references is not None:
        schema, table = item.references
        theirs = found["references"] or [None, None]
        if table != theirs[1] or schema not in (None, theirs[0]):
            return False
    return item.actions is None or item.actions == found["actions"]


def constraint_text(item: CreatedObject) -> str:
    """``PRIMARY KEY (id)``, ``FOREIGN KEY (user_id) REFERENCES users ON DELETE CASCADE``..."""
    text = f"{(item.kind or '').upper()} ({', '.join(item.columns)})"
    if item.kind == "check":
        text = f"CHECK on ({', '.join(item.columns)})"
    if item.references is not None:
        text += f" REFERENCES {target_name(item.references)}"
    for clause, code in zip(("ON DELETE", "ON UPDATE"), item.actions or "", strict=False):
        if code != "a":
            text += f" {clause} {_ACTIONS[code]}"
    return text
