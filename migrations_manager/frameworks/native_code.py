"""Frameworks whose migrations are program code (Python, Ruby, PHP, C#): never executed here.

Status and mark-applied work as for any framework; running one of their files is refused, before
anything runs, with a sentence naming the framework's own command.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from ..exceptions import UnsupportedMigration
from ..sources import MigrationsDirectory
from ..types import Migration
from .base import TrackingAdapter

# Characters a migration name may not contain (it is sent back as a plain file name).
_SEPARATORS = str.maketrans({"/": "\u2215", "\\": "\u2216"})


def plain_name(text: str) -> str:
    """``text`` usable as a migration name: path separators become look-alike characters
    (U+2215, U+2216), which a framework's own identifiers never contain in practice."""
    return text.translate(_SEPARATORS)


class NativeCodeAdapter(TrackingAdapter):
    """Base of the frameworks whose migration files only the framework itself can run."""

    #: The language of the files, for the refusal ("a Ruby migration").
    language: ClassVar[str]
    executable_extensions = ()
    #: The framework's conventional folder, read when the migrations directory is the
    #: project's root rather than that folder itself (``db/migrate`` for Rails...).
    project_folder: ClassVar[str] = ""

    def ensure_executable(self, migration: Migration) -> None:
        article = "an" if self.language[:1] in "AEIOU" else "a"
        raise UnsupportedMigration(
            f"{migration.name} is {article} {self.language} migration: only {self.label} can run "
            f"it. Run it with `{self.native_command}`, or mark it applied here once it ran.",
            names=[migration.name],
        )

    def layout_files(self, directory: MigrationsDirectory) -> list[Path]:
        """The framework's files directly in the directory, else in its conventional folder."""
        found = directory.files(self.extensions)
        if found or not self.project_folder:
            return found
        return directory.files(self.extensions, under=self.project_folder)
