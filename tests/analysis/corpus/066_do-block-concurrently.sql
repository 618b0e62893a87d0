-- truss:no-transaction
SET lock_timeout = '5s';
DO $$
BEGIN
    EXECUTE 'CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email)';
END
$$;
