"""The app's settings: one namespaced dict, read lazily, with defaults.

    # settings.py
    MIGRATIONS_MANAGER = {
        "DATABASE_URL": "postgresql://deploy@db.internal/app",
        "MIGRATIONS_DIR": BASE_DIR / "db" / "migrations",
        "LOCK_TIMEOUT": "5s",
    }

    from migrations_manager.conf import app_settings
    app_settings.LOCK_TIMEOUT  # "5s"

Nothing is read at import time; ``override_settings`` in tests is seen at once because every
attribute access reads Django's settings again (the dict is small; the cost is nil).

The settings of one database (its URL, directory, framework, lock timeout) are those of the
target in scope: a request, command or fleet task scoped to a target (``targets.using``) reads
that target's through the same attributes, so no layer below the front-ends is told which
target it works on.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # The PostgreSQL being migrated (libpq URL). Never Django's own database.
    "DATABASE_URL": None,
    "MIGRATIONS_DIR": "db/migrations",
    "APPLICATION_NAME": "truss-migrations",
    "CONNECT_TIMEOUT": 5,
    # DDL waiting for a lock longer than this gives up instead of queueing the app's traffic.
    "LOCK_TIMEOUT": "5s",
    # A segment a lock timeout (or a deadlock) stops is tried again this many times, after
    # LOCK_RETRY_BACKOFF seconds doubling each time (jittered, at most 10 s).
    "LOCK_RETRIES": 3,
    "LOCK_RETRY_BACKOFF": 0.5,
    "STATEMENT_TIMEOUT": None,
    # How long a run polls for the advisory lock another run holds before refusing.
    "LOCK_WAIT": 0.0,
    "ADVISORY_LOCK_KEY": 7241865325823964,  # node-pg-migrate's key: the two exclude each other
    "ACTIVE_TX_THRESHOLD": 3,
    # The safety gate: "enforce" refuses a run, up, down, redo or mark-applied whose fresh check
    # has errors unless a reason is given; "warn" runs and records what it would have refused.
    "GATE": "enforce",
    # Change management: None/"off" runs as asked; "unsafe" turns a run the gate would refuse
    # into a change request; "always" turns every run into one. APPROVERS approvals (by users
    # other than the requester) approve a request; each counts for APPROVAL_TTL seconds.
    "APPROVALS": None,
    "APPROVERS": 1,
    "APPROVAL_TTL": 24 * 3600,
    # Seconds between two looks of `pgmigrate scheduler` at the requests due in their window.
    "SCHEDULER_INTERVAL": 60.0,
    # Pin the framework / tracking table instead of detecting them ("flyway", "app.history").
    "FRAMEWORK": None,
    "TRACKING_TABLE": None,
    # Largest request body the REST API reads; a larger one is answered 413 unread.
    "MAX_BODY_BYTES": 1024 * 1024,
    # Reverse proxies in front of the app: the audit log takes the client address from the
    # X-Forwarded-For entry the last of them added. 0 (default): REMOTE_ADDR, the header ignored.
    "TRUSTED_PROXY_COUNT": 0,
    # The node-pg-migrate executable that runs .cjs/.js migrations; None: the project-local
    # install (var/node/node_modules/.bin, by `make`), else node-pg-migrate on PATH.
    "NODE_PG_MIGRATE": None,
    # Seconds node-pg-migrate may take to run one .cjs migration / to build its SQL in a dry
    # run before it is stopped (its transaction rolls back); None: no limit. A migration
    # function that never calls back would otherwise hold the run for ever.
    "NODE_RUN_TIMEOUT": 3600,
    "NODE_DRY_RUN_TIMEOUT": 60,
    "EXTRA_FRAMEWORKS": [],
    # Where drift creates the scratch database it replays the applied migrations into (and
    # drops afterwards): a libpq URL of a database of that server, whose role may CREATE
    # DATABASE. None: the target's own server, through the target's URL.
    "DRIFT_DATABASE_URL": None,
    # GET /metrics asks for "Authorization: Bearer <token>" when this is set (else it is open).
    "METRICS_TOKEN": None,
    # A scrape reads the target at most this often (seconds), each statement within the budget.
    "METRICS_CACHE_SECONDS": 5.0,
    "METRICS_BUDGET": "2s",
    # Webhook deliveries: seconds per try, tries (on a 5xx, a 429, a timeout, no connection),
    # and the first wait between tries (doubling).
    "WEBHOOK_TIMEOUT": 5.0,
    "WEBHOOK_TRIES": 3,
    "WEBHOOK_BACKOFF": 0.5,
    # The dotted path of the project's Celery app ("truss.celery.app"): deliveries become its
    # tasks. None: one background thread of the app's process sends them.
    "CELERY_APP": None,
    # Fleets: how many targets a fleet run works on at once (unless the run says), how many
    # threads run fleet tasks in this process when no Celery app is configured, and how long
    # the fleet view waits for one target's status.
    "FLEET_CONCURRENCY": 4,
    "FLEET_POOL_SIZE": 8,
    "FLEET_STATUS_TIMEOUT": 10.0,
    # How long a fleet target waits for the run's lock (LOCK_WAIT for a run): a task given
    # again after its worker died waits until the dead worker's session is gone.
    "FLEET_LOCK_WAIT": 60.0,
}

#: The target the environment's settings describe.
DEFAULT_TARGET = "default"

_scope: ContextVar[tuple[str, Mapping[str, Any]]] = ContextVar(
    "migrations_manager_target", default=(DEFAULT_TARGET, {})
)


def target_name() -> str:
    """The name of the target in scope (``default``: the environment's)."""
    return _scope.get()[0]


@contextmanager
def target_scope(name: str, values: Mapping[str, Any]) -> Iterator[None]:
    """Within the block, ``app_settings`` answers ``values`` before the project's settings."""
    token = _scope.set((name, values))
    try:
        yield
    finally:
        _scope.reset(token)


def enter_target_scope(name: str, values: Mapping[str, Any]) -> None:
    """``target_scope`` for the rest of the current context (a request dispatched in a context
    of its own, which ends with it)."""
    _scope.set((name, values))


class AppSettings:
    """Attribute access to ``settings.MIGRATIONS_MANAGER`` with ``DEFAULTS`` as fallback."""

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Unknown MIGRATIONS_MANAGER setting: {name!r}")
        scoped = _scope.get()[1]
        if name in scoped:
            return scoped[name]
        configured = getattr(settings, "MIGRATIONS_MANAGER", {}) or {}
        return configured.get(name, DEFAULTS[name])

    @property
    def base_dir(self) -> Path:
        """The project's BASE_DIR (relative paths start there; ``var/`` lives there)."""
        return Path(getattr(settings, "BASE_DIR", Path.cwd()))

    @property
    def migrations_dir(self) -> Path:
        """The migrations directory, relative paths taken from the project's BASE_DIR."""
        path = Path(self.MIGRATIONS_DIR)
        if not path.is_absolute():
            path = self.base_dir / path
        return path


app_settings = AppSettings()
