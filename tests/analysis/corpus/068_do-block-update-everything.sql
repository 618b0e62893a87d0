SET lock_timeout = '5s';
DO $$
BEGIN
    IF EXISTS (SELECT FROM users WHERE active IS NULL) THEN
        UPDATE users SET active = true;
    END IF;
END
$$;
