SET lock_timeout = '5s';
ALTER TABLE profiles SET (autovacuum_vacuum_scale_factor = 0.01);
