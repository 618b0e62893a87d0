SET lock_timeout = '5s';
ALTER TABLE profiles ADD COLUMN created_at timestamptz NOT NULL DEFAULT clock_timestamp();
