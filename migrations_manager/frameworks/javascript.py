"""What the JavaScript frameworks whose migrations are modules (Knex, Kysely, Sequelize, TypeORM,
MikroORM, db-migrate) share: we read and write their tracking rows, we never execute their files.

Status and mark-applied work as for any framework; a run is refused before anything starts, with
the framework's own command, because a ``.js``/``.ts`` migration only means something inside the
framework's runtime (its query builder, its connection, its transaction).
"""

from __future__ import annotations

from typing import ClassVar

from ..exceptions import UnsupportedMigration
from ..sources import MigrationsDirectory
from ..types import Migration
from .base import TrackingAdapter

# TypeScript declaration files sit next to compiled migrations and are never migrations.
DECLARATION_SUFFIXES = (".d.ts", ".d.mts", ".d.cts")


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
