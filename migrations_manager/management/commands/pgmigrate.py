"""``python manage.py pgmigrate SUBCOMMAND``: parse arguments, call ``services``, render.

Exit codes: 0 success, 1 a failed migration or another error, 2 bad usage.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import payloads, services
from ...audit import Actor
from ...exceptions import MigrationsManagerError, UsageError
from ...types import RunReport, Step

Handler = Callable[[dict[str, Any]], Any]


class Command(BaseCommand):
    help = "Create, run, roll back and inspect PostgreSQL migrations."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
        create = self._subcommand(subcommands, "create", "write a new migration file")
        create.add_argument("name", help="what the migration does, e.g. add-user-roles")
        create.add_argument(
            "--cjs",
            action="store_true",
            help="write a node-pg-migrate .cjs migration instead of .sql",
        )
        up = self._subcommand(
            subcommands, "up", "apply pending migrations, each in its own transaction"
        )
        up.add_argument("target", nargs="?", help="how many to apply, or the last one to apply")
        for name, what in (("down", "roll back"), ("redo", "roll back and re-apply")):
            sub = self._subcommand(subcommands, name, f"{what} the last applied migration(s)")
            sub.add_argument("count", nargs="?", type=int, default=1, help="how many (default 1)")
        for name in ("up", "down", "redo"):
            subcommands.choices[name].add_argument(
                "--dry-run", action="store_true", help="print the SQL and the plan; change nothing"
            )
        status = self._subcommand(subcommands, "status", "every migration's state")
        status.add_argument("--framework", help="use this framework's detected tracking table")

    def _subcommand(self, subcommands: Any, name: str, help_text: str) -> CommandParser:
        parser = subcommands.add_parser(name, help=help_text, description=help_text)
        parser.add_argument("--json", action="store_true", help="print a JSON result on stdout")
        return parser

    def handle(self, *args: Any, **options: Any) -> None:
        handler: Handler = getattr(self, f"_{options['subcommand'].replace('-', '_')}")
        self.as_json = options.get("json", False)
        try:
            handler(options)
        except UsageError as error:
            self._fail(error, returncode=2)
        except MigrationsManagerError as error:
            self._fail(error, returncode=1)

    def _fail(self, error: MigrationsManagerError, *, returncode: int) -> None:
        if self.as_json:
            self._emit(error.as_dict())
        raise CommandError(error.message, returncode=returncode)

    def _emit(self, payload: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(payload, indent=2, default=str))

    # ---- subcommands ---------------------------------------------------------------------

    def _create(self, options: dict[str, Any]) -> None:
        path = services.create_migration(options["name"], cjs=options["cjs"])
        if self.as_json:
            self._emit({"created": path.name, "path": str(path)})
        else:
            self.stdout.write(self.style.SUCCESS(f"Created {path}"))

    def _up(self, options: dict[str, Any]) -> None:
        target = options["target"]
        if target is not None and target.isdigit():
            target = int(target)
        self._run(services.migrate_up, target, options)

    def _down(self, options: dict[str, Any]) -> None:
        self._run(services.migrate_down, options["count"], options)

    def _redo(self, options: dict[str, Any]) -> None:
        self._run(services.redo, options["count"], options)

    def _run(
        self, service: Callable[..., RunReport], argument: Any, options: dict[str, Any]
    ) -> None:
        report = service(
            argument,
            actor=Actor.command_line(),
            dry_run=options["dry_run"],
            progress=None if self.as_json else self._progress,
        )
        if self.as_json:
            self._emit(payloads.run_report(report))
        elif report.dry_run:
            self._render_dry_run(report)
        else:
            self._render_outcome(report)
        if not report.ok:
            raise CommandError(services.summarize(report), returncode=1)

    def _progress(self, event: str, step: Step, detail: dict[str, Any]) -> None:
        if event == "start":
            self.stdout.write(f"  {_verb(step)} {step.migration.name}...", ending="")
            self.stdout.flush()
        elif event == "done":
            self.stdout.write(self.style.SUCCESS(f" OK ({detail['duration']:.3f}s)"))
        else:
            self.stdout.write(self.style.ERROR(f" FAILED ({detail['duration']:.3f}s)"))

    def _render_dry_run(self, report: RunReport) -> None:
        if not report.plan.steps:
            self.stdout.write("No migrations to run.")
            return
        self.stdout.write("Plan:")
        for step in report.plan.steps:
            mode = "in a transaction" if step.transactional else "outside a transaction"
            self.stdout.write(
                f"  {_verb(step)} {step.migration.name} "
                f"({len(step.statements)} statement(s), {mode})"
            )
        self.stdout.write("\nSQL:\n" + report.sql_text)
        self.stdout.write(self.style.WARNING("Dry run: nothing was changed."))

    def _render_outcome(self, report: RunReport) -> None:
        failure = report.failure
        if failure is not None:
            sys.stderr.flush()
            self.stderr.write(f"{failure.message}\n{failure.statement}")
            return
        self.stdout.write(self.style.SUCCESS(services.summarize(report)))

    def _status(self, options: dict[str, Any]) -> None:
        report = services.status(framework=options["framework"])
        if self.as_json:
            self._emit(payloads.status_report(report))
            return
        self.stdout.write(f"Framework: {report.framework}  tracking table: {report.tracking_table}")
        for status in report.migrations:
            applied = f"  {status.applied_at:%Y-%m-%d %H:%M:%S}" if status.applied_at else ""
            self.stdout.write(f"  [{status.state:^8}] {status.name}{applied}")
        self.stdout.write(", ".join(f"{state}: {n}" for state, n in report.summary.items()))


def _verb(step: Step) -> str:
    return "Applying" if step.direction == "up" else "Reverting"
