SET lock_timeout = '5s';
DO $$
DECLARE
    done integer;
BEGIN
    LOOP
        UPDATE users SET active = true
        WHERE id IN (SELECT id FROM users WHERE active IS NULL LIMIT 1000);
        GET DIAGNOSTICS done = ROW_COUNT;
        EXIT WHEN done = 0;
    END LOOP;
END
$$;
