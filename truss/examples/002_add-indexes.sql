-- Up Migration
CREATE INDEX idx_users_name ON users (name);
COMMENT ON TABLE users IS 'People who can sign in.';

-- Down Migration
DROP INDEX idx_users_name;
COMMENT ON TABLE users IS NULL;
