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
    " pg_catalog.current_schemas(false) AS search_path,"
    " (SELECT backend_start FROM pg_catalog.pg_stat_activity"
    "  WHERE pid = pg_catalog.pg_backend_pid()) AS backend_start"
)

# A bigint advisory key shows in pg_locks as classid = its high 32 bits, objid = its low 32
# bits, objsubid = 1.
# The server's identity, which a copy or a restore of its data directory keeps but another
# server never has: resume points are keyed by it (with the database and the tracking table).
SYSTEM_IDENTIFIER = sql.SQL("SELECT system_identifier::text FROM pg_catalog.pg_control_system()")
ADVISORY_TRY_LOCK = sql.SQL("SELECT pg_catalog.pg_try_advisory_lock(%s::bigint)")
ADVISORY_UNLOCK = sql.SQL("SELECT pg_catalog.pg_advisory_unlock(%s::bigint)")
# What a session is doing now, and where a CREATE INDEX of it is (PostgreSQL 12+).
SESSION_PROGRESS = sql.SQL(
    "SELECT a.pid, a.backend_start, a.state, a.wait_event_type, a.wait_event,"
    " a.application_name,"
    " extract(epoch FROM pg_catalog.now() - a.query_start)::float8 AS query_seconds,"
    " left(a.query, %s) AS query, p.phase, p.blocks_total, p.blocks_done,"
    " p.tuples_total, p.tuples_done"
    " FROM pg_catalog.pg_stat_activity a"
    " LEFT JOIN pg_catalog.pg_stat_progress_create_index p ON p.pid = a.pid"
    " WHERE a.pid = %s"
)
CANCEL_BACKEND = sql.SQL(
    "SELECT pg_catalog.pg_cancel_backend(a.pid) FROM pg_catalog.pg_stat_activity a"
    " WHERE a.pid = %s AND (%s::timestamptz IS NULL OR a.backend_start = %s)"
)
TERMINATE_BACKEND = sql.SQL("SELECT pg_catalog.pg_terminate_backend(%s)")
# Whether this session still holds the advisory lock {key} (a literal: it is part of the
# command stream a dry run prints). Two statements of one message, so one transaction: the
# first lifts, for that transaction only, a statement_timeout a migration may have set.
ADVISORY_LOCK_HELD = sql.SQL(
    "SELECT pg_catalog.set_config('statement_timeout', '0', true);"
    " SELECT EXISTS (SELECT FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_catalog.pg_backend_pid() AND classid = ({key}::bigint >> 32)::oid"
    " AND objid = ({key}::bigint & 4294967295)::oid AND objsubid = 1)"
)
# What a migration may have changed in the session, undone: settings (SET, set_config), the
# role (SET ROLE) and the session user (SET SESSION AUTHORIZATION). The run's own settings
# are set again right after.
RESTORE_SESSION = sql.SQL("RESET ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ROLE")
ADVISORY_LOCK_HOLDER = sql.SQL(
    "SELECT l.pid, a.application_name,"
    " extract(epoch FROM pg_catalog.now() - a.backend_start)::float8 AS session_seconds"
    " FROM pg_catalog.pg_locks l"
    " LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid"
    " WHERE l.locktype = 'advisory' AND l.granted"
    " AND l.database = (SELECT oid FROM pg_catalog.pg_database"
    "                   WHERE datname = pg_catalog.current_database())"
    " AND l.classid = (%s::bigint >> 32)::oid"
    " AND l.objid = (%s::bigint & 4294967295)::oid AND l.objsubid = 1"
    " LIMIT 1"
)

_TABLES_WITH_COLUMNS = (
    "SELECT n.nspname AS schema, c.relname AS name,"
    " pg_catalog.array_agg(a.attname::text ORDER BY a.attnum) AS columns,"
    " pg_catalog.array_agg(pg_catalog.format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum)"
    "   AS types"
    " FROM pg_catalog.pg_class c"
    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0"
    "   AND NOT a.attisdropped"
    " WHERE c.relkind IN ('r', 'p') AND {match}"
    "   AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
    "   AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp\\_%%'"
    " GROUP BY n.nspname, c.relname"
    " ORDER BY n.nspname, c.relname"
)
# Tables whose name is one of the given names, in every schema, with their columns and types:
# one round trip whatever the number of frameworks or tables.
TABLES_NAMED = sql.SQL(_TABLES_WITH_COLUMNS).format(match=sql.SQL("c.relname = ANY(%s)"))
# Tables whose name looks like a migrations ledger's (a LIKE pattern of the given ones), with
# their columns: what may be a framework no adapter knows.
TABLES_LIKE = sql.SQL(_TABLES_WITH_COLUMNS).format(match=sql.SQL("c.relname ILIKE ANY(%s)"))
# Tables called one of the names (first array), or small ones with one of the columns (second
# array) that identify a framework's ledger whatever its name (a ledger renamed in its
# framework's config): the columns are compared in Python.
TABLES_NAMED_OR_KEYED = sql.SQL(_TABLES_WITH_COLUMNS).format(
    match=sql.SQL(
        "(c.relname = ANY(%s) OR (c.relnatts <= 8 AND EXISTS (SELECT FROM pg_catalog.pg_attribute k"
        " WHERE k.attrelid = c.oid AND k.attnum > 0 AND NOT k.attisdropped"
        " AND k.attname = ANY(%s))))"
    )
)

RELATION_EXISTS = sql.SQL("SELECT pg_catalog.to_regclass(%s) IS NOT NULL")

# ---- pre-flight --------------------------------------------------------------------------------

# Waiting locks of the sessions connected to the target database (a session waiting for another's
# row lock waits on a transaction id, whose pg_locks row carries no database), and the other
# sessions of the database inside a transaction that are not idle. Seeing other roles' sessions
# needs pg_read_all_stats (or superuser): otherwise their state reads as NULL and is not counted.
ACTIVITY_SUMMARY = sql.SQL(
    "SELECT"
    " (SELECT pg_catalog.count(*) FROM pg_catalog.pg_locks l"
    "   JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid"
    "   WHERE NOT l.granted AND a.datname = pg_catalog.current_database()) AS lock_count,"
    " (SELECT pg_catalog.count(*) FROM pg_catalog.pg_stat_activity a"
    "   WHERE a.datname = pg_catalog.current_database()"
    "   AND a.pid <> pg_catalog.pg_backend_pid()"
    "   AND a.state <> 'idle' AND a.xact_start IS NOT NULL) AS active_tx_count"
)

# Sizes of the relations named in the array (resolved as the session would: search_path for
# unqualified names); names that resolve to nothing give no row. The statistics take no lock:
# pg_relation_size takes ACCESS SHARE, so it is asked only for a table whose statistics say
# nothing (never vacuumed nor analysed, or empty), and never of one an ACCESS EXCLUSIVE lock
# is held or queued for (the check would queue behind the very blocker it is to name).
# heap_bytes NULL: unknown. With the size, what the lint must know of the relation: its kind,
# every column's type as format_type() prints it and whether it is NOT NULL (catalog reads, no
# lock), and the definitions of its validated CHECK constraints (pg_get_constraintdef takes
# ACCESS SHARE: asked under the same condition as pg_relation_size; NULL: unknown).
RELATION_SIZES = sql.SQL(
    "SELECT p.name, c.reltuples::float8 AS reltuples,"
    " CASE WHEN c.relpages > 0 OR c.reltuples > 0"
    "   THEN c.relpages::bigint * pg_catalog.current_setting('block_size')::bigint"
    "   WHEN NOT EXISTS (SELECT FROM pg_catalog.pg_locks l WHERE l.locktype = 'relation'"
    "     AND l.relation = c.oid AND l.mode = 'AccessExclusiveLock')"
    "   THEN pg_catalog.pg_relation_size(c.oid) END AS heap_bytes,"
    " c.relkind::text AS relkind,"
    " (SELECT pg_catalog.jsonb_object_agg(a.attname, pg_catalog.jsonb_build_array("
    "    pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull))"
    "  FROM pg_catalog.pg_attribute a"
    "  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,"
    " CASE WHEN NOT EXISTS (SELECT FROM pg_catalog.pg_locks l WHERE l.locktype = 'relation'"
    "     AND l.relation = c.oid AND l.mode = 'AccessExclusiveLock')"
    "   THEN ARRAY(SELECT pg_catalog.pg_get_constraintdef(k.oid)"
    "     FROM pg_catalog.pg_constraint k"
    "     WHERE k.conrelid = c.oid AND k.contype = 'c' AND k.convalidated"
    "     ORDER BY k.conname) END AS checks"
    " FROM pg_catalog.unnest(%s::text[]) AS p(name)"
    " JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(p.name)"
)

# Every lock other sessions hold or wait for on the relations named in the array, with what
# pg_stat_activity says of the session. {wait_start} is WAIT_START (PostgreSQL 14+) or
# WAIT_START_BEFORE_14; the second parameter is the length of the query excerpt.
RELATION_LOCKS = sql.SQL(
    "SELECT p.name AS requested,"
    " pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS relation,"
    " l.pid, l.mode, l.granted, a.state,"
    " EXTRACT(epoch FROM pg_catalog.now() - {wait_start})::float8 AS waiting_seconds,"
    " EXTRACT(epoch FROM pg_catalog.now() - a.xact_start)::float8 AS xact_seconds,"
    " EXTRACT(epoch FROM pg_catalog.now() - a.state_change)::float8 AS state_seconds,"
    " pg_catalog.left(a.query, %s) AS query, a.application_name"
    " FROM pg_catalog.unnest(%s::text[]) AS p(name)"
    " JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(p.name)"
    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " JOIN pg_catalog.pg_locks l ON l.locktype = 'relation' AND l.relation = c.oid"
    "   AND l.database = (SELECT oid FROM pg_catalog.pg_database"
    "                     WHERE datname = pg_catalog.current_database())"
    " LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid"
    " WHERE l.pid <> pg_catalog.pg_backend_pid()"
    " ORDER BY l.pid, relation"
)
WAIT_START = sql.SQL("l.waitstart")
# Before pg_locks.waitstart, a session queued for a lock has been so since its query started.
WAIT_START_BEFORE_14 = sql.SQL("CASE WHEN l.granted THEN NULL ELSE a.state_change END")

# The shape of the constraint ``k``: its kind, whether validated, its columns in order, and a
# foreign key's referenced table ([schema, name]) and actions (ON DELETE then ON UPDATE codes).
_CONSTRAINT_SHAPE = (
    "pg_catalog.jsonb_build_object('contype', k.contype, 'validated', k.convalidated,"
    " 'columns', ARRAY(SELECT a.attname"
    "   FROM pg_catalog.unnest(k.conkey) WITH ORDINALITY AS u(attnum, position)"
    "   JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum"
    "   ORDER BY u.position),"
    " 'references', (SELECT pg_catalog.jsonb_build_array(fn.nspname, f.relname)"
    "   FROM pg_catalog.pg_class f JOIN pg_catalog.pg_namespace fn ON fn.oid = f.relnamespace"
    "   WHERE f.oid = k.confrelid),"
    " 'actions', CASE WHEN k.contype = 'f' THEN k.confdeltype::text || k.confupdtype::text END)"
)

# Existence and shape of every object a migration creates, in ONE round trip: three parallel
# arrays (kind, name, parent) in; one row per probe, in order, ``found`` NULL when absent.
# Kinds: relation (name = qualified relation, parent = the table an index must be on), routine
# (name = signature, parent = its argument types as a JSON array: before PostgreSQL 16,
# to_regprocedure raised an error for an unknown argument type, so it only runs once every type
# resolves), type, schema, extension, column / constraint / trigger (name as stored,
# parent = qualified table), indexes (every index of the table ``parent``).
OBJECT_PROBES = sql.SQL(
    "SELECT CASE p.kind"
    " WHEN 'relation' THEN ("
    "   SELECT pg_catalog.jsonb_build_object('relkind', c.relkind,"
    "     'columns', (SELECT pg_catalog.jsonb_object_agg(a.attname,"
    "                        pg_catalog.format_type(a.atttypid, a.atttypmod))"
    "                 FROM pg_catalog.pg_attribute a"
    "                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),"
    "     'nullable', (SELECT pg_catalog.jsonb_object_agg(a.attname, NOT a.attnotnull)"
    "                  FROM pg_catalog.pg_attribute a"
    "                  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),"
    "     'constraints', (SELECT pg_catalog.jsonb_object_agg(k.conname,"
    f"         {_CONSTRAINT_SHAPE})"
    "                     FROM pg_catalog.pg_constraint k WHERE k.conrelid = c.oid),"
    "     'definition', CASE WHEN c.relkind IN ('v', 'm')"
    "                   THEN pg_catalog.pg_get_viewdef(c.oid) END,"
    "     'index', (SELECT pg_catalog.jsonb_build_object('valid', i.indisvalid,"
    "                      'definition', pg_catalog.pg_get_indexdef(i.indexrelid),"
    "                      'on_parent', i.indrelid = pg_catalog.to_regclass(p.parent))"
    "               FROM pg_catalog.pg_index i WHERE i.indexrelid = c.oid))"
    "   FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass(p.name))"
    " WHEN 'routine' THEN ("
    "   SELECT pg_catalog.jsonb_build_object('prokind', r.prokind, 'body', r.prosrc,"
    "     'language', (SELECT l.lanname FROM pg_catalog.pg_language l WHERE l.oid = r.prolang))"
    "   FROM pg_catalog.pg_proc r WHERE r.oid = CASE WHEN (SELECT pg_catalog.bool_and("
    "       pg_catalog.to_regtype(t) IS NOT NULL) IS NOT FALSE"
    "     FROM pg_catalog.jsonb_array_elements_text(p.parent::jsonb) AS t)"
    "   THEN pg_catalog.to_regprocedure(p.name) END)"
    " WHEN 'type' THEN ("
    "   SELECT pg_catalog.jsonb_build_object('typtype', t.typtype,"
    "     'relkind', (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid))"
    "   FROM pg_catalog.pg_type t WHERE t.oid = pg_catalog.to_regtype(p.name))"
    " WHEN 'schema' THEN ("
    "   SELECT pg_catalog.jsonb_build_object('schema', s.nspname)"
    "   FROM pg_catalog.pg_namespace s WHERE s.oid = pg_catalog.to_regnamespace(p.name))"
    " WHEN 'extension' THEN ("
    "   SELECT pg_catalog.jsonb_build_object('version', e.extversion)"
    "   FROM pg_catalog.pg_extension e WHERE e.extname = p.name)"
    " WHEN 'column' THEN ("
    "   SELECT pg_catalog.jsonb_build_object('nullable', NOT a.attnotnull,"
    "     'type', pg_catalog.format_type(a.atttypid, a.atttypmod))"
    "   FROM pg_catalog.pg_attribute a WHERE a.attrelid = pg_catalog.to_regclass(p.parent)"
    "   AND a.attname = p.name AND a.attnum > 0 AND NOT a.attisdropped)"
    " WHEN 'constraint' THEN ("
    f"   SELECT {_CONSTRAINT_SHAPE}"
    "   FROM pg_catalog.pg_constraint k WHERE k.conrelid = pg_catalog.to_regclass(p.parent)"
    "   AND k.conname = p.name)"
    " WHEN 'trigger' THEN ("
    "   SELECT pg_catalog.jsonb_build_object('enabled', g.tgenabled)"
    "   FROM pg_catalog.pg_trigger g WHERE g.tgrelid = pg_catalog.to_regclass(p.parent)"
    "   AND g.tgname = p.name AND NOT g.tgisinternal)"
    " WHEN 'indexes' THEN ("
    "   SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object("
    "     'name', pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname),"
    "     'valid', i.indisvalid, 'definition', pg_catalog.pg_get_indexdef(i.indexrelid)))"
    "   FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
    "   JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    "   WHERE i.indrelid = pg_catalog.to_regclass(p.parent))"
    " END AS found"
    " FROM ROWS FROM (pg_catalog.unnest(%s::text[]), pg_catalog.unnest(%s::text[]),"
    "                 pg_catalog.unnest(%s::text[])) WITH ORDINALITY"
    "   AS p(kind, name, parent, position)"
    " ORDER BY p.position"
)

# The planner's estimate for a statement of a migration, never executed: EXPLAIN without ANALYZE,
# in a read-only transaction that is rolled back, with short waits (planning an UPDATE takes
# ROW EXCLUSIVE on its table: it must never queue behind a lock for long). {statement} is the
# statement's own text (sql.SQL: it is SQL, not a value).
EXPLAIN_GUARDS = sql.SQL(
    "SET LOCAL transaction_read_only = on; SET LOCAL lock_timeout = '100ms';"
    " SET LOCAL statement_timeout = '2s'"
)
EXPLAIN = sql.SQL("EXPLAIN (FORMAT JSON) {statement}")

# The index a CREATE INDEX CONCURRENTLY left behind when it failed (indisvalid = false).
INVALID_INDEX = sql.SQL(
    "SELECT n.nspname, c.relname FROM pg_catalog.pg_index i"
    " JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid"
    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE i.indexrelid = pg_catalog.to_regclass(%s) AND NOT i.indisvalid"
)

# ---- snapshot: the whole user schema, as the drift comparison and schema detection read it ----

# Objects of user schemas that no extension owns ({kind} is the catalog of the object: an
# extension's tables, functions and types are the extension's business, not the migrations').
_USER_NAMESPACE = (
    "n.nspname NOT IN ('pg_catalog', 'information_schema')"
    " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'"
)


def _user_objects(alias: str, catalog: str) -> str:
    return (
        f"{_USER_NAMESPACE} AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend e"
        f" WHERE e.classid = 'pg_catalog.{catalog}'::pg_catalog.regclass"
        f" AND e.objid = {alias}.oid AND e.deptype = 'e')"
    )


def _qualified(alias: str, name: str) -> str:
    return f"pg_catalog.quote_ident({alias}.nspname) || '.' || pg_catalog.quote_ident({name})"


_RELATION = _qualified("n", "c.relname")
_USER_RELATIONS = _user_objects("c", "pg_class")

# One statement per kind of object, sent together (no parameters: one message, one round
# trip whatever the schema's size). Names come quoted as PostgreSQL needs them; expressions and
# definitions as the server prints them (pg_get_*def), so two databases of one server print the
# same object the same way.
SNAPSHOT = sql.SQL(
    "; ".join(
        (
            # schemas
            f"SELECT pg_catalog.quote_ident(n.nspname) FROM pg_catalog.pg_namespace n"
            f" WHERE {_user_objects('n', 'pg_namespace')} ORDER BY 1",
            # tables
            f"SELECT {_RELATION}, c.relpersistence::text,"
            " CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END,"
            " (SELECT pg_catalog.quote_ident(pn.nspname) || '.'"
            "        || pg_catalog.quote_ident(pc.relname)"
            "  FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent"
            "  JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace"
            "  WHERE i.inhrelid = c.oid AND c.relispartition),"
            " CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END,"
            " c.relrowsecurity"
            " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            f" WHERE c.relkind IN ('r', 'p') AND {_USER_RELATIONS} ORDER BY 1",
            # columns of tables
            f"SELECT {_RELATION}, pg_catalog.quote_ident(a.attname),"
            " pg_catalog.format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,"
            " CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END,"
            " a.attidentity::text,"
            " CASE WHEN a.attgenerated <> '' THEN pg_catalog.pg_get_expr(d.adbin, d.adrelid) END,"
            " CASE WHEN a.attcollation <> t.typcollation"
            "   THEN pg_catalog.quote_ident(co.collname) END"
            " FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
            " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            " JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
            " LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
            " LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation"
            " WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p')"
            f" AND {_USER_RELATIONS} ORDER BY 1, a.attnum",
            # constraints of tables (NOT NULL is a column's nullability)
            f"SELECT {_RELATION}, pg_catalog.quote_ident(k.conname), k.contype::text,"
            " pg_catalog.pg_get_constraintdef(k.oid), k.convalidated,"
            " ARRAY(SELECT pg_catalog.quote_ident(a.attname)"
            "       FROM pg_catalog.unnest(k.conkey) WITH ORDINALITY AS u(attnum, position)"
            "       JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid"
            "       AND a.attnum = u.attnum"
            "       ORDER BY u.position)::text[],"
            " (SELECT pg_catalog.quote_ident(fn.nspname) || '.'"
            "        || pg_catalog.quote_ident(f.relname)"
            "  FROM pg_catalog.pg_class f JOIN pg_catalog.pg_namespace fn"
            "  ON fn.oid = f.relnamespace WHERE f.oid = k.confrelid), k.coninhcount > 0"
            " FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = k.conrelid"
            " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            f" WHERE k.contype IN ('p', 'u', 'f', 'c', 'x') AND {_USER_RELATIONS} ORDER BY 1, 2",
            # indexes of tables and materialized views
            f"SELECT {_RELATION}, pg_catalog.quote_ident(ic.relname),"
            " pg_catalog.pg_get_indexdef(i.indexrelid), i.indisvalid,"
            " (SELECT pg_catalog.quote_ident(k.conname) FROM pg_catalog.pg_constraint k"
            "  WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid"
            "  AND k.contype IN ('p', 'u', 'x')),"
            " EXISTS (SELECT FROM pg_catalog.pg_inherits h WHERE h.inhrelid = i.indexrelid)"
            " FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid"
            " JOIN pg_catalog.pg_class c ON c.oid = i.indrelid"
            " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            f" WHERE c.relkind IN ('r', 'p', 'm') AND {_USER_RELATIONS} ORDER BY 1, 2",
            # views and materialized views
            f"SELECT {_RELATION}, c.relkind = 'm', pg_catalog.pg_get_viewdef(c.oid)"
            " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            f" WHERE c.relkind IN ('v', 'm') AND {_USER_RELATIONS} ORDER BY 1",
            # functions and procedures
            f"SELECT {_qualified('n', 'p.proname')},"
            " pg_catalog.pg_get_function_identity_arguments(p.oid), p.prokind::text,"
            " pg_catalog.pg_get_function_result(p.oid), l.lanname::text, p.provolatile::text,"
            " p.prosrc, pg_catalog.pg_get_functiondef(p.oid)"
            " FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
            " JOIN pg_catalog.pg_language l ON l.oid = p.prolang"
            f" WHERE p.prokind IN ('f', 'p') AND {_user_objects('p', 'pg_proc')} ORDER BY 1, 2",
            # enums, composite types, domains, ranges
            f"SELECT {_qualified('n', 't.typname')}, t.typtype::text,"
            " ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid"
            "       ORDER BY e.enumsortorder),"
            " ARRAY(SELECT pg_catalog.quote_ident(a.attname) || ' '"
            "              || pg_catalog.format_type(a.atttypid, a.atttypmod)"
            "       FROM pg_catalog.pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0"
            "       AND NOT a.attisdropped ORDER BY a.attnum),"
            " CASE t.typtype WHEN 'd' THEN pg_catalog.format_type(t.typbasetype, t.typtypmod)"
            "   WHEN 'r' THEN (SELECT pg_catalog.format_type(r.rngsubtype, NULL)"
            "                  FROM pg_catalog.pg_range r WHERE r.rngtypid = t.oid) END,"
            " t.typnotnull, t.typdefault,"
            " ARRAY(SELECT pg_catalog.quote_ident(k.conname) || ' '"
            "              || pg_catalog.pg_get_constraintdef(k.oid)"
            "       FROM pg_catalog.pg_constraint k WHERE k.contypid = t.oid AND k.contype = 'c'"
            "       ORDER BY k.conname)"
            " FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace"
            " LEFT JOIN pg_catalog.pg_class c ON c.oid = t.typrelid"
            " WHERE t.typtype IN ('e', 'c', 'd', 'r') AND (t.typrelid = 0 OR c.relkind = 'c')"
            f" AND {_user_objects('t', 'pg_type')} ORDER BY 1",
            # sequences (an identity column's is part of its column)
            f"SELECT {_RELATION}, pg_catalog.format_type(s.seqtypid, NULL), s.seqstart,"
            " s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle"
            " FROM pg_catalog.pg_sequence s JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid"
            " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            f" WHERE {_USER_RELATIONS} AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d"
            "   WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid"
            "   AND d.deptype = 'i') ORDER BY 1",
            # extensions
            "SELECT pg_catalog.quote_ident(x.extname), x.extversion,"
            " pg_catalog.quote_ident(n.nspname)"
            " FROM pg_catalog.pg_extension x"
            " JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace"
            " ORDER BY 1",
            # triggers
            f"SELECT {_RELATION}, pg_catalog.quote_ident(g.tgname),"
            " pg_catalog.pg_get_triggerdef(g.oid), g.tgenabled::text"
            " FROM pg_catalog.pg_trigger g JOIN pg_catalog.pg_class c ON c.oid = g.tgrelid"
            " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            f" WHERE NOT g.tgisinternal AND {_USER_RELATIONS} ORDER BY 1, 2",
            # row-level security policies
            f"SELECT {_RELATION}, pg_catalog.quote_ident(o.polname), o.polcmd::text,"
            " o.polpermissive,"
            " ARRAY(SELECT CASE WHEN r.role = 0 THEN 'PUBLIC'"
            "              ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(r.role)) END"
            "       FROM pg_catalog.unnest(o.polroles) AS r(role) ORDER BY 1),"
            " pg_catalog.pg_get_expr(o.polqual, o.polrelid),"
            " pg_catalog.pg_get_expr(o.polwithcheck, o.polrelid)"
            " FROM pg_catalog.pg_policy o JOIN pg_catalog.pg_class c ON c.oid = o.polrelid"
            " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            f" WHERE {_USER_RELATIONS} ORDER BY 1, 2",
            # grants to others than the owner (the owner's own are implicit)
            "SELECT g.kind, g.name, CASE WHEN g.grantee = 0 THEN 'PUBLIC'"
            "   ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(g.grantee)) END,"
            " g.privilege, g.grantable FROM ("
            f"  SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, {_RELATION},"
            "   x.grantee, x.privilege_type, x.is_grantable"
            "   FROM pg_catalog.pg_class c"
            "   JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace,"
            "   pg_catalog.aclexplode(c.relacl) x"
            f"  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND {_USER_RELATIONS}"
            "   AND x.grantee <> c.relowner"
            "  UNION ALL"
            "  SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,"
            f"   {_qualified('n', 'p.proname')} || '('"
            "   || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')',"
            "   x.grantee, x.privilege_type, x.is_grantable"
            "   FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace,"
            "   pg_catalog.aclexplode(p.proacl) x"
            f"  WHERE p.prokind IN ('f', 'p') AND {_user_objects('p', 'pg_proc')}"
            "   AND x.grantee <> p.proowner"
            "  UNION ALL"
            "  SELECT 'SCHEMA', pg_catalog.quote_ident(n.nspname), x.grantee, x.privilege_type,"
            "   x.is_grantable FROM pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) x"
            f"  WHERE {_user_objects('n', 'pg_namespace')} AND x.grantee <> n.nspowner"
            " ) AS g(kind, name, grantee, privilege, grantable) ORDER BY 1, 2, 3, 4",
        )
    )
)

# ---- the scratch database drift replays the migrations into -----------------------------------

CREATE_DATABASE = sql.SQL("CREATE DATABASE {}")
# FORCE (PostgreSQL 13+): a session a failed replay left behind does not keep it alive.
DROP_DATABASE = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
