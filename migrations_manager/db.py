"""The one place that opens connections to the target database.

The target is reached through its own psycopg 3 connection, never through Django's ORM
connections, so Django's transaction handling (ATOMIC_REQUESTS, test transactions) can never wrap,
commit or roll back a migration. Connections come back in autocommit mode: whoever needs a
transaction opens one explicitly (``with conn.transaction():``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, urlencode

import psycopg
from psycopg import conninfo

from .conf import app_settings
from .exceptions import (
    ConfigurationError,
    MigrationsManagerError,
    TargetError,
    TargetUnavailable,
)
from .introspection import queries


def target_url() -> str:
    url = app_settings.DATABASE_URL
    if not url:
        raise ConfigurationError(
            "No target database is configured: set TRUSS_DATABASE_URL "
            "(MIGRATIONS_MANAGER['DATABASE_URL'])."
        )
    return str(url)


def describe(url: str) -> str:
    """``database on host`` for messages, without the password."""
    params = conninfo.conninfo_to_dict(url)
    host = params.get("host") or "localhost"
    return f"database {params.get('dbname') or params.get('user') or '?'!r} on {host}"


# The libpq parameters that node's ``pg`` also reads from a URL's query; it ignores the others.
_URL_QUERY_PARAMETERS = (
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "application_name",
    "options",
)


def as_url(url: str, **query: str) -> str:
    """``url`` (a libpq URL or key=value conninfo) as a ``postgresql://`` URL.

    For clients that take no key=value conninfo (node's ``pg``). Host and port travel in the
    query, so a Unix-socket directory or an IPv6 address needs no special form; ``query`` adds
    or replaces parameters.
    """
    params = conninfo.conninfo_to_dict(url)
    credentials = quote(str(params.get("user", "")), safe="")
    if params.get("password"):
        credentials += ":" + quote(str(params["password"]), safe="")
    carried = {
        key: params[key] for key in ("host", "port", *_URL_QUERY_PARAMETERS) if params.get(key)
    }
    carried.update(query)
    database = quote(str(params.get("dbname") or ""), safe="")
    at = "@" if credentials else ""
    return f"postgresql://{credentials}{at}/{database}?{urlencode(carried, quote_via=quote)}"


def connect(
    url: str | None = None,
    *,
    read_only: bool = False,
    application_suffix: str = "",
    budget: str | None = None,
) -> psycopg.Connection:
    """Open an autocommit connection with the app's name and timeouts set.

    Args:
        url: libpq URL; the configured target when omitted.
        read_only: make every transaction of this session read-only (introspection sessions).
        application_suffix: appended to ``application_name`` so a run is recognisable in
            ``pg_stat_activity`` (e.g. ``truss-migrations:run``).
        budget: the longest any statement (or lock wait) of this session may take, e.g.
            ``"2s"``: a read that must never queue behind a run (a metrics scrape).

    Raises:
        TargetUnavailable: the server does not answer or refuses the connection.
    """
    url = url or target_url()
    try:
        conn = psycopg.connect(
            url,
            autocommit=True,
            application_name=f"{app_settings.APPLICATION_NAME}{application_suffix}",
            connect_timeout=int(app_settings.CONNECT_TIMEOUT),
        )
    except psycopg.OperationalError as error:
        reason = _libpq_reason(str(error))
        raise TargetUnavailable(f"The target {describe(url)} is unreachable: {reason}") from None
    except psycopg.ProgrammingError as error:
        raise ConfigurationError(f"The target database URL is invalid: {error}") from None
    try:
        _apply_session_settings(conn, read_only=read_only, budget=budget)
    except psycopg.Error as error:  # a setting the server refuses (an invalid timeout...)
        conn.close()
        raise ConfigurationError(f"The session settings were refused: {error}") from None
    return conn


def _libpq_reason(message: str) -> str:
    """libpq's message on one line: each address tried with why it failed ("Connection
    refused"...), then its hint; psycopg's own "connection failed:" prefix left out."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    if not lines:
        return "no answer"
    lines[0] = lines[0].removeprefix("connection failed:").strip()
    return " ".join(line if line.endswith(("?", ".")) else f"{line}." for line in lines)


@contextmanager
def connection(url: str | None = None, **options: object) -> Iterator[psycopg.Connection]:
    """``connect()`` as a context manager that always closes.

    A psycopg error escaping the block (a query of the app itself, not of a migration: those
    are reported by the executor) becomes a domain error: ``TargetUnavailable`` when the
    connection broke, ``TargetError`` otherwise.
    """
    conn = connect(url, **options)  # type: ignore[arg-type]
    try:
        yield conn
    except psycopg.Error as error:
        raise _domain_error(conn, error) from error
    finally:
        conn.close()


def _domain_error(conn: psycopg.Connection, error: psycopg.Error) -> MigrationsManagerError:
    reason = (error.diag.message_primary if error.diag else None) or str(error).strip()
    if conn.broken or isinstance(error, psycopg.OperationalError) and conn.closed:
        return TargetUnavailable(f"The connection to the target was lost: {reason}")
    return TargetError(f"The target refused a query: {reason}", sqlstate=error.sqlstate)


def _apply_session_settings(
    conn: psycopg.Connection, *, read_only: bool, budget: str | None
) -> None:
    settings = {
        "lock_timeout": budget or app_settings.LOCK_TIMEOUT,
        "statement_timeout": budget or app_settings.STATEMENT_TIMEOUT,
        "default_transaction_read_only": "on" if read_only else None,
    }
    for name, value in settings.items():
        if value is not None:
            conn.execute(queries.SET_CONFIG, (name, str(value)))
