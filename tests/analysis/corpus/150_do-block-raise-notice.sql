DO $$
BEGIN
    RAISE NOTICE 'profiles: %', (SELECT count(*) FROM profiles);
END
$$;
