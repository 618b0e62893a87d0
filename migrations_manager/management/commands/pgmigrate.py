"""``python manage.py pgmigrate SUBCOMMAND``: parse arguments, call ``services``, render.

Exit codes:

- 0: success.
- 1: a failed migration, or a refusal before anything ran (the ledger records a failure, a
  history the framework would refuse, a file changed since it was confirmed, another run holds
  the lock, a file that cannot be read or run here...), or another error; ``lint`` with an
  error-level finding.
- 2: bad usage only: arguments argparse refuses, a count below 1, a name that designates no
  pending migration or no file, an unknown framework. With ``--json`` it is a JSON object on
  stdout too.
- 3: refused by the safety gate (and ``check --strict`` when the check is not safe).
- 4: ``drift`` found the live database differs from its applied migrations.

A deploy script calls ``pgmigrate status`` as a process: what a subcommand does not need is not
imported (the REST API's serializers and DRF only for ``--json``, Pygments only for a coloured
preview); ``tests/test_import_graph.py`` keeps it so.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import services, targets
from ...audit import Actor
from ...conf import app_settings
from ...exceptions import (
    GateRefused,
    MigrationNotFound,
    MigrationsManagerError,
    TargetNotFound,
    UsageError,
)
from ...models import ChangeRequest
from ...observability import outbox
from ...sources import ascii_digits
from ...types import RunReport, Step, StepAction
from ..arguments import USAGE_EXIT, add_subcommands
from ..fleets import FleetCommands
from ..text import check_lines, drift_lines, lint_lines, request_line, request_lines, schema_lines
from ..watch import StatementWatch

NOT_SAFE_EXIT = 3
DRIFT_EXIT = 4
#: What the user asked for cannot be: a wrong argument or a name that designates nothing.
BAD_USAGE = (UsageError, MigrationNotFound, TargetNotFound)

Handler = Callable[[dict[str, Any]], Any]


class Command(FleetCommands, BaseCommand):
    help = "Create, run, roll back and inspect PostgreSQL migrations."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        add_subcommands(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        handler: Handler = getattr(self, f"_{options['subcommand'].replace('-', '_')}")
        self.as_json = options.get("json", False)
        self._watch: StatementWatch | None = None
        try:
            with targets.using(options.get("target_name")):
                handler(options)
        except GateRefused as refused:
            if not self.as_json:
                self._write_gate_errors(refused)
            self._fail(refused, returncode=NOT_SAFE_EXIT)
        except BAD_USAGE as error:
            self._fail(error, returncode=USAGE_EXIT)
        except MigrationsManagerError as error:
            self._fail(error, returncode=1)
        finally:
            if self._watch is not None:
                self._watch.stop()
            self._send_deliveries()

    def _send_deliveries(self) -> None:
        """The process is about to exit: the webhook deliveries its run queued here go out
        first (within the time their tries may take); any left are in the delivery log."""
        queued = outbox.waiting()
        if queued and not outbox.drain(queued * outbox.longest_delivery()):
            self.stderr.write("Some webhook deliveries are still pending (see the delivery log).")

    def _write_gate_errors(self, refused: GateRefused) -> None:
        for error in refused.errors:
            where = f"{error.file}, line {error.line}: " if error.file and error.line else ""
            self.stderr.write(f"  [{error.kind}] {where}{error.message}")

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
        if target is not None and ascii_digits(target):
            target = int(target)
        self._standard(services.migrate_up, target, options)

    def _down(self, options: dict[str, Any]) -> None:
        self._standard(services.migrate_down, options["count"], options)

    def _redo(self, options: dict[str, Any]) -> None:
        self._standard(services.redo, options["count"], options)

    def _standard(
        self, service: Callable[..., RunReport], argument: Any, options: dict[str, Any]
    ) -> None:
        report = service(
            argument,
            actor=Actor.command_line(),
            dry_run=options["dry_run"],
            progress=None if self.as_json else self._progress,
            reason=options["reason"],
            lock_retries=options["lock_retries"],
        )
        from ... import payloads

        self._report(report, payloads.run_report(report))

    def _report(self, report: RunReport, body: dict[str, Any]) -> None:
        """Print a run's outcome (JSON, dry-run plan, or result); a failure exits 1."""
        if self.as_json:
            self._emit(body)
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
            if detail.get("pid") and self._watch is None:  # one watch for the whole run
                self._watch = StatementWatch(detail["pid"], self._say_progress).start()
        elif event == "done":
            self.stdout.write(self.style.SUCCESS(f" OK ({detail['duration']:.3f}s)"))
        elif event == "retry":
            self.stdout.write(
                self.style.WARNING(
                    f" attempt {detail['attempt']} stopped ({detail['error'].error}); "
                    f"trying again in {detail['wait']:.1f}s"
                )
            )
        elif event == "rolled back":  # it ran, but its segment's transaction did not commit
            self.stdout.write(self.style.WARNING(f"  Rolled back {step.name} with its segment"))
        else:
            self.stdout.write(self.style.ERROR(f" FAILED ({detail['duration']:.3f}s)"))

    def _say_progress(self, line: str) -> None:
        self.stdout.write(f"\n    {line}", ending="")
        self.stdout.flush()

    def _render_dry_run(self, report: RunReport) -> None:
        if not report.plan.steps:
            self.stdout.write("No migrations to run.")
            return
        self.stdout.write("Plan:")
        segments = report.plan.segments
        for number, segment in enumerate(segments, start=1):
            self.stdout.write(f"  segment {number} of {len(segments)} ({segment.mode}):")
            for step in segment.steps:
                self.stdout.write(
                    f"    {_verb(step)} {step.name} ({len(step.statements)} statement(s))"
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

    def _run(self, options: dict[str, Any]) -> None:
        names = options["files"] or None
        if options["dry_run"]:
            report = services.plan_run(names, framework=options["framework"])
        else:
            report = services.run_pending(
                names,
                actor=Actor.command_line(),
                framework=options["framework"],
                progress=None if self.as_json else self._progress,
                atomic=options["atomic"],
                reason=options["reason"],
                lock_retries=options["lock_retries"],
            )
        from ...api.serializers import IdempotentRunSerializer, RunPlanSerializer

        serializer = RunPlanSerializer if report.dry_run else IdempotentRunSerializer
        self._report(report, serializer(report).data)

    def _mark_applied(self, options: dict[str, Any]) -> None:
        result = services.mark_applied(
            options["file"],
            actor=Actor.command_line(),
            framework=options["framework"],
            dry_run=options["dry_run"],
            reason=options["reason"],
        )
        if self.as_json:
            from ...api.serializers import MarkResultSerializer

            self._emit(MarkResultSerializer(result).data)
        elif result.dry_run:
            self.stdout.write("SQL:\n" + result.sql_text)
            self.stdout.write(self.style.WARNING("Dry run: nothing was changed."))
        else:
            self.stdout.write(self.style.SUCCESS(result.message))

    def _status(self, options: dict[str, Any]) -> None:
        report = services.status(framework=options["framework"])
        if self.as_json:
            from ...api.serializers import StatusReportSerializer

            self._emit(StatusReportSerializer(report).data)
            return
        self.stdout.write(f"Framework: {report.framework}  tracking table: {report.tracking_table}")
        for status in report.migrations:
            applied = f"  {status.applied_at:%Y-%m-%d %H:%M:%S}" if status.applied_at else ""
            self.stdout.write(f"  [{status.state:^8}] {status.name}{applied}")
        self.stdout.write(", ".join(f"{state}: {n}" for state, n in report.summary.items()))
        unchecked = sum(1 for status in report.migrations if status.compared_with == "unavailable")
        if unchecked:
            self.stdout.write(
                f"{unchecked} applied file(s) ran through another tool and {report.framework} "
                "keeps no checksum: whether they changed since cannot be told."
            )
        for warning in report.warnings:
            self.stderr.write(f"Warning: {warning.message}")
        if any(warning.kind == "no-migrations" for warning in report.warnings):
            raise CommandError("No migrations in the directory.", returncode=1)

    # ---- change requests -------------------------------------------------------------------

    def _request(self, options: dict[str, Any]) -> None:
        action, args = options["action"], options["items"]
        if action == "create":
            created = services.create_request(
                args or None,
                actor=Actor.command_line(),
                reason=options["reason"],
                framework=options["framework"],
                not_before=options["not_before"],
                not_after=options["not_after"],
                only_when_safe=options["only_when_safe"],
            )
            self._show_request(created, f"Change request {created.pk} created")
        elif action == "list":
            requests = services.list_requests(state=options["state"])
            if self.as_json:
                from ...api.request_serializers import ChangeRequestSerializer

                self._emit({"requests": ChangeRequestSerializer(requests, many=True).data})
            else:
                self._write_lines([request_line(request) for request in requests])
        elif action == "execute":
            report = services.execute_request(
                _request_id(args),
                actor=Actor.command_line(),
                progress=None if self.as_json else self._progress,
                lock_retries=options["lock_retries"],
            )
            from ...api.serializers import IdempotentRunSerializer

            self._report(report, IdempotentRunSerializer(report).data)
        else:
            self._decide(action, _request_id(args), options["comment"])

    def _decide(self, action: str, request_id: int, comment: str) -> None:
        if action == "show":
            self._show_request(services.get_request(request_id), "")
            return
        decide = services.approve_request if action == "approve" else services.reject_request
        decided = decide(request_id, actor=Actor.command_line(), comment=comment)
        self._show_request(decided, f"Change request {request_id} is {decided.state}")

    def _show_request(self, request: ChangeRequest, headline: str) -> None:
        if self.as_json:
            from ...api.request_serializers import ChangeRequestSerializer

            self._emit(ChangeRequestSerializer(request).data)
            return
        if headline:
            self.stdout.write(self.style.SUCCESS(headline))
        self._write_lines(request_lines(request))

    def _scheduler(self, options: dict[str, Any]) -> None:
        """Look at the requests due every ``--interval`` seconds (``--once``: one look)."""
        interval = options["interval"] or float(app_settings.SCHEDULER_INTERVAL)
        while True:
            for request_id, outcome in services.run_due(actor=Actor.command_line()):
                self.stdout.write(f"Change request {request_id}: {outcome}")
            self._send_deliveries()
            if options["once"]:
                return
            time.sleep(interval)

    # ---- pre-flight ------------------------------------------------------------------------

    def _check(self, options: dict[str, Any]) -> None:
        report = services.check(framework=options["framework"])
        if self.as_json:
            from ...api.preflight_serializers import CheckReportSerializer

            self._emit(CheckReportSerializer(report).data)
        else:
            self._write_lines(check_lines(report))
            verdict = (
                "Safe to run." if report.safe else f"Not safe: {len(report.warnings)} warning(s)."
            )
            self.stdout.write(
                self.style.SUCCESS(verdict) if report.safe else self.style.WARNING(verdict)
            )
        if options["strict"] and not report.safe:
            raise CommandError("The safety check is not safe.", returncode=NOT_SAFE_EXIT)

    def _preview(self, options: dict[str, Any]) -> None:
        # The command line's user runs migrations already: a .cjs file's SQL is built for it.
        result = services.preview(options["file"], framework=options["framework"], run_code=True)
        if self.as_json:
            from ...api.preflight_serializers import PreviewSerializer

            self._emit(PreviewSerializer(result).data)
        elif options.get("force_color") or (self.stdout.isatty() and not options.get("no_color")):
            from ... import highlight

            self.stdout.write(highlight.terminal(result.content, result.filename), ending="")
        else:
            self.stdout.write(result.content, ending="")

    def _detect_schema(self, options: dict[str, Any]) -> None:
        if (options["sql"] is None) == (options["file"] is None):
            raise UsageError("Give either a migration FILE or --sql SQL (--sql - reads stdin).")
        sql = sys.stdin.read() if options["sql"] == "-" else options["sql"]
        report = services.detect_schema(
            sql=sql, migration=options["file"], framework=options["framework"]
        )
        if self.as_json:
            from ...api.preflight_serializers import SchemaReportSerializer

            self._emit(SchemaReportSerializer(report).data)
        else:
            self._write_lines(schema_lines(report))

    def _drift(self, options: dict[str, Any]) -> None:
        report = services.drift(framework=options["framework"])
        if self.as_json:
            from ...api.preflight_serializers import DriftReportSerializer

            self._emit(DriftReportSerializer(report).data)
        else:
            self._write_lines(drift_lines(report))
        if report.replay_failure is not None:
            raise CommandError(f"The replay stopped: {report.replay_failure}", returncode=1)
        if report.drifted:
            raise CommandError(
                f"{len(report.differences)} difference(s) found.", returncode=DRIFT_EXIT
            )

    def _lint(self, options: dict[str, Any]) -> None:
        report = services.lint(options["files"] or None, framework=options["framework"])
        if self.as_json:
            from ...api.preflight_serializers import LintReportSerializer

            self._emit(LintReportSerializer(report).data)
        else:
            self._write_lines(lint_lines(report.findings))
            self.stdout.write(
                f"{len(report.findings)} finding(s), {report.errors} error(s) "
                f"in {len(report.files)} file(s)."
            )
        if report.errors:
            raise CommandError(f"{report.errors} error-level finding(s).", returncode=1)

    def _write_lines(self, lines: list[str]) -> None:
        for line in lines:
            self.stdout.write(line)


def _request_id(args: list[str]) -> int:
    if len(args) != 1 or not ascii_digits(args[0]):
        raise UsageError("Give the change request's id (one number).")
    return int(args[0])


def _verb(step: Step) -> str:
    if step.action is StepAction.RECORD:
        return "Recording"
    return "Applying" if step.direction == "up" else "Reverting"
