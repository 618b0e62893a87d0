ANALYZE profiles;
