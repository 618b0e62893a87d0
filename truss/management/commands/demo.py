"""``python manage.py demo``: what ``make demo`` runs.

Applies Django's own migrations, creates (or refreshes) the demo superuser, lays the example
migrations into an empty migrations directory and serves the app on 127.0.0.1:8787.
"""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
import signal
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from psycopg import conninfo

from migrations_manager.conf import app_settings
from migrations_manager.db import as_url, describe

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def psql_command(url: str) -> str:
    """A ready ``psql`` command for the target, unless its URL holds a password (never shown)."""
    if conninfo.conninfo_to_dict(url).get("password"):
        return 'psql "$TRUSS_DATABASE_URL"  (the URL holds a password: not shown)'
    return f"psql {shlex.quote(as_url(url))}"


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


class Command(BaseCommand):
    requires_system_checks: list[str] = []
    help = (
        "Prepare and serve the demo (embedded PostgreSQL, admin on http://127.0.0.1:8787/admin/)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--addrport", default=os.environ.get("TRUSS_DEMO_ADDRPORT", "127.0.0.1:8787")
        )
        parser.add_argument("--no-serve", action="store_true", help="prepare only; do not serve")

    def handle(self, *args: Any, **options: Any) -> None:
        seeded = self._seed_examples()
        call_command("migrate", verbosity=0, interactive=False)
        username, password = self._superuser()
        self.stdout.write(self.style.SUCCESS("Truss migrations manager demo"))
        self.stdout.write(f"  target:      {describe(str(app_settings.DATABASE_URL))}")
        self.stdout.write(f"  psql:        {psql_command(str(app_settings.DATABASE_URL))}")
        self.stdout.write(
            f"  migrations:  {app_settings.migrations_dir}"
            + (f" ({seeded} example(s) added)" if seeded else "")
        )
        self.stdout.write(f"  admin:       http://{options['addrport']}/admin/")
        self.stdout.write(f"  API docs:    http://{options['addrport']}/api/docs/")
        self.stdout.write(f"  user:        {username}")
        self.stdout.write(f"  password:    {password}")
        if options["no_serve"]:
            return
        # SIGTERM (a service manager, `kill`) ends the demo as cleanly as Ctrl-C does, so the
        # embedded PostgreSQL is stopped by the exit handlers.
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            call_command(
                "runserver", options["addrport"], use_reloader=False, insecure_serving=True
            )
        except KeyboardInterrupt:
            self.stdout.write("\nStopping.")

    def _superuser(self) -> tuple[str, str]:
        """TRUSS_DEMO_USER / TRUSS_DEMO_PASSWORD, or ``admin`` with a new random password."""
        username = os.environ.get("TRUSS_DEMO_USER", "admin")
        password = os.environ.get("TRUSS_DEMO_PASSWORD") or secrets.token_urlsafe(12)
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        return username, password

    def _seed_examples(self) -> int:
        directory = app_settings.migrations_dir
        directory.mkdir(parents=True, exist_ok=True)
        if any(directory.iterdir()):
            return 0
        examples = sorted(EXAMPLES.glob("*.sql"))
        for example in examples:
            shutil.copy(example, directory / example.name)
        return len(examples)
