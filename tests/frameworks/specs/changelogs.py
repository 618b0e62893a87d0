"""Specs of the changelog frameworks: Liquibase (formatted SQL) and Sqitch (plan + scripts)."""

from __future__ import annotations

from .base import Spec

TABLES = ("conf_one", "conf_two", "conf_three")

LIQUIBASE_FILES = tuple(f"00{i}_{table}.sql" for i, table in enumerate(TABLES, 1))

LIQUIBASE = Spec(
    framework="liquibase",
    # CreateDatabaseChangeLogTableGenerator / ...LockTableGenerator on PostgreSQL.
    ddl=(
        "CREATE TABLE {schema}.{table} (ID VARCHAR(255) NOT NULL, AUTHOR VARCHAR(255) NOT NULL,"
        " FILENAME VARCHAR(255) NOT NULL, DATEEXECUTED TIMESTAMP WITHOUT TIME ZONE NOT NULL,"
        " ORDEREXECUTED INTEGER NOT NULL, EXECTYPE VARCHAR(10) NOT NULL, MD5SUM VARCHAR(35),"
        " DESCRIPTION VARCHAR(255), COMMENTS VARCHAR(255), TAG VARCHAR(255),"
        " LIQUIBASE VARCHAR(20), CONTEXTS VARCHAR(255), LABELS VARCHAR(255),"
        " DEPLOYMENT_ID VARCHAR(10))",
        "CREATE TABLE {schema}.databasechangeloglock (ID INTEGER NOT NULL,"
        " LOCKED BOOLEAN NOT NULL, LOCKGRANTED TIMESTAMP WITHOUT TIME ZONE,"
        " LOCKEDBY VARCHAR(255), CONSTRAINT databasechangeloglock_pkey PRIMARY KEY (ID))",
        "INSERT INTO {schema}.databasechangeloglock (ID, LOCKED) VALUES (1, FALSE)",
    ),
    files={
        name: "--liquibase formatted sql\n\n"
        f"--changeset alice:create-{table}\n"
        f"--comment: creates {table}\n"
        f"CREATE TABLE {table} (id int);\n"
        f"--rollback DROP TABLE {table};\n"
        for name, table in zip(LIQUIBASE_FILES, TABLES, strict=True)
    },
    names=tuple(
        f"{name}::create-{t}::alice" for name, t in zip(LIQUIBASE_FILES, TABLES, strict=True)
    ),
    identifiers=tuple(
        f"{name}::create-{t}::alice" for name, t in zip(LIQUIBASE_FILES, TABLES, strict=True)
    ),
    migration_files=LIQUIBASE_FILES,
    # The row `liquibase update` writes for the first changeset; md5sum is the version-9
    # checksum of its SQL ("CREATE TABLE conf_one (id int);"), the algorithm checked against
    # Liquibase's own test values in test_checksums.
    native_row=(
        "INSERT INTO {schema}.{table} (ID, AUTHOR, FILENAME, DATEEXECUTED, ORDEREXECUTED,"
        " EXECTYPE, MD5SUM, DESCRIPTION, COMMENTS, TAG, LIQUIBASE, CONTEXTS, LABELS,"
        " DEPLOYMENT_ID) VALUES ('create-conf_one', 'alice', '001_conf_one.sql', NOW(), 1,"
        " 'EXECUTED', '9:ba9f0acb5c3258a06d7145dabc28f7cb', 'sql', 'creates conf_one', NULL,"
        " '4.31.1', NULL, NULL, '4046521417')",
    ),
    table="databasechangelog",
    has_checksum=True,
)

SQITCH_PLAN = """%syntax-version=1.0.0
%project=conformance

conf_one 2024-01-01T10:00:00Z Ada Lovelace <ada@example.com> # Creates conf_one.
conf_two [conf_one] 2024-01-01T10:01:00Z Ada Lovelace <ada@example.com> # Creates conf_two.
@v1.0 2024-01-01T10:01:30Z Ada Lovelace <ada@example.com> # Tag v1.0.
conf_three [conf_two] 2024-01-01T10:02:00Z Ada Lovelace <ada@example.com> # Creates conf_three.
"""


def sqitch_script(table: str) -> str:
    """A deploy script as `sqitch add` templates it: its own BEGIN/COMMIT around the SQL."""
    return (
        f"-- Deploy conformance:{table} to pg\n\nBEGIN;\n\nCREATE TABLE {table} (id int);\n\n"
        "COMMIT;\n"
    )


# lib/App/Sqitch/Engine/pg.sql (registry 1.1), {schema} standing for :"registry".
SQITCH_DDL = (
    "CREATE TABLE {schema}.releases (version REAL PRIMARY KEY, installed_at TIMESTAMPTZ NOT NULL"
    " DEFAULT clock_timestamp(), installer_name TEXT NOT NULL, installer_email TEXT NOT NULL)",
    "CREATE TABLE {schema}.projects (project TEXT PRIMARY KEY, uri TEXT NULL UNIQUE,"
    " created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), creator_name TEXT NOT NULL,"
    " creator_email TEXT NOT NULL)",
    "CREATE TABLE {schema}.{table} (change_id TEXT PRIMARY KEY, script_hash TEXT NULL,"
    " change TEXT NOT NULL, project TEXT NOT NULL REFERENCES {schema}.projects(project)"
    " ON UPDATE CASCADE, note TEXT NOT NULL DEFAULT '', committed_at TIMESTAMPTZ NOT NULL"
    " DEFAULT clock_timestamp(), committer_name TEXT NOT NULL, committer_email TEXT NOT NULL,"
    " planned_at TIMESTAMPTZ NOT NULL, planner_name TEXT NOT NULL, planner_email TEXT NOT NULL,"
    " UNIQUE(project, script_hash))",
    "CREATE TABLE {schema}.tags (tag_id TEXT PRIMARY KEY, tag TEXT NOT NULL, project TEXT NOT"
    " NULL REFERENCES {schema}.projects(project) ON UPDATE CASCADE, change_id TEXT NOT NULL"
    " REFERENCES {schema}.{table}(change_id) ON UPDATE CASCADE, note TEXT NOT NULL DEFAULT '',"
    " committed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), committer_name TEXT NOT NULL,"
    " committer_email TEXT NOT NULL, planned_at TIMESTAMPTZ NOT NULL, planner_name TEXT NOT"
    " NULL, planner_email TEXT NOT NULL, UNIQUE(project, tag))",
    "CREATE TABLE {schema}.dependencies (change_id TEXT NOT NULL REFERENCES"
    " {schema}.{table}(change_id) ON UPDATE CASCADE ON DELETE CASCADE, type TEXT NOT NULL,"
    " dependency TEXT NOT NULL, dependency_id TEXT NULL REFERENCES {schema}.{table}(change_id)"
    " ON UPDATE CASCADE CONSTRAINT dependencies_check CHECK ((type = 'require' AND"
    " dependency_id IS NOT NULL) OR (type = 'conflict' AND dependency_id IS NULL)),"
    " PRIMARY KEY (change_id, dependency))",
    "CREATE TABLE {schema}.events (event TEXT NOT NULL CONSTRAINT events_event_check CHECK"
    " (event IN ('deploy', 'revert', 'fail', 'merge')), change_id TEXT NOT NULL,"
    " change TEXT NOT NULL, project TEXT NOT NULL REFERENCES {schema}.projects(project)"
    " ON UPDATE CASCADE, note TEXT NOT NULL DEFAULT '', requires TEXT[] NOT NULL DEFAULT '{{}}',"
    " conflicts TEXT[] NOT NULL DEFAULT '{{}}', tags TEXT[] NOT NULL DEFAULT '{{}}',"
    " committed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), committer_name TEXT NOT NULL,"
    " committer_email TEXT NOT NULL, planned_at TIMESTAMPTZ NOT NULL, planner_name TEXT NOT"
    " NULL, planner_email TEXT NOT NULL, PRIMARY KEY (change_id, committed_at))",
    "INSERT INTO {schema}.releases (version, installer_name, installer_email)"
    " VALUES (1.1, 'root', 'root@vm')",
)

SQITCH = Spec(
    framework="sqitch",
    ddl=SQITCH_DDL,
    files={
        "sqitch.plan": SQITCH_PLAN,
        **{f"deploy/{table}.sql": sqitch_script(table) for table in TABLES},
        **{f"revert/{table}.sql": f"BEGIN;\nDROP TABLE {table};\nCOMMIT;\n" for table in TABLES},
    },
    names=TABLES,
    identifiers=TABLES,
    migration_files=tuple(f"deploy/{table}.sql" for table in TABLES),
    # The rows `sqitch deploy --to conf_one` (Sqitch 1.3.1) wrote for this plan and script.
    native_row=(
        "INSERT INTO {schema}.projects (project, uri, creator_name, creator_email)"
        " VALUES ('conformance', NULL, 'root', 'root@vm')",
        "INSERT INTO {schema}.{table} (change_id, script_hash, change, project, note,"
        " committer_name, committer_email, planned_at, planner_name, planner_email) VALUES"
        " ('2883716dd2c7919a08056dcb513a78aa9e9b0c80', '3793b5297a272b93c93cd24894c8a6e6c55a4b59',"
        " 'conf_one', 'conformance', 'Creates conf_one.', 'root', 'root@vm',"
        " '2024-01-01 10:00:00+00', 'Ada Lovelace', 'ada@example.com')",
        "INSERT INTO {schema}.events (event, change_id, change, project, note, committer_name,"
        " committer_email, planned_at, planner_name, planner_email) VALUES ('deploy',"
        " '2883716dd2c7919a08056dcb513a78aa9e9b0c80', 'conf_one', 'conformance',"
        " 'Creates conf_one.', 'root', 'root@vm', '2024-01-01 10:00:00+00', 'Ada Lovelace',"
        " 'ada@example.com')",
    ),
    schema="sqitch",
    table="changes",
    has_checksum=True,
)

SPECS = [LIQUIBASE, SQITCH]
