-- truss:no-transaction
SET lock_timeout = '5s';
DROP INDEX CONCURRENTLY IF EXISTS profiles_old_idx;
