"""The ``pgmigrate`` command line, declared as data: subcommand -> (help, arguments)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any, NoReturn

from django.core.management.base import CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from ..models import ChangeRequest

#: The exit code of bad usage (argparse's own).
USAGE_EXIT = 2

Argument = tuple[tuple[str, ...], dict[str, Any]]

JSON: Argument = (("--json",), {"action": "store_true", "help": "print a JSON result on stdout"})
DRY_RUN: Argument = (
    ("--dry-run",),
    {"action": "store_true", "help": "print the plan and the exact SQL; change nothing"},
)
FRAMEWORK: Argument = (
    ("--framework",),
    {"help": "use this framework's tracking table when several are detected"},
)
REASON: Argument = (
    ("--reason",),
    {
        "default": "",
        "metavar": "TEXT",
        "help": "run even though the safety gate refuses (recorded in the audit log)",
    },
)
LOCK_RETRIES: Argument = (
    ("--lock-retries",),
    {
        "type": int,
        "metavar": "N",
        "help": "try a segment stopped by a lock timeout again N times (default: LOCK_RETRIES)",
    },
)
TARGET: Argument = (
    ("--target",),
    {
        "dest": "target_name",
        "metavar": "NAME",
        "help": "the target database (default: 'default', the environment's)",
    },
)
TAG: Argument = (("--tag",), {"metavar": "TAG", "help": "only the targets with this tag"})
COUNT: Argument = (
    ("count",),
    {"nargs": "?", "type": int, "default": 1, "help": "how many (default 1)"},
)

REQUEST_ACTIONS = ("create", "list", "show", "approve", "reject", "execute")


def moment(text: str) -> datetime:
    """An ISO 8601 date and time (``2026-12-24T03:00``, UTC unless it says otherwise)."""
    parsed = parse_datetime(text)
    if parsed is None:
        raise argparse.ArgumentTypeError(f"not a date and time (ISO 8601): {text!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


SUBCOMMANDS: dict[str, tuple[str, list[Argument]]] = {
    "create": (
        "write a new migration file from node-pg-migrate's template",
        [
            (("name",), {"help": "what the migration does, e.g. add-user-roles"}),
            (("--cjs",), {"action": "store_true", "help": "write a .cjs migration instead"}),
        ],
    ),
    "up": (
        "apply pending migrations in name order, each in its own transaction",
        [
            (("target",), {"nargs": "?", "help": "how many to apply, or the last one to apply"}),
            DRY_RUN,
            REASON,
            LOCK_RETRIES,
        ],
    ),
    "down": (
        "roll back the last applied migration(s) with their down sections",
        [COUNT, DRY_RUN, REASON, LOCK_RETRIES],
    ),
    "redo": (
        "roll back the last applied migration(s), then apply them again",
        [COUNT, DRY_RUN, REASON, LOCK_RETRIES],
    ),
    "status": ("every migration's state against the tracking table in use", [FRAMEWORK]),
    "run": (
        "run pending migrations segment after segment (files that can share a transaction "
        "share one), writing the framework's own rows",
        [
            (("files",), {"nargs": "*", "metavar": "FILE", "help": "only these (default: all)"}),
            (
                ("--atomic",),
                {
                    "action": "store_true",
                    "help": "refuse unless everything commits as ONE transaction",
                },
            ),
            DRY_RUN,
            REASON,
            LOCK_RETRIES,
            FRAMEWORK,
        ],
    ),
    "mark-applied": (
        "record a migration as applied without running it",
        [(("file",), {"metavar": "FILE"}), DRY_RUN, REASON, FRAMEWORK],
    ),
    "request": (
        "change requests: ask for a run (create), list, show, approve, reject, execute",
        [
            (("action",), {"choices": REQUEST_ACTIONS}),
            (
                ("items",),
                {
                    "nargs": "*",
                    "metavar": "ID|FILE",
                    "help": "create: the files (default: every pending one); others: its id",
                },
            ),
            (("--reason",), {"default": "", "help": "create: why the change is asked for"}),
            (("--comment",), {"default": "", "help": "approve, reject: the approver's comment"}),
            (("--not-before",), {"type": moment, "help": "create: the window opens (ISO 8601)"}),
            (("--not-after",), {"type": moment, "help": "create: the window ends (ISO 8601)"}),
            (
                ("--only-when-safe",),
                {"action": "store_true", "help": "create: run only when the gate finds nothing"},
            ),
            (
                ("--state",),
                {"choices": ChangeRequest.State.values, "help": "list: only those in this state"},
            ),
            LOCK_RETRIES,
            FRAMEWORK,
        ],
    ),
    "scheduler": (
        "execute the approved change requests inside their window (until stopped)",
        [
            (("--once",), {"action": "store_true", "help": "look once, then exit"}),
            (
                ("--interval",),
                {"type": float, "help": "seconds between two looks (default SCHEDULER_INTERVAL)"},
            ),
        ],
    ),
    "check": (
        "safety check: pending files, waiting locks, busy transactions, blocking sessions, lint",
        [
            (
                ("--strict",),
                {"action": "store_true", "help": "exit 3 when the check is not safe (CI gates)"},
            ),
            FRAMEWORK,
        ],
    ),
    "preview": (
        "print a migration file (highlighted on a terminal)",
        [(("file",), {"metavar": "FILE"}), FRAMEWORK],
    ),
    "drift": (
        "compare the live database with a replay of its applied migrations into a scratch "
        "database; every difference with its DDL (exit 4 when there is drift)",
        [FRAMEWORK],
    ),
    "detect-schema": (
        "which of the objects a migration creates already exist in the target",
        [
            (("file",), {"nargs": "?", "metavar": "FILE", "help": "a migration file"}),
            (("--sql",), {"help": "analyse this SQL instead of a file ('-' reads stdin)"}),
            FRAMEWORK,
        ],
    ),
    "lint": (
        "static lock-safety analysis; exits 1 when a finding is an error",
        [
            (
                ("files",),
                {"nargs": "*", "metavar": "FILE", "help": "only these (default: the pending ones)"},
            ),
            FRAMEWORK,
        ],
    ),
    "targets": (
        "list, add, remove or show the target databases",
        [
            (("action",), {"choices": ["list", "add", "remove", "show"]}),
            (("name",), {"nargs": "?", "help": "the target (add, remove, show)"}),
            (("--url",), {"help": "libpq URL or conninfo, without a password"}),
            (
                ("--password-env",),
                {"default": "", "metavar": "VAR", "help": "the variable holding the password"},
            ),
            (("--migrations-dir",), {"default": "", "metavar": "DIR"}),
            (("--framework",), {"default": "", "help": "pin the framework (default: detected)"}),
            (
                ("--tag",),
                {"action": "append", "default": [], "dest": "tags", "help": "repeatable"},
            ),
            (("--lock-timeout",), {"default": "", "metavar": "DURATION"}),
        ],
    ),
    "fleet": (
        "the targets side by side (status), run their pending migrations (run, up), or run "
        "again the targets of a fleet run that did not succeed (retry RUN_ID)",
        [
            (("action",), {"choices": ["status", "run", "up", "retry"]}),
            (("run_id",), {"nargs": "?", "type": int, "metavar": "RUN_ID", "help": "for retry"}),
            TAG,
            (("--filter",), {"choices": ["behind", "failing", "unreachable"], "dest": "which"}),
            (("--concurrency",), {"type": int, "metavar": "N"}),
            (("--canary",), {"type": int, "default": 0, "metavar": "K"}),
            (("--max-failures",), {"type": int, "metavar": "F"}),
            REASON,
        ],
    ),
}

#: Subcommands about several targets: they take no --target.
FLEET_SUBCOMMANDS = ("targets", "fleet")


class SubcommandParser(CommandParser):
    """A subcommand's parser: bad usage exits 2 however the command was called, and with
    ``--json`` it is a JSON object on stdout, as every other outcome of the command."""

    def error(self, message: str) -> NoReturn:
        if not self.called_from_command_line:
            raise CommandError(f"Error: {message}", returncode=USAGE_EXIT)
        # The parser has no stdout of the command yet: like Django's own --no-color, the
        # flag is looked for in the process's arguments.
        if "--json" in sys.argv:
            usage = self.format_usage().strip()
            sys.stdout.write(json.dumps({"error": message, "usage": usage}, indent=2) + "\n")
            sys.exit(USAGE_EXIT)
        super().error(message)


def add_subcommands(parser: CommandParser) -> None:
    subparsers = parser.add_subparsers(
        dest="subcommand", metavar="SUBCOMMAND", required=True, parser_class=SubcommandParser
    )
    for name, (help_text, arguments) in SUBCOMMANDS.items():
        subparser = subparsers.add_parser(name, help=help_text, description=help_text)
        extra = [JSON] if name in FLEET_SUBCOMMANDS else [TARGET, JSON]
        for flags, options in [*arguments, *extra]:
            subparser.add_argument(*flags, **options)
