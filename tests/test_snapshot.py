"""The catalog model against real databases: what a snapshot holds, what two of them differ by,
and whether the DDL of each difference really brings the live database to the expected one."""

from __future__ import annotations

import psycopg
import pytest

from migrations_manager import db
from migrations_manager.differences import Change, differences
from migrations_manager.introspection.catalog import snapshot
from tests.utils import RoundTrips, fresh_database

SCHEMA = """
CREATE EXTENSION IF NOT EXISTS plpgsql;
CREATE SCHEMA app;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE pair AS (a integer, b text);
CREATE DOMAIN positive AS integer DEFAULT 1 NOT NULL CONSTRAINT positive_ck CHECK (VALUE > 0);
CREATE TYPE span AS RANGE (subtype = integer);
CREATE SEQUENCE counter INCREMENT BY 5 MAXVALUE 1000;
CREATE TABLE users (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name text COLLATE "C" DEFAULT 'anonymous',
    upper_name text GENERATED ALWAYS AS (upper(name)) STORED,
    feeling mood
);
CREATE UNLOGGED TABLE app.cache (key text PRIMARY KEY, value jsonb);
CREATE TABLE orders (
    id serial PRIMARY KEY,
    user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    amount numeric(10, 2) CHECK (amount > 0),
    during tsrange,
    note varchar(10),
    EXCLUDE USING gist (during WITH &&)
);
ALTER TABLE orders ADD CONSTRAINT orders_amount_small CHECK (amount < 1000) NOT VALID;
CREATE INDEX orders_user_idx ON orders (user_id) WHERE amount > 10;
CREATE TABLE events (at date NOT NULL, kind text, PRIMARY KEY (at, kind)) PARTITION BY RANGE (at);
CREATE INDEX events_kind ON events (kind);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 100;
CREATE MATERIALIZED VIEW order_count AS SELECT count(*) AS n FROM orders;
CREATE INDEX order_count_n ON order_count (n);
CREATE FUNCTION add_one(x integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT x + 1';
CREATE PROCEDURE archive() LANGUAGE sql AS $$ DELETE FROM orders WHERE false $$;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_orders ON orders FOR SELECT TO PUBLIC USING (user_id > 0);
GRANT SELECT ON users TO PUBLIC;
GRANT USAGE ON SCHEMA app TO PUBLIC;
"""

# Each line changes the second database away from the first one.
DRIFT = """
CREATE SCHEMA extra;
ALTER TYPE mood ADD VALUE 'angry';
ALTER DOMAIN positive DROP NOT NULL;
ALTER SEQUENCE counter INCREMENT BY 1;
ALTER TABLE users ALTER COLUMN name SET DEFAULT 'nobody', ADD COLUMN phone text;
ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
ALTER TABLE users DROP CONSTRAINT users_email_key;
ALTER TABLE app.cache SET LOGGED;
ALTER TABLE orders ALTER COLUMN note TYPE varchar(20);
ALTER TABLE orders DROP CONSTRAINT orders_user_id_fkey;
ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);
DROP INDEX orders_user_idx;
CREATE INDEX orders_amount_idx ON orders (amount);
CREATE OR REPLACE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 500;
CREATE OR REPLACE FUNCTION add_one(x integer) RETURNS integer LANGUAGE sql IMMUTABLE
    AS 'SELECT x + 2';
DROP PROCEDURE archive();
ALTER TABLE orders DISABLE TRIGGER orders_touch;
DROP POLICY own_orders ON orders;
REVOKE SELECT ON users FROM PUBLIC;
GRANT SELECT ON orders TO PUBLIC;
CREATE TABLE stray (id int);
"""


@pytest.fixture
def twin(pg_admin_url, tmp_path):
    """A second fresh database on the same server."""
    with fresh_database(pg_admin_url, tmp_path) as target:
        yield target


def read(target) -> object:
    with psycopg.connect(target.url, autocommit=True) as conn:
        return snapshot(conn)


def test_a_snapshot_holds_every_kind_of_object(target_db):
    target_db.execute(SCHEMA)
    found = read(target_db)
    assert {"app", "public"} <= found.schemas
    users, orders = found.tables["public.users"], found.tables["public.orders"]
    assert users.columns["id"].identity == "a"
    assert (users.columns["email"].nullable, users.columns["name"].collation) == (False, '"C"')
    assert users.columns["name"].default == "'anonymous'::text"
    assert users.columns["upper_name"].generated == "upper(name)"
    assert found.tables["app.cache"].persistence == "u"
    assert found.tables["public.events"].partitioning == "RANGE (at)"
    assert found.tables["public.events_2025"].partition_of == "public.events"
    kinds = {c.name: (c.kind, c.validated, c.columns) for c in orders.constraints.values()}
    assert kinds["orders_user_id_fkey"] == ("f", True, ("user_id",))
    assert kinds["orders_amount_small"] == ("c", False, ("amount",))
    assert "x" in {kind for kind, _, _ in kinds.values()}
    assert "ON DELETE CASCADE" in orders.constraints["orders_user_id_fkey"].definition
    assert orders.indexes["orders_user_idx"].definition.endswith("WHERE (amount > (10)::numeric)")
    assert orders.indexes["orders_pkey"].constraint == "orders_pkey"
    assert orders.row_security and orders.policies["own_orders"].using == "(user_id > 0)"
    assert orders.triggers["orders_touch"].enabled == "O"
    assert found.views["public.order_count"].materialized
    assert "order_count_n" in found.views["public.order_count"].indexes
    add_one = found.routines["public.add_one(x integer)"]
    assert (add_one.language, add_one.volatility, add_one.body) == ("sql", "i", "SELECT x + 1")
    assert found.routines["public.archive()"].kind == "p"
    assert found.types["public.mood"].labels == ("sad", "ok", "happy")
    assert found.types["public.pair"].attributes == ("a integer", "b text")
    assert found.types["public.positive"].checks == ("positive_ck CHECK ((VALUE > 0))",)
    assert found.types["public.span"].base == "integer"
    assert found.sequences["public.counter"].increment == 5
    assert "public.orders_id_seq" in found.sequences  # a serial's sequence is an object
    assert not any("users_id_seq" in name for name in found.sequences)  # identity: the column's
    assert "plpgsql" in found.extensions
    assert {(g.kind, g.name, g.grantee, g.privilege) for g in found.grants} >= {
        ("TABLE", "public.users", "PUBLIC", "SELECT"),
        ("SCHEMA", "app", "PUBLIC", "USAGE"),
    }


def test_the_same_migrations_in_two_databases_make_the_same_snapshot(target_db, twin):
    target_db.execute(SCHEMA)
    twin.execute(SCHEMA)
    assert differences(read(target_db), read(twin)) == ()


def test_every_difference_is_found_and_its_ddl_undoes_it(target_db, twin):
    target_db.execute(SCHEMA)
    twin.execute(SCHEMA)
    twin.execute(DRIFT)
    found = differences(read(target_db), read(twin))
    summary = {(d.change, d.object_type, d.name) for d in found}
    assert summary == {
        (Change.EXTRA, "schema", "extra"),
        (Change.CHANGED, "type", "public.mood"),
        (Change.CHANGED, "type", "public.positive"),
        (Change.CHANGED, "sequence", "public.counter"),
        (Change.CHANGED, "column", "public.users.name"),
        (Change.EXTRA, "column", "public.users.phone"),
        (Change.CHANGED, "column", "public.users.email"),
        (Change.MISSING, "constraint", "public.users.users_email_key"),
        (Change.CHANGED, "table", "app.cache"),
        (Change.CHANGED, "column", "public.orders.note"),
        (Change.CHANGED, "constraint", "public.orders.orders_user_id_fkey"),
        (Change.MISSING, "index", "public.orders_user_idx"),
        (Change.EXTRA, "index", "public.orders_amount_idx"),
        (Change.CHANGED, "view", "public.big_orders"),
        (Change.CHANGED, "function", "public.add_one(x integer)"),
        (Change.MISSING, "procedure", "public.archive()"),
        (Change.CHANGED, "trigger", "public.orders.orders_touch"),
        (Change.MISSING, "policy", "public.orders.own_orders"),
        (Change.MISSING, "grant", "SELECT on table public.users to PUBLIC"),
        (Change.EXTRA, "grant", "SELECT on table public.orders to PUBLIC"),
        (Change.EXTRA, "table", "public.stray"),
    }
    note = next(d for d in found if d.name == "public.orders.note")
    assert note.sentence == (
        "column public.orders.note: type is character varying(20), expected character varying(10)"
    )
    assert note.ddl == (
        "ALTER TABLE public.orders ALTER COLUMN note TYPE character varying(10)"
        " USING note::character varying(10);"
    )
    enum = next(d for d in found if d.name == "public.mood")
    assert enum.ddl is None  # a value cannot be removed from an enum: said, not scripted
    twin.execute("\n".join(d.ddl for d in found if d.ddl is not None))
    assert [d.name for d in differences(read(target_db), read(twin))] == ["public.mood"]


def test_whole_objects_missing_are_created_by_their_ddl(target_db, twin):
    target_db.execute(SCHEMA)
    missing = differences(read(target_db), read(twin))
    assert all(d.change is Change.MISSING for d in missing)
    twin.execute("\n".join(d.ddl for d in missing if d.ddl is not None))
    assert differences(read(target_db), read(twin)) == ()


def test_one_round_trip_whatever_the_size(target_db, monkeypatch, tmp_path):
    target_db.execute(
        ";".join(f"CREATE TABLE t{n} (id int PRIMARY KEY, v text UNIQUE)" for n in range(50))
    )
    trips = RoundTrips(tmp_path).install(monkeypatch)
    with db.connection(read_only=True) as conn:
        found = snapshot(conn)
    assert len(found.tables) == 50
    assert trips.count == 1
