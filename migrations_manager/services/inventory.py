"""The targets: list, show, add, remove, and test a connection to one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError

from .. import db, targets
from ..conf import DEFAULT_TARGET
from ..exceptions import MigrationsManagerError, TargetNotFound, UsageError
from ..frameworks import registry
from ..targets import TargetConfig


@dataclass(frozen=True)
class ConnectionTest:
    """Whether the target answered; ``server`` (its version) or the ``error``."""

    target: str
    ok: bool
    server: str = ""
    error: str = ""


def list_targets(tag: str | None = None) -> list[TargetConfig]:
    """``default`` (when configured and no tag is asked) and the stored targets, by name."""
    return targets.everything(tag)


def show_target(name: str) -> TargetConfig:
    return targets.resolve(name)


def add_target(
    name: str,
    *,
    url: str,
    password_env: str = "",
    migrations_dir: str = "",
    framework: str = "",
    tags: Sequence[str] = (),
    lock_timeout: str = "",
) -> TargetConfig:
    """Store a target.

    Raises:
        UsageError: the name is taken or reserved, the URL holds a password or does not
            parse, the framework is unknown.
    """
    from ..models import Target

    if name == DEFAULT_TARGET:
        raise UsageError("The target 'default' is the environment's (TRUSS_DATABASE_URL).")
    if framework and framework not in registry.names():
        raise UsageError(f"Unknown framework {framework!r}.")
    row = Target(
        name=name,
        url=targets.checked_url(url),
        password_env=targets.checked_env_name(password_env),
        migrations_dir=migrations_dir,
        framework=framework,
        tags=targets.checked_tags(tags),
        lock_timeout=lock_timeout,
    )
    try:
        row.full_clean(validate_unique=False)
    except Exception as error:  # a ValidationError: a name that is no slug, a length
        raise UsageError(f"The target is invalid: {error}") from None
    try:
        row.save()
    except IntegrityError:
        raise UsageError(f"A target named {name!r} exists already.") from None
    return targets.from_row(row)


def remove_target(name: str) -> None:
    """Raises: TargetNotFound (``default`` cannot be removed: it is the environment's)."""
    from ..models import Target

    if name == DEFAULT_TARGET:
        raise UsageError("The target 'default' is the environment's: it cannot be removed.")
    deleted, _ = Target.objects.filter(name=name).delete()
    if not deleted:
        raise TargetNotFound(f"No target named {name!r}.")


def test_connection(name: str) -> ConnectionTest:
    """Connect to the target (read-only) and read its server version."""
    with targets.using(name) as config:
        try:
            with db.connection(read_only=True, application_suffix=":test") as conn:
                version = conn.info.parameter_status("server_version") or ""
        except MigrationsManagerError as error:
            return ConnectionTest(config.name, False, error=error.message)
    return ConnectionTest(config.name, True, server=f"PostgreSQL {version}")
