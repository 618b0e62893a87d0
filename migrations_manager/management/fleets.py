"""``pgmigrate targets ...`` and ``pgmigrate fleet ...``: the subcommands about several
targets (a mixin of the command: parse, call ``services``, render)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management.base import CommandError

from .. import services
from ..audit import Actor
from ..exceptions import UsageError


class FleetCommands:
    """The ``targets`` and ``fleet`` subcommands of ``pgmigrate``."""

    as_json: bool
    stdout: Any
    stderr: Any
    style: Any
    _emit: Callable[[Any], None]

    # ---- targets -----------------------------------------------------------------------------

    def _targets(self, options: dict[str, Any]) -> None:
        action, name = options["action"], options["name"]
        if action != "list" and not name:
            raise UsageError(f"`targets {action}` needs the target's NAME.")
        from ..api.fleet_serializers import ConnectionTestSerializer, TargetSerializer

        if action == "list":
            configs = services.list_targets(options["tags"][0] if options["tags"] else None)
            if self.as_json:
                self._emit(TargetSerializer(configs, many=True).data)
            for config in [] if self.as_json else configs:
                tags = f"  [{', '.join(config.tags)}]" if config.tags else ""
                self.stdout.write(f"{config.name}  {config.shown_url or '(not configured)'}{tags}")
        elif action == "add":
            if not options["url"]:
                raise UsageError("`targets add` needs --url.")
            config = services.add_target(
                name,
                url=options["url"],
                password_env=options["password_env"],
                migrations_dir=options["migrations_dir"],
                framework=options["framework"],
                tags=options["tags"],
                lock_timeout=options["lock_timeout"],
            )
            self._show(TargetSerializer(config).data, f"Added target {name}.")
        elif action == "remove":
            services.remove_target(name)
            self._show({"removed": name}, f"Removed target {name}.")
        else:
            body = dict(TargetSerializer(services.show_target(name)).data)
            body["connection"] = ConnectionTestSerializer(services.test_connection(name)).data
            if self.as_json:
                self._emit(body)
                return
            for key, value in body.items():
                self.stdout.write(f"{key}: {value}")

    def _show(self, body: Any, sentence: str) -> None:
        if self.as_json:
            self._emit(body)
        else:
            self.stdout.write(self.style.SUCCESS(sentence))

    # ---- fleet -------------------------------------------------------------------------------

    def _fleet(self, options: dict[str, Any]) -> None:
        action = options["action"]
        if action == "status":
            self._fleet_status(options)
            return
        if action == "retry":
            if options["run_id"] is None:
                raise UsageError("`fleet retry` needs the fleet run's RUN_ID.")
            fleet_id = options["run_id"]
            services.retry_fleet_run(fleet_id)
        else:
            fleet_id = services.start_fleet_run(
                actor=Actor.command_line(),
                tag=options["tag"],
                concurrency=options["concurrency"],
                canary=options["canary"],
                max_failures=options["max_failures"],
                reason=options["reason"],
            )
        if not self.as_json:
            self.stdout.write(f"Fleet run {fleet_id} started.")
        report = services.wait_for_fleet(fleet_id)
        self._fleet_report(report)

    def _fleet_status(self, options: dict[str, Any]) -> None:
        rows = services.fleet_status(options["tag"], options["which"])
        if self.as_json:
            from ..api.fleet_serializers import FleetRowSerializer

            self._emit(FleetRowSerializer(rows, many=True).data)
            return
        for row in rows:
            if not row.reachable:
                self.stdout.write(self.style.ERROR(f"{row.target}: unreachable: {row.error}"))
                continue
            counts = ", ".join(f"{state} {n}" for state, n in row.counts.items())
            last = f"; last {row.last_applied}" if row.last_applied else ""
            self.stdout.write(f"{row.target}: {row.framework}: {counts}{last}")

    def _fleet_report(self, report: services.FleetReport) -> None:
        if self.as_json:
            from ..api.fleet_serializers import FleetReportSerializer

            self._emit(FleetReportSerializer(report).data)
        else:
            for child in report.targets:
                where = f" [{child.sqlstate}]" if child.sqlstate else ""
                error = f": {child.error}{where}" if child.error else ""
                self.stdout.write(f"  {child.target}: {child.status}{error}")
            counts = ", ".join(f"{s} {n}" for s, n in report.counts.items() if n)
            self.stdout.write(f"Fleet run {report.id} {report.status}: {counts}.")
        if not report.ok:
            raise CommandError(f"Fleet run {report.id} {report.status}.", returncode=1)
