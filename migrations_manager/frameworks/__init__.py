"""Tracking-table adapters: one small module per framework family, all in ``registry``."""

from __future__ import annotations

from django.utils.module_loading import import_string

from . import flyway, golang_migrate, node_pg_migrate  # noqa: F401  (register the adapters)
from .js_orms import DbMigrateAdapter, MikroORMAdapter, SequelizeAdapter, TypeORMAdapter  # noqa: F401
from .knex import KnexAdapter, KyselyAdapter  # noqa: F401
from .newest_row import DrizzleAdapter, GraphileMigrateAdapter  # noqa: F401
from .postgres_migrations import PostgresMigrationsAdapter  # noqa: F401
from .prisma import PrismaAdapter  # noqa: F401
from .registry import registry

__all__ = ["registry", "load_extra_frameworks"]


def load_extra_frameworks() -> None:
    """Register the adapters named in the ``EXTRA_FRAMEWORKS`` setting (dotted paths)."""
    from ..conf import app_settings

    for dotted_path in app_settings.EXTRA_FRAMEWORKS:
        registry.register(import_string(dotted_path))
