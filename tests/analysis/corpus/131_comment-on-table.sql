COMMENT ON TABLE profiles IS 'One row per person';
