from __future__ import annotations

from django.apps import AppConfig


class MigrationsManagerConfig(AppConfig):
    name = "migrations_manager"
    verbose_name = "Database"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from .frameworks import load_extra_frameworks
        from .observability import receivers

        receivers.connect()
        load_extra_frameworks()
