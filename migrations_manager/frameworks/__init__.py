"""Tracking-table adapters: one small module per framework family, all in ``registry``."""

from __future__ import annotations  # noqa: I001  (one import line per adapter module)

from django.utils.module_loading import import_string

from . import flyway, golang_migrate, node_pg_migrate  # noqa: F401  (register the adapters)
from . import alembic_fw  # noqa: F401
from . import django_fw  # noqa: F401
from . import js_orms  # noqa: F401
from . import knex  # noqa: F401
from . import liquibase  # noqa: F401
from . import newest_row  # noqa: F401
from . import orm_files  # noqa: F401
from . import postgres_migrations  # noqa: F401
from . import prisma  # noqa: F401
from . import sqitch  # noqa: F401
from . import yoyo_fw  # noqa: F401
from . import atlas  # noqa: F401
from . import go_tools  # noqa: F401
from . import orms  # noqa: F401
from . import pgroll  # noqa: F401
from . import platforms  # noqa: F401
from . import rust_tools  # noqa: F401
from .registry import registry

__all__ = ["registry", "load_extra_frameworks"]


def load_extra_frameworks() -> None:
    """Register the adapters named in the ``EXTRA_FRAMEWORKS`` setting (dotted paths)."""
    from ..conf import app_settings

    for dotted_path in app_settings.EXTRA_FRAMEWORKS:
        registry.register(import_string(dotted_path))
