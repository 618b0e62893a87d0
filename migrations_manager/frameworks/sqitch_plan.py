"""Reading a Sqitch project's ``sqitch.plan`` (the syntax of ``App::Sqitch::Plan``).

    %project=flipr
    %uri=https://github.com/sqitchers/sqitch-intro/

    appschema 2013-12-30T23:19:45Z Marge N. O'Vera <marge@example.com> # Add schema.
    users [appschema] 2013-12-30T23:49:00Z Marge N. O'Vera <marge@example.com> # Users.
    @v1.0.0-dev1 2013-12-31T00:03:42Z Marge N. O'Vera <marge@example.com> # Tag it.

Each change gets the ``change_id`` Sqitch computes (its parent is the previous change of the
plan), each tag its ``tag_id``. A reworked change (a name planned twice, a tag in between) is one
entry per instance, as Sqitch deploys each in turn: the latest is ``name``, an earlier one its
tag-qualified name ``name@tag`` (``format_tag_qualified_name``), its scripts
``deploy/name@tag.sql`` (``rework_tags``, ``App::Sqitch::Plan::Change``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .checksums import sqitch_change_id, sqitch_tag_id

_UNESCAPE = {"\\n": "\n", "\\r": "\r", "\\\\": "\\"}


@dataclass(frozen=True)
class Planned:
    """What a change or tag line says besides its name."""

    planned_at: str  # as written in the plan, e.g. 2013-12-30T23:19:45Z
    planner_name: str
    planner_email: str
    note: str


@dataclass(frozen=True)
class PlannedTag:
    name: str
    id: str
    planned: Planned


@dataclass(frozen=True)
class PlannedChange:
    name: str
    id: str
    planned: Planned
    requires: tuple[str, ...]
    conflicts: tuple[str, ...]
    tags: tuple[PlannedTag, ...] = field(default=())
    position: int = 0
    #: Of an instance reworked later: the tags whose ``name@tag`` scripts may be its own, in the
    #: order Sqitch tries them (the latest tag before the rework first, its own tags last).
    rework_tags: tuple[str, ...] = ()

    @property
    def identifier(self) -> str:
        """``name``, or ``name@tag`` for an instance reworked later (Sqitch's own spelling)."""
        own = [tag.name for tag in self.tags]
        tag = (own or list(self.rework_tags) or [None])[0]
        return f"{self.name}@{tag}" if self.rework_tags and tag else self.name


@dataclass(frozen=True)
class Plan:
    project: str
    uri: str | None
    changes: tuple[PlannedChange, ...]

    def find(self, key: str) -> PlannedChange | None:
        """The entry a dependency names, as ``App::Sqitch::Plan::ChangeList::find``: ``name``
        is its first instance, ``name@tag`` the last one at or before the tag, ``@tag`` the
        change carrying the tag, 40 hex digits a change id."""
        by_id = [change for change in self.changes if change.id == key]
        if by_id:
            return by_id[0]
        name, at, tag = key.partition("@")
        instances = [change for change in self.changes if change.name == name]
        if not at:
            return instances[0] if instances else None
        tagged = [c for c in self.changes if any(t.name == tag for t in c.tags)]
        if not tagged:
            return None
        if not name:
            return tagged[0]
        before = [c for c in instances if c.position <= tagged[0].position]
        return before[-1] if before else None


def _note(text: str) -> str:
    note = text.strip()
    for escaped, plain in _UNESCAPE.items():
        note = note.replace(escaped, plain)
    return note


def _split_line(line: str) -> tuple[str, str, list[str], Planned] | None:
    """(kind "change"/"tag", name, dependencies, planned) of a plan line; None otherwise."""
    content, _, note = line.partition("#")
    head, _, email_part = content.rpartition("<")
    email = email_part.strip().removesuffix(">")
    before_planner = head.split()
    stamp_at = next((i for i, w in enumerate(before_planner) if w.endswith("Z") and "T" in w), None)
    if stamp_at is None or not before_planner[0].lstrip("+-@"):
        return None
    name = before_planner[0]
    kind = "tag" if name.startswith("@") else "change"
    inside = " ".join(before_planner[1:stamp_at]).strip()
    dependencies = inside.strip("[]").split() if inside.startswith("[") else []
    planned = Planned(
        planned_at=before_planner[stamp_at],
        planner_name=" ".join(before_planner[stamp_at + 1 :]),
        planner_email=email,
        note=_note(note),
    )
    return kind, name.lstrip("+@"), dependencies, planned


def parse_plan(text: str) -> Plan:
    """The plan's project, URI and changes (with their ids and tags), in plan order."""
    pragmas: dict[str, str] = {}
    lines = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("%"):
            key, _, value = line[1:].partition("=")
            pragmas[key.strip()] = value.partition("#")[0].strip()
        elif line and not line.startswith("#") and not line.startswith("-"):
            parsed = _split_line(line)
            if parsed:
                lines.append(parsed)
    project, uri = pragmas.get("project", ""), pragmas.get("uri") or None
    changes: list[PlannedChange] = []
    for kind, name, dependencies, planned in lines:
        if kind == "tag" and changes:
            tag_id = sqitch_tag_id(
                project=project, uri=uri, tag=name, change_id=changes[-1].id, **_who(planned)
            )
            last = changes[-1]
            changes[-1] = _with_tag(last, PlannedTag(name, tag_id, planned))
        elif kind == "change":
            requires = tuple(_as_string(d, project) for d in dependencies if d[0] != "!")
            conflicts = tuple(_as_string(d[1:], project) for d in dependencies if d[0] == "!")
            change_id = sqitch_change_id(
                project=project,
                uri=uri,
                change=name,
                parent=changes[-1].id if changes else None,
                requires=requires,
                conflicts=conflicts,
                **_who(planned),
            )
            changes.append(
                PlannedChange(name, change_id, planned, requires, conflicts, (), len(changes))
            )
    return Plan(project, uri, tuple(_with_rework_tags(changes)))


def _with_rework_tags(changes: list[PlannedChange]) -> list[PlannedChange]:
    """Each instance reworked later gets its rework tags, as Sqitch's plan parser adds them:
    the tags of the changes between it and its next instance, latest change first, then its
    own tags."""
    result = list(changes)
    for change in changes:
        later = [c for c in changes[change.position + 1 :] if c.name == change.name]
        if later:
            between = changes[change.position + 1 : later[0].position]
            tags = [tag.name for c in reversed(between) for tag in c.tags]
            tags += [tag.name for tag in change.tags]
            result[change.position] = replace(change, rework_tags=tuple(tags))
    return result


def _as_string(dependency: str, project: str) -> str:
    """A dependency as Sqitch logs it: no ``!``, no prefix naming this very project."""
    return dependency.removeprefix(f"{project}:")


def _who(planned: Planned) -> dict[str, str]:
    return {
        "planner_name": planned.planner_name,
        "planner_email": planned.planner_email,
        "planned_at": planned.planned_at,
        "note": planned.note,
    }


def _with_tag(change: PlannedChange, tag: PlannedTag) -> PlannedChange:
    return replace(change, tags=(*change.tags, tag))
