"""ASGI entry point; starts the embedded PostgreSQL when no target is configured."""

import os
from pathlib import Path

from django.core.asgi import get_asgi_application

from truss.embedded import ensure_target

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "truss.settings")
ensure_target(Path(__file__).resolve().parent.parent)
application = get_asgi_application()
