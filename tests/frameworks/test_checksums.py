"""Known-answer tests for ``migrations_manager.frameworks.checksums``.

Expected values come from the frameworks' own tests, fixtures or docs (repository + path in each
test's docstring). Where a framework publishes no value, the expected value is a published
standard test vector for the underlying algorithm (FIPS 180, RFC 1321, the CRC-32 catalogue
check value), never one computed by the code under test.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

import pytest

from migrations_manager.frameworks import checksums as cs
from migrations_manager.frameworks import graphile_files

FIPS_SHA256_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


# ---- Flyway ------------------------------------------------------------------------------------

FLYWAY_ISSUE_2474_SQL = (
    b"alter table location_history add column valid_until timestamp with time zone;"
)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(FLYWAY_ISSUE_2474_SQL + b"\n", -1039259818, id="issue-2474-lf"),
        pytest.param(FLYWAY_ISSUE_2474_SQL + b"\r\n", -1039259818, id="issue-2474-crlf"),
        pytest.param(b"\xef\xbb\xbf" + FLYWAY_ISSUE_2474_SQL, -1039259818, id="issue-2474-bom"),
        pytest.param(b"123456789", -873187034, id="crc32-catalogue-check-value"),
        pytest.param(b"12345\r\n67\r89\n", -873187034, id="check-value-any-line-endings"),
        pytest.param(b"", 0, id="empty-file"),
        pytest.param(b"\xef\xbb\xbf\r\n", 0, id="bom-and-newline-only"),
    ],
)
def test_flyway_crc32_known_values(data: bytes, expected: int) -> None:
    """Flyway drops BOM and line terminators before CRC-32.

    -1039259818 is what Flyway 6.0.0 printed as "Resolved locally" for a file holding that one
    statement (flyway/flyway issue #2474). -873187034 is the CRC-32 catalogue check value
    0xCBF43926 for "123456789" as a signed int (independent of zlib).
    """
    assert cs.flyway_crc32(data) == expected


def test_flyway_crc32_is_not_a_crc_of_the_raw_bytes() -> None:
    """In issue #2474 the database held -1340212107: the CRC of the bytes with the newline kept."""
    assert cs.flyway_crc32(FLYWAY_ISSUE_2474_SQL + b"\n") != -1340212107


def test_flyway_crc32_decodes_with_the_configured_encoding_then_hashes_utf8() -> None:
    """A latin-1 file is decoded as latin-1, then its text is hashed as UTF-8."""
    assert cs.flyway_crc32(b"SELECT 'caf\xe9';", "latin-1") == cs.flyway_crc32(
        "SELECT 'café';".encode()
    )


def test_flyway_crc32_strips_only_a_leading_bom() -> None:
    """A U+FEFF after the start is content (BomFilter only looks at the first line's start)."""
    assert cs.flyway_crc32(b"a\xef\xbb\xbfb") != cs.flyway_crc32(b"ab")


def test_flyway_crc32_rejects_undecodable_bytes() -> None:
    """Flyway fails with "Unable to calculate checksum ... Input length = 1" (issue #2744)."""
    with pytest.raises(UnicodeDecodeError):
        cs.flyway_crc32(b"SELECT '\xe9';")


# ---- SQLx --------------------------------------------------------------------------------------

SQLX_USER_SQL = (
    "create table user\n(\n    -- integer primary keys are the most efficient in SQLite\n"
    "    user_id  integer primary key,\n    username text unique not null\n);\n"
)
SQLX_IGNORED = " \t\r\n\ufeff"  # sqlx-cli/tests/ignored-chars/sqlx.toml


def test_sqlx_sha384_fips_vector() -> None:
    """SQLx publishes no digest; FIPS 180-2's SHA-384("abc") checks the raw 48-byte form."""
    expected = bytes.fromhex(
        "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163"
        "1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"
    )
    assert cs.sqlx_sha384(b"abc") == expected


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(SQLX_USER_SQL.replace("\n", "\r\n"), id="CRLF"),
        pytest.param("\ufeff" + SQLX_USER_SQL, id="BOM"),
        pytest.param(SQLX_USER_SQL.replace("    ", "\t"), id="oops-all-tabs"),
    ],
)
def test_sqlx_ignored_chars_make_whitespace_variants_equal(variant: str) -> None:
    """sqlx-cli/tests/migrate.rs `ignored_chars`: LF, CRLF, BOM and tab copies of 1_user.sql
    (sqlx-cli/tests/ignored-chars/*/1_user.sql) must keep one checksum; without the setting
    the file is hashed verbatim, so they differ."""
    lf, other = SQLX_USER_SQL.encode(), variant.encode()
    assert cs.sqlx_sha384(other, SQLX_IGNORED) == cs.sqlx_sha384(lf, SQLX_IGNORED)
    assert cs.sqlx_sha384(other) != cs.sqlx_sha384(lf)


# ---- Prisma ------------------------------------------------------------------------------------

PRISMA_HELLO = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"


def test_prisma_sha256_matches_prisma_engines_test() -> None:
    """checksum.rs `format_checksum_does_not_strip_zeros`: render_checksum("hello")."""
    assert cs.prisma_sha256(b"hello") == PRISMA_HELLO


@pytest.mark.parametrize(
    ("lf", "crlf"),
    [
        pytest.param(b"ab\ncd\nef\ngh\rab", b"ab\r\ncd\r\nef\r\ngh\rab", id="no-final-newline"),
        pytest.param(b"ab\ncd\nef\ngh\rab\n", b"ab\r\ncd\r\nef\r\ngh\rab\r\n", id="final-newline"),
    ],
)
def test_prisma_checksum_is_line_ending_agnostic(lf: bytes, crlf: bytes) -> None:
    """checksum.rs `script_matches_checksum_is_line_ending_agnostic`: every pair matches."""
    for script in (lf, crlf):
        for other in (lf, crlf):
            assert cs.prisma_checksum_matches(cs.prisma_sha256(other), script)


@pytest.mark.parametrize(
    ("script", "rendered_from"),
    [
        pytest.param(b"abc", b"abcd", id="different-text"),
        pytest.param(b"abc\n", b"abc", id="added-newline"),
    ],
)
def test_prisma_checksum_negative(script: bytes, rendered_from: bytes) -> None:
    """checksum.rs `script_matches_checksum_negative`."""
    assert not cs.prisma_checksum_matches(cs.prisma_sha256(rendered_from), script)


def test_prisma_checksum_accepts_legacy_unpadded_hex() -> None:
    """Legacy rows (prisma-engines issue #1887) print bytes without zero-padding: the "hello"
    digest's bytes 0e and 04 become "e" and "4" (derived by hand from PRISMA_HELLO)."""
    legacy = "2cf24dba5fb0a3e26e83b2ac5b9e29e1b161e5c1fa7425e7343362938b9824"
    assert cs.prisma_checksum_matches(legacy, b"hello")
    assert cs.prisma_checksum_matches(PRISMA_HELLO, b"hello")
    assert not cs.prisma_checksum_matches(legacy, b"hello!")
    assert not cs.prisma_checksum_matches("", b"")


# ---- Drizzle, Supabase seeds --------------------------------------------------------------------


def test_drizzle_and_supabase_sha256_fips_vector() -> None:
    """Neither project publishes a value we could reproduce (supabase/cli's seed_test.go pins
    61868484... for testdata/seed.sql, whose text is not available); FIPS 180-2 SHA-256("abc")."""
    assert cs.drizzle_sha256(b"abc") == FIPS_SHA256_ABC
    assert cs.supabase_seed_sha256(b"abc") == FIPS_SHA256_ABC


def test_drizzle_crlf_normalisation_is_optional() -> None:
    """Some drizzle-orm revisions hash after CRLF -> LF (drizzle-orm/src/migrator.ts)."""
    assert cs.drizzle_sha256(b"a\r\nb", normalize_crlf=True) == cs.drizzle_sha256(b"a\nb")
    assert cs.drizzle_sha256(b"a\r\nb") != cs.drizzle_sha256(b"a\nb")


# ---- Liquibase ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(["select 1"], "9:3b78b9910981c62ca27148640fad7bc2", id="changeset-3-sql"),
        pytest.param(
            ["create table thisShouldRun(id int)\n"],
            "9:62336a615e62e89c9d86128d1ca60ecf",
            id="changeset-2-sqlFile",
        ),
        pytest.param([], "9:d41d8cd98f00b204e9800998ecf8427e", id="changeset-1-all-filtered"),
    ],
)
def test_liquibase_changeset_v9_matches_integration_test(changes: list[str], expected: str) -> None:
    """liquibase/liquibase UpgradeChecksumVersionIntegrationTest.groovy with
    liquibase-integration-tests/src/test/resources/changelogs/h2/checksum/dbms-filter-changelog.xml
    (changeset 2 keeps only the h2 <sqlFile> of create-table.sql; changeset 1's only change is
    filtered out by dbms)."""
    assert cs.liquibase_changeset_v9(changes) == expected


def test_liquibase_v9_single_change() -> None:
    """frameworks.md quotes the same value: ``select 1`` -> 9:3b78b991...."""
    assert cs.liquibase_v9("select 1") == "9:3b78b9910981c62ca27148640fad7bc2"


@pytest.mark.parametrize(
    ("sql", "same_as_select_1"),
    [
        pytest.param("  select\t1\r\n\n", True, id="ascii-whitespace-removed"),
        pytest.param("select1", True, id="inner-space-removed"),
        pytest.param("select\u00a01", False, id="nbsp-is-content"),
        pytest.param("SELECT 1", False, id="case-is-content"),
    ],
)
def test_liquibase_v9_whitespace_rules(sql: str, same_as_select_1: bool) -> None:
    """NormalizingStream drops only space, tab, CR and LF bytes (AbstractSQLChange.java)."""
    assert (cs.liquibase_v9(sql) == cs.liquibase_v9("select 1")) is same_as_select_1


def test_liquibase_changeset_order_matters() -> None:
    """Per-change checksums are concatenated in order (ChangeSet.generateCheckSum)."""
    assert cs.liquibase_changeset_v9(["a", "b"]) != cs.liquibase_changeset_v9(["b", "a"])


def test_liquibase_formatted_sql_body_drops_directives() -> None:
    """Rules read from AbstractFormattedChangeLogParser.java; no Liquibase-computed value for a
    formatted changeset was found, so this checks line selection only, not a stored md5sum."""
    lines = [
        "--comment: adds t",
        "--validCheckSum: 9:0123",
        "--preconditions onFail:MARK_RAN",
        "--precondition-sql-check expectedResult:0 select count(*) from t",
        "create table t (id int);",
        "-- an ordinary comment stays",
        "--rollback drop table t;",
        "/* liquibase rollback",
        "drop table t;",
        "*/",
        "--ignoreLines:start",
        "select 'ignored';",
        "--ignoreLines:end",
        "--ignoreLines:1",
        "select 'skipped';",
        "insert into t values (1);",
    ]
    body = cs.liquibase_formatted_sql_body(lines)
    assert body.split("\n") == [
        "create table t (id int);",
        "-- an ordinary comment stays",
        "insert into t values (1);",
    ]


# ---- Atlas -------------------------------------------------------------------------------------

ATLASEXEC_FILES = [
    ("20230727105553_init.sql", b"CREATE TABLE t1 ( c1 int );\n"),
    ("20230727105615_t2.sql", b"CREATE TABLE t2 ( c1 int, c2 text );\n"),
    ("20230926085734_destructive-change.sql", b"DROP TABLE t2;\n"),
]
ATLASEXEC_SUM = [
    ("20230727105553_init.sql", "jxgvnWO6tZD3lSPpH1ao5E/6VjapP7iwvBCUJ6aez58="),
    ("20230727105615_t2.sql", "UvzeoFxe90Y/7b21ziwg6pPzWJQSV7LeYwJl8J63lMU="),
    ("20230926085734_destructive-change.sql", "Gf/bSvUkfqHr/MEXKCxdGu2YvG8zwe4ER5TW8T/laA0="),
]


def test_atlas_sum_matches_atlasexec_testdata() -> None:
    """ariga/atlas atlasexec/testdata/migrations/*.sql and its atlas.sum (entries and header)."""
    assert cs.atlas_sum(ATLASEXEC_FILES) == ATLASEXEC_SUM
    assert cs.atlas_sum_header(ATLASEXEC_SUM) == "h1:hnQZfRcN6sV+y+0YePtkLazMy+Ty3lhyGv69ixeYoXc="


def test_atlas_sum_sorts_names_and_skips_non_sql_files() -> None:
    """LocalDir.Files globs *.sql and sorts names (sql/migrate/dir.go)."""
    first, second, third = ATLASEXEC_FILES
    assert cs.atlas_sum([third, ("atlas.sum", b"h1:x\n"), first, second]) == ATLASEXEC_SUM


def test_atlas_sum_ignore_directive_feeds_the_name_only() -> None:
    """A file starting with `-- atlas:sum ignore` gets no entry, but its name still enters the
    running hash (NewHashFile in sql/migrate/dir.go), so the next file's hash depends on it."""
    ignored = ("1_seed.sql", b"-- atlas:sum ignore\nINSERT INTO t VALUES (1);\n")
    following = ("2_t.sql", b"CREATE TABLE t (c int);\n")
    running = hashlib.sha256(b"1_seed.sql2_t.sql" + following[1]).digest()
    assert cs.atlas_sum([ignored, following]) == [("2_t.sql", base64.b64encode(running).decode())]


@pytest.mark.parametrize(
    ("first_bytes", "ignored"),
    [
        pytest.param(b"-- atlas:sum ignore\n", True, id="sql-comment"),
        pytest.param(b"# atlas:sum ignore\r\n", True, id="hash-comment-crlf"),
        pytest.param(b"atlas:sum  ignore\n", True, id="no-prefix-two-blanks"),
        pytest.param(b"-- atlas:sum ignore \n", False, id="trailing-blank-is-argument"),
        pytest.param(b"-- atlas:sum ignore atlas:delimiter \\n\n", False, id="last-directive-wins"),
        pytest.param(b"-- hello\n-- atlas:sum ignore\n", False, id="second-line"),
        pytest.param(b"-- \xc3\xa9 atlas:sum ignore\n", False, id="after-non-ascii"),
        pytest.param(b"", False, id="empty-file"),
    ],
)
def test_atlas_sum_directive_reading(first_bytes: bytes, ignored: bool) -> None:
    """directive() matches ^([ -~]*)atlas:(\\w+)(?: +([ -~]*))* against the whole file."""
    entries = cs.atlas_sum([("1.sql", first_bytes + b"SELECT 1;\n")])
    assert (entries == []) is ignored


# ---- graphile-migrate --------------------------------------------------------------------------

GM_HASH_1 = "sha1:e00ec93314a423ee5cc68d1182ad52f16442d7df"
GM_HASH_ENUM = "sha1:bddc1ead3310dc1c42cdc7f63537ebdff2e9fd7b"
GM_TEXT_1 = "create table if not exists foo (id serial primary key);"
GM_TEXT_ENUM = "drop type if exists user_role;\ncreate type user_role as enum ('User');"
GM_TEXT_NOTRX = "--! no-transaction\nALTER TYPE user_role ADD VALUE IF NOT EXISTS 'Admin';"
GM_ENUM_COMMITTED = f"--! Previous: {GM_HASH_1}\n--! Hash: {GM_HASH_ENUM}\n\n{GM_TEXT_ENUM}\n"
GM_TAMPER = "\ncomment on type user_role is 'this invalidates the hash';"


@pytest.mark.parametrize(
    ("previous", "body", "expected"),
    [
        pytest.param(None, GM_TEXT_1, GM_HASH_1, id="000001-no-previous"),
        pytest.param(GM_HASH_1, GM_TEXT_ENUM, GM_HASH_ENUM, id="000002-enum"),
        pytest.param(
            GM_HASH_ENUM,
            GM_TEXT_NOTRX,
            "sha1:2d248344ac299ebbad2aeba5bfec2ae3c3cb0a4f",
            id="000003-no-transaction",
        ),
    ],
)
def test_graphile_hash_chain(previous: str | None, body: str, expected: str) -> None:
    """graphile/migrate __tests__/helpers.ts (makeMigrations texts, MIGRATION_1_HASH) and
    __tests__/__snapshots__/migrate.test.ts.snap (`runs migrations 4`)."""
    assert cs.graphile_hash(previous, body) == expected


def test_graphile_hash_trims_body_like_javascript() -> None:
    """MIGRATION_2_TEXT is hashed trimmed; JS trim removes U+FEFF but not U+001C (str.strip
    would do the opposite)."""
    text = "create table if not exists bar (id serial primary key);"
    assert cs.graphile_hash(GM_HASH_1, f"\n\n\n{text}\n\n\n") == cs.graphile_hash(GM_HASH_1, text)
    assert cs.graphile_hash(None, "\ufeff" + GM_TEXT_1) == GM_HASH_1
    assert cs.graphile_hash(None, GM_TEXT_1 + "\x1c") != GM_HASH_1


def test_parse_graphile_committed_file_with_message() -> None:
    """MIGRATION_1_COMMITTED with a commit message (helpers.ts makeMigrations)."""
    parsed = graphile_files.parse_graphile_migration(
        f"--! Previous: -\n--! Hash: {GM_HASH_1}\n--! Message: Create foo\n\n{GM_TEXT_1}\n"
    )
    assert parsed == graphile_files.GraphileMigrationFile(
        previous_hash=None,
        hash=GM_HASH_1,
        message="Create foo",
        allow_invalid_hash=False,
        body=GM_TEXT_1 + "\n",
    )
    assert parsed.computed_hash() == parsed.hash


def test_parse_graphile_tampered_file_reports_snapshot_hash() -> None:
    """migrate.test.ts.snap `refuses to run migration with invalid hash`: the tampered 000002
    computes sha1:cbed240d... while its header says sha1:bddc1ead...."""
    parsed = graphile_files.parse_graphile_migration(GM_ENUM_COMMITTED + GM_TAMPER)
    assert parsed.hash == GM_HASH_ENUM
    assert parsed.computed_hash() == "sha1:cbed240dda7dfa510ff785783bbe6af7743b3a11"


def test_parse_graphile_allow_invalid_hash() -> None:
    """migrate.test.ts `will run a migration with invalid hash if told to do so`."""
    parsed = graphile_files.parse_graphile_migration(
        "--! AllowInvalidHash\n" + GM_ENUM_COMMITTED + GM_TAMPER
    )
    assert parsed.allow_invalid_hash
    assert (parsed.previous_hash, parsed.hash, parsed.message) == (GM_HASH_1, GM_HASH_ENUM, None)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f"--! Previous: -\n--! Hash: {GM_HASH_1}\n{GM_TEXT_1}\n", id="no-blank-line"),
        pytest.param(f"--! Previous: -\n--! Hash: {GM_HASH_1}", id="headers-only"),
        pytest.param(f"--! Previous: -\n--! Previous: -\n\n{GM_TEXT_1}\n", id="duplicate-header"),
        pytest.param(f"--! Hash: {GM_HASH_1}\n\n{GM_TEXT_1}\n", id="no-previous"),
        pytest.param(f"--! Previous: -\r\n--! Hash: {GM_HASH_1}\r\n\r\nselect 1;", id="crlf"),
    ],
)
def test_parse_graphile_rejects_what_graphile_rejects(text: str) -> None:
    """parseMigrationText / getAllMigrations errors (src/migration.ts)."""
    with pytest.raises(ValueError):
        graphile_files.parse_graphile_migration(text)


# ---- refinery ----------------------------------------------------------------------------------

REFINERY_V1 = (
    "CREATE TABLE persons (\n    id int,\n    name varchar(255),\n    city varchar(255)\n);\n"
)
REFINERY_V2_CARS = "CREATE TABLE cars (\n    id int,\n    name varchar(255)\n);\n"
REFINERY_V2_CARS_MOTOS = (
    REFINERY_V2_CARS + "CREATE TABLE motos (\n    id int,\n    name varchar(255)\n);\n"
)
REFINERY_V3 = "ALTER TABLE cars\nADD brand varchar(255);\n"


@pytest.mark.parametrize(
    ("name", "version", "sql", "int8", "expected"),
    [
        pytest.param("initial", 1, REFINERY_V1, False, "2959965718684201605", id="v1-int4"),
        pytest.param(
            "add_cars_table", 2, REFINERY_V2_CARS, False, "8238603820526370208", id="v2-int4"
        ),
        pytest.param("initial", 1, REFINERY_V1, True, "13938959368620441626", id="v1-int8"),
        pytest.param(
            "add_cars_table", 2, REFINERY_V2_CARS, True, "5394706226941044339", id="v2-int8"
        ),
        pytest.param(
            "add_cars_and_motos_table",
            2,
            REFINERY_V2_CARS_MOTOS,
            False,
            "15750824261375377119",
            id="v2-cars-and-motos-int4",
        ),
        pytest.param(
            "add_brand_to_cars_table", 3, REFINERY_V3, False, "5789498757482767533", id="v3-int4"
        ),
    ],
)
def test_refinery_checksum_matches_refinery_tests(
    name: str, version: int, sql: str, int8: bool, expected: str
) -> None:
    """rust-db/refinery refinery/tests/postgres.rs (and the other driver tests): the broken-runner
    tests pin 2959965718684201605 / 8238603820526370208 (int4) and 13938959368620441626 /
    5394706226941044339 (int8 builds, per frameworks.md) for V1__initial and V2__add_cars_table;
    an older postgres.rs `gets_applied_migrations` pins the cars-and-motos and brand values.
    Texts: refinery/tests/sql_migrations_missing/V2__add_cars_table.sql,
    refinery/tests/sql_migrations/V2__add_cars_table.sql and V3__add_brand_to_cars_table.sql;
    V1 is the earlier revision of sql_migrations/V1-2/V1__initial.sql (the stored one now uses a
    sequence) - that text reproduces both the int4 and the int8 value, which a wrong text cannot.
    """
    assert cs.refinery_checksum(name, version, sql, int8=int8) == expected


def test_refinery_checksum_depends_on_every_field() -> None:
    """Name, version width, version and text all feed the hash (Migration::checksum)."""
    base = cs.refinery_checksum("initial", 1, REFINERY_V1)
    assert (
        len(
            {
                base,
                cs.refinery_checksum("initial", 2, REFINERY_V1),
                cs.refinery_checksum("initia", 1, REFINERY_V1),
                cs.refinery_checksum("initial", 1, REFINERY_V1 + " "),
                cs.refinery_checksum("initial", 1, REFINERY_V1, int8=True),
            }
        )
        == 5
    )


def test_refinery_siphash_handles_every_tail_length() -> None:
    """Names of 0..16 bytes cover every SipHash tail length: distinct u64 values, in range."""
    values = {int(cs.refinery_checksum("x" * length, 1, "")) for length in range(17)}
    assert len(values) == 17 and all(0 <= value < 2**64 for value in values)


# ---- postgres-migrations, Sqitch, Postgrator ---------------------------------------------------

PG_MIGRATIONS_0_SQL = (
    "CREATE TABLE IF NOT EXISTS migrations (\n  id integer PRIMARY KEY,\n"
    "  name varchar(100) UNIQUE NOT NULL,\n"
    "  hash varchar(40) NOT NULL, -- sha1 hex encoded hash of the file name and contents, "
    "to ensure it hasn't been altered since applying the migration\n"
    "  executed_at timestamp DEFAULT current_timestamp\n);\n"
)


def test_postgres_migrations_sha1_matches_fixture() -> None:
    """ThomWright/postgres-migrations src/__tests__/fixtures/success-existing-db/restore.sql.js
    stores e18db593... for migration 0, src/migrations/0_create-migrations-table.sql."""
    assert (
        cs.postgres_migrations_sha1("0_create-migrations-table.sql", PG_MIGRATIONS_0_SQL)
        == "e18db593bcde2aca2a408c4d1100f6abba2195df"
    )
    assert cs.postgres_migrations_sha1("0-create-migrations-table.sql", PG_MIGRATIONS_0_SQL) != (
        "e18db593bcde2aca2a408c4d1100f6abba2195df"
    )


def test_sqitch_script_hash_matches_sqitch_test() -> None:
    """sqitchers/sqitch t/change.t: deploy script "Foo\\nBar\\nBøz\\n亜唖娃阿" written as UTF-8."""
    data = "Foo\nBar\nBøz\n亜唖娃阿".encode()
    assert cs.sqitch_script_hash(data) == "d48866b846300912570f643c99b2ceec4ba29f5c"


SQITCH_PLANNER = {"planner_name": "Marge N. O\u2019Vera", "planner_email": "marge@example.com"}


def test_sqitch_change_ids_match_tutorial() -> None:
    """sqitchers/sqitch lib/sqitchtutorial.pod: the plan lines for appschema and users and the
    change ids `sqitch status` prints for them (c7981df8..., 77398e1d...)."""
    appschema = cs.sqitch_change_id(
        project="flipr",
        uri="https://github.com/theory/sqitch-intro/",
        change="appschema",
        planned_at="2013-12-30T23:19:45Z",
        note="Add schema for all flipr objects.",
        **SQITCH_PLANNER,
    )
    users = cs.sqitch_change_id(
        project="flipr",
        uri="https://github.com/theory/sqitch-intro/",
        change="users",
        parent=appschema,
        requires=["appschema"],
        planned_at="2013-12-30T23:49:00Z",
        note="Creates table to track our users.",
        **SQITCH_PLANNER,
    )
    assert appschema == "c7981df861183412b01be706889e508a63d445ca"
    assert users == "77398e1dbc5fbce58b05eb67d201f15774718727"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b"", "d41d8cd98f00b204e9800998ecf8427e", id="rfc1321-empty"),
        pytest.param(b"abc", "900150983cd24fb0d6963f7d28e17f72", id="rfc1321-abc"),
        pytest.param(b"message digest", "f96b697d7cb7938d525a2f31aaf161d0", id="rfc1321-message"),
    ],
)
def test_postgrator_md5_rfc1321_vectors(data: bytes, expected: str) -> None:
    """Postgrator's tests pin no md5; RFC 1321 appendix A.5 test suite values instead."""
    assert cs.postgrator_md5(data) == expected


@pytest.mark.parametrize(
    ("newline", "same_as"),
    [
        pytest.param("LF", b"a\nb\nc\nd", id="LF"),
        pytest.param("CR", b"a\rb\rc\rd", id="CR"),
        pytest.param("CRLF", b"a\r\nb\r\nc\r\nd", id="CRLF"),
    ],
)
def test_postgrator_newline_option(newline: str, same_as: bytes) -> None:
    """convertLineEnding (lib/utils.js) turns every \\r\\n, \\r and \\n into the chosen ending."""
    assert cs.postgrator_md5(b"a\r\nb\rc\nd", newline) == cs.postgrator_md5(same_as)


def test_postgrator_rejects_unknown_newline_and_keeps_bytes_without_option() -> None:
    """Without the option the text is hashed as read (BOM included), like readFileSync utf8."""
    with pytest.raises(ValueError):
        cs.postgrator_md5(b"x", "NL")
    assert cs.postgrator_md5(b"\xef\xbb\xbfabc") != cs.postgrator_md5(b"abc")


# ---- properties shared by all byte-level functions ---------------------------------------------


@pytest.mark.parametrize(
    "checksum",
    [
        pytest.param(cs.flyway_crc32, id="flyway"),
        pytest.param(cs.sqlx_sha384, id="sqlx"),
        pytest.param(cs.prisma_sha256, id="prisma"),
        pytest.param(cs.sqitch_script_hash, id="sqitch"),
        pytest.param(cs.postgrator_md5, id="postgrator"),
    ],
)
def test_unicode_content_changes_the_checksum(checksum: Callable[[bytes], object]) -> None:
    """Unicode text is hashed as its UTF-8 bytes: a changed accent changes every checksum."""
    assert checksum("SELECT 'é';".encode()) != checksum("SELECT 'è';".encode())
