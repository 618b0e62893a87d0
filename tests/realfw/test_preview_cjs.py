"""The preview of a node-pg-migrate ``.cjs`` migration carries the SQL of its real dry run."""

from __future__ import annotations

import pytest

from migrations_manager import services

pytestmark = [pytest.mark.django_db, pytest.mark.realfw]

CREATE_USERS = """\
exports.up = (pgm) => {
  pgm.createTable('users', { id: 'id', email: { type: 'text' } });
};

exports.down = (pgm) => {
  pgm.dropTable('users');
};
"""


def test_preview_of_a_cjs_file_has_node_pg_migrates_sql(target_db, app_node):
    (target_db.directory / "001_users.cjs").write_text(CREATE_USERS, encoding="utf-8")
    result = services.preview("001_users.cjs", run_code=True)
    assert (result.content, result.lines, result.up, result.down) == (CREATE_USERS, 7, None, None)
    assert 'CREATE TABLE "users" (' in result.sql
    row = """INSERT INTO "public"."pgmigrations" (name, run_on) VALUES ('001_users', NOW());"""
    assert row in result.sql
    assert not target_db.exists("users")  # a dry run
