SET lock_timeout = '5s';
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM information_schema.columns
                   WHERE table_name = 'profiles' AND column_name = 'nickname') THEN
        ALTER TABLE profiles ADD COLUMN nickname text;
    END IF;
END
$$;
