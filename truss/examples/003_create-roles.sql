-- Up Migration
CREATE TYPE role_kind AS ENUM ('admin', 'editor', 'viewer');

CREATE TABLE roles (
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind role_kind NOT NULL,
  granted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, kind)
);

-- Down Migration
DROP TABLE roles;
DROP TYPE role_kind;
