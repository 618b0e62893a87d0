SET lock_timeout = '5s';
DO $$
BEGIN
    ALTER TABLE profiles ALTER COLUMN motto SET NOT NULL;
END
$$;
