CREATE VIEW active_profiles AS SELECT id, handle FROM profiles WHERE email IS NOT NULL;
