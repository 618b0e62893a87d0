"""Targets: the databases this tool manages, each a name over one database's settings.

``default`` is the environment's target (TRUSS_DATABASE_URL and the other settings); every
other is a ``models.Target`` row. ``using(target)`` scopes the app's settings (``conf``) to
one of them, so the services below it read that target's database, directory, framework and
lock timeout, and the audit rows they write name it.

    with targets.using("eu-1"):
        services.status()

Nothing secret is stored: a stored URL has no password; the process that connects takes it
from the environment variable the target names, a ``.pgpass`` file or a libpq service.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from psycopg import ProgrammingError, conninfo

from .conf import DEFAULT_TARGET, app_settings, enter_target_scope, target_scope
from .exceptions import TargetNotFound, UsageError

ENV_NAME = re.compile(r"\A[A-Za-z_][A-Za-z0-9_]*\Z")
NO_PASSWORD_ADVICE = (
    "Nothing secret is stored: name an environment variable that holds the password "
    "(--password-env), or use a .pgpass file or a libpq service (service=NAME)."
)


@dataclass(frozen=True)
class TargetConfig:
    """A target as the services see it (``url`` without a password; None: not configured)."""

    name: str
    url: str | None
    password_env: str = ""
    migrations_dir: str = ""
    framework: str = ""
    tags: tuple[str, ...] = ()
    lock_timeout: str = ""

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT_TARGET

    def settings(self) -> dict[str, Any]:
        """The app's settings for this target (none for ``default``: the environment's)."""
        if self.is_default:
            return {}
        values: dict[str, Any] = {
            "DATABASE_URL": self.connection_url(),
            "FRAMEWORK": self.framework or None,
            "TRACKING_TABLE": None,
        }
        if self.migrations_dir:
            values["MIGRATIONS_DIR"] = self.migrations_dir
        if self.lock_timeout:
            values["LOCK_TIMEOUT"] = self.lock_timeout
        return values

    @property
    def shown_url(self) -> str | None:
        """The URL fit to show: the environment's ``default`` may hold a password, which is
        left out (as ``password=***``)."""
        if self.url is None:
            return None
        params = conninfo.conninfo_to_dict(self.url)
        if not params.get("password"):
            return self.url
        return conninfo.make_conninfo(**{**params, "password": "***"})

    def connection_url(self) -> str | None:
        """The URL with the password of ``password_env`` when that variable is set (else
        libpq looks in .pgpass or the service file itself)."""
        password = os.environ.get(self.password_env) if self.password_env else None
        if self.url is None or not password:
            return self.url
        return conninfo.make_conninfo(self.url, password=password)


def default_target() -> TargetConfig:
    url = app_settings.DATABASE_URL
    return TargetConfig(
        DEFAULT_TARGET,
        str(url) if url else None,
        migrations_dir=str(app_settings.migrations_dir),
        framework=app_settings.FRAMEWORK or "",
        lock_timeout=str(app_settings.LOCK_TIMEOUT or ""),
    )


def resolve(name: str | None) -> TargetConfig:
    """The target ``name`` names (None or empty: ``default``).

    Raises:
        TargetNotFound: no target has that name.
    """
    if not name or name == DEFAULT_TARGET:
        return default_target()
    from .models import Target

    row = Target.objects.filter(name=name).first()
    if row is None:
        raise TargetNotFound(f"No target named {name!r}.")
    return from_row(row)


def from_row(row: Any) -> TargetConfig:
    return TargetConfig(
        row.name,
        row.url,
        password_env=row.password_env,
        migrations_dir=row.migrations_dir,
        framework=row.framework,
        tags=tuple(row.tags),
        lock_timeout=row.lock_timeout,
    )


def stored(tag: str | None = None) -> list[TargetConfig]:
    """Every stored target (with ``tag`` only those that carry it), by name."""
    from .models import Target

    rows = [from_row(row) for row in Target.objects.all()]
    return [row for row in rows if tag is None or tag in row.tags]


def everything(tag: str | None = None) -> list[TargetConfig]:
    """The fleet: ``default`` (when configured and no tag is asked) and the stored targets."""
    default = [default_target()] if tag is None and app_settings.DATABASE_URL else []
    return default + stored(tag)


@contextmanager
def using(target: TargetConfig | str | None, **overrides: Any) -> Iterator[TargetConfig]:
    """Scope the app's settings to ``target`` (a name is resolved first) for the block;
    ``overrides`` set other settings too (a shorter ``CONNECT_TIMEOUT``...)."""
    config = target if isinstance(target, TargetConfig) else resolve(target)
    with target_scope(config.name, {**config.settings(), **overrides}):
        yield config


def select(name: str | None) -> TargetConfig:
    """Scope the rest of the current context to ``name`` (a request with a context of its own)."""
    config = resolve(name)
    enter_target_scope(config.name, config.settings())
    return config


def checked_url(url: str) -> str:
    """``url`` if it is a libpq URL or conninfo without a password.

    Raises:
        UsageError: it does not parse, or it holds a password.
    """
    try:
        params = conninfo.conninfo_to_dict(url)
    except ProgrammingError as error:
        raise UsageError(f"The connection URL is invalid: {error}") from None
    if params.get("password"):
        raise UsageError("The connection URL holds a password. " + NO_PASSWORD_ADVICE)
    return url


def checked_env_name(name: str) -> str:
    if name and not ENV_NAME.match(name):
        raise UsageError(f"{name!r} is not an environment variable name.")
    return name


def checked_tags(tags: Sequence[str]) -> list[str]:
    cleaned = [tag.strip() for tag in tags]
    if any(not tag or len(tag) > 100 for tag in cleaned):
        raise UsageError("A tag is 1 to 100 characters long.")
    return sorted(set(cleaned))
