"""What the JavaScript frameworks whose migrations are modules (Knex, Kysely, Sequelize, TypeORM,
MikroORM, db-migrate) share: we read and write their tracking rows, we never execute their files.

Status and mark-applied work as for any framework; a run is refused before anything starts, with
the framework's own command, because a ``.js``/``.ts`` migration only means something inside the
framework's runtime (its query builder, its connection, its transaction).
"""

from __future__ import annotations

from typing import ClassVar

from ..exceptions import UnsupportedMigration
from ..sources import MigrationsDirectory, read_text
from ..types import Migration
from .base import TrackingAdapter
from .js_literals import NAME, STRING, tokenize
from .registry import registry

# TypeScript declaration files sit next to compiled migrations and are never migrations.
DECLARATION_SUFFIXES = (".d.ts", ".d.mts", ".d.cts")
# What a migration module of each framework names (the parameters and imports of the
# framework's own generated skeletons); node-pg-migrate's own modules name its builder.
FRAMEWORK_MARKERS = {
    "queryInterface": "sequelize",
    "queryRunner": "typeorm",
    "MigrationInterface": "typeorm",
    "knex": "knex",
    "Knex": "knex",
    "Kysely": "kysely",
    "@mikro-orm/migrations": "mikro-orm",
    "dbm": "db-migrate",
}
NODE_PG_MIGRATE_MARKERS = frozenset({"pgm", "MigrationBuilder", "node-pg-migrate"})


def foreign_script(migration: Migration) -> TrackingAdapter | None:
    """The framework whose API the JavaScript migration is written against, when it is another
    framework's than node-pg-migrate (read as tokens, never run): node-pg-migrate is never
    given such a file, which it would load and run as its own, or wait on for ever."""
    try:
        names = {t.text for t in tokenize(read_text(migration.path)) if t.kind in (NAME, STRING)}
    except UnicodeDecodeError:
        return None
    if names & NODE_PG_MIGRATE_MARKERS:
        return None
    found = next((fw for marker, fw in FRAMEWORK_MARKERS.items() if marker in names), None)
    return registry.get(found) if found else None


def refuse_foreign(migration: Migration) -> None:
    """Refuse to hand node-pg-migrate another framework's migration.

    Raises:
        UnsupportedMigration: naming the framework and its own command.
    """
    adapter = foreign_script(migration)
    if adapter is not None:
        raise UnsupportedMigration(
            f"{migration.name} is a {adapter.label} migration (it is written against "
            f"{adapter.label}'s API), not node-pg-migrate's: it is never run through "
            f"node-pg-migrate. Run it with {adapter.native_command}; to read and record it "
            f"here, name the framework ({adapter.name}: TRUSS_FRAMEWORK, --framework, "
            "?framework=).",
            names=[migration.name],
        )


class ScriptMigrationsAdapter(TrackingAdapter):
    """A framework whose migrations are JavaScript/TypeScript modules: status and mark only."""

    executable_extensions: ClassVar[tuple[str, ...]] = ()
    #: False where the framework filters on the last extension only (Knex loads ``x.d.ts``).
    skips_declarations: ClassVar[bool] = True

    def discover(self, directory: MigrationsDirectory) -> list[Migration]:
        return [
            self.migration_for(path)
            for path in directory.files(self.extensions)
            if not (self.skips_declarations and path.name.lower().endswith(DECLARATION_SUFFIXES))
        ]

    def ensure_executable(self, migration: Migration) -> None:
        raise UnsupportedMigration(
            f"{migration.name} is a {self.label} migration written in JavaScript/TypeScript: "
            f"this tool records it but never executes it. Run it with {self.native_command}.",
            names=[migration.name],
        )
