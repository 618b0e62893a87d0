-- truss:no-transaction
SELECT set_config('lock_timeout', '5s', false);
CREATE INDEX CONCURRENTLY IF NOT EXISTS profiles_bio_idx ON profiles (bio);
