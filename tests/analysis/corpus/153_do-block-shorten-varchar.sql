SET lock_timeout = '5s';
DO $$
BEGIN
    EXECUTE 'ALTER TABLE profiles ALTER COLUMN handle TYPE varchar(3)';
END
$$;
