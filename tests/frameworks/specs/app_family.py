"""Specs of the application frameworks with class-file migrations: Rails, Laravel, Phinx,
Doctrine Migrations, Entity Framework Core. None of their files is SQL: ``runnable=False``."""

from __future__ import annotations

from .base import Spec

TABLES = ("conf_one", "conf_two", "conf_three")
CLASSES = ("ConfOne", "ConfTwo", "ConfThree")
VERSIONS = ("20240101000001", "20240101000002", "20240101000003")


def files(path_of, content_of) -> dict[str, str]:
    return {path_of(i): content_of(i) for i in range(3)}


RAILS = Spec(
    framework="rails",
    # Rails 7/8 on PostgreSQL: schema_migrations and its ar_internal_metadata sibling.
    ddl=(
        'CREATE TABLE {schema}.{table} ("version" character varying NOT NULL PRIMARY KEY)',
        'CREATE TABLE {schema}."ar_internal_metadata" ("key" character varying NOT NULL'
        ' PRIMARY KEY, "value" character varying, "created_at" timestamp(6) NOT NULL,'
        ' "updated_at" timestamp(6) NOT NULL)',
        "INSERT INTO {schema}.ar_internal_metadata VALUES ('environment', 'production',"
        " now(), now())",
    ),
    # The migrations directory is the Rails root: files are read from db/migrate.
    files=files(
        lambda i: f"db/migrate/{VERSIONS[i]}_create_{TABLES[i]}.rb",
        lambda i: (
            f"class Create{CLASSES[i]} < ActiveRecord::Migration[7.1]\n"
            f'  def change\n    execute "CREATE TABLE {TABLES[i]} (id int)"\n  end\nend\n'
        ),
    ),
    names=tuple(f"{v}_create_{t}.rb" for v, t in zip(VERSIONS, TABLES, strict=True)),
    identifiers=VERSIONS,
    native_row=("INSERT INTO {schema}.{table} (version) VALUES ('20240101000001')",),
    table="schema_migrations",
    runnable=False,
)

LARAVEL_NAMES = tuple(f"2024_01_01_00000{i}_create_{t}_table" for i, t in enumerate(TABLES, 1))

LARAVEL = Spec(
    framework="laravel",
    # DatabaseMigrationRepository::createRepository on PostgreSQL.
    ddl=(
        'CREATE TABLE {schema}.{table} ("id" serial NOT NULL PRIMARY KEY,'
        ' "migration" varchar(255) NOT NULL, "batch" integer NOT NULL)',
    ),
    files=files(
        lambda i: f"{LARAVEL_NAMES[i]}.php",
        lambda i: (
            "<?php\n\nuse Illuminate\\Database\\Migrations\\Migration;\n\n"
            "return new class extends Migration {\n    public function up(): void\n    {\n"
            f'        DB::statement("CREATE TABLE {TABLES[i]} (id int)");\n    }}\n}};\n'
        ),
    ),
    names=tuple(f"{name}.php" for name in LARAVEL_NAMES),
    identifiers=LARAVEL_NAMES,
    native_row=(
        "INSERT INTO {schema}.{table} (migration, batch)"
        " VALUES ('2024_01_01_000001_create_conf_one_table', 1)",
    ),
    table="migrations",
    runnable=False,
)

PHINX = Spec(
    framework="phinx",
    # PostgresAdapter::createSchemaTable (AbstractAdapter) with the default table name.
    ddl=(
        'CREATE TABLE {schema}.{table} ("version" BIGINT NOT NULL,'
        ' "migration_name" CHARACTER VARYING (100) NULL, "start_time" TIMESTAMP NULL,'
        ' "end_time" TIMESTAMP NULL, "breakpoint" BOOLEAN NOT NULL DEFAULT FALSE,'
        ' CONSTRAINT "phinxlog_pkey" PRIMARY KEY ("version"))',
    ),
    files=files(
        lambda i: f"db/migrations/{VERSIONS[i]}_{TABLES[i]}.php",
        lambda i: (
            "<?php\n\nuse Phinx\\Migration\\AbstractMigration;\n\n"
            f"final class {CLASSES[i]} extends AbstractMigration\n{{\n"
            f'    public function up(): void\n    {{\n        $this->execute("CREATE TABLE'
            f' {TABLES[i]} (id int)");\n    }}\n}}\n'
        ),
    ),
    names=tuple(f"{v}_{t}.php" for v, t in zip(VERSIONS, TABLES, strict=True)),
    identifiers=VERSIONS,
    native_row=(
        "INSERT INTO {schema}.{table} (version, migration_name, start_time, end_time,"
        " breakpoint) VALUES (20240101000001, 'ConfOne', '2024-01-01 10:00:00',"
        " '2024-01-01 10:00:01', false)",
    ),
    table="phinxlog",
    runnable=False,
)

DOCTRINE = Spec(
    framework="doctrine",
    # TableMetadataStorage::getExpectedTable on PostgreSQL (DBAL's platform DDL).
    ddl=(
        "CREATE TABLE {schema}.{table} (version VARCHAR(191) NOT NULL,"
        " executed_at TIMESTAMP(0) WITHOUT TIME ZONE DEFAULT NULL,"
        " execution_time INT DEFAULT NULL, PRIMARY KEY(version))",
    ),
    files=files(
        lambda i: f"migrations/Version{VERSIONS[i]}.php",
        lambda i: (
            "<?php\n\ndeclare(strict_types=1);\n\nnamespace DoctrineMigrations;\n\n"
            "use Doctrine\\Migrations\\AbstractMigration;\n\n"
            f"final class Version{VERSIONS[i]} extends AbstractMigration\n{{\n"
            "    public function up(Schema $schema): void\n    {\n"
            f"        $this->addSql('CREATE TABLE {TABLES[i]} (id int)');\n    }}\n}}\n"
        ),
    ),
    names=tuple(f"Version{v}.php" for v in VERSIONS),
    identifiers=tuple(f"DoctrineMigrations\\Version{v}" for v in VERSIONS),
    native_row=(
        "INSERT INTO {schema}.{table} (version, executed_at, execution_time) VALUES"
        " ('DoctrineMigrations\\Version20240101000001', '2024-01-01 10:00:00', 12)",
    ),
    table="doctrine_migration_versions",
    runnable=False,
)

EF_IDS = tuple(f"{v}_Create{c}" for v, c in zip(VERSIONS, CLASSES, strict=True))

EFCORE = Spec(
    framework="efcore",
    # HistoryRepository on Npgsql, as in `dotnet ef migrations script --idempotent`.
    ddl=(
        'CREATE TABLE {schema}.{table} ("MigrationId" character varying(150) NOT NULL,'
        ' "ProductVersion" character varying(32) NOT NULL,'
        ' CONSTRAINT "PK___EFMigrationsHistory" PRIMARY KEY ("MigrationId"))',
    ),
    files={
        **files(
            lambda i: f"Migrations/{EF_IDS[i]}.cs",
            lambda i: (
                f"public partial class Create{CLASSES[i]} : Migration\n{{\n"
                "    protected override void Up(MigrationBuilder migrationBuilder)\n    {\n"
                f'        migrationBuilder.Sql("CREATE TABLE {TABLES[i]} (id int)");\n    }}\n}}\n'
            ),
        ),
        **files(
            lambda i: f"Migrations/{EF_IDS[i]}.Designer.cs",
            lambda i: (
                f'[Migration("{EF_IDS[i]}")]\npartial class Create{CLASSES[i]}\n{{\n'
                '    modelBuilder.HasAnnotation("ProductVersion", "8.0.4");\n}\n'
            ),
        ),
        "Migrations/AppDbContextModelSnapshot.cs": "partial class AppDbContextModelSnapshot {}\n",
    },
    names=tuple(f"{i}.cs" for i in EF_IDS),
    identifiers=EF_IDS,
    native_row=(
        'INSERT INTO {schema}.{table} ("MigrationId", "ProductVersion")'
        f" VALUES ('{EF_IDS[0]}', '8.0.4')",
    ),
    table="__EFMigrationsHistory",
    runnable=False,
)

SPECS = [RAILS, LARAVEL, PHINX, DOCTRINE, EFCORE]
