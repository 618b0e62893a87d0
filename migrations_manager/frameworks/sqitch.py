"""Sqitch: the registry schema ``sqitch`` (``changes``, ``events``, ``tags``, ``dependencies``,
``projects``, ``releases``), a ``changes`` row per deployed change of a project.

The migrations directory is the Sqitch project: ``sqitch.plan`` orders the changes, each
deployed by ``deploy/<change>.sql`` and reverted by ``revert/<change>.sql`` (an instance reworked
later: ``<change>@<tag>.sql``, each instance a migration of its own, its rows matched by
``change_id``). ``script_hash`` is SHA-1 of the deploy script; a ``fail`` event with no
``changes`` row only logs a failed deploy, which Sqitch tries again: pending. Recording a
change writes what ``sqitch deploy`` writes: the ``changes`` row, its ``dependencies`` and
``tags``, a ``deploy`` event (and the ``projects`` row if the project is new to the registry).
Sqitch deploys from its last deployed change on, so changes are recorded in plan order only.
Deploy scripts usually wrap themselves in ``BEGIN; ... COMMIT;``: the planner absorbs such a
wrapper, and the script runs in its segment's transaction. (frameworks.md §2.22)
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from pathlib import Path

import psycopg
from psycopg import sql

from ..exceptions import UnsupportedMigration
from ..sources import MigrationsDirectory, read_text, sha256_of
from ..types import AppliedRecord, Migration, Section, TableRef
from .base import TEXT_TYPES, TIMESTAMP_TYPES, FrameworkLock, TrackingAdapter
from .checksums import sqitch_script_hash
from .lock_keys import SQITCH_KEY
from .native_code import plain_name
from .registry import registry
from .sqitch_plan import Plan, PlannedChange, parse_plan

PLAN_FILE = "sqitch.plan"
SIBLINGS = ("events", "projects", "tags", "dependencies", "releases")
FAILED_EVENTS = sql.SQL(
    "SELECT change_id, change FROM (SELECT DISTINCT ON (change_id) change_id, change, event,"
    " committed_at"
    " FROM {events} WHERE project = COALESCE({project}, project)"
    " ORDER BY change_id, committed_at DESC) AS latest"
    " WHERE event = 'fail' ORDER BY committed_at"
)
SELECT_CHANGES = sql.SQL(
    "SELECT change_id, change, script_hash, committed_at FROM {changes}"
    " WHERE project = COALESCE({project}, project)"
    " ORDER BY committed_at"
)
# Who deploys: the database role, and role@host as Sqitch's default e-mail is user@host.
COMMITTER = sql.SQL("current_user, current_user || {at_host}")
INSERT_PROJECT = sql.SQL(
    "INSERT INTO {projects} (project, uri, creator_name, creator_email)"
    " SELECT {project}, {uri}, {committer}"
    " WHERE NOT EXISTS (SELECT 1 FROM {projects} WHERE project = {project})"
)
INSERT_CHANGE = sql.SQL(
    "INSERT INTO {changes} (change_id, script_hash, change, project, note, committer_name,"
    " committer_email, planned_at, planner_name, planner_email, committed_at)"
    " VALUES ({id}, {script_hash}, {change}, {project}, {note}, {committer}, {planned_at},"
    " {planner_name}, {planner_email}, clock_timestamp())"
)
# dependency_id as Sqitch resolves it (Engine::check_deploy_dependencies, change_id_for): a
# change of this plan by the id of the plan entry the dependency names, once deployed; another
# project's by name, its first deployed instance, or the last one before the named tag.
INSERT_REQUIRE = sql.SQL(
    "INSERT INTO {dependencies} (change_id, type, dependency, dependency_id)"
    " VALUES ({id}, 'require', {dependency}, ({dependency_id}))"
)
DEPENDENCY_BY_ID = sql.SQL("SELECT change_id FROM {changes} WHERE change_id = {dep_id}")
DEPENDENCY_BY_NAME = sql.SQL(
    "SELECT change_id FROM {changes} WHERE project = {dep_project} AND change = {dep_change}"
    " ORDER BY committed_at LIMIT 1"
)
DEPENDENCY_BY_TAG = sql.SQL(
    "SELECT c.change_id FROM {changes} c JOIN {tags} t ON c.committed_at <= t.committed_at"
    " AND c.project = t.project WHERE c.project = {dep_project} AND c.change = {dep_change}"
    " AND t.tag = {dep_tag} ORDER BY c.committed_at DESC LIMIT 1"
)
INSERT_CONFLICT = sql.SQL(
    "INSERT INTO {dependencies} (change_id, type, dependency, dependency_id)"
    " VALUES ({id}, 'conflict', {dependency}, NULL)"
)
INSERT_TAG = sql.SQL(
    "INSERT INTO {tags} (tag_id, tag, project, change_id, note, committer_name, committer_email,"
    " planned_at, planner_name, planner_email, committed_at) VALUES ({tag_id}, {tag}, {project},"
    " {id}, {note}, {committer}, {planned_at}, {planner_name}, {planner_email}, clock_timestamp())"
)
INSERT_EVENT = sql.SQL(
    "INSERT INTO {events} (event, change_id, change, project, note, tags, requires, conflicts,"
    " committer_name, committer_email, planned_at, planner_name, planner_email, committed_at)"
    " VALUES ('deploy', {id}, {change}, {project}, {note}, {tag_names}::text[],"
    " {requires}::text[], {conflicts}::text[], {committer}, {planned_at}, {planner_name},"
    " {planner_email}, clock_timestamp())"
)


def script_segments(deploy_dir: Path, change: PlannedChange) -> list[str]:
    """The path of a change's scripts under ``deploy/`` (``revert/``...), as Sqitch finds it
    (``path_segments``): ``name.sql``, or for an instance reworked later ``name@tag.sql`` of
    the first rework tag whose deploy script exists (else of the first one)."""
    *folders, base = change.name.split("/")
    candidates = [f"{base}@{tag}.sql" for tag in change.rework_tags] or [f"{base}.sql"]
    existing = [c for c in candidates if deploy_dir.joinpath(*folders, c).is_file()]
    return [*folders, (existing or candidates)[0]]


@registry.register
class SqitchAdapter(TrackingAdapter):
    name = "sqitch"
    label = "Sqitch"
    table_names = ("changes",)
    default_schema = "sqitch"
    signature = {
        "change_id": TEXT_TYPES,
        "script_hash": TEXT_TYPES,
        "change": TEXT_TYPES,
        "project": TEXT_TYPES,
        "note": TEXT_TYPES,
        "committed_at": TIMESTAMP_TYPES,
        "committer_name": TEXT_TYPES,
        "committer_email": TEXT_TYPES,
        "planned_at": TIMESTAMP_TYPES,
        "planner_name": TEXT_TYPES,
        "planner_email": TEXT_TYPES,
    }
    exact_columns = True
    required_siblings = frozenset(SIBLINGS)
    native_command = "sqitch deploy"
    # A `fail` event only logs a failed deploy: Sqitch deploys the change again next time.
    failure_blocks = False

    def own_lock(self, table: TableRef, database: str) -> FrameworkLock:
        return FrameworkLock(self.label, (SQITCH_KEY,))

    in_order_only = True

    def plan(self, directory: MigrationsDirectory) -> Plan | None:
        path = directory.root / PLAN_FILE
        return parse_plan(read_text(path)) if path.is_file() else None

    def discover(self, directory: MigrationsDirectory) -> list[Migration]:
        plan = self.plan(directory)
        found = []
        for change in plan.changes if plan else ():
            segments = script_segments(directory.child("deploy"), change)
            deploy = directory.child("deploy", *segments)
            if deploy.is_file() and directory.contains(deploy):
                revert = directory.child("revert", *segments)
                found.append(
                    Migration(
                        name=plain_name(change.identifier),
                        identifier=change.identifier,
                        path=deploy,
                        sha256=sha256_of(deploy),
                        sort_key=(change.position,),
                        down_path=revert if revert.is_file() else None,
                        requires=change.requires,
                    )
                )
        return found

    def checksum(self, migration: Migration) -> str | None:
        return sqitch_script_hash(migration.path.read_bytes())

    def up_section(self, migration: Migration) -> Section:
        return Section(read_text(migration.path))

    def down_section(self, migration: Migration) -> Section | None:
        if migration.down_path is None:
            return None
        return Section(read_text(migration.down_path))

    def read_records(
        self, conn: psycopg.Connection, table: TableRef, migrations: Sequence[Migration]
    ) -> list[AppliedRecord]:
        plan = self._plan_of(migrations)
        project = sql.Literal(plan.project if plan else None)
        names = {"changes": table.identifier, "events": self._sibling(table, "events")}
        rows = conn.execute(SELECT_CHANGES.format(project=project, **names)).fetchall()
        entry = self._entry_identifiers(plan)
        records = [
            AppliedRecord(entry.get(change_id, change), at, script_hash)
            for change_id, change, script_hash, at in rows
        ]
        deployed = {record.identifier for record in records}
        failed = conn.execute(FAILED_EVENTS.format(project=project, **names)).fetchall()
        records += [
            AppliedRecord(
                entry.get(change_id, change),
                failed=True,
                detail="Sqitch logged a fail event for it",
            )
            for change_id, change in failed
            if entry.get(change_id, change) not in deployed
        ]
        return records

    @staticmethod
    def _entry_identifiers(plan: Plan | None) -> dict[str, str]:
        """change_id -> the plan entry's identifier: a row is matched to its instance by id (a
        row whose id the plan does not know, e.g. after its note was edited, by its name)."""
        return {change.id: change.identifier for change in plan.changes} if plan else {}

    def record(self, table: TableRef, migrations: Sequence[Migration]) -> list[sql.Composable]:
        plan = self._plan_of(migrations)
        if plan is None:
            return []
        by_identifier = {change.identifier: change for change in plan.changes}
        values = {
            "changes": table.identifier,
            **{sibling: self._sibling(table, sibling) for sibling in SIBLINGS},
            "project": sql.Literal(plan.project),
            "committer": COMMITTER.format(at_host=sql.Literal(f"@{socket.getfqdn()}")),
        }
        statements = [INSERT_PROJECT.format(uri=sql.Literal(plan.uri), **values)]
        for migration in migrations:
            change = by_identifier[migration.identifier]
            statements.extend(self._change_rows(change, migration.path, plan, values))
        return statements

    def _change_rows(
        self, change: PlannedChange, deploy: Path, plan: Plan, values: dict
    ) -> list[sql.Composable]:
        row = {**values, "id": sql.Literal(change.id), **self._planned(change.planned)}
        statements = [
            INSERT_CHANGE.format(
                script_hash=sql.Literal(sqitch_script_hash(deploy.read_bytes())),
                change=sql.Literal(change.name),
                **row,
            )
        ]
        statements += [
            INSERT_REQUIRE.format(
                dependency=sql.Literal(dependency),
                dependency_id=self._dependency_id(plan, dependency, values),
                **row,
            )
            for dependency in change.requires
        ]
        statements += [
            INSERT_CONFLICT.format(dependency=sql.Literal(conflict), **row)
            for conflict in change.conflicts
        ]
        statements += [
            INSERT_TAG.format(
                tag_id=sql.Literal(tag.id),
                tag=sql.Literal(f"@{tag.name}"),
                **{**row, **self._planned(tag.planned)},
            )
            for tag in change.tags
        ]
        statements.append(
            INSERT_EVENT.format(
                change=sql.Literal(change.name),
                tag_names=sql.Literal([f"@{tag.name}" for tag in change.tags]),
                requires=sql.Literal(list(change.requires)),
                conflicts=sql.Literal(list(change.conflicts)),
                **row,
            )
        )
        return statements

    @staticmethod
    def _dependency_id(plan: Plan, dependency: str, values: dict) -> sql.Composable:
        """The query of the change_id Sqitch logs for a required change."""
        dep_project, _, key = dependency.rpartition(":")
        if not dep_project or dep_project == plan.project:
            required = plan.find(key)
            dep_id = sql.Literal(required.id if required else None)
            return DEPENDENCY_BY_ID.format(dep_id=dep_id, changes=values["changes"])
        dep_change, _, dep_tag = key.partition("@")
        query = DEPENDENCY_BY_TAG if dep_tag else DEPENDENCY_BY_NAME
        return query.format(
            dep_project=sql.Literal(dep_project),
            dep_change=sql.Literal(dep_change),
            dep_tag=sql.Literal(f"@{dep_tag}"),
            changes=values["changes"],
            tags=values["tags"],
        )

    @staticmethod
    def _planned(planned) -> dict[str, sql.Composable]:
        return {
            "note": sql.Literal(planned.note),
            "planned_at": sql.SQL("{}::timestamptz").format(sql.Literal(planned.planned_at)),
            "planner_name": sql.Literal(planned.planner_name),
            "planner_email": sql.Literal(planned.planner_email),
        }

    @staticmethod
    def _sibling(table: TableRef, name: str) -> sql.Identifier:
        return sql.Identifier(table.schema, name)

    @staticmethod
    def _plan_path(migration: Migration) -> Path:
        """``sqitch.plan`` of the project a deploy script belongs to (``<top>/deploy/...``)."""
        for folder in migration.path.parents:
            if folder.name == "deploy" and (folder.parent / PLAN_FILE).is_file():
                return folder.parent / PLAN_FILE
        raise UnsupportedMigration(f"{migration.name} has no {PLAN_FILE} beside its deploy folder.")

    def _plan_of(self, migrations: Sequence[Migration]) -> Plan | None:
        """The plan the migrations come from (``None`` for none)."""
        if not migrations:
            return None
        return parse_plan(read_text(self._plan_path(migrations[0])))
