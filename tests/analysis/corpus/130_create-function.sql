CREATE OR REPLACE FUNCTION profile_handle(p bigint) RETURNS text
LANGUAGE sql STABLE AS $$ SELECT handle FROM profiles WHERE id = p $$;
