"""The advisory lock keys other frameworks take on PostgreSQL, computed as each one does.

A run of ours takes the lock of the framework whose table it writes, for its whole length: the
framework's own CLI then waits or gives up while we run, and we refuse to start while it runs.

- golang-migrate (``database/util.go`` GenerateAdvisoryLockId, ``database/postgres``): CRC-32
  (IEEE) of ``schema NUL table NUL database``, times the salt 1486364155, as a uint32. The
  database name is what its URL's path holds: ``/app`` from the CLI's ``postgres://.../app``,
  ``app`` through ``WithInstance``; both keys are taken.
- Flyway (``PostgreSQLAdvisoryLockTemplate``): 77431708279161 ("Flyway" in bytes) plus the
  Java ``String.hashCode`` of the quoted table name, ``"public"."flyway_schema_history"``.
- Sqitch (``App::Sqitch::Engine::pg``): 75474063. Prisma (``schema-engine``, PostgreSQL
  connector): 72707369.
"""

from __future__ import annotations

import zlib

from ..types import TableRef

GOLANG_MIGRATE_SALT = 1486364155
FLYWAY_MAGIC = (0x46 << 40) + (0x6C << 32) + (0x79 << 24) + (0x77 << 16) + (0x61 << 8) + 0x79
SQITCH_KEY = 75474063
PRISMA_KEY = 72707369
UINT32 = 0xFFFFFFFF


def golang_migrate_keys(table: TableRef, database: str) -> tuple[int, ...]:
    """The keys of the CLI (``/database``) and of a program using ``WithInstance``."""
    return tuple(_golang_migrate_key(table, name) for name in (f"/{database}", database))


def _golang_migrate_key(table: TableRef, database: str) -> int:
    joined = "\x00".join((table.schema, table.name, database))
    return (zlib.crc32(joined.encode("utf-8")) * GOLANG_MIGRATE_SALT) & UINT32


def flyway_key(table: TableRef) -> int:
    quoted = ".".join('"' + part.replace('"', '""') + '"' for part in (table.schema, table.name))
    return FLYWAY_MAGIC + java_string_hash(quoted)


def java_string_hash(text: str) -> int:
    """Java's ``String.hashCode()``: over UTF-16 code units, as a signed 32-bit int."""
    encoded = text.encode("utf-16-be")
    value = 0
    for index in range(0, len(encoded), 2):
        value = (31 * value + int.from_bytes(encoded[index : index + 2], "big")) & UINT32
    return value - (1 << 32) if value >= 1 << 31 else value
