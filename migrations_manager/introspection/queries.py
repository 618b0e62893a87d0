"""Every catalog query of the app, as a named ``psycopg.sql`` constant.

Values are always bound as parameters (``%s``); identifiers, where a query needs them, are
filled with ``sql.Identifier`` by the caller. Catalog names are schema-qualified so a hostile
``search_path`` cannot shadow them.
"""

from __future__ import annotations

from psycopg import sql

SET_CONFIG = sql.SQL("SELECT pg_catalog.set_config(%s, %s, false)")

SERVER_INFO = sql.SQL(
    "SELECT pg_catalog.current_database() AS database, current_user AS user,"
    " pg_catalog.current_setting('server_version') AS server_version,"
    " pg_catalog.current_setting('server_version_num')::int AS server_version_num,"
    " pg_catalog.current_schema() AS current_schema,"
    " pg_catalog.current_schemas(false) AS search_path"
)

BACKEND_PID = sql.SQL("SELECT pg_catalog.pg_backend_pid()")

# A bigint advisory key shows in pg_locks as classid = its high 32 bits, objid = its low 32
# bits, objsubid = 1.
ADVISORY_TRY_LOCK = sql.SQL("SELECT pg_catalog.pg_try_advisory_lock(%s::bigint)")
ADVISORY_UNLOCK = sql.SQL("SELECT pg_catalog.pg_advisory_unlock(%s::bigint)")
ADVISORY_LOCK_HOLDER = sql.SQL(
    "SELECT l.pid, a.application_name"
    " FROM pg_catalog.pg_locks l"
    " LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid"
    " WHERE l.locktype = 'advisory' AND l.granted"
    " AND l.database = (SELECT oid FROM pg_catalog.pg_database"
    "                   WHERE datname = pg_catalog.current_database())"
    " AND l.classid = (%s::bigint >> 32)::oid"
    " AND l.objid = (%s::bigint & 4294967295)::oid AND l.objsubid = 1"
    " LIMIT 1"
)

# Tables whose name is one of the given names, in every schema, with their columns and types:
# one round trip whatever the number of frameworks or tables.
TABLES_NAMED = sql.SQL(
    "SELECT n.nspname AS schema, c.relname AS name,"
    " pg_catalog.array_agg(a.attname::text ORDER BY a.attnum) AS columns,"
    " pg_catalog.array_agg(pg_catalog.format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum)"
    "   AS types"
    " FROM pg_catalog.pg_class c"
    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0"
    "   AND NOT a.attisdropped"
    " WHERE c.relkind IN ('r', 'p') AND c.relname = ANY(%s)"
    "   AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
    "   AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp\\_%%'"
    " GROUP BY n.nspname, c.relname"
    " ORDER BY n.nspname, c.relname"
)

RELATION_EXISTS = sql.SQL("SELECT pg_catalog.to_regclass(%s) IS NOT NULL")
