SET lock_timeout = '5s';
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_indexes WHERE indexname = 'users_email_idx') THEN
        CREATE INDEX users_email_idx ON users (email);
    END IF;
END
$$;
