SET lock_timeout = '5s';
-- truss:ignore MM001
CREATE INDEX users_email_idx ON users (email);
