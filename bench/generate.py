"""Deterministic realistic migrations, written in the layouts the contenders read.

Migration ``i`` creates table ``bench_<i>`` with 5 to 8 columns and a foreign key to an earlier
table, indexes the key, adds a column and comments the table — the shape of an ordinary
schema-evolution history. The same SQL is laid out for each contender:

- ``standard``: node-pg-migrate's SQL files (``-- Up Migration`` / ``-- Down Migration``), read
  by ``pgmigrate up`` / ``run`` and by node-pg-migrate itself;
- ``dbmate``: ``-- migrate:up`` / ``-- migrate:down`` files;
- ``yoyo``: ``.sql`` files with ``.rollback.sql`` companions;
- ``django``: an app whose migrations are ``RunSQL`` operations;
- ``all.sql``: everything concatenated, for ``psql -1 -f`` (the floor).
"""

from __future__ import annotations

from pathlib import Path

EXTRA_COLUMNS = (
    "amount numeric(12, 2) NOT NULL DEFAULT 0",
    "created_at timestamptz NOT NULL DEFAULT now()",
    "flags integer NOT NULL DEFAULT 0",
    "note text",
)


def table(index: int) -> str:
    return f"bench_{index:05d}"


def up_sql(index: int) -> str:
    """The up SQL of migration ``index`` (1-based): 4 statements, 5 to 8 columns."""
    columns = [
        "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        "name text NOT NULL",
        *EXTRA_COLUMNS[: 2 + index % 3],
    ]
    parent = max(1, index // 2)
    if index > 1:
        columns.insert(1, f"parent_id bigint REFERENCES {table(parent)} (id)")
    body = ",\n  ".join(columns)
    name = table(index)
    key = "parent_id" if index > 1 else "name"
    return (
        f"CREATE TABLE {name} (\n  {body}\n);\n"
        f"CREATE INDEX {name}_{key}_idx ON {name} ({key});\n"
        f"ALTER TABLE {name} ADD COLUMN updated_at timestamptz;\n"
        f"COMMENT ON TABLE {name} IS 'Benchmark table {index}';\n"
    )


def down_sql(index: int) -> str:
    return f"DROP TABLE {table(index)};\n"


def write_all(root: Path, count: int) -> dict[str, Path]:
    """Write every layout for ``count`` migrations under ``root``; return the paths by layout."""
    layouts = {
        "standard": root / "standard",
        "dbmate": root / "dbmate",
        "yoyo": root / "yoyo",
        "django": root / "django",
        "all.sql": root / "all.sql",
    }
    for folder in ("standard", "dbmate", "yoyo"):
        layouts[folder].mkdir(parents=True, exist_ok=True)
    _write_django_app(layouts["django"], count)
    with layouts["all.sql"].open("w", encoding="utf-8") as concatenated:
        for index in range(1, count + 1):
            up, down = up_sql(index), down_sql(index)
            stem = f"{index:05d}_{table(index)}"
            (layouts["standard"] / f"{stem}.sql").write_text(
                f"-- Up Migration\n{up}\n-- Down Migration\n{down}"
            )
            (layouts["dbmate"] / f"{stem}.sql").write_text(
                f"-- migrate:up\n{up}\n-- migrate:down\n{down}"
            )
            (layouts["yoyo"] / f"{stem}.sql").write_text(up)
            (layouts["yoyo"] / f"{stem}.rollback.sql").write_text(down)
            concatenated.write(up)
    return layouts


def _write_django_app(root: Path, count: int) -> None:
    """A throwaway Django project: settings module + app ``benchapp`` with RunSQL migrations."""
    migrations = root / "benchapp" / "migrations"
    migrations.mkdir(parents=True, exist_ok=True)
    (root / "benchapp" / "__init__.py").write_text("")
    (migrations / "__init__.py").write_text("")
    (root / "bench_settings.py").write_text(
        "import os\n"
        "from psycopg import conninfo\n"
        "_p = conninfo.conninfo_to_dict(os.environ['BENCH_TARGET'])\n"
        "SECRET_KEY = 'bench-only'\n"
        "INSTALLED_APPS = ['benchapp']\n"
        "USE_TZ = True\n"
        "DATABASES = {'default': {'ENGINE': 'django.db.backends.postgresql',\n"
        "  'NAME': _p.get('dbname'), 'USER': _p.get('user', ''), 'HOST': _p.get('host', ''),\n"
        "  'PORT': _p.get('port', ''), 'PASSWORD': _p.get('password', '')}}\n"
    )
    previous = None
    for index in range(1, count + 1):
        name = f"{index:05d}_{table(index)}"
        dependencies = f"[('benchapp', '{previous}')]" if previous else "[]"
        (migrations / f"{name}.py").write_text(
            "from django.db import migrations\n\n\n"
            "class Migration(migrations.Migration):\n"
            f"    dependencies = {dependencies}\n"
            f"    operations = [migrations.RunSQL({up_sql(index)!r}, {down_sql(index)!r})]\n"
        )
        previous = name


def write_status_fixture(root: Path, count: int) -> Path:
    """``count`` standard files (tiny bodies) for the status benchmark."""
    folder = root / f"status-{count}"
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(1, count + 1):
        (folder / f"{index:05d}_{table(index)}.sql").write_text(
            f"-- Up Migration\nSELECT {index};\n-- Down Migration\nSELECT -{index};\n"
        )
    return folder
