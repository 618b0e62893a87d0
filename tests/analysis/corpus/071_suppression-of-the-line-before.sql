SET lock_timeout = '5s';
DROP INDEX users_old_idx; -- truss:ignore MM003
CREATE INDEX users_email_idx ON users (email);
